// Runs the built CLI (bin/run.js) as a child process, the way a user runs it, in a sandbox with
// its own HOME and PROJECT_PLANTON_HOME.
import {type ChildProcess, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync,
} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {makeTempDir, type Upstream} from './upstream.js'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const RUN_JS = path.join(ROOT, 'bin', 'run.js')

export type Sandbox = {
  /** the user's HOME */
  home: string
  /** PROJECT_PLANTON_HOME */
  plantonHome: string
  /** staging clone */
  clone: string
  env: NodeJS.ProcessEnv
}

/** A fresh HOME and CLI home, pointed at `upstream`. The parent's GIT_* variables are dropped. */
export function sandbox(upstream?: Upstream | string, extraEnv: NodeJS.ProcessEnv = {}): Sandbox {
  const home = makeTempDir('pp-home-')
  const plantonHome = path.join(home, '.project-planton')
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('GIT_') && !k.startsWith('PROJECT_PLANTON_') && !k.startsWith('PULUMI_STAND_IN')) env[k] = v
  }

  Object.assign(env, {
    HOME: home,
    PROJECT_PLANTON_HOME: plantonHome,
    NO_COLOR: '1',
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
    TF_IN_AUTOMATION: '1',
  })
  delete env.TF_CLI_CONFIG_FILE
  delete env.NODE_OPTIONS
  // mocha sets NODE_ENV=test; a user's shell does not.
  delete env.NODE_ENV
  // CI=true makes staging lean (and the output plain): tests ask for what they test, so the suite
  // runs alike on a workstation and in CI.
  delete env.CI
  // Pulumi runs compile from source unless a test asks for module binaries (and serves them).
  env.PROJECT_PLANTON_MODULE_BINARY = 'never'
  if (upstream) env.PROJECT_PLANTON_REPO_URL = typeof upstream === 'string' ? upstream : upstream.url
  Object.assign(env, extraEnv)
  return {
    home, plantonHome, clone: path.join(plantonHome, 'staging', 'project-planton'), env,
  }
}

export type CliResult = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}

/** What a child writes, kept as it comes: each stream, and both in the order they arrived. */
export type Collected = {stdout(): string; stderr(): string; both(): string; done: Promise<CliResult>}

/** Collects `child`'s output (`onData` is called after each chunk and at the end). */
export function collect(child: ChildProcess, onData: () => void = () => {}): Collected {
  let stdout = ''
  let stderr = ''
  let both = ''
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
    both += d.toString()
    onData()
  })
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
    both += d.toString()
    onData()
  })
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => {
      onData()
      resolve({
        code, signal, stdout, stderr,
      })
    })
  })
  return {
    stdout: () => stdout, stderr: () => stderr, both: () => both, done,
  }
}

export type RunningCli = {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** resolves when stdout+stderr match `re` (rejects after `timeoutMs`) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>
  done: Promise<CliResult>
}

/** `s` as one word for /bin/sh. */
function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}

/**
 * Starts the built CLI. `terminal`: inside a pseudo-terminal made by util-linux `script` (stdin,
 * stdout and stderr are the terminal; what is written to the child's stdin is typed at it, so
 * "\x03" is a Ctrl-C the terminal turns into SIGINT for the foreground process group).
 */
export function startCli(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; terminal?: boolean}): RunningCli {
  const argv = [process.execPath, RUN_JS, ...args]
  const child = opts.terminal
    ? spawn('script', ['-q', '-e', '-c', argv.map(a => shellQuote(a)).join(' '), '/dev/null'], {
      cwd: opts.cwd ?? ROOT,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    : spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd ?? ROOT,
      env: opts.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
  const waiters: Array<() => void> = []
  const poke = () => {
    for (const w of waiters.splice(0)) w()
  }

  const out = collect(child, poke)
  if (opts.terminal) {
    if (opts.input !== undefined) child.stdin!.write(opts.input)
  } else child.stdin!.end(opts.input)
  return {
    child,
    stdout: out.stdout,
    stderr: out.stderr,
    done: out.done,
    waitFor(re, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const started = Date.now()
        const check = () => {
          const seen = out.stdout() + out.stderr()
          if (re.test(seen)) return resolve()
          if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`exited before ${re}: ${seen}`))
          if (Date.now() - started > timeoutMs) return reject(new Error(`timed out waiting for ${re}: ${seen}`))
          waiters.push(check)
          setTimeout(check, 200)
        }

        check()
      })
    },
  }
}

export async function runCli(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string}): Promise<CliResult> {
  return startCli(args, opts).done
}

/** Path → content hash (or symlink target, or mode) of every entry below `dir`: equal maps = byte-identical trees. */
export function hashTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  if (!existsSync(dir)) return out
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name)
      const rel = path.relative(dir, p)
      const st = lstatSync(p)
      if (st.isSymbolicLink()) out[rel] = `link:${readlinkSync(p)}`
      else if (st.isDirectory()) {
        out[rel] = `dir:${(st.mode % 0o1000).toString(8)}`
        walk(p)
      } else out[rel] = `${(st.mode % 0o1000).toString(8)}:${createHash('sha256').update(readFileSync(p)).digest('hex')}`
    }
  }

  walk(dir)
  return out
}

/** A folder with a marker file, to check that nothing touches it. */
export function sentinelDir(parent: string, name = 'sentinel'): string {
  const dir = path.join(parent, name)
  mkdirSync(dir, {recursive: true})
  return dir
}

export function workspacesOf(sb: Sandbox): string[] {
  const dir = path.join(sb.plantonHome, 'workspaces')
  return existsSync(dir) ? readdirSync(dir) : []
}

/** The executable `name` on `pathValue` (PATH by default), or undefined. */
export function onPath(name: string, pathValue = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathValue.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // not in this folder
    }
  }

  return undefined
}

/** Runs any program to completion, capturing its output (stdin closed). */
export function runProgram(command: string, args: string[], opts: {cwd: string; env: NodeJS.ProcessEnv}): Promise<CliResult> {
  return collect(spawn(command, args, {cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe']})).done
}
