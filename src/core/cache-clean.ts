/**
 * What `staging clean` removes from the cache folder (`<home>/cache`): only what the CLI's caches
 * made there. Snapshots of module files, compiled schemas and checked manifests are cheap to make
 * again and go as a whole, but only when no run is going (a run may be copying from a snapshot).
 * Module binaries cost a download or a compile to make again: those of the selected version and
 * those used lately stay, unless everything is to go (`--all`, no run going).
 */
import {rmdir} from 'node:fs/promises'

import {
  binariesRoot, BINARY_KEEP_DAYS, binaryCacheStats, pruneBinaries,
} from './binaries/cache.js'
import {removeInside} from './fsutil.js'
import {clearOutcomes} from './manifest-check.js'
import {clearSchemas} from './schema/cache.js'
import {clearSnapshots} from './snapshot.js'

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
    exportBytes = (await clearSnapshots(cacheDir)).bytes + (await clearSchemas(cacheDir)).bytes
    await clearOutcomes(cacheDir)
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
