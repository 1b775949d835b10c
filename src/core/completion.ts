/**
 * Shell completion: what can come next on a command line. The shell functions send the words typed
 * so far (the last one is the word being completed, possibly empty); this module answers from a
 * table of the CLI's commands and flags, and from the versions staging already holds. It knows
 * nothing of oclif or of a shell: the table is built elsewhere (from oclif manifests), and the
 * answer is printed in a small line protocol the bash and zsh functions read.
 */

export type FlagSpec = {
  name: string
  char?: string
  aliases?: string[]
  /** takes a value (`--flag value`), as opposed to a boolean switch */
  takesValue: boolean
  multiple?: boolean
  options?: readonly string[]
  hidden?: boolean
  summary?: string
}

export type ArgSpec = {name: string; options?: readonly string[]}

export type CommandSpec = {
  /** oclif id, topics joined by `:` */
  id: string
  summary?: string
  hidden?: boolean
  /** other ids that run it; completed only once the user has typed part of one */
  aliases: string[]
  flags: FlagSpec[]
  args: ArgSpec[]
}

export type CommandTable = {
  commands: CommandSpec[]
  topics: Array<{name: string; description?: string}>
}

export type Candidate = {value: string; description?: string}

export type Completion = {
  /** replacements for the whole word being completed */
  candidates: Candidate[]
  /** the shell should also offer file names, or folder names (after the last `=` of the word) */
  paths?: 'dirs' | 'files'
  /** no space after a candidate (it continues, as `aws=`) */
  noSpace?: boolean
  /** keep the candidates' order (versions newest first) instead of sorting them */
  keepOrder?: boolean
}

/** Where values come from that the table does not hold. */
export type CompletionSources = {
  /** the versions staging already has, in the order to offer them */
  versions(): Promise<string[]>
  /** the providers `--provider-config <provider>=<file>` accepts */
  providers: readonly string[]
}

type ValueKind = 'dir' | 'file' | 'provider-file' | 'version'

/**
 * What the values of our flags and arguments are. oclif's manifest says whether a flag takes a value
 * and which fixed options it has, not that the value is a file or a version: that is said here.
 */
const FLAG_VALUES: Record<string, ValueKind> = {
  manifest: 'file',
  'module-dir': 'dir',
  'module-version': 'version',
  'provider-config': 'provider-file',
}
const ARG_VALUES: Record<string, ValueKind> = {
  'staging:checkout/version': 'version',
}

function flagValueKind(flag: FlagSpec): ValueKind | undefined {
  if (flag.name.endsWith('-provider-config')) return 'file'
  return FLAG_VALUES[flag.name]
}

/** Completes the last of `words` (the words after the CLI's own name). */
export async function complete(table: CommandTable, words: string[], sources: CompletionSources): Promise<Completion> {
  const current = words.at(-1) ?? ''
  const before = words.slice(0, -1)
  const {command, used} = findCommand(table, before)
  if (!command) return current.startsWith('-') ? {candidates: []} : nextCommandWords(table, before, current)

  const line = readLine(command, before.slice(used))
  if (line.pendingFlag) return flagValues(line.pendingFlag, current, '', sources)
  if (!line.afterDoubleDash && current.startsWith('--') && current.includes('=')) {
    const name = current.slice(2, current.indexOf('='))
    const flag = findFlag(command, name)
    return flag?.takesValue ? flagValues(flag, current.slice(current.indexOf('=') + 1), `--${name}=`, sources) : {candidates: []}
  }

  if (!line.afterDoubleDash && current.startsWith('-')) return {candidates: flagNames(command, line.seen, current)}
  const arg = command.args[line.positionals]
  if (arg) return argValues(command, arg, current, sources)
  // No argument is expected here: the flags are what can come.
  return current === '' && !line.afterDoubleDash ? {candidates: flagNames(command, line.seen, '--')} : {candidates: []}
}

/** The command named by the leading words (space or colon form), and how many words name it. */
function findCommand(table: CommandTable, words: string[]): {command?: CommandSpec; used: number} {
  const byId = new Map<string, CommandSpec>()
  for (const c of table.commands) for (const id of [c.id, ...c.aliases]) byId.set(id, c)
  const parts: string[] = []
  let found: {command?: CommandSpec; used: number} = {used: 0}
  for (const [i, word] of words.entries()) {
    if (word.startsWith('-')) break
    parts.push(...word.split(':'))
    const command = byId.get(parts.join(':'))
    if (command) found = {command, used: i + 1}
    else if (!isTopicPrefix(table, parts)) break
  }

  return found
}

function isTopicPrefix(table: CommandTable, parts: string[]): boolean {
  const prefix = `${parts.join(':')}:`
  return table.commands.some(c => c.id.startsWith(prefix))
}

/** The next topic or command word after `before` (topic words), or the whole id in colon form. */
function nextCommandWords(table: CommandTable, before: string[], current: string): Completion {
  const parts = before.flatMap(w => w.split(':'))
  if (parts.length > 0 && !isTopicPrefix(table, parts)) return {candidates: []}
  const colon = current.includes(':')
  const prefix = [...parts, ...(colon ? current.split(':').slice(0, -1) : [])]
  const partial = colon ? current.slice(current.lastIndexOf(':') + 1) : current
  const shown = new Map<string, Candidate>()
  for (const command of table.commands) {
    // Aliases (checkout, pull, …) and hidden commands only once the user has typed part of them.
    const ids = command.hidden ? (partial ? [command.id] : []) : [command.id, ...(partial ? command.aliases : [])]
    for (const id of ids) {
      const segments = id.split(':')
      if (segments.length <= prefix.length || segments.slice(0, prefix.length).join(':') !== prefix.join(':')) continue
      const next = segments[prefix.length]
      if (!next.startsWith(partial) || shown.has(next)) continue
      const isCommand = segments.length === prefix.length + 1
      const topic = table.topics.find(t => t.name === [...prefix, next].join(':'))
      shown.set(next, {value: next, description: isCommand ? command.summary : topic?.description})
    }
  }

  const head = colon ? `${prefix.join(':')}:` : ''
  return {candidates: [...shown.values()].map(c => ({...c, value: head + c.value}))}
}

type LineState = {
  /** a flag whose value is the word being completed */
  pendingFlag?: FlagSpec
  positionals: number
  seen: Set<string>
  afterDoubleDash: boolean
}

/** Walks the words after the command: which flags were given, how many arguments, what comes next. */
function readLine(command: CommandSpec, words: string[]): LineState {
  const state: LineState = {positionals: 0, seen: new Set(), afterDoubleDash: false}
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (state.afterDoubleDash || word === '-' || !word.startsWith('-')) {
      state.positionals++
      continue
    }

    if (word === '--') {
      state.afterDoubleDash = true
      continue
    }

    const long = word.startsWith('--')
    const flag = long ? findFlag(command, word.slice(2).split('=')[0]) : command.flags.find(f => f.char === word[1])
    if (!flag) continue
    state.seen.add(flag.name)
    // `--flag value` and `-f value` take the next word; `--flag=value` and `-fvalue` do not.
    const inline = long ? word.includes('=') : word.length > 2
    if (flag.takesValue && !inline) {
      if (i === words.length - 1) state.pendingFlag = flag
      i++
    }
  }

  return state
}

function findFlag(command: CommandSpec, name: string): FlagSpec | undefined {
  return command.flags.find(f => f.name === name || f.aliases?.includes(name))
}

function flagNames(command: CommandSpec, seen: Set<string>, current: string): Candidate[] {
  const open = command.flags.filter(f => !f.hidden && (f.multiple || !seen.has(f.name)))
  // `-` or `-f`: the short forms too.
  const short = current.startsWith('--') ? [] : open.filter(f => f.char).map(f => ({value: `-${f.char}`, description: f.summary}))
  return [...short, ...open.map(f => ({value: `--${f.name}`, description: f.summary}))]
  .filter(c => c.value.startsWith(current))
  .sort((a, b) => a.value.localeCompare(b.value))
}

async function flagValues(flag: FlagSpec, current: string, head: string, sources: CompletionSources): Promise<Completion> {
  if (flag.options) return {candidates: matching(flag.options, current, head)}
  return values(flagValueKind(flag), current, head, sources)
}

async function argValues(command: CommandSpec, arg: ArgSpec, current: string, sources: CompletionSources): Promise<Completion> {
  if (arg.options) return {candidates: matching(arg.options, current, '')}
  return values(ARG_VALUES[`${command.id}/${arg.name}`], current, '', sources)
}

async function values(kind: ValueKind | undefined, current: string, head: string, sources: CompletionSources): Promise<Completion> {
  switch (kind) {
  case 'dir': {
    return {candidates: [], paths: 'dirs'}
  }

  case 'file': {
    return {candidates: [], paths: 'files'}
  }

  case 'provider-file': {
    // `<provider>=<file>`, or a file alone for the manifest's own provider.
    if (current.includes('=')) return {candidates: [], paths: 'files'}
    return {candidates: matching(sources.providers.map(p => `${p}=`), current, head), paths: 'files', noSpace: true}
  }

  case 'version': {
    return {candidates: matching(await sources.versions(), current, head), keepOrder: true}
  }

  default: {
    return {candidates: []}
  }
  }
}

function matching(options: readonly string[], current: string, head: string): Candidate[] {
  return options.filter(o => o.startsWith(current)).map(o => ({value: head + o}))
}

/**
 * The answer as the shell functions read it: a first line of directives (`files` or `dirs`,
 * `nospace`, `nosort`, space-separated, possibly empty), then one candidate per line, its
 * description after a tab.
 */
export function formatCompletion(completion: Completion): string {
  const directives = [completion.paths, completion.noSpace ? 'nospace' : undefined, completion.keepOrder ? 'nosort' : undefined].filter(Boolean)
  const lines = completion.candidates.map(c => (c.description ? `${c.value}\t${c.description.split('\n')[0]}` : c.value))
  return `${[directives.join(' '), ...lines].join('\n')}\n`
}
