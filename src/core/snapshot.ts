/**
 * Snapshots: what a run gets from one commit of staging (a tofu module folder, a pulumi Go import
 * closure), exported from git objects once and then copied into the workspace of every later run
 * of the same commit and kind. Locating the module, listing its tree and reading its blobs each
 * start git; a warm run starts none and only copies a few files.
 *
 * A snapshot is named after the full commit SHA and the request, so once complete it never changes
 * (cargo's checkouts): it is exported into a temporary sibling, its index is written last, and the
 * folder is renamed into place, so a killed export never counts and a concurrent one loses the
 * rename harmlessly. Workspaces get copies (copy-on-write clones where the file system has them),
 * never hard links: tools write into their workspaces, and a link would let a run change the files
 * every later run is copied from.
 */
import {createHash, randomBytes} from 'node:crypto'
import {
  mkdir, readdir, rename, stat, utimes, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {BlobSource} from './blobs.js'
import type {TreeEntry} from './git.js'

import {pruneEntries, type PruneOptions} from './cache-policy.js'
import {readJsonRecordIfAny, removeInside} from './fsutil.js'
import {exportEntries} from './materialise.js'
import {isAlive} from './process.js'

const LAYOUT_VERSION = 1

export type SnapshotIndex = {
  /** the commit it was exported from (absent in snapshots of earlier versions of the CLI) */
  sha?: string
  /** repository-relative module folder */
  modulePath: string
  layout: 'closure' | 'module'
  /** repository-relative folders, parents first */
  dirs: string[]
  /** regular files, repository-relative */
  files: string[]
  /** symlinks as [path, target], checked when the snapshot was exported */
  links: Array<[string, string]>
  bytes: number
}

export type Snapshot = {dir: string; index: SnapshotIndex}

/** The name of the snapshot of `parts` (commit SHA, tool, kind, …). */
export function snapshotKey(parts: Array<number | string>): string {
  return createHash('sha256').update([LAYOUT_VERSION, ...parts].join('\0')).digest('hex').slice(0, 32)
}

function snapshotsRoot(cacheDir: string): string {
  return path.join(cacheDir, 'snapshots')
}

/** The complete snapshot named `key`, or undefined. Marks it as used now (see pruneSnapshots). */
export async function readSnapshot(cacheDir: string, key: string): Promise<Snapshot | undefined> {
  const dir = path.join(snapshotsRoot(cacheDir), key)
  const indexFile = path.join(dir, 'index.json')
  const index = await readIndex(dir)
  if (!index) return undefined

  const now = new Date()
  await utimes(indexFile, now, now).catch(() => {})
  return {dir, index}
}

/** What a snapshot is exported from: the tree entries, the reader of their blobs, and where progress lines go. */
export type SnapshotExport = {entries: TreeEntry[]; reader: BlobSource; report?: (line: string) => void}

/** Exports `entries` from `reader` into the snapshot named `key` and returns it. */
export async function createSnapshot(
  cacheDir: string,
  key: string,
  {entries, reader, report}: SnapshotExport,
  info: Pick<SnapshotIndex, 'layout' | 'modulePath' | 'sha'>,
): Promise<Snapshot> {
  const root = snapshotsRoot(cacheDir)
  await mkdir(root, {recursive: true})
  await removeLeftovers(root)
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    const tree = path.join(tmp, 'tree')
    await mkdir(tree, {recursive: true})
    // A tofu module is self-contained and is all its run gets: its symlinks must stay inside it.
    const within = info.layout === 'module' ? info.modulePath : ''
    const {bytes, written, links} = await exportEntries(reader, entries, tree, {within, report})
    const index: SnapshotIndex = {
      ...info,
      dirs: [...new Set([...written, ...links.map(([p]) => p)].map(p => path.posix.dirname(p)))].filter(d => d !== '.').sort(),
      files: written,
      links,
      bytes,
    }
    await writeFile(path.join(tmp, 'index.json'), JSON.stringify(index))
    try {
      await rename(tmp, path.join(root, key))
    } catch (error) {
      // Another run completed the same snapshot first: same commit, same files.
      if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
      await removeInside(root, tmp)
    }

    return {dir: path.join(root, key), index}
  } catch (error) {
    await removeInside(root, tmp)
    throw error
  }
}

/** Temporary exports and pruned snapshots of processes that died before removing them. */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = /^\.(?:tmp|trash)-(\d+)-/.exec(name)?.[1]
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await removeInside(root, path.join(root, name))
  }
}

/** How many complete snapshots the cache holds, and the bytes of their files. */
export async function snapshotStats(cacheDir: string): Promise<{snapshots: number; bytes: number}> {
  const root = snapshotsRoot(cacheDir)
  const names = (await readdir(root).catch(() => [] as string[])).filter(n => !n.startsWith('.'))
  const indexes = await Promise.all(names.map(n => readIndex(path.join(root, n))))
  const complete = indexes.filter(i => i !== undefined)
  return {snapshots: complete.length, bytes: complete.reduce((sum, i) => sum + i.bytes, 0)}
}

/** Moves a snapshot out of the way and deletes it (one found damaged is exported again). */
export async function discardSnapshot(snapshot: Snapshot): Promise<void> {
  const root = path.dirname(snapshot.dir)
  const trash = path.join(root, `.trash-${process.pid}-${randomBytes(4).toString('hex')}`)
  if (await rename(snapshot.dir, trash).then(() => true, () => false)) await removeInside(root, trash)
}

/** How long a snapshot of a commit other than the selected one is kept after its last use. */

/**
 * Removes the snapshots that belong to a commit other than `keepSha` and were not used for
 * `keepDays` days (each run marks the snapshot it copies from; see readSnapshot). Called by
 * `staging pull` and `staging checkout` when the selected commit changes, so the cache holds the
 * selected commit plus what was used lately, instead of growing with every pull.
 *
 * A snapshot is renamed out of the way before it is deleted, so no run can find half of one; a run
 * that read its index just before that copies from git instead (see prepareRun).
 */
export async function pruneSnapshots(cacheDir: string, opts: PruneOptions): Promise<{removed: number; bytes: number}> {
  const root = snapshotsRoot(cacheDir)
  await removeLeftovers(root)
  const names = (await readdir(root).catch(ignoreMissing) ?? []).filter(n => !n.startsWith('.'))
  const indexes = new Map<string, SnapshotIndex>()
  return pruneEntries(names, {
    async facts(name) {
      const dir = path.join(root, name)
      const [st, index] = await Promise.all([stat(path.join(dir, 'index.json')).catch(ignoreMissing), readIndex(dir)])
      // Without an index it is not a snapshot (a half one is named .tmp-…): not ours to judge.
      if (!st || !index) return null
      indexes.set(name, index)
      return {sha: index.sha, usedMs: st.mtimeMs, bytes: index.bytes}
    },
    remove: name => discardSnapshot({dir: path.join(root, name), index: indexes.get(name)!}),
  }, opts)
}

/**
 * `staging clean`: removes every snapshot (only a cache) and the leftovers of killed exports, when
 * no run is going. Only what this module made is touched: snapshot folders (named by a key, with
 * an index) and its temporary names; anything else found in the cache folder stays.
 */
export async function clearSnapshots(cacheDir: string): Promise<{removed: number; bytes: number}> {
  const root = snapshotsRoot(cacheDir)
  let removed = 0
  let bytes = 0
  for (const name of await readdir(root).catch(ignoreMissing) ?? []) {
    const dir = path.join(root, name)
    if (/^\.(?:tmp|trash)-\d+-[\da-f]+$/.test(name)) {
      await removeInside(root, dir)
      continue
    }

    if (!/^[\da-f]{32}$/.test(name)) continue
    const index = await readIndex(dir)
    if (!index) continue
    await discardSnapshot({dir, index})
    removed++
    bytes += index.bytes
  }

  return {removed, bytes}
}

/** An index lists every file of a snapshot: a full tree of a big monorepo is a few MiB. */
const MAX_INDEX_BYTES = 64 * 1024 * 1024

/** A snapshot's index; undefined when there is none or it is not one (cut short, damaged). */
async function readIndex(dir: string): Promise<SnapshotIndex | undefined> {
  return readJsonRecordIfAny<SnapshotIndex>(path.join(dir, 'index.json'), MAX_INDEX_BYTES)
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT') throw error
  return undefined
}

export {KEEP_DAYS as SNAPSHOT_KEEP_DAYS} from './cache-policy.js'
