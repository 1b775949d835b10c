/**
 * Workspaces: one fresh folder per run under `<home>/workspaces`, named after the validated stack
 * and a run id, so two runs never share or delete each other's files. A workspace holds
 *   run.json   who owns it (pid) and whether it was kept, so `staging clean` spares live runs
 *   tree/      the files the tool sees, exported from one commit of staging (or copied from a
 *              user's folder), never the mutable work tree
 *   private/   generated files with credentials (stack input, kubeconfig), mode 0700
 */
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {
  copyFile, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {BlobSource, TreeEntry} from './git.js'

import {InvalidInputError} from './errors.js'
import {exists, removeInside, writeFileAtomic} from './fsutil.js'
import {isAlive} from './lock.js'

export type Workspace = {
  /** workspaces/<name> */
  root: string
  /** tree/: what the tool gets */
  tree: string
  /** where the tool runs (a folder inside `tree`, or a user's `--module-dir`) */
  moduleDir: string
  /** private/: files with credentials */
  privateDir: string
  files: number
  bytes: number
}

export type RunRecord = {pid: number; command: string; stack: string; startedAt: string; kept?: boolean; sha?: string; source?: string}

const SEGMENT = /^[A-Za-z\d][\w.-]{0,99}$/

/**
 * Validates a stack id (`org/project/stack` or a plain name) before it becomes part of any path.
 * Each segment is letters, digits, `.`, `_`, `-`, and does not start with `.`; no `..`, no absolute path.
 */
export function validateStackId(id: string, what = 'stack'): string {
  const segments = id.split('/')
  if (!id || segments.length > 3 || segments.some(s => !SEGMENT.test(s) || s.includes('..'))) {
    throw new InvalidInputError(`invalid ${what} ${JSON.stringify(id)}`, {
      hint: 'Use up to three segments separated by "/", each of letters, digits, ".", "_" or "-", not starting with "." (e.g. acme/platform/dev.KubernetesRedis.redis).',
    })
  }

  return id
}

export function stackSlug(id: string): string {
  return validateStackId(id).split('/').join('__')
}

/** Creates an empty workspace for one run and records its owner. */
export async function createWorkspace(workspacesRoot: string, stackId: string, record: Omit<RunRecord, 'pid' | 'startedAt' | 'stack'>): Promise<Workspace> {
  const runId = `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`
  const root = path.join(workspacesRoot, `${stackSlug(stackId)}-${runId}`)
  await mkdir(workspacesRoot, {recursive: true})
  await mkdir(root)
  const ws: Workspace = {
    root, tree: path.join(root, 'tree'), moduleDir: path.join(root, 'tree'), privateDir: path.join(root, 'private'), files: 0, bytes: 0,
  }
  try {
    await writeFile(path.join(root, 'run.json'), JSON.stringify({
      ...record, pid: process.pid, stack: stackId, startedAt: new Date().toISOString(),
    } satisfies RunRecord))
    await mkdir(ws.tree)
    await mkdir(ws.privateDir, {mode: 0o700})
  } catch (error) {
    // A full or failing disk must not leave a half-made workspace behind.
    await removeInside(workspacesRoot, root)
    throw error
  }

  return ws
}

export async function markKept(ws: Workspace): Promise<void> {
  const file = path.join(ws.root, 'run.json')
  const record = JSON.parse(await readFile(file, 'utf8')) as RunRecord
  await writeFileAtomic(file, JSON.stringify({...record, kept: true}))
}

export async function removeWorkspace(workspacesRoot: string, ws: {root: string}): Promise<void> {
  await removeInside(workspacesRoot, ws.root)
}

/**
 * Writes the blobs of `entries` below `dest`, stripping `prefix` from their paths. Modes and symlinks
 * are as in git; a symlink whose target resolves outside `dest` is refused (a repository must not be
 * able to make a tool read or write outside its workspace), and so is any path that would escape.
 */
export async function exportEntries(reader: BlobSource, entries: TreeEntry[], dest: string, prefix = ''): Promise<{files: number; bytes: number}> {
  const blobs = entries.filter(e => e.type === 'blob')
  const root = path.resolve(dest)
  const target = (e: TreeEntry) => {
    const rel = prefix && e.path.startsWith(prefix) ? e.path.slice(prefix.length).replace(/^\/+/, '') : e.path
    const out = path.resolve(root, rel)
    if (!isInside(root, out)) throw new InvalidInputError(`refusing ${e.path}: its path leaves the workspace`)
    return out
  }

  // Check every symlink before writing anything.
  const links = blobs.filter(e => e.mode === '120000')
  const linkTargets = await Promise.all(links.map(e => reader.read(e.oid)))
  for (const [i, e] of links.entries()) {
    const to = linkTargets[i].toString('utf8')
    if (path.isAbsolute(to) || !isInside(root, path.resolve(path.dirname(target(e)), to))) {
      throw new InvalidInputError(`refusing the module: ${e.path} is a symlink to ${to}, which is outside the workspace`)
    }
  }

  const dirs = new Set(blobs.map(e => path.dirname(target(e))))
  for (const dir of [...dirs].sort()) await mkdir(dir, {recursive: true})
  let bytes = 0
  const files = blobs.filter(e => e.mode !== '120000')
  // Keep a bounded number of reads in flight: cat-file answers in order, writes overlap with reads.
  const inFlight = new Set<Promise<void>>()
  for (const e of files) {
    const job = reader.read(e.oid).then(async content => {
      bytes += content.length
      await writeFile(target(e), content, {mode: e.mode === '100755' ? 0o755 : 0o644})
    })
    inFlight.add(job)
    job.finally(() => inFlight.delete(job)).catch(() => {})
    if (inFlight.size >= 64) await Promise.race(inFlight)
  }

  await Promise.all(inFlight)
  for (const [i, e] of links.entries()) await symlink(linkTargets[i].toString('utf8'), target(e))
  return {files: blobs.length, bytes}
}

/**
 * Copies a user's folder into a workspace, read-only on the source side. Uses copy-on-write clones
 * where the file system supports them (COPYFILE_FICLONE falls back to a plain copy by itself); never
 * hard links, since tools write into workspaces. `.terraform` and state files are left behind.
 */
export async function copyFolder(src: string, dest: string): Promise<{files: number; bytes: number}> {
  let files = 0
  let bytes = 0
  const skip = new Set(['.git', '.terraform', 'terraform.tfstate', 'terraform.tfstate.backup'])
  const walk = async (from: string, to: string): Promise<void> => {
    await mkdir(to, {recursive: true})
    for (const entry of await readdir(from, {withFileTypes: true})) {
      if (skip.has(entry.name)) continue
      const s = path.join(from, entry.name)
      const d = path.join(to, entry.name)
      if (entry.isDirectory()) {
        await walk(s, d)
      } else if (entry.isSymbolicLink()) {
        await symlink(await readlink(s), d)
        files++
      } else if (entry.isFile()) {
        // copyFile keeps the permission bits of the source.
        await copyFile(s, d, constants.COPYFILE_FICLONE)
        bytes += (await lstat(s)).size
        files++
      }
    }
  }

  await walk(src, dest)
  return {files, bytes}
}

export type LeftoverWorkspace = {path: string; name: string; running: boolean; kept: boolean; record?: RunRecord}

/** Workspaces on disk, with whether their run is still going. */
export async function listWorkspaces(workspacesRoot: string): Promise<LeftoverWorkspace[]> {
  const entries = await readdir(workspacesRoot, {withFileTypes: true}).catch(() => [])
  const result: LeftoverWorkspace[] = []
  for (const e of entries) {
    if (!e.isDirectory()) continue
    const p = path.join(workspacesRoot, e.name)
    let record: RunRecord | undefined
    try {
      record = JSON.parse(await readFile(path.join(p, 'run.json'), 'utf8')) as RunRecord
    } catch {
      record = undefined
    }

    // Without a complete run.json (not written yet, or cut short by a crash) the owner is the pid in
    // the folder's name (`…-<time>-<pid>-<hex>`); only a name without one falls back to its age.
    const namedPid = /-[\da-z]+-(\d+)-[\da-f]{6}$/.exec(e.name)?.[1]
    const young = !record && !namedPid && (await lstat(p).then(st => Date.now() - st.mtimeMs < 60_000).catch(() => false))
    const running = record ? !record.kept && record.pid !== process.pid && isAlive(record.pid) : (namedPid ? Number(namedPid) !== process.pid && isAlive(Number(namedPid)) : young)
    result.push({
      path: p, name: e.name, running, kept: record?.kept ?? false, record,
    })
  }

  return result.sort((a, b) => a.name.localeCompare(b.name))
}

/** Removes workspaces whose runs are over; returns what was removed. */
export async function cleanWorkspaces(workspacesRoot: string): Promise<{removed: LeftoverWorkspace[]; running: LeftoverWorkspace[]}> {
  const all = await listWorkspaces(workspacesRoot)
  const removed: LeftoverWorkspace[] = []
  for (const ws of all.filter(w => !w.running)) {
    if (!(await exists(ws.path))) continue
    await removeInside(workspacesRoot, ws.path)
    removed.push(ws)
  }

  return {removed, running: all.filter(w => w.running)}
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}
