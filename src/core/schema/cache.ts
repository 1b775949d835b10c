/**
 * The per-commit cache of compiled schemas: for one commit and kind, the descriptors of the kind's
 * import closure (the library files are not stored: they come with the CLI), so that a warm run
 * reads one file instead of finding, reading and decoding a dozen generated Go files.
 *
 * An entry never changes once written (a commit's protos never change): it is written to a
 * temporary file and renamed into place, and it carries the length and SHA-256 of its payload, so
 * a damaged entry is detected, removed and built again. Entries are pruned like module snapshots.
 */
import {createHash, randomBytes} from 'node:crypto'
import {
  mkdir, readdir, rename, rm, stat, utimes, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import {pruneEntries, type PruneOptions} from '../cache-policy.js'
import {DamagedRecordError, readRecordFile} from '../fsutil.js'
import {isAlive} from '../process.js'

/** Bump when what an entry holds or means changes: older entries are then simply not found. */
export const SCHEMA_CACHE_FORMAT = 1
/** An entry is a kind's descriptors: hundreds of KiB for the biggest kinds. */
const MAX_ENTRY_BYTES = 64 * 1024 * 1024

export type SchemaEntryInfo = {
  format: number
  sha: string
  apiVersion: string
  kind: string
  /** full name of the kind's message */
  typeName: string
  files: number
  bytes: number
  sha256: string
}

export function schemasRoot(cacheDir: string): string {
  return path.join(cacheDir, 'schemas')
}

/** `apiProto`: where the kind's api.proto was read (a kind found by searching may live elsewhere). */
export function schemaKey(sha: string, apiVersion: string, kind: string, apiProto = ''): string {
  return createHash('sha256').update([SCHEMA_CACHE_FORMAT, sha, apiVersion, kind, apiProto].join('\0')).digest('hex').slice(0, 32)
}

function entryFile(cacheDir: string, key: string): string {
  return path.join(schemasRoot(cacheDir), `${key}.schema`)
}

/** An entry whose header or payload does not check out. */
export class DamagedEntryError extends Error {
  name = 'DamagedEntryError'
}

/**
 * The entry named `key`: its header and payload (a serialized FileDescriptorSet), or undefined when
 * there is none. Marks it as used now (see pruneSchemas). Throws DamagedEntryError.
 */
export async function readSchemaEntry(cacheDir: string, key: string): Promise<{info: SchemaEntryInfo; payload: Buffer} | undefined> {
  const file = entryFile(cacheDir, key)
  let data: Buffer
  try {
    data = await readRecordFile(file, MAX_ENTRY_BYTES)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if (error instanceof DamagedRecordError) throw new DamagedEntryError(`schema cache entry ${key}: ${error.message}`)
    throw error
  }

  const nl = data.indexOf(10)
  let info: SchemaEntryInfo
  try {
    info = JSON.parse(data.subarray(0, nl).toString('utf8')) as SchemaEntryInfo
  } catch {
    throw new DamagedEntryError(`schema cache entry ${key}: unreadable header`)
  }

  const payload = data.subarray(nl + 1)
  if (nl < 0 || info.format !== SCHEMA_CACHE_FORMAT || payload.length !== info.bytes || createHash('sha256').update(payload).digest('hex') !== info.sha256) {
    throw new DamagedEntryError(`schema cache entry ${key}: payload does not match its header`)
  }

  const now = new Date()
  await utimes(file, now, now).catch(() => {})
  return {info, payload}
}

export async function writeSchemaEntry(cacheDir: string, key: string, info: Omit<SchemaEntryInfo, 'bytes' | 'format' | 'sha256'>, payload: Uint8Array): Promise<void> {
  const root = schemasRoot(cacheDir)
  await mkdir(root, {recursive: true})
  const header: SchemaEntryInfo = {
    format: SCHEMA_CACHE_FORMAT, ...info, bytes: payload.length, sha256: createHash('sha256').update(payload).digest('hex'),
  }
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(tmp, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), payload]))
    // A concurrent run writing the same entry renames the same bytes over it: harmless.
    await rename(tmp, entryFile(cacheDir, key))
  } catch (error) {
    await rm(tmp, {force: true})
    throw error
  }
}

export async function discardSchemaEntry(cacheDir: string, key: string): Promise<void> {
  await rm(entryFile(cacheDir, key), {force: true})
}

/** Temporary files of processes that died before renaming them. */
async function removeLeftovers(root: string): Promise<void> {
  for (const name of await readdir(root).catch(() => [] as string[])) {
    const pid = /^\.tmp-(\d+)-/.exec(name)?.[1]
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await rm(path.join(root, name), {force: true})
  }
}

/** How many entries the cache holds and their size. */
export async function schemaCacheStats(cacheDir: string): Promise<{schemas: number; bytes: number}> {
  const root = schemasRoot(cacheDir)
  const names = (await readdir(root).catch(() => [] as string[])).filter(n => n.endsWith('.schema'))
  const sizes = await Promise.all(names.map(n => stat(path.join(root, n)).then(s => s.size, () => 0)))
  return {schemas: names.length, bytes: sizes.reduce((a, b) => a + b, 0)}
}

/**
 * Removes the entries of commits other than `keepSha` not used for `keepDays` days: the policy of
 * pruneSnapshots, so that both caches are pruned together when the selected version moves.
 * A damaged entry is removed whatever its age.
 */
export async function pruneSchemas(cacheDir: string, opts: PruneOptions): Promise<{removed: number; bytes: number}> {
  const root = schemasRoot(cacheDir)
  await removeLeftovers(root)
  const names = (await readdir(root).catch(() => [] as string[])).filter(n => n.endsWith('.schema'))
  return pruneEntries(names, {
    async facts(name) {
      const file = path.join(root, name)
      const st = await stat(file).catch(() => null)
      if (!st) return null
      const info = await readHeader(file)
      return info ? {sha: info.sha, usedMs: st.mtimeMs, bytes: st.size} : undefined
    },
    remove: name => rm(path.join(root, name), {force: true}),
  }, opts)
}

async function readHeader(file: string): Promise<SchemaEntryInfo | undefined> {
  try {
    const data = await readRecordFile(file, MAX_ENTRY_BYTES)
    const info = JSON.parse(data.subarray(0, data.indexOf(10)).toString('utf8')) as SchemaEntryInfo
    return info.format === SCHEMA_CACHE_FORMAT && typeof info.sha === 'string' ? info : undefined
  } catch {
    return undefined
  }
}

/** `staging clean`: every entry (only a cache) and leftover; returns the bytes freed. */
export async function clearSchemas(cacheDir: string): Promise<{removed: number; bytes: number}> {
  const root = schemasRoot(cacheDir)
  let removed = 0
  let bytes = 0
  // Files (or links) the CLI wrote; a folder it did not make is left alone.
  for (const entry of await readdir(root, {withFileTypes: true}).catch(() => [])) {
    const {name} = entry
    if (entry.isDirectory() || (!name.endsWith('.schema') && !name.startsWith('.tmp-'))) continue
    const file = path.join(root, name)
    bytes += await stat(file).then(st => st.size, () => 0)
    await rm(file, {force: true})
    removed++
  }

  return {removed, bytes}
}
