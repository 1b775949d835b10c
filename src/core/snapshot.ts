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
import {constants} from 'node:fs'
import {
  copyFile, mkdir, readdir, readFile, readlink, rename, symlink, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {ObjectReader, TreeEntry} from './git.js'

import {removeInside} from './fsutil.js'
import {isAlive} from './lock.js'
import {exportEntries} from './workspace.js'

const LAYOUT_VERSION = 1

export type SnapshotIndex = {
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

/** The complete snapshot named `key`, or undefined. */
export async function readSnapshot(cacheDir: string, key: string): Promise<Snapshot | undefined> {
  const dir = path.join(snapshotsRoot(cacheDir), key)
  try {
    return {dir, index: JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as SnapshotIndex}
  } catch {
    return undefined
  }
}

/** Exports `entries` from `reader` into the snapshot named `key` and returns it. */
export async function createSnapshot(
  cacheDir: string,
  key: string,
  {entries, reader}: {entries: TreeEntry[]; reader: ObjectReader},
  info: Pick<SnapshotIndex, 'layout' | 'modulePath'>,
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
    const {bytes} = await exportEntries(reader, entries, path.join(tree, within), within)
    const blobs = entries.filter(e => e.type === 'blob')
    const linkPaths = blobs.filter(e => e.mode === '120000').map(e => e.path)
    const links = await Promise.all(linkPaths.map(async p => [p, await readlink(path.join(tree, p))] as [string, string]))
    const index: SnapshotIndex = {
      ...info,
      dirs: [...new Set(blobs.map(e => path.posix.dirname(e.path)))].filter(d => d !== '.').sort(),
      files: blobs.filter(e => e.mode !== '120000').map(e => e.path),
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

/** Copies a snapshot's files into `dest` (a workspace's tree). */
export async function copySnapshot(snapshot: Snapshot, dest: string): Promise<{files: number; bytes: number}> {
  const {dirs, files, links, bytes} = snapshot.index
  const src = path.join(snapshot.dir, 'tree')
  for (const d of dirs) await mkdir(path.join(dest, d), {recursive: true})
  // copyFile keeps the permission bits of the source.
  await Promise.all(files.map(f => copyFile(path.join(src, f), path.join(dest, f), constants.COPYFILE_FICLONE)))
  for (const [p, to] of links) await symlink(to, path.join(dest, p))
  return {files: files.length + links.length, bytes}
}

/** Temporary exports of processes that died before renaming them into place. */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = /^\.tmp-(\d+)-/.exec(name)?.[1]
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await removeInside(root, path.join(root, name))
  }
}
