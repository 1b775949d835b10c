// The built CLI as the leader of a process group of its own, so that a crash can take git and the
// tool down with it; signals to the whole group; and a stepper that runs the group in short slices
// and stops it at a moment chosen by what is seen on disk or in the output.
import {type ChildProcess, spawn} from 'node:child_process'

import {
  type CliResult, collect, ROOT, RUN_JS,
} from '../support/cli.js'

export type GroupCli = {
  child: ChildProcess
  pid: number
  output(): string
  done: Promise<CliResult>
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>
  exited(): boolean
}

/**
 * Starts bin/run.js as the leader of a new process group (its git and tool children join it).
 * `input` goes to its stdin, which is then closed unless `keepStdinOpen` (a stdin that never ends).
 */
export function startGroup(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; keepStdinOpen?: boolean}): GroupCli {
  const child = spawn(process.execPath, [RUN_JS, ...args], {
    cwd: opts.cwd ?? ROOT,
    detached: true,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let finished = false
  const out = collect(child)
  child.stdin!.on('error', () => {})
  if (opts.keepStdinOpen) child.stdin!.write(opts.input ?? '')
  else child.stdin!.end(opts.input)
  const done = out.done.finally(() => {
    finished = true
  })
  return {
    child,
    done,
    exited: () => finished || child.exitCode !== null || child.signalCode !== null,
    output: () => out.stdout() + out.stderr(),
    pid: child.pid!,
    async waitFor(re, timeoutMs = 60_000) {
      const started = Date.now()
      while (!re.test(out.both())) {
        if (finished || child.exitCode !== null) throw new Error(`exited before ${re}:\n${out.both()}`)
        if (Date.now() - started > timeoutMs) throw new Error(`no ${re} after ${timeoutMs} ms:\n${out.both()}`)
        await sleep(20)
      }
    },
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise(resolve => {
    setTimeout(resolve, ms)
  })
}

/** Sends `signal` to every process of the group (ignores a group that is gone). */
export function signalGroup(p: GroupCli, signal: NodeJS.Signals): void {
  try {
    process.kill(-p.pid, signal)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error
  }
}

/**
 * Runs the group in short slices; between slices the whole group is stopped (SIGSTOP) and `when`
 * is checked against the files and the output. Returns true with the group left stopped when
 * `when` held, false when the CLI finished first. The slices only decide how finely the moment
 * can be chosen; nothing depends on how long anything takes.
 */
export async function stopWhen(p: GroupCli, when: () => boolean, sliceMs = 3): Promise<boolean> {
  for (;;) {
    signalGroup(p, 'SIGSTOP')
    if (p.exited()) return false
    if (when()) return true
    signalGroup(p, 'SIGCONT')
    await sleep(sliceMs)
  }
}

/** SIGKILLs the whole group (a crash of the CLI, git and the tool at once) and waits for the CLI to end. */
export async function crash(p: GroupCli): Promise<CliResult> {
  signalGroup(p, 'SIGKILL')
  const result = await p.done
  // Members of the group outside the CLI are gone too: nothing may keep writing after a crash.
  for (let i = 0; i < 100 && groupAlive(p.pid); i++) await sleep(20)
  return result
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}
