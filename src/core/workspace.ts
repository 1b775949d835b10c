/**
 * Workspaces: one fresh folder per run under `<home>/workspaces`, named after the validated stack
 * and a run id, so two runs never share or delete each other's files. A workspace holds
 *   run.json   who owns it (pid) and whether it was kept, so `staging clean` spares live runs
 *   tree/      the files the tool sees, exported from one commit of staging (or copied from a
 *              user's folder), never the mutable work tree
 *   private/   generated files with credentials (stack input, kubeconfig), mode 0700
 */
import {randomBytes} from 'node:crypto'
import {
  lstat, mkdir, readdir, readFile, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import {exists, removeInside, writeFileAtomic} from './fsutil.js'
import {isAlive} from './process.js'
import {stackSlug} from './stack.js'

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
