import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {
  chmod, lstat, open, readdir, rename, rm, rmdir, unlink, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import {StagingError} from './errors.js'

/** Writes `data` to `file` atomically: readers see the old or the new content, never half of it. */
export async function writeFileAtomic(file: string, data: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(tmp, data, {mode})
    await rename(tmp, file)
  } catch (error) {
    await rm(tmp, {force: true})
    throw error
  }
}

/** The most a record of the CLI's home holds (run, state, index and cache records are a few KiB). */
export const MAX_RECORD_BYTES = 1024 * 1024

/** A record in the CLI's home that cannot be one: not a regular file, or too big. */
export class DamagedRecordError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DamagedRecordError'
  }
}

/**
 * Reads a record the CLI keeps in its home (a JSON file it wrote), trusting nothing about what is
 * there now: a FIFO is opened without waiting for a writer, and anything but a regular file of at
 * most `limit` bytes is DamagedRecordError. A missing file is ENOENT, as for readFile.
 */
export async function readRecordFile(file: string, limit = MAX_RECORD_BYTES): Promise<Buffer> {
  // eslint-disable-next-line no-bitwise -- open(2) flags are a bit mask
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK)
  try {
    const st = await handle.stat()
    if (!st.isFile()) throw new DamagedRecordError(`${file} is not a regular file`)
    if (st.size > limit) throw new DamagedRecordError(`${file} holds ${st.size} bytes, more than a record`)
    return await handle.readFile()
  } finally {
    await handle.close()
  }
}

/** A record's JSON; a record that is not one (damaged, not JSON) is DamagedRecordError. */
export async function readJsonRecord<T>(file: string, limit = MAX_RECORD_BYTES): Promise<T> {
  const text = (await readRecordFile(file, limit)).toString('utf8')
  try {
    return JSON.parse(text) as T
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    throw new DamagedRecordError(`${file} is not JSON (cut short?)`)
  }
}

/**
 * A record's JSON, or undefined when there is none (missing, its folder gone) or it is not one
 * (damaged, not JSON): what a reader that will write or compute it again wants.
 */
export async function readJsonRecordIfAny<T>(file: string, limit = MAX_RECORD_BYTES): Promise<T | undefined> {
  try {
    return await readJsonRecord<T>(file, limit)
  } catch (error) {
    if (error instanceof DamagedRecordError || ['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return undefined
    throw error
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch {
    return false
  }
}

/** Whether `p` is `root` or lies below it (both as given: resolve links first where they matter). */
export function isWithin(root: string, p: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p))
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel))
}

/**
 * Removes `target` only if it lies strictly inside `root`: the guard every recursive delete of the
 * CLI goes through, so that no label, flag or bug can make it delete anything outside its home.
 */
export async function removeInside(root: string, target: string): Promise<void> {
  if (!isWithin(root, target) || path.resolve(root) === path.resolve(target)) {
    throw new StagingError(`refusing to delete ${target}: it is not inside ${root}`)
  }

  try {
    // Only a real folder is walked: a symlink or file in its place, or a target that is already
    // gone, is left to `rm` below.
    if (!(await lstat(target)).isDirectory()) throw new Error('not a folder')
    await removeTree(target)
  } catch {
    // Whatever the fast walk could not handle (a read-only folder a tool left, a file appearing
    // meanwhile, a busy mount) gets Node's remover, with its permission fixes and retries.
    await rm(target, {recursive: true, force: true, maxRetries: 3})
  }
}

/**
 * Deletes a folder tree with one `readdir` per folder and every entry of a folder at once. The
 * entry types come from `readdir` and describe the link itself, so a symlink is unlinked, never
 * followed. Node's `rm` also checks each path with `lstat` and goes one entry at a time: a
 * workspace is removed at the end of every run, and this walk takes about half as long.
 */
async function removeTree(dir: string, retry = true): Promise<void> {
  try {
    const entries = await readdir(dir, {withFileTypes: true})
    await Promise.all(entries.map(e => {
      const p = path.join(dir, e.name)
      return e.isDirectory() ? removeTree(p) : unlink(p)
    }))
    await rmdir(dir)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return
    // A folder a tool made read-only (Go's module cache does that) can be emptied once it is ours again.
    if (retry && (code === 'EACCES' || code === 'EPERM')) {
      await chmod(dir, 0o700)
      return removeTree(dir, false)
    }

    throw error
  }
}

/** Total size in bytes and number of files below `dir` (symlinks are not followed). */
export async function treeSize(dir: string): Promise<{bytes: number; files: number}> {
  let bytes = 0
  let files = 0
  const walk = async (d: string): Promise<void> => {
    let entries
    try {
      entries = await readdir(d, {withFileTypes: true})
    } catch {
      return
    }

    await Promise.all(entries.map(async e => {
      const p = path.join(d, e.name)
      if (e.isDirectory()) return walk(p)
      const st = await lstat(p).catch(() => {})
      if (st) {
        bytes += st.size
        files++
      }
    }))
  }

  await walk(dir)
  return {bytes, files}
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes / 1024
  let i = 0
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024
    i++
  }

  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[i]}`
}
