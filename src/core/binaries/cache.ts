/**
 * The cache of module programs under `<home>/cache/binaries`: one folder per program, named after
 * what it was made from (a release tag, or a commit and the Go that built it) and the platform,
 * holding the program and its record. As with snapshots, an entry is made in a temporary sibling,
 * its record is written last, and the folder is renamed into place, so a killed download or build
 * never counts; entries are made under a per-entry lock, so concurrent runs make one once.
 *
 * A program is run by Pulumi with the user's credentials, so a damaged one must never run: the
 * record holds its size and SHA-256, checked when it is installed. On every later use the size,
 * the mode and the file's identity (inode, modification and change times, which only a write,
 * chmod or rename of the file itself moves) are compared with the record; when any differs, the
 * whole file is hashed again, and an entry whose hash no longer matches is replaced. Hashing a
 * 100 MiB program on every run would cost more than the rest of a warm run.
 */
import {createHash, randomBytes} from 'node:crypto'
import {constants, createReadStream} from 'node:fs'
import {
  access, lstat, mkdir, open, readdir, rename, stat, utimes,
} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'

import type {Platform} from './platform.js'

import {readJsonRecord, removeInside, writeFileAtomic} from '../fsutil.js'
import {type LockOwner, withPathLock} from '../lock.js'
import {debug} from '../log.js'
import {isAlive} from '../process.js'

const LAYOUT = 1
const RECORD = 'record.json'

export type BinaryRecord = {
  layout: number
  how: 'built' | 'downloaded'
  /** the module: the kind in lower case */
  module: string
  os: string
  arch: string
  /** the program's file name inside the entry */
  file: string
  /** downloaded: the release tag */
  version?: string
  /** the commit it was built from, or the commit the release tag pointed at when downloaded */
  sha?: string
  /** built: `go env GOVERSION` of the Go that built it */
  goVersion?: string
  /** downloaded: where from (no credentials, no query) */
  source?: string
  /** downloaded: whether the release published a checksum that was checked */
  checksum?: 'not published' | 'verified'
  size: number
  sha256: string
  createdAt: string
  fingerprint: Fingerprint
}

type Fingerprint = {ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number}

export type CacheEntry = {dir: string; path: string; record: BinaryRecord}

/** What a lookup expects the entry to be; a record that says otherwise is not used. */
export type EntryExpectation = Partial<Pick<BinaryRecord, 'sha' | 'version'>> & Pick<BinaryRecord, 'arch' | 'how' | 'module' | 'os'>

export type Lookup = {entry: CacheEntry} | {problem: string} | undefined

export function binariesRoot(cacheDir: string): string {
  return path.join(cacheDir, 'binaries')
}

/** The entry name of a downloaded program: `<tag>_<module>_<os>_<arch>`. */
export function downloadedName(tag: string, module: string, p: Platform): string {
  return `${tag}_${module}_${p.os}_${p.arch}`
}

/**
 * The entry name of a program built from `sha`: the commit, module and platform, the Go version in
 * a readable form, and a hash of everything that decides the build (Go version, build settings).
 */
export function builtName(of: {sha: string; module: string; platform: Platform; goVersion: string; settings: string}): string {
  const hash = createHash('sha256').update([LAYOUT, of.goVersion, of.settings].join('\0')).digest('hex').slice(0, 12)
  return `${builtPrefix(of.sha, of.module, of.platform)}${of.goVersion.replaceAll(/[^\w.-]/g, '').slice(0, 24)}_${hash}`
}

/** What the names of all programs built from `sha` for `module` on `p` start with. */
export function builtPrefix(sha: string, module: string, p: Platform): string {
  return `${sha}_${module}_${p.os}_${p.arch}_`
}

/**
 * The entry `name` if it is complete and intact; `{problem}` when it exists but must not be used;
 * undefined when there is none. A usable entry is marked as used now (see pruneBinaries).
 */
export async function lookupEntry(root: string, name: string, expect: EntryExpectation): Promise<Lookup> {
  const dir = path.join(root, name)
  let record: BinaryRecord
  try {
    record = await readJsonRecord<BinaryRecord>(path.join(dir, RECORD))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    return {problem: `its record is unreadable (${(error as Error).message})`}
  }

  for (const key of ['layout', 'how', 'module', 'os', 'arch', 'version', 'sha'] as const) {
    const want = key === 'layout' ? LAYOUT : expect[key]
    if (want !== undefined && record[key] !== want) {
      if (key !== 'sha') return {problem: `its record is for another ${key}`}
      return {problem: `it is of commit ${String(record.sha).slice(0, 12)}, and ${record.version ?? 'the version'} is now ${String(want).slice(0, 12)}`}
    }
  }

  const file = path.join(dir, record.file)
  if (path.dirname(file) !== dir) return {problem: 'its record names a file outside it'}
  const problem = await verifyProgram(file, record)
  if (problem) return {problem}
  const now = new Date()
  // Unmarked (a read-only cache), it is only pruned sooner.
  await utimes(path.join(dir, RECORD), now, now).catch(error => debug('marking %s as used: %s', name, (error as Error).message))
  return {entry: {dir, path: file, record}}
}

/** Why the program at `file` does not match its record, or undefined when it does. */
async function verifyProgram(file: string, record: BinaryRecord): Promise<string | undefined> {
  let st
  try {
    st = await lstat(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'the program is missing'
    throw error
  }

  if (!st.isFile()) return 'the program is not a regular file'
  if (st.size !== record.size) return `the program is ${st.size} bytes, not ${record.size} (truncated or replaced)`
  if (record.os !== 'windows' && !(await isExecutable(file))) return 'the program is not executable'
  const now = fingerprintOf(st)
  const was = record.fingerprint
  if (was && (Object.keys(now) as Array<keyof Fingerprint>).every(k => now[k] === was[k])) return undefined
  // Touched since it was recorded (or copied, restored from a backup): the content decides.
  const sha256 = await hashFile(file)
  if (sha256 !== record.sha256) return `the program's SHA-256 is ${sha256.slice(0, 16)}…, not ${record.sha256.slice(0, 16)}… as recorded`
  try {
    await writeFileAtomic(path.join(path.dirname(file), RECORD), JSON.stringify({...record, fingerprint: now}))
  } catch (error) {
    // Pruned or replaced while it was being hashed: it is made again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'it was removed while it was being checked'
    throw error
  }

  return undefined
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}

function fingerprintOf(st: {ino: number; size: number; mtimeMs: number; ctimeMs: number; mode: number}): Fingerprint {
  return {
    ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, mode: st.mode,
  }
}

export async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(file), hash)
  return hash.digest('hex')
}

/** The most recently used intact entry whose name starts with `prefix`, if any. */
export async function lookupNewest(root: string, prefix: string, expect: EntryExpectation): Promise<CacheEntry | undefined> {
  const names = (await readdir(root).catch(() => [] as string[])).filter(n => n.startsWith(prefix))
  const dated = await Promise.all(names.map(async n => ({n, t: (await stat(path.join(root, n, RECORD)).catch(() => null))?.mtimeMs ?? -1})))
  for (const {n} of dated.filter(d => d.t >= 0).sort((a, b) => b.t - a.t)) {
    const found = await lookupEntry(root, n, expect)
    if (found && 'entry' in found) return found.entry
  }

  return undefined
}

export type Produced = Omit<BinaryRecord, 'createdAt' | 'fingerprint' | 'layout' | 'size' | 'sha256'>

/**
 * Makes the entry `name`: `produce` writes the program into the temporary folder it is given (as
 * `info.file`); the program is hashed, made executable, flushed to disk with its record, and the
 * folder renamed into place, replacing an entry found damaged. Call it under lockEntry.
 */
export async function installEntry(root: string, name: string, produce: (tmp: string) => Promise<Produced>): Promise<CacheEntry> {
  await mkdir(root, {recursive: true})
  await removeLeftovers(root)
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await mkdir(tmp)
    const info = await produce(tmp)
    const file = path.join(tmp, info.file)
    const handle = await open(file, 'r+')
    try {
      if (info.os !== 'windows') await handle.chmod(0o755)
      await handle.sync()
    } finally {
      await handle.close()
    }

    const st = await stat(file)
    const record: BinaryRecord = {
      layout: LAYOUT, ...info, size: st.size, sha256: await hashFile(file), createdAt: new Date().toISOString(), fingerprint: fingerprintOf(st),
    }
    await writeSynced(path.join(tmp, RECORD), JSON.stringify(record, null, 2))
    const dest = path.join(root, name)
    await discard(root, dest)
    await rename(tmp, dest)
    await syncDir(root)
    return {dir: dest, path: path.join(dest, info.file), record}
  } catch (error) {
    await removeInside(root, tmp)
    throw error
  }
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx', 0o644)
  try {
    await handle.writeFile(text)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** Makes a rename durable. Not every platform can open a folder for that; a crash there costs a rebuild. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null)
  if (!handle) return
  try {
    await handle.sync()
  } catch (error) {
    debug('fsync of %s: %s', dir, (error as Error).message)
  } finally {
    await handle.close()
  }
}

/** Moves an entry out of the way and deletes it; no run can find half of one. */
export async function discard(root: string, dir: string): Promise<void> {
  const trash = path.join(root, `.trash-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await rename(dir, trash)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }

  await removeInside(root, trash)
}

/** Runs `fn` holding the lock of entry `name`, so that one process makes it while others wait. */
export async function lockEntry<T>(
  root: string,
  name: string,
  opts: {command: string; signal?: AbortSignal; onWait?: (owner: LockOwner | undefined) => void},
  fn: () => Promise<T>,
): Promise<T> {
  const locks = path.join(root, '.locks')
  await mkdir(locks, {recursive: true})
  return withPathLock({
    ...opts,
    lockfilePath: path.join(locks, `${name}.lock`),
    ownerFile: path.join(locks, `${name}.owner.json`),
    what: `module binary ${name}`,
  }, fn)
}

/** Temporary folders and trash of processes that died before removing them. */
export async function removeLeftovers(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = /^\.(?:tmp|trash)-(\d+)-/.exec(name)?.[1]
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await removeInside(root, path.join(root, name))
  }
}

async function records(root: string): Promise<Array<{name: string; record: BinaryRecord; usedMs: number}>> {
  const names = (await readdir(root).catch(() => [] as string[])).filter(n => !n.startsWith('.'))
  const all = await Promise.all(names.map(async name => {
    const file = path.join(root, name, RECORD)
    try {
      const [record, st] = await Promise.all([readJsonRecord<BinaryRecord>(file), stat(file)])
      return {name, record, usedMs: st.mtimeMs}
    } catch (error) {
      // A folder without a readable record is not an entry (a foreign folder is left alone).
      debug('not a binary cache entry: %s (%s)', name, (error as Error).message)
      return null
    }
  }))
  return all.filter(r => r !== null)
}

export type BinaryCacheStats = {binaries: number; bytes: number; downloaded: number; built: number}

/** How many programs the cache holds, and their bytes (what `staging status` and `doctor` show). */
export async function binaryCacheStats(cacheDir: string): Promise<BinaryCacheStats> {
  const all = await records(binariesRoot(cacheDir))
  return {
    binaries: all.length,
    bytes: all.reduce((sum, r) => sum + r.record.size, 0),
    downloaded: all.filter(r => r.record.how === 'downloaded').length,
    built: all.filter(r => r.record.how === 'built').length,
  }
}

/** How long a program of a commit or version other than the kept one stays after its last use. */
export const BINARY_KEEP_DAYS = 7

/**
 * Removes the programs not used for `keepDays` days (each run marks the one it uses), except those
 * of commit `keepSha` or release `keepVersion` (the selected version). Called by `staging clean`,
 * by staging when the selected commit changes, and after a new program is made, so the cache
 * holds what is selected plus what was used lately instead of growing with every commit.
 */
export async function pruneBinaries(
  cacheDir: string,
  opts: {keepSha?: string; keepVersion?: string; keepDays?: number; now?: number} = {},
): Promise<{removed: number; bytes: number}> {
  const root = binariesRoot(cacheDir)
  const cutoff = (opts.now ?? Date.now()) - ((opts.keepDays ?? BINARY_KEEP_DAYS) * 86_400_000)
  await removeLeftovers(root)
  let removed = 0
  let bytes = 0
  for (const {name, record, usedMs} of await records(root)) {
    if (usedMs >= cutoff) continue
    if (opts.keepSha && record.sha === opts.keepSha) continue
    if (opts.keepVersion && record.version === opts.keepVersion) continue
    await discard(root, path.join(root, name))
    removed++
    bytes += record.size
  }

  return {removed, bytes}
}
