/**
 * Materialising files: the one module that puts files into a workspace or a snapshot. It owns the
 * copy methods and their fallbacks, the symlink and permission policy, and the writing of the files
 * the CLI generates into a workspace (backend, project file, stack input, variables, kubeconfig).
 *
 * Copies, never hard links: tools write into their workspaces, and a link would let a run change
 * the files every later run is copied from (or a user's own folder). Copy-on-write clones are used
 * where the file system has them: COPYFILE_FICLONE falls back to a plain copy by itself.
 */
import {constants} from 'node:fs'
import {
  copyFile, lstat, mkdir, open, readdir, readFile, readlink, realpath, symlink, unlink, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {BlobSource} from './blobs.js'
import type {TreeEntry} from './git.js'
import type {Snapshot} from './snapshot.js'

import {InvalidInputError} from './errors.js'

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

/** Copies a snapshot's files into `dest` (a workspace's tree). */
export async function copySnapshot(snapshot: Snapshot, dest: string): Promise<{files: number; bytes: number}> {
  const {dirs, files, links, bytes} = snapshot.index
  const src = path.join(snapshot.dir, 'tree')
  // Every folder once, parents first: one call each instead of a recursive walk per folder.
  await mkdir(dest, {recursive: true})
  for (const d of withAncestors(dirs)) await mkdir(path.join(dest, d)).catch(ignoreExisting)
  // copyFile keeps the permission bits of the source.
  await Promise.all(files.map(f => copyFile(path.join(src, f), path.join(dest, f), constants.COPYFILE_FICLONE)))
  for (const [p, to] of links) await symlink(to, path.join(dest, p))
  return {files: files.length + links.length, bytes}
}

/** `dirs` and all their parents (repository-relative), sorted so that parents come first. */
function withAncestors(dirs: string[]): string[] {
  const all = new Set<string>()
  for (const d of dirs) {
    for (let p = d; p !== '.' && p !== '' && !all.has(p); p = path.posix.dirname(p)) all.add(p)
  }

  return [...all].sort()
}

function ignoreExisting(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EEXIST') throw error
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p)
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * Writes a file the CLI generates (backend block, project file, stack input, variables,
 * kubeconfig) into `dir`, a folder of a workspace. Never through a link: whatever the exported tree
 * holds at that name (a file, or a symlink planted by the upstream) is replaced, and the new file is
 * created with O_EXCL | O_NOFOLLOW, so that no name in a module can redirect the write elsewhere.
 */
export async function writeGenerated(dir: string, name: string, content: Buffer | string, mode = 0o644): Promise<string> {
  const file = path.join(dir, name)
  const existing = await lstat(file).catch(ignoreMissing)
  if (existing?.isDirectory()) {
    throw new InvalidInputError(`the module has a folder named ${name}, where project-planton writes a file of its own`, {
      hint: 'Rename that folder in the module.',
    })
  }

  if (existing) await unlink(file)
  // eslint-disable-next-line no-bitwise -- open(2) flags are a bit mask
  const handle = await open(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
  try {
    await handle.writeFile(content)
  } finally {
    await handle.close()
  }

  return file
}

/**
 * Reads a text file of a workspace that the CLI is about to rewrite (the module's Pulumi.yaml). A
 * symlink is read only when its target lies inside `root`; anything else is an error.
 */
export async function readInside(root: string, file: string): Promise<string> {
  const real = await realpath(file)
  if (!isInside(await realpath(root), real)) {
    throw new InvalidInputError(`refusing ${path.relative(root, file)}: it is a link to a file outside the workspace`)
  }

  return readFile(real, 'utf8')
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT') throw error
  return undefined
}
