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
  mkdir, readdir, rename, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import {
  exists, readJsonRecord, readJsonRecordIfAny, removeInside, writeFileAtomic,
} from './fsutil.js'
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

export type RunRecord = {
  /** the mark of a workspace the CLI made: `staging clean` removes nothing without it */
  by: typeof MARK
  pid: number
  /** the tool's process once it runs: a tool left behind by a killed CLI keeps its workspace */
  toolPid?: number
  command: string
  stack: string
  startedAt: string
  kept?: boolean
  sha?: string
  source?: string
}

const MARK = 'project-planton'
const RECORD = 'run.json'
/** What a workspace holds before it is renamed into place (and all a crash can leave of it then). */
const MADE_FIRST = new Set(['private', RECORD, 'tree'])

/**
 * Creates an empty workspace for one run. It is made under a temporary name with its run record,
 * then renamed into place: a workspace under its final name always carries the CLI's mark.
 */
export async function createWorkspace(workspacesRoot: string, stackId: string, record: Pick<RunRecord, 'command' | 'sha' | 'source'>): Promise<Workspace> {
  const runId = `${Date.now().toString(36)}-${process.pid}-${randomBytes(3).toString('hex')}`
  const root = path.join(workspacesRoot, `${stackSlug(stackId)}-${runId}`)
  const tmp = path.join(workspacesRoot, `.new-${runId}`)
  await mkdir(workspacesRoot, {recursive: true})
  await mkdir(tmp)
  try {
    await writeFile(path.join(tmp, RECORD), JSON.stringify({
      ...record, by: MARK, pid: process.pid, stack: stackId, startedAt: new Date().toISOString(),
    } satisfies RunRecord))
    await mkdir(path.join(tmp, 'tree'))
    await mkdir(path.join(tmp, 'private'), {mode: 0o700})
    await rename(tmp, root)
  } catch (error) {
    // A full or failing disk must not leave a half-made workspace behind.
    await removeInside(workspacesRoot, tmp)
    throw error
  }

  return {
    root, tree: path.join(root, 'tree'), moduleDir: path.join(root, 'tree'), privateDir: path.join(root, 'private'), files: 0, bytes: 0,
  }
}

async function updateRecord(ws: {root: string}, change: Partial<RunRecord>): Promise<void> {
  const file = path.join(ws.root, RECORD)
  const record = await readJsonRecord<RunRecord>(file)
  await writeFileAtomic(file, JSON.stringify({...record, ...change}))
}

export async function markKept(ws: Workspace): Promise<void> {
  await updateRecord(ws, {kept: true})
}

/** Records the tool's pid, so that `staging clean` spares the workspace while the tool lives. */
export async function recordToolPid(ws: {root: string}, toolPid: number): Promise<void> {
  await updateRecord(ws, {toolPid})
}

export async function removeWorkspace(workspacesRoot: string, ws: {root: string}): Promise<void> {
  await removeInside(workspacesRoot, ws.root)
}

export type LeftoverWorkspace = {
  path: string
  name: string
  running: boolean
  kept: boolean
  /** false: a folder without the CLI's mark; it is never removed */
  ours: boolean
  record?: RunRecord
}

/** A workspace's record; undefined when there is none or it is not one (the folder is then not ours). */
async function readRecord(dir: string): Promise<RunRecord | undefined> {
  // run.json a folder is not a record either (readJsonRecordIfAny: damaged).
  const record = await readJsonRecordIfAny<Partial<RunRecord>>(path.join(dir, RECORD))
  if (!record) return undefined

  // Records of versions before the mark: a pid and a start time, in a folder under workspaces/.
  return typeof record.pid === 'number' && typeof record.startedAt === 'string' ? {...record, by: MARK} as RunRecord : undefined
}

/** Workspaces on disk, with whether their run (or the tool it started) is still going. */
export async function listWorkspaces(workspacesRoot: string): Promise<LeftoverWorkspace[]> {
  const entries = await readdir(workspacesRoot, {withFileTypes: true}).catch(ignoreMissing)
  const result: LeftoverWorkspace[] = []
  for (const e of entries ?? []) {
    if (!e.isDirectory()) continue
    const p = path.join(workspacesRoot, e.name)
    const record = await readRecord(p)
    // A workspace still being made (or cut short while being made) has a temporary name with its
    // maker's pid; it holds at most its run record.
    // Versions before the temporary name made the folder under its final name (`…-<pid>-<hex>`)
    // first: a crash could leave it with an empty record.
    const maker = /^\.new-[\da-z]+-(\d+)-[\da-f]{6}$/.exec(e.name)?.[1] ?? (record ? undefined : /-[\da-z]+-(\d+)-[\da-f]{6}$/.exec(e.name)?.[1])
    const ours = Boolean(record) || (maker !== undefined && (await readdir(p)).every(n => MADE_FIRST.has(n)))
    const running = record ? !record.kept && (alive(record.pid) || alive(record.toolPid)) : alive(maker ? Number(maker) : undefined)
    result.push({
      path: p, name: e.name, running, kept: record?.kept ?? false, ours, record,
    })
  }

  return result.sort((a, b) => a.name.localeCompare(b.name))
}

/** Removes the CLI's workspaces whose runs are over; a folder without its mark is left alone. */
export async function cleanWorkspaces(workspacesRoot: string): Promise<{removed: LeftoverWorkspace[]; running: LeftoverWorkspace[]; foreign: LeftoverWorkspace[]}> {
  const all = await listWorkspaces(workspacesRoot)
  const removed: LeftoverWorkspace[] = []
  for (const ws of all.filter(w => w.ours && !w.running)) {
    if (!(await exists(ws.path))) continue
    await removeInside(workspacesRoot, ws.path)
    removed.push(ws)
  }

  return {removed, running: all.filter(w => w.ours && w.running), foreign: all.filter(w => !w.ours)}
}

/** Another process of ours (this one's own records do not count as another run). */
function alive(pid?: number): boolean {
  return pid !== undefined && pid !== process.pid && isAlive(pid)
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  // No workspaces folder (or a file in its place, which runs report): nothing to list.
  if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error
  return undefined
}
