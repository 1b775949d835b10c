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
  copyFile, lstat, mkdir, open, readdir, readFile, readlink, realpath, stat, symlink, unlink, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {BlobSource} from './blobs.js'
import type {TreeEntry} from './git.js'

import {InvalidInputError} from './errors.js'
import {isWithin} from './fsutil.js'

/** What an export wrote: counts, and the repository-relative paths of its files and links. */
export type Exported = {files: number; bytes: number; written: string[]; links: Array<[string, string]>}

export type ExportOptions = {
  /** repository-relative folder that every symlink must resolve inside (default: the whole tree) */
  within?: string
  /** one-line notices for the user (entries left out) */
  report?: (line: string) => void
}

/**
 * Writes the blobs of `entries` below `dest`, with modes and symlinks as in git. A repository must
 * not be able to make a tool read or write outside its workspace, nor run code through git in it:
 *  - a symlink whose target, resolved through every other link of the tree (chains, `d -> .`),
 *    leaves `within` is refused, and so is a path that would leave `dest`;
 *  - no entry named `.git` at any depth is written (git refuses such paths itself, in every
 *    spelling a case-insensitive or Unicode-normalising file system equates with it), nor a
 *    `.gitmodules` that is a symlink.
 */
export async function exportEntries(reader: BlobSource, entries: TreeEntry[], dest: string, opts: ExportOptions = {}): Promise<Exported> {
  const all = entries.filter(e => e.type === 'blob')
  const blobs = all.filter(e => !isGitPath(e.path) && !(e.mode === '120000' && path.posix.basename(e.path).toLowerCase() === '.gitmodules'))
  if (blobs.length < all.length) opts.report?.(`Left out ${all.length - blobs.length} entr${all.length - blobs.length === 1 ? 'y' : 'ies'} named .git (git never checks them out either)`)
  const root = path.resolve(dest)
  const target = (e: TreeEntry) => {
    const out = path.resolve(root, e.path)
    if (!isWithin(root, out) || out === root) throw new InvalidInputError(`refusing ${JSON.stringify(e.path)}: its path leaves the workspace`)
    return out
  }

  // Check every symlink before writing anything.
  const links = blobs.filter(e => e.mode === '120000')
  const linkTargets = await Promise.all(links.map(async e => (await reader.read(e.oid)).toString('utf8')))
  const linkMap = new Map(links.map((e, i) => [e.path, linkTargets[i]]))
  for (const [i, e] of links.entries()) {
    if (!resolvesInside(e.path, linkMap, opts.within ?? '')) {
      const outside = opts.within ? 'the module' : 'the workspace'
      throw new InvalidInputError(`refusing the module: ${JSON.stringify(e.path)} is a symlink to ${JSON.stringify(linkTargets[i])}, which leads outside ${outside}`)
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
      // Files first, links last: no link exists yet that a write could follow.
      await writeFile(target(e), content, {mode: e.mode === '100755' ? 0o755 : 0o644, flag: 'wx'})
    })
    inFlight.add(job)
    job.finally(() => inFlight.delete(job)).catch(() => {})
    if (inFlight.size >= 64) await Promise.race(inFlight)
  }

  await Promise.all(inFlight)
  for (const [i, e] of links.entries()) await symlink(linkTargets[i], target(e))
  return {
    files: blobs.length, bytes, written: files.map(e => e.path), links: links.map((e, i) => [e.path, linkTargets[i]]),
  }
}

/**
 * Whether a path component is `.git` for some file system: git's own rule (verify_path) compares
 * case-insensitively, ignores trailing dots and spaces (NTFS) and the code points HFS+ ignores, and
 * knows the 8.3 short name `git~1`.
 */
export function isGitName(name: string): boolean {
  const folded = name.replaceAll(/[\u200C-\u200F\u202A-\u202E\u206A-\u206F\uFEFF]/g, '').replace(/[. ]+$/, '').toLowerCase()
  return folded === '.git' || folded === 'git~1'
}

export function isGitPath(repoPath: string): boolean {
  return repoPath.split('/').some(c => isGitName(c))
}

/** Symlinks followed one after another before giving up, as the kernel does (ELOOP). */
const MAX_LINK_HOPS = 40

/**
 * Whether the symlink at `linkPath` (repository-relative) resolves inside `within`, following the
 * other links of the tree as the kernel would: component by component, `..` taken after a link
 * is followed, an absolute target or a step above the root leaving the tree.
 */
export function resolvesInside(linkPath: string, links: Map<string, string>, within: string): boolean {
  const resolved = resolve(path.posix.dirname(linkPath).split('/').filter(c => c && c !== '.'), links.get(linkPath)!, links, 0)
  if (!resolved) return false
  const inside = within.split('/').filter(Boolean)
  return inside.every((c, i) => resolved[i] === c)
}

function resolve(base: string[], target: string, links: Map<string, string>, hops: number): string[] | undefined {
  if (target.startsWith('/') || hops > MAX_LINK_HOPS) return undefined
  let current = [...base]
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue
    if (c === '..') {
      if (current.length === 0) return undefined
      current.pop()
      continue
    }

    current.push(c)
    const next = links.get(current.join('/'))
    if (next !== undefined) {
      const followed = resolve(current.slice(0, -1), next, links, hops + 1)
      if (!followed) return undefined
      current = followed
    }
  }

  return current
}

/**
 * Copies a user's folder into a workspace, read-only on the source side (never hard links, since
 * tools write into workspaces). `.terraform`, state files and `.git` are left behind. A symlink is
 * replaced by what it points to, files and folders alike (terraform accepts `common.tf ->
 * ../shared/common.tf` in place, and a copied link would dangle); a dangling one is left out. Each is
 * said through `report`.
 */
export async function copyFolder(src: string, dest: string, report: (line: string) => void = () => {}): Promise<{files: number; bytes: number}> {
  let files = 0
  let bytes = 0
  const skip = new Set(['.terraform', 'terraform.tfstate', 'terraform.tfstate.backup'])
  const copyOne = async (from: string, to: string, mode: 'file' | 'folder', seen: Set<string>): Promise<void> => {
    if (mode === 'folder') return walk(from, to, seen)
    // copyFile follows a link to its file and keeps the permission bits of the source.
    await copyFile(from, to, constants.COPYFILE_FICLONE)
    bytes += (await stat(from)).size
    files++
  }

  const walk = async (from: string, to: string, seen: Set<string>): Promise<void> => {
    const real = await realpath(from)
    // A folder that contains itself through a link is copied once.
    if (seen.has(real)) return
    const inner = new Set([real, ...seen])
    await mkdir(to, {recursive: true})
    for (const entry of await readdir(from, {withFileTypes: true})) {
      if (skip.has(entry.name) || isGitName(entry.name)) continue
      const s = path.join(from, entry.name)
      const d = path.join(to, entry.name)
      if (entry.isDirectory()) {
        await walk(s, d, inner)
      } else if (entry.isFile()) {
        await copyOne(s, d, 'file', inner)
      } else if (entry.isSymbolicLink()) {
        const shown = path.relative(src, s)
        const st = await stat(s).catch(ignoreMissing)
        if (!st) {
          report(`${shown} is a link to ${await readlink(s)}, which does not exist: left out`)
        } else if (st.isFile() || st.isDirectory()) {
          report(`${shown} is a link to ${await readlink(s)}: copied what it points to`)
          await copyOne(s, d, st.isFile() ? 'file' : 'folder', inner)
        }
      }
    }
  }

  await walk(src, dest, new Set())
  return {files, bytes}
}

/** Copies a snapshot's files into `dest` (a workspace's tree). */
/** A snapshot's files as its index lists them (see snapshot.ts). */
export type SnapshotListing = {dir: string; index: {dirs: string[]; files: string[]; links: Array<[string, string]>; bytes: number}}

export async function copySnapshot(snapshot: SnapshotListing, dest: string): Promise<{files: number; bytes: number}> {
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
  if (!isWithin(await realpath(root), real)) {
    throw new InvalidInputError(`refusing ${path.relative(root, file)}: it is a link to a file outside the workspace`)
  }

  return readFile(real, 'utf8')
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT') throw error
  return undefined
}
