/**
 * The git gateway: the only module that runs git. Clone, fetch and checkout go through simple-git
 * (progress, abort); the short commands that answer questions (`raw`), the commands that read
 * stdin, and `cat-file --batch`, which streams object contents, spawn git directly with the same
 * arguments and environment: simple-git waits 50 ms after every command that prints nothing (its
 * completion plugin), and a first run makes a dozen such commands.
 *
 * Every invocation is non-interactive and inert: no credential prompt, no repository hooks, no
 * fsmonitor daemon, no submodules, no `ext::` transport, no automatic gc. User strings reach git only
 * after validation, as positional arguments behind `--end-of-options`/`--`, never as options.
 */
import type {SimpleGit, SimpleGitProgressEvent} from 'simple-git'

import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {chmod} from 'node:fs/promises'
import path from 'node:path'

import type {BlobSource} from './blobs.js'

import {redactUrl, redactUrls} from './display.js'
import {
  errorMessage, InterruptedError, OfflineError, StagingError,
} from './errors.js'
import {debug} from './log.js'

/** Settings forced on every git invocation; command-line `-c` beats any repository config. */
const INERT_CONFIG = [
  'core.hooksPath=/dev/null',
  'core.fsmonitor=false',
  'protocol.ext.allow=never',
  'submodule.recurse=false',
  'fetch.recurseSubmodules=false',
  'gc.auto=0',
  'maintenance.auto=false',
  'advice.detachedHead=false',
  'core.askPass=',
  'credential.interactive=false',
]

/**
 * GIT_* variables of the user's environment that still reach git: proxy, CA and SSH settings, and
 * tracing. Everything else of the GIT_* family (GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE,
 * GIT_CONFIG_COUNT/KEY/VALUE, GIT_CONFIG_PARAMETERS, GIT_OBJECT_DIRECTORY, …) could redirect git
 * away from staging or inject configuration, so it is dropped. HTTPS_PROXY, SSL_CERT_FILE and the
 * user's own ~/.gitconfig are not GIT_* variables and reach git untouched.
 */
const PASS_THROUGH = new Set([
  'GIT_CURL_VERBOSE',
  'GIT_HTTP_LOW_SPEED_LIMIT',
  'GIT_HTTP_LOW_SPEED_TIME',
  'GIT_HTTP_PROXY_AUTHMETHOD',
  'GIT_PROXY_SSL_CAINFO',
  'GIT_PROXY_SSL_CERT',
  'GIT_PROXY_SSL_KEY',
  'GIT_SSH',
  'GIT_SSH_COMMAND',
  'GIT_SSH_VARIANT',
  'GIT_SSL_CAINFO',
  'GIT_SSL_CAPATH',
  'GIT_SSL_CERT',
  'GIT_SSL_KEY',
  'GIT_SSL_NO_VERIFY',
  'GIT_SSL_VERSION',
  'GIT_TRACE',
  'GIT_TRACE_CURL',
  'GIT_TRACE_PACKET',
])

const NOT_FOR_GIT = new Set(['EDITOR', 'PAGER', 'PREFIX', 'SSH_ASKPASS', 'VISUAL'])

/**
 * Settings that make a git process refuse every transport. In a lean staging (a partial clone), git
 * fetches a missing object by itself, one round trip per object and with no word to us; reads run
 * with these so that such a fetch fails at once instead (git 2.39 has no GIT_NO_LAZY_FETCH). The
 * files a run needs are fetched beforehand, in batches (see blob-fetch.ts).
 */
const NO_LAZY_FETCH = ['protocol.allow=never', ...['file', 'git', 'http', 'https', 'ssh'].map(p => `protocol.${p}.allow=never`)]

/** The filter of a lean staging: every commit and tree, no file contents. */
const LEAN_FILTER = 'blob:none'

const FULL_INSTEAD = 'Use a full staging instead: `project-planton staging pull --full`, or PROJECT_PLANTON_STAGING=full before the first clone.'

/** Paths per git command line: far below any system's limit, whatever the paths' lengths. */
const PATHS_PER_COMMAND = 500

/** The environment git runs with. */
export function gitEnvironment(parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue
    if (key.toUpperCase().startsWith('GIT_') && !PASS_THROUGH.has(key.toUpperCase())) continue
    // Programs git could start (editor, pager, password prompt): never needed non-interactively,
    // and simple-git refuses to run git at all while one of them is set (EDITOR usually is).
    if (NOT_FOR_GIT.has(key.toUpperCase())) continue
    env[key] = value
  }

  env.GIT_TERMINAL_PROMPT = '0'
  env.GCM_INTERACTIVE = 'never'
  // A user's own SSH command is kept; otherwise ssh must fail instead of asking for a passphrase.
  if (!env.GIT_SSH_COMMAND && !env.GIT_SSH) env.GIT_SSH_COMMAND = 'ssh -o BatchMode=yes'
  // Messages are parsed to tell "offline" from other failures.
  env.LC_ALL = 'C'
  env.LANGUAGE = 'C'
  return env
}

export type GitProgress = {stage: string; percent: number}

export type GitOptions = {
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  onProgress?: (progress: GitProgress) => void
}

export type TreeEntry = {
  mode: string
  type: 'blob' | 'commit' | 'tree'
  oid: string
  /** path relative to the repository root */
  path: string
}

const OFFLINE_PATTERNS = [
  /could not resolve host/i,
  /unable to access/i,
  /could not read from remote repository/i,
  /does not appear to be a git repository/i,
  /connection (refused|timed out)/i,
  /network is unreachable/i,
  /failed to connect/i,
  /operation timed out/i,
  /unable to look up/i,
  /no such file or directory/i,
  /is not a valid bundle|could not open .*bundle/i,
]

export function looksOffline(message: string): boolean {
  return OFFLINE_PATTERNS.some(re => re.test(message))
}

async function createClient(baseDir: string | undefined, opts: GitOptions): Promise<SimpleGit> {
  const {simpleGit} = await import('simple-git')
  const env = opts.env ?? gitEnvironment()
  const client = simpleGit({
    baseDir,
    binary: 'git',
    maxConcurrentProcesses: 4,
    config: INERT_CONFIG,
    // These "unsafe" settings are ours, not the user's: they switch hooks, fsmonitor and the ext
    // transport off, and let the user's own SSH command through.
    unsafe: {
      allowUnsafeHooksPath: true,
      allowUnsafeFsMonitor: true,
      allowUnsafeProtocolOverride: true,
      allowUnsafeSshCommand: true,
      allowUnsafeAskPass: true,
    },
    allowEnvironment: Object.keys(env).filter(k => k.toUpperCase().startsWith('GIT_')),
    abort: opts.signal,
    progress: opts.onProgress
      ? ({stage, progress}: SimpleGitProgressEvent) => opts.onProgress!({stage, percent: progress})
      : undefined,
  })
  return client.env(env)
}

function wrap(what: string, error: unknown): StagingError {
  // git quotes URLs in its messages; a token in one must not reach the terminal or a CI log.
  const message = redactUrls(errorMessage(error).trim())
  if (looksOffline(message)) {
    return new OfflineError(`${what}: the upstream is unreachable (${firstLine(message)})`, {
      cause: error,
      hint: 'Check the network or PROJECT_PLANTON_REPO_URL. Versions already in staging still work offline.',
    })
  }

  return new StagingError(`${what}: ${firstLine(message)}`, {cause: error})
}

/**
 * git refused a checkout (it changes nothing then): untracked or changed files in the way, or a
 * path of the commit that git will not write (`.git/…`, a name the file system cannot hold).
 */
export class CheckoutRefusedError extends StagingError {
  constructor(readonly reason: string, readonly files: string[]) {
    super(`git refused the checkout: ${reason}${files.length > 0 ? `: ${files.slice(0, 10).join(', ')}${files.length > 10 ? `, and ${files.length - 10} more` : ''}` : ''}`)
  }
}

function checkoutRefused(message: string): CheckoutRefusedError {
  const lines = message.split(/\r?\n/)
  // "error: The following untracked working tree files would be overwritten by checkout:" then a tab-indented list.
  const files = lines.filter(l => l.startsWith('\t')).map(l => l.trim())
  const invalid = lines.flatMap(l => /^error: invalid path '(.*)'$/.exec(l)?.[1] ?? [])
  if (invalid.length > 0) return new CheckoutRefusedError('the commit holds paths git will not write to a work tree', invalid)
  if (/untracked working tree files would be (overwritten|removed)/.test(message)) return new CheckoutRefusedError('untracked files in the staging work tree are in the way', files)
  if (/local changes to the following files would be overwritten/.test(message)) return new CheckoutRefusedError('files changed in the staging work tree would be overwritten', files)
  return new CheckoutRefusedError(firstLine(message), files)
}

function firstLine(message: string): string {
  // Progress lines end in \r, so git's own message can follow one on the same \n-line.
  const lines = message.split(/[\r\n]+/).map(l => l.trim()).filter(Boolean)
  return lines.find(l => /^(fatal|error):/.test(l)) ?? lines[0] ?? 'git failed'
}

/**
 * Clones `url` into `dir` without checking anything out (the caller checks out a resolved SHA).
 * `lean`: a partial clone without file contents (`--filter=blob:none`); `filtered` says whether the
 * upstream honoured the filter (one with uploadpack.allowFilter off sends everything, with a warning).
 */
export async function cloneRepository(url: string, dir: string, opts: GitOptions & {lean?: boolean} = {}): Promise<{filtered: boolean}> {
  if (url.startsWith('-')) throw new StagingError(`refusing upstream URL that starts with "-": ${url}`)
  debug('git clone %s %s%s', url, dir, opts.lean ? ' (lean)' : '')
  const client = await createClient(undefined, opts)
  let stderr = ''
  if (opts.lean) {
    client.outputHandler((_bin, _stdout, err) => {
      err.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
    })
  }

  try {
    // Tags come along (no --no-tags): the first selection needs the CLI's version tag, and a tag
    // that is already local must work offline.
    // --config writes these into the new clone's config (no hooks, no automatic gc): two git
    // processes fewer than setting them afterwards.
    await client.clone(url, dir, [
      '--no-checkout',
      '--no-recurse-submodules',
      '--origin',
      'origin',
      '--config',
      'gc.auto=0',
      '--config',
      'core.hooksPath=/dev/null',
      ...(opts.lean ? [`--filter=${LEAN_FILTER}`] : []),
    ])
  } catch (error) {
    throw wrap(`could not clone ${redactUrl(url)}`, error)
  }

  // The config holds the upstream URL, and with it any token the URL carries: the owner's only, as
  // the state and the stack inputs are (git keeps a config file's mode when it rewrites it).
  await chmod(path.join(dir, '.git', 'config'), 0o600)

  // git's words when the upstream does not allow filters (messages are in English: LC_ALL=C).
  return {filtered: opts.lean === true && !/filtering not recognized by server/i.test(stderr)}
}

type GitRun = {stdout: string; stderr: string; code: number | null}

/**
 * Runs git directly, for what simple-git cannot do: write to git's stdin, or set configuration for
 * one command only. Same inert settings and environment as every other invocation.
 */
async function runGit(dir: string, args: string[], opts: {env: NodeJS.ProcessEnv; signal?: AbortSignal; input?: string; config?: string[]}): Promise<GitRun> {
  const config = [...INERT_CONFIG, ...(opts.config ?? [])].flatMap(c => ['-c', c])
  debug('git -C %s %s', dir, args.join(' '))
  const child = spawn('git', [...config, '-C', dir, ...args], {env: opts.env, signal: opts.signal, stdio: ['pipe', 'pipe', 'pipe']})
  const out: Buffer[] = []
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => out.push(d))
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  // git may exit before reading all of its input (a bad argument): that is its exit code's story.
  child.stdin.on('error', () => {})
  child.stdin.end(opts.input ?? '')
  let failed: Error | undefined
  const code = await new Promise<null | number>(resolve => {
    child.on('error', error => {
      failed ??= error
      // Not started at all (no git): no 'close' follows.
      if (child.pid === undefined) resolve(null)
    })
    child.on('close', resolve)
  })
  if (opts.signal?.aborted) throw new InterruptedError(typeof opts.signal.reason === 'string' ? (opts.signal.reason as NodeJS.Signals) : 'SIGINT')
  if (failed && code === null) throw new StagingError(`git ${args[0]} could not run: ${errorMessage(failed)}`, {cause: failed})
  return {stdout: Buffer.concat(out).toString(), stderr, code}
}

export class GitRepository {
  private clientPromise?: Promise<SimpleGit>

  constructor(
    readonly dir: string,
    private readonly opts: GitOptions = {},
  ) {}

  withOptions(opts: GitOptions): GitRepository {
    return new GitRepository(this.dir, {...this.opts, ...opts})
  }

  private client(): Promise<SimpleGit> {
    this.clientPromise ??= createClient(this.dir, this.opts)
    return this.clientPromise
  }

  async raw(args: string[], what = `git ${args[0]}`): Promise<string> {
    const r = await runGit(this.dir, args, {env: this.env(), signal: this.opts.signal})
    // As simple-git's raw: a failure with nothing on stderr is an empty answer (`config --get` of
    // an unset key, `rev-parse --quiet` of no such name); one with a message throws.
    if (r.code !== 0 && r.stderr.trim() !== '') throw wrap(what, new Error(r.stderr))
    return r.stdout
  }

  /** Fetches branches and tags; tags moved upstream follow, tags and branches gone upstream go. */
  async fetch(): Promise<void> {
    debug('git -C %s fetch origin', this.dir)
    await this.fetchAllRefs([], 'could not fetch from the upstream')
  }

  /**
   * The commit `rev` names, as a full SHA, or undefined when it names none. `rev` must already be
   * validated. Only "no such commit" is undefined: a git that fails for another reason throws.
   */
  async resolveCommit(rev: string): Promise<string | undefined> {
    // --quiet: a name that does not resolve exits 1 with nothing on stderr, which simple-git
    // returns as empty output; anything on stderr (a broken repository) throws.
    const out = await this.raw(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], `could not resolve ${rev}`)
    const sha = out.trim()
    return /^[\da-f]{40}$/.test(sha) ? sha : undefined
  }

  /**
   * The commits whose names start with `prefix` (4 to 39 hex digits), as git disambiguates an
   * abbreviated object name, without looking at any ref of that name.
   */
  async commitsWithPrefix(prefix: string): Promise<string[]> {
    if (!/^[\da-f]{4,39}$/.test(prefix)) throw new StagingError(`internal: not an abbreviated object name: ${prefix}`)
    const objects = (await this.raw(['rev-parse', `--disambiguate=${prefix}`], 'could not look up the commit')).split('\n').filter(Boolean)
    if (objects.length === 0) return []
    const types = await Promise.all(objects.map(async oid => (await this.raw(['cat-file', '-t', oid], 'could not look up the commit')).trim()))
    return objects.filter((_, i) => types[i] === 'commit')
  }

  async tags(): Promise<string[]> {
    const out = await this.raw(['for-each-ref', '--format=%(refname:strip=2)', 'refs/tags'])
    return out.split('\n').filter(Boolean)
  }

  async localBranches(): Promise<string[]> {
    const out = await this.raw(['for-each-ref', '--format=%(refname)', 'refs/heads'])
    return out.split('\n').filter(Boolean)
  }

  async deleteRef(ref: string): Promise<void> {
    await this.raw(['update-ref', '-d', '--', ref])
  }

  /** The upstream's default branch as recorded by clone (`origin/HEAD`), e.g. `main`. */
  async defaultBranch(): Promise<string | undefined> {
    // --quiet: not a symbolic ref exits 1 silently (empty output); a real failure throws.
    const out = await this.raw(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'])
    return out.trim().replace(/^refs\/remotes\/origin\//, '') || undefined
  }

  /** The recorded upstream; undefined when none is set (git config exits 1 silently). */
  async remoteUrl(): Promise<string | undefined> {
    const out = await this.raw(['config', '--get', 'remote.origin.url'])
    return out.trim() || undefined
  }

  /** The commit checked out, or undefined when there is none or the folder is not a usable repository. */
  async headSha(): Promise<string | undefined> {
    try {
      return await this.resolveCommit('HEAD')
    } catch (error) {
      // A clone cut short by a crash: its .git folder is there, but git does not take it for a repository.
      if (/not a git repository/i.test(errorMessage(error))) return undefined
      throw error
    }
  }

  /** Points the work tree at `sha` (a full SHA, never a user string), detached. */
  async checkout(sha: string, force: boolean): Promise<void> {
    if (!/^[\da-f]{40}$/.test(sha)) throw new StagingError(`internal: checkout needs a full SHA, got ${sha}`)
    try {
      await (await this.client()).raw(['checkout', '--detach', '--no-recurse-submodules', ...(force ? ['--force'] : []), sha, '--'])
    } catch (error) {
      if (this.opts.signal?.aborted) throw wrap('checkout interrupted', error)
      throw checkoutRefused(errorMessage(error))
    }
  }

  /** Tracked files with local changes (untracked files are never overwritten by a checkout, so they do not count). */
  async changedFiles(): Promise<string[]> {
    const out = await this.raw(['status', '--porcelain=v1', '-z', '--untracked-files=no', '--ignore-submodules'])
    return out
    .split('\0')
    .filter(Boolean)
    .map(l => l.slice(3))
  }

  /** The entries below `path` (or the whole tree) of commit `sha`, recursively. */
  async listTree(sha: string, path?: string): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-r', '-z', '--full-tree', sha]
    if (path) args.push('--', path)
    return parseTree(await this.raw(args, 'could not list the module tree'))
  }

  /** The direct children of `path` at commit `sha`. */
  async listDir(sha: string, path: string): Promise<TreeEntry[]> {
    const prefix = path ? `${path.replace(/\/$/, '')}/` : ''
    return parseTree(await this.raw(['ls-tree', '-z', '--full-tree', sha, '--', prefix], 'could not list the tree'))
  }

  /** The entries at exactly these repository paths of commit `sha` (paths that do not exist are left out). */
  async entriesAt(sha: string, paths: string[]): Promise<TreeEntry[]> {
    const wanted = new Set(paths)
    const out: TreeEntry[] = []
    // ls-tree takes its paths literally (no wildcards); chunks keep the command line short.
    for (let i = 0; i < paths.length; i += PATHS_PER_COMMAND) {
      const chunk = paths.slice(i, i + PATHS_PER_COMMAND)
      out.push(...parseTree(await this.raw(['ls-tree', '-z', '--full-tree', sha, '--', ...chunk], 'could not list the tree')))
    }

    return out.filter(e => wanted.has(e.path))
  }

  /** A reader of object contents from this repository's object store. Close it when done. */
  objectReader(): ObjectReader {
    return new ObjectReader(this.dir, this.opts.env ?? gitEnvironment())
  }

  // -------------------------------------------------------------------------
  // lean staging (a partial clone)

  /** Whether this is a partial clone, whose files are fetched from the upstream as they are needed. */
  async isPartial(): Promise<boolean> {
    // Only the repository's own config counts (git 2.39 marks the remote; older ones set the extension).
    const promisor = (await this.raw(['config', '--local', '--get', 'remote.origin.promisor'])).trim().toLowerCase()
    if (promisor === 'true') return true
    return (await this.raw(['config', '--local', '--get', 'extensions.partialclone'])).trim() !== ''
  }

  /**
   * Makes git take this clone for a complete one: no more fetching of missing objects, no filter on
   * later fetches. Only once every object it needs is here (see fetchEverything).
   */
  async leavePartial(): Promise<void> {
    // `--unset-all` of a key that is not there exits 5 silently.
    for (const key of ['remote.origin.partialclonefilter', 'remote.origin.promisor', 'extensions.partialclone']) {
      await this.raw(['config', '--local', '--unset-all', key], 'could not make staging a full clone')
    }
  }

  /** Points HEAD at `sha` (detached) without touching a work tree or an index: a lean staging has neither. */
  async pointHead(sha: string): Promise<void> {
    if (!/^[\da-f]{40}$/.test(sha)) throw new StagingError(`internal: HEAD needs a full SHA, got ${sha}`)
    await this.raw(['update-ref', '--no-deref', '-m', 'project-planton: select', 'HEAD', sha], 'could not select the commit')
  }

  /**
   * The object ids of the blobs below `paths` (all of the commit's when undefined) that are not in
   * the object store, found without fetching anything (`rev-list --missing=print` walks the trees,
   * which a lean staging always has).
   */
  async missingBlobs(sha: string, paths?: string[]): Promise<Set<string>> {
    const missing = new Set<string>()
    const chunks: Array<string[] | undefined> = []
    if (paths) for (let i = 0; i < paths.length; i += PATHS_PER_COMMAND) chunks.push(paths.slice(i, i + PATHS_PER_COMMAND))
    else chunks.push(undefined)
    for (const chunk of chunks) {
      if (chunk?.length === 0) continue
      // `:(literal)`: a path of the tree is never taken for a wildcard.
      const args = ['rev-list', '--objects', '--missing=print', `${sha}^{tree}`, ...(chunk ? ['--', ...chunk.map(p => `:(literal)${p}`)] : [])]
      const r = await runGit(this.dir, args, {env: this.env(), signal: this.opts.signal, config: NO_LAZY_FETCH})
      if (r.code !== 0) throw wrap('could not check which files staging has', new Error(r.stderr))
      for (const line of r.stdout.split('\n')) if (line.startsWith('?')) missing.add(line.slice(1))
    }

    return missing
  }

  /**
   * Fetches these objects from the upstream in one request, as git's own lazy fetch does for one
   * object (no negotiation, no refs, no FETCH_HEAD): one round trip for any number of files.
   */
  async fetchObjects(oids: string[]): Promise<void> {
    if (oids.some(o => !/^[\da-f]{40}$/.test(o))) throw new StagingError('internal: only object ids can be fetched')
    const r = await runGit(this.dir, ['fetch', 'origin', '--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', `--filter=${LEAN_FILTER}`, '--stdin'], {
      env: this.env(), signal: this.opts.signal, input: `${oids.join('\n')}\n`, config: ['fetch.negotiationAlgorithm=noop'],
    })
    if (r.code === 0) return
    if (this.opts.signal?.aborted) throw wrap('fetching files interrupted', new Error(r.stderr))
    if (/not allow request for unadvertised object|not our ref/i.test(r.stderr)) {
      throw new StagingError(`the upstream does not hand out single files (${firstLine(redactUrls(r.stderr))})`, {
        hint: `Its git server needs uploadpack.allowAnySHA1InWant (or protocol v2). ${FULL_INSTEAD}`,
      })
    }

    throw wrap('could not fetch files from the upstream', new Error(r.stderr))
  }

  /**
   * Fetches every object of every branch and tag again, contents included (`--refetch`, without the
   * lean filter): what turns a lean staging into a full one. Killed halfway, it leaves staging as it
   * was, plus some objects.
   */
  async fetchEverything(): Promise<void> {
    debug('git -C %s fetch --refetch --no-filter origin', this.dir)
    await this.fetchAllRefs(['--refetch', '--no-filter'], 'could not fetch the whole upstream')
  }

  /** Fetches every branch and tag of origin, pruning what is gone upstream, with `options` first. */
  private async fetchAllRefs(options: string[], failure: string): Promise<void> {
    try {
      await (await this.client()).fetch([
        ...options,
        '--prune',
        '--prune-tags',
        '--force',
        '--no-recurse-submodules',
        '--progress',
        'origin',
        '+refs/heads/*:refs/remotes/origin/*',
        '+refs/tags/*:refs/tags/*',
      ])
    } catch (error) {
      throw wrap(failure, error)
    }
  }

  private env(): NodeJS.ProcessEnv {
    return this.opts.env ?? gitEnvironment()
  }
}

function parseTree(out: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  for (const record of out.split('\0')) {
    if (!record) continue
    const tab = record.indexOf('\t')
    const [mode, type, oid] = record.slice(0, tab).split(' ')
    entries.push({
      mode, type: type as TreeEntry['type'], oid, path: record.slice(tab + 1),
    })
  }

  return entries
}

/**
 * Streams blob contents from `git cat-file --batch`: one process serves any number of reads, in
 * the order they were asked for.
 */
export class ObjectReader implements BlobSource {
  private buffer: Buffer = Buffer.alloc(0)
  /** chunks received after `buffer`, joined once the object at the head of the queue is complete */
  private chunks: Buffer[] = []
  private chunkBytes = 0
  /** how many bytes the object at the head of the queue needs in all (0: header not read yet) */
  private needed = 0
  private readonly child
  private closed = false
  private failure?: Error
  private readonly pending: Array<{oid: string; resolve: (b: Buffer) => void; reject: (e: Error) => void}> = []

  constructor(dir: string, env: NodeJS.ProcessEnv) {
    // In a lean staging, what a run reads was fetched beforehand: a missing object is an error, not
    // a slow fetch of one object behind our back.
    const args = [...INERT_CONFIG, ...NO_LAZY_FETCH].flatMap(c => ['-c', c])
    this.child = spawn('git', [...args, '-C', dir, 'cat-file', '--batch'], {env, stdio: ['pipe', 'pipe', 'pipe']})
    let stderr = ''
    this.child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk)
      this.chunkBytes += chunk.length
      // Joining on every chunk would copy a blob of n chunks n times over (megabytes of generated
      // code arrive in 64 KiB pieces): wait until the whole object is there.
      if (this.buffer.length + this.chunkBytes < this.needed) return
      this.buffer = this.buffer.length === 0 && this.chunks.length === 1 ? chunk : Buffer.concat([this.buffer, ...this.chunks])
      this.chunks = []
      this.chunkBytes = 0
      this.drain()
    })
    this.child.on('error', error => this.fail(error))
    this.child.on('close', code => {
      if (!this.closed || this.pending.length > 0) {
        const lazy = /could not fetch (\S+) from promisor remote/.exec(stderr)
        this.fail(new StagingError(lazy ? `object ${lazy[1]} is not in the lean staging: it should have been fetched before it was read` : `git cat-file exited with ${code}: ${stderr.trim()}`))
      }
    })
    this.child.stdin.on('error', error => this.fail(error))
  }

  read(oid: string): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.pending.push({oid, resolve, reject})
      this.child.stdin.write(`${oid}\n`)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.child.stdin.end()
    if (this.child.exitCode === null && this.child.signalCode === null) await once(this.child, 'close')
  }

  private drain(): void {
    while (this.pending.length > 0) {
      const nl = this.buffer.indexOf(10)
      if (nl === -1) return
      const header = this.buffer.subarray(0, nl).toString()
      const [oid, type, size] = header.split(' ')
      const request = this.pending[0]
      if (type === 'missing' || size === undefined) {
        this.pending.shift()
        this.buffer = this.buffer.subarray(nl + 1)
        request.reject(new StagingError(`object ${oid} is missing from staging`))
        continue
      }

      const length = Number(size)
      this.needed = nl + 1 + length + 1
      if (this.buffer.length < this.needed) return
      const body = Buffer.from(this.buffer.subarray(nl + 1, nl + 1 + length))
      this.buffer = this.buffer.subarray(this.needed)
      this.needed = 0
      this.pending.shift()
      request.resolve(body)
    }
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const request of this.pending.splice(0)) request.reject(this.failure)
  }
}

/**
 * The refs of the repository whose git directory is `gitDir` under `prefixes` (refs/tags, …), newest
 * first by creator date. One git process and no simple-git: shell completion asks on every <TAB>. The
 * git directory is named, never discovered, so a missing clone cannot lead git to a parent repository.
 */
export async function listRefs(gitDir: string, prefixes: string[], parent: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const args = [...INERT_CONFIG.flatMap(c => ['-c', c]), `--git-dir=${gitDir}`, 'for-each-ref', '--sort=-creatordate', '--format=%(refname)', '--', ...prefixes]
  const child = spawn('git', args, {env: gitEnvironment(parent), stdio: ['ignore', 'pipe', 'ignore']})
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const [code] = (await once(child, 'close')) as [number | null]
  if (code !== 0) throw new StagingError(`could not list the refs of ${gitDir} (git exited with ${code})`)
  return out.split('\n').filter(Boolean)
}

/** `git --version` as [major, minor, patch], or undefined when git is not installed. */
export async function gitVersion(parent: NodeJS.ProcessEnv = process.env): Promise<[number, number, number] | undefined> {
  const child = spawn('git', ['--version'], {env: gitEnvironment(parent), stdio: ['ignore', 'pipe', 'ignore']})
  let out = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  try {
    const [code] = (await once(child, 'close')) as [number]
    const m = /(\d+)\.(\d+)\.(\d+)/.exec(out)
    return code === 0 && m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
  } catch {
    return undefined
  }
}
