/**
 * What `staging clean` removes from the cache folder (`<home>/cache`). Snapshots of module files
 * are cheap to export again and go as a whole, but only when no run is going (a run may be copying
 * from one). Module binaries cost a download or a compile to make again: those of the selected
 * version and those used lately stay, unless everything is to go (`--all`, no run going).
 */
import {readdir, rmdir} from 'node:fs/promises'
import path from 'node:path'

import {
  binariesRoot, BINARY_KEEP_DAYS, binaryCacheStats, pruneBinaries,
} from './binaries/cache.js'
import {removeInside, treeSize} from './fsutil.js'

export type CacheCleaning = {
  /** bytes of module exports (snapshots) freed */
  exportBytes: number
  binaries: {removed: number; bytes: number}
  /** how many days unused binaries were kept; undefined when all were removed */
  keptDays?: number
}

export async function cleanCache(home: string, cacheDir: string, opts: {runsGoing: boolean; all: boolean; keepSha?: string; keepVersion?: string}): Promise<CacheCleaning> {
  const binaries = binariesRoot(cacheDir)
  const everything = opts.all && !opts.runsGoing
  let exportBytes = 0
  if (!opts.runsGoing) {
    for (const name of await readdir(cacheDir).catch(() => [] as string[])) {
      const p = path.join(cacheDir, name)
      if (p === binaries) continue
      exportBytes += (await treeSize(p)).bytes
      await removeInside(home, p)
    }
  }

  let removed: CacheCleaning['binaries']
  if (everything) {
    const stats = await binaryCacheStats(cacheDir)
    await removeInside(home, binaries)
    removed = {removed: stats.binaries, bytes: stats.bytes}
  } else {
    removed = await pruneBinaries(cacheDir, {keepSha: opts.keepSha, keepVersion: opts.keepVersion})
  }

  // An empty cache folder is not left behind.
  try {
    await rmdir(cacheDir)
  } catch (error) {
    if (!['EEXIST', 'ENOENT', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
  }

  return {exportBytes, binaries: removed, keptDays: everything ? undefined : BINARY_KEEP_DAYS}
}
