import {randomBytes} from 'node:crypto'
import {
  lstat, readdir, rename, rm, writeFile,
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

export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p)
    return true
  } catch {
    return false
  }
}

/**
 * Removes `target` only if it lies strictly inside `root`: the guard every recursive delete of the
 * CLI goes through, so that no label, flag or bug can make it delete anything outside its home.
 */
export async function removeInside(root: string, target: string): Promise<void> {
  const rel = path.relative(path.resolve(root), path.resolve(target))
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new StagingError(`refusing to delete ${target}: it is not inside ${root}`)
  }

  await rm(target, {recursive: true, force: true, maxRetries: 3})
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
