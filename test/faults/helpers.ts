// Shared machinery of the fault suite: the built CLI as a child in its own process group (so a
// crash can take git and the tool down with it), a stepper that runs that group in short slices
// and stops it at a chosen moment seen on disk or in the output, and content hashes of trees as
// git has them, to tell a complete commit from a half or mixed one.
import {
  type ChildProcess, execFileSync, spawn, spawnSync,
} from 'node:child_process'
import {createHash, randomBytes} from 'node:crypto'
import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, utimesSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, ROOT, RUN_JS, runCli, type Sandbox,
} from '../support/cli.js'
import {TF_MODULE_POSTGRES, type Upstream} from '../support/upstream.js'

// ---------------------------------------------------------------------------
// the CLI in its own process group

export type GroupCli = {
  child: ChildProcess
  pid: number
  output(): string
  done: Promise<CliResult>
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>
  exited(): boolean
}

/** Starts bin/run.js as the leader of a new process group (its git and tool children join it). */
export function startGroup(args: string[], opts: {env: NodeJS.ProcessEnv; cwd?: string; input?: string}): GroupCli {
  const child = spawn(process.execPath, [RUN_JS, ...args], {
    cwd: opts.cwd ?? ROOT,
    detached: true,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let finished = false
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  child.stdin!.on('error', () => {})
  if (opts.input === undefined) child.stdin!.end()
  else child.stdin!.end(opts.input)
  const done = new Promise<CliResult>(resolve => {
    child.on('close', (code, signal) => {
      finished = true
      resolve({
        code, signal, stderr, stdout,
      })
    })
  })
  return {
    child,
    done,
    exited: () => finished || child.exitCode !== null || child.signalCode !== null,
    output: () => stdout + stderr,
    pid: child.pid!,
    async waitFor(re, timeoutMs = 60_000) {
      const started = Date.now()
      while (!re.test(stdout + stderr)) {
        if (finished || child.exitCode !== null) throw new Error(`exited before ${re}:\n${stdout}${stderr}`)
        if (Date.now() - started > timeoutMs) throw new Error(`no ${re} after ${timeoutMs} ms:\n${stdout}${stderr}`)
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

/** Runs the built CLI to completion (wrapper of runCli that fails loudly with the output on a wrong exit code). */
export async function cli(sb: Sandbox, args: string[], opts: {env?: NodeJS.ProcessEnv; cwd?: string; input?: string; expect?: number} = {}): Promise<CliResult> {
  const result = await runCli(args, {cwd: opts.cwd, env: {...sb.env, ...opts.env}, input: opts.input})
  if (opts.expect !== undefined && result.code !== opts.expect) {
    throw new Error(`project-planton ${args.join(' ')} exited ${result.code} (wanted ${opts.expect}):\n${result.stdout}\n${result.stderr}`)
  }

  return result
}

// ---------------------------------------------------------------------------
// staging status

export type StatusJson = {
  changedFiles: string[]
  clean?: boolean
  exists: boolean
  headMatches: boolean
  headSha?: string
  pending?: unknown
  ref?: string
  sha?: string
  urlMismatch: boolean
  workspaces: Array<{kept: boolean; path: string; running: boolean}>
}

export async function status(sb: Sandbox): Promise<StatusJson> {
  const r = await cli(sb, ['staging', 'status', '--json'], {expect: 0})
  return JSON.parse(r.stdout) as StatusJson
}

// ---------------------------------------------------------------------------
// a bigger upstream

/** Bulk files live in the KubernetesPostgres tf module, so a tofu run of that kind exports them all. */
export const BULK_DIR = `${TF_MODULE_POSTGRES}/assets`
export const BULK_FILES = 1200

export function bulkFile(i: number): string {
  return `${BULK_DIR}/${String(i).padStart(4, '0')}.bin`
}

/** Commits BULK_FILES files of random bytes (`size` each) on the upstream's current branch; returns the commit. */
export function addBulk(u: Upstream, size = 4096): string {
  // Upstream.commit writes strings; the random bytes are written here and picked up by its `git add -A`.
  for (let i = 0; i < BULK_FILES; i++) {
    const abs = path.join(u.dir, bulkFile(i))
    mkdirSync(path.dirname(abs), {recursive: true})
    writeFileSync(abs, randomBytes(size))
  }

  const sha = u.commit({BULK: `${BULK_FILES} files\n`}, 'feat: bulk assets')
  // Packed once here, so that every clone streams the pack instead of compressing loose objects.
  u.git('repack', '-a', '-d', '-q')
  return sha
}

// ---------------------------------------------------------------------------
// trees as content hashes

/** Repo-relative path → `x:`/`-:` (executable bit) + sha256 of the content, or `l:` + symlink target. */
export type Hashes = Map<string, string>

const expectedCache = new Map<string, Hashes>()

/** The files of `ref` (below `subdir`) as git has them in the upstream. */
export function expectedTree(u: Upstream, ref: string, subdir = ''): Hashes {
  const sha = u.sha(ref)
  const key = `${u.dir}\0${sha}\0${subdir}`
  const cached = expectedCache.get(key)
  if (cached) return cached
  const listing = execFileSync('git', ['ls-tree', '-r', '-z', '--full-tree', sha, ...(subdir ? ['--', subdir] : [])], {cwd: u.dir, maxBuffer: 256 * 1024 * 1024}).toString()
  const entries = listing.split('\0').filter(Boolean).map(rec => {
    const tab = rec.indexOf('\t')
    const [mode, type, oid] = rec.slice(0, tab).split(' ')
    return {
      mode, oid, path: rec.slice(tab + 1), type,
    }
  }).filter(e => e.type === 'blob')
  const batch = execFileSync('git', ['cat-file', '--batch'], {cwd: u.dir, input: entries.map(e => e.oid).join('\n') + '\n', maxBuffer: 1024 * 1024 * 1024})
  const out: Hashes = new Map()
  let pos = 0
  for (const e of entries) {
    const nl = batch.indexOf(10, pos)
    const size = Number(batch.subarray(pos, nl).toString().split(' ')[2])
    const body = batch.subarray(nl + 1, nl + 1 + size)
    pos = nl + 1 + size + 1
    out.set(e.path, e.mode === '120000' ? `l:${body.toString()}` : `${e.mode === '100755' ? 'x' : '-'}:${sha256(body)}`)
  }

  expectedCache.set(key, out)
  return out
}

/** The files below `dir`, keyed by path relative to `dir`; `skip` leaves out paths (and folders). */
export function actualTree(dir: string, skip: (rel: string) => boolean = () => false): Hashes {
  const out: Hashes = new Map()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name)
      const rel = path.relative(dir, abs).split(path.sep).join('/')
      if (skip(rel)) continue
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) out.set(rel, `l:${readlinkSync(abs)}`)
      else if (st.isDirectory()) walk(abs)
      else out.set(rel, `${Math.floor(st.mode / 0o100) % 2 === 1 ? 'x' : '-'}:${sha256(readFileSync(abs))}`)
    }
  }

  if (existsSync(dir)) walk(dir)
  return out
}

/** Paths whose content differs, or that only one side has. Empty = the same files. */
export function treeDiff(actual: Hashes, expected: Hashes): string[] {
  const diff: string[] = []
  for (const [p, h] of expected) if (actual.get(p) !== h) diff.push(actual.has(p) ? `changed ${p}` : `missing ${p}`)
  for (const p of actual.keys()) if (!expected.has(p)) diff.push(`extra ${p}`)
  return diff
}

/** Differences between staging's work tree (without .git) and `ref` in the upstream. */
export function workTreeDiff(sb: Sandbox, u: Upstream, ref: string): string[] {
  return treeDiff(actualTree(sb.clone, rel => rel === '.git'), expectedTree(u, ref))
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

// ---------------------------------------------------------------------------
// homes and folders

/** Copies a prepared CLI home (staging and all) into another sandbox. */
export function copyHome(from: Sandbox, to: Sandbox): void {
  execFileSync('cp', ['-a', from.plantonHome, to.plantonHome])
}

/** Every path below `dir`, with content, mode and link target: equal snapshots = nothing changed. */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const abs = path.join(d, name)
      const rel = path.relative(dir, abs)
      if (skip(rel)) continue
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(abs)}`)
      else if (st.isDirectory()) {
        out.set(rel, `dir:${(st.mode % 0o1_0000).toString(8)}`)
        walk(abs)
      } else out.set(rel, `${(st.mode % 0o1_0000).toString(8)}:${st.size}:${sha256(readFileSync(abs))}`)
    }
  }

  if (existsSync(dir)) walk(dir)
  return out
}

/** Paths added, removed or changed between two snapshots. */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = []
  for (const [p, v] of before) if (after.get(p) !== v) diff.push(after.has(p) ? `changed ${p}` : `removed ${p}`)
  for (const p of after.keys()) if (!before.has(p)) diff.push(`added ${p}`)
  return diff
}

/** Files below `dir` whose name or content gives credentials away. */
export function credentialFiles(dir: string, secrets: string[]): string[] {
  const found: string[] = []
  const names = new Set(['kubeconfig', 'stack-input.yaml', 'terraform.tfvars.json'])
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name)
      const st = lstatSync(abs)
      if (st.isDirectory()) walk(abs)
      else if (st.isFile()) {
        if (names.has(name) || name.endsWith('.tfvars')) {
          found.push(abs)
          continue
        }

        // Object stores are compressed and hold only the upstream's files; a secret never goes there.
        if (st.size > 4 * 1024 * 1024) continue
        const text = readFileSync(abs, 'latin1')
        if (secrets.some(s => text.includes(s))) found.push(abs)
      }
    }
  }

  if (existsSync(dir)) walk(dir)
  return found
}

export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : []
}

/** The `.tmp-clone-*` folder a clone is made in, if there is one. */
export function tmpClone(sb: Sandbox): string | undefined {
  const name = listDir(path.join(sb.plantonHome, 'staging')).find(n => n.startsWith('.tmp-clone-'))
  return name ? path.join(sb.plantonHome, 'staging', name) : undefined
}

/** Size of the biggest temporary pack git is receiving in `gitDir`, or -1 when there is none. */
export function receivingPackSize(gitDir: string): number {
  let biggest = -1
  for (const name of listDir(path.join(gitDir, 'objects', 'pack'))) {
    if (!name.startsWith('tmp_pack_')) continue
    try {
      biggest = Math.max(biggest, statSync(path.join(gitDir, 'objects', 'pack', name)).size)
    } catch {
      // renamed meanwhile
    }
  }

  return biggest
}

/** Whether `mount -t tmpfs` works here (root in a container may or may not be allowed to mount). */
export function canMount(probeDir: string): boolean {
  mkdirSync(probeDir, {recursive: true})
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir]).status === 0
  if (ok) spawnSync('umount', [probeDir])
  return ok
}

/**
 * The staging lock of a killed process, aged as if the user came back a while later: its takeover
 * then needs no wait. (Waiting for a dead holder's lock is a case of its own in concurrency.test.ts.)
 */
export function ageLock(sb: Sandbox): void {
  const lock = path.join(sb.plantonHome, 'staging', 'staging.lock')
  if (!existsSync(lock)) return
  const past = new Date(Date.now() - 60_000)
  utimesSync(lock, past, past)
}

/**
 * Makes every fetch from `origin` in this sandbox wait until `open()` is called, through the
 * user's own git config (remote.origin.uploadpack): a slow upstream the CLI cannot tell apart
 * from a real one.
 */
export function gateFetches(sb: Sandbox, dir: string): {open(): void} {
  const gate = path.join(dir, 'gate-open')
  const script = path.join(dir, 'gated-upload-pack')
  writeFileSync(script, `#!/bin/sh\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexec git-upload-pack "$@"\n`, {mode: 0o755})
  writeFileSync(path.join(sb.home, '.gitconfig'), `[remote "origin"]\n\tuploadpack = ${script}\n`)
  return {
    open() {
      writeFileSync(gate, '')
    },
  }
}

/**
 * A `pulumi` in `dir` that runs the stand-in and then waits, with the stand-in's exit code, until
 * `open()` is called: a run that stays in the tool as long as a test needs.
 */
export function gatedPulumi(dir: string, standIn: string): {binDir: string; open(): void} {
  mkdirSync(dir, {recursive: true})
  const gate = path.join(dir, 'gate-open')
  writeFileSync(path.join(dir, 'pulumi'), `#!/bin/sh\n'${standIn}' "$@"\nrc=$?\necho "gate: waiting"\nwhile [ ! -e '${gate}' ]; do sleep 0.05; done\nexit $rc\n`, {mode: 0o755})
  return {
    binDir: dir,
    open() {
      writeFileSync(gate, '')
    },
  }
}

/** The version a first clone selects: the tag of the CLI's own version if upstream has it, else main. */
export function initialRef(u: Upstream): string {
  const {version} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
  const tag = `v${version}`
  return u.git('tag', '--list', tag) === tag ? tag : 'main'
}
