/**
 * The manifest of a run checked against the protos of the module source it uses, as the Go CLI
 * checks it: parsed strictly into the kind's message, `--set` applied to typed fields, the protos'
 * defaults applied, the buf.validate rules checked (see schema/). What the tools get afterwards is
 * the checked message, in the shapes the Go CLI hands them.
 *
 * The outcome for one commit, kind, manifest and set of overrides never changes, so it is kept:
 * a run that repeats (a plan, then an apply of the same manifest; a CI pipeline) reads it back
 * without loading the protobuf and CEL libraries, which cost more than the rest of a warm run.
 * Folders (a local checkout) can change at any time and are never cached.
 */
import {createHash, randomBytes} from 'node:crypto'
import {
  chmod, mkdir, readdir, rename, rm, stat, utimes, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {CheckOutcome, CheckProblem, CheckRequest} from './check-outcome.js'

import {pruneEntries, type PruneOptions} from './cache-policy.js'
import {readJsonRecord, readJsonRecordIfAny} from './fsutil.js'
import {isAlive} from './process.js'

/** An outcome holds a checked manifest (at most 1 MiB as written) and what the tools get from it. */
const MAX_OUTCOME_BYTES = 16 * 1024 * 1024

/** Bump when what an outcome holds, or how it is computed, changes. */
const FORMAT = 3

export type {
  CheckOutcome, CheckProblem, CheckRequest, SchemaOrigin,
} from './check-outcome.js'

export async function checkAgainstSchema(req: CheckRequest): Promise<CheckOutcome> {
  const key = 'commit' in req.origin ? outcomeKey(req, req.origin.commit.sha) : undefined
  if (key) {
    const cached = await readOutcome(req.cacheDir, key)
    if (cached) return cached
  }

  const {computeCheck} = await import('./schema/run-check.js')
  const outcome = await computeCheck(req)
  // "No schema" is a fact of a commit too (an old one, or damaged generated code); in a lean
  // staging as well: the schema's files are fetched before they are read, and a read of one that
  // was not fails the run instead of passing for a missing file (git.ts, the object reader).
  if (key) await writeOutcome(req.cacheDir, key, {...outcome, sha: (req.origin as {commit: {sha: string}}).commit.sha})
  return outcome
}

/** A problem as one line: `spec.container.replicas: value must be greater than 0`. */
export function problemLine(p: CheckProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message
}

function outcomesRoot(cacheDir: string): string {
  return path.join(cacheDir, 'checks')
}

function outcomeKey(req: CheckRequest, sha: string): string {
  // The text (JSON writes .inf, .nan and null all as null) and the data read from it (one text read
  // as a manifest and as a stack input gives two manifests).
  const input = JSON.stringify([FORMAT, sha, req.kindDir ?? '', req.text, req.data, req.sets.map(s => [s.path, s.value]), req.validate])
  return createHash('sha256').update(input).digest('hex').slice(0, 40)
}

/** An outcome as kept: a check's (without `cached`), or "no schema" for this commit. */
type Stored = (Extract<CheckOutcome, {status: 'unavailable'}> | Omit<Extract<CheckOutcome, {status: 'checked'}>, 'cached'>) & {sha: string}

async function readOutcome(cacheDir: string, key: string): Promise<CheckOutcome | undefined> {
  const file = path.join(outcomesRoot(cacheDir), `${key}.json`)
  // Missing, or cut short by a crash, or not a record at all: computed again and rewritten.
  const stored = await readJsonRecordIfAny<Stored>(file, MAX_OUTCOME_BYTES)
  if (!stored) return undefined

  const now = new Date()
  if (stored.status === 'unavailable' && typeof stored.reason === 'string' && typeof stored.message === 'string') {
    await utimes(file, now, now).catch(() => {})
    return {status: 'unavailable', reason: stored.reason, message: stored.message}
  }

  if (stored.status !== 'checked' || typeof stored.valid !== 'boolean' || !Array.isArray(stored.problems)) return undefined
  await utimes(file, now, now).catch(() => {})
  return {
    status: 'checked', valid: stored.valid, problems: stored.problems, target: stored.target, variables: stored.variables, schema: stored.schema, cached: true,
  }
}

async function writeOutcome(cacheDir: string, key: string, outcome: Stored): Promise<void> {
  const root = outcomesRoot(cacheDir)
  // An outcome holds the checked manifest, secrets included: the owner's only, as the state is.
  await mkdir(root, {recursive: true, mode: 0o700})
  await chmod(root, 0o700)
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(tmp, JSON.stringify({...outcome, cached: undefined}), {mode: 0o600})
    await rename(tmp, path.join(root, `${key}.json`))
  } catch (error) {
    await rm(tmp, {force: true})
    // Only a cache: a full disk must not fail a run that checked its manifest.
    if (!['EDQUOT', 'ENOSPC', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
  }
}

/**
 * Removes the outcomes of commits other than `keepSha` not used for `keepDays` days (the policy of
 * the module snapshots, pruned together), and those left half-written by killed processes.
 */
export async function pruneOutcomes(cacheDir: string, opts: PruneOptions): Promise<number> {
  const root = outcomesRoot(cacheDir)
  const names = await readdir(root).catch(ignoreMissing) ?? []
  for (const name of names) {
    const pid = /^\.tmp-(\d+)-/.exec(name)?.[1]
    if (pid && Number(pid) !== process.pid && !isAlive(Number(pid))) await rm(path.join(root, name), {force: true})
  }

  const {removed} = await pruneEntries(names.filter(n => n.endsWith('.json')), {
    async facts(name) {
      const file = path.join(root, name)
      const st = await stat(file).catch(ignoreMissing)
      if (!st) return null
      const sha = await readJsonRecord<Stored>(file, MAX_OUTCOME_BYTES).then(o => o.sha, () => {})
      return sha ? {sha, usedMs: st.mtimeMs, bytes: st.size} : undefined
    },
    remove: name => rm(path.join(root, name), {force: true}),
  }, opts)
  return removed
}

/** `staging clean`: every outcome (only a cache) and leftover. */
export async function clearOutcomes(cacheDir: string): Promise<void> {
  const root = outcomesRoot(cacheDir)
  // Files (or links) the CLI wrote; a folder it did not make is left alone.
  for (const entry of await readdir(root, {withFileTypes: true}).catch(ignoreMissing) ?? []) {
    if (entry.isDirectory() || !(entry.name.endsWith('.json') || entry.name.startsWith('.tmp-'))) continue
    await rm(path.join(root, entry.name), {force: true})
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error
  return undefined
}
