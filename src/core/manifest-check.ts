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
  mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {CheckOutcome, CheckProblem, CheckRequest} from './check-outcome.js'

import {isAlive} from './process.js'

/** Bump when what an outcome holds, or how it is computed, changes. */
const FORMAT = 1

export type {
  CheckOutcome, CheckProblem, CheckRequest, SchemaOrigin,
} from './check-outcome.js'

export async function checkAgainstSchema(req: CheckRequest): Promise<CheckOutcome> {
  const key = 'commit' in req.origin ? outcomeKey(req, req.origin.commit.sha) : undefined
  if (key) {
    const cached = await readOutcome(req.cacheDir, key)
    if (cached) return {...cached, cached: true}
  }

  const {computeCheck} = await import('./schema/run-check.js')
  const outcome = await computeCheck(req)
  if (key && outcome.status === 'checked') await writeOutcome(req.cacheDir, key, {...outcome, sha: (req.origin as {commit: {sha: string}}).commit.sha})
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
  const input = JSON.stringify([FORMAT, sha, req.kindDir ?? '', req.data, req.sets.map(s => [s.path, s.value]), req.validate])
  return createHash('sha256').update(input).digest('hex').slice(0, 40)
}

type Stored = Omit<Extract<CheckOutcome, {status: 'checked'}>, 'cached'> & {sha: string}

async function readOutcome(cacheDir: string, key: string): Promise<Omit<Stored, 'sha'> | undefined> {
  const file = path.join(outcomesRoot(cacheDir), `${key}.json`)
  let stored: Stored
  try {
    stored = JSON.parse(await readFile(file, 'utf8')) as Stored
  } catch (error) {
    // Missing, or cut short by a crash (then computed again and rewritten).
    if (error instanceof SyntaxError || (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }

  if (stored.status !== 'checked' || typeof stored.valid !== 'boolean' || !Array.isArray(stored.problems)) return undefined
  const now = new Date()
  await utimes(file, now, now).catch(() => {})
  return {
    status: 'checked', valid: stored.valid, problems: stored.problems, target: stored.target, variables: stored.variables, schema: stored.schema,
  }
}

async function writeOutcome(cacheDir: string, key: string, outcome: Stored): Promise<void> {
  const root = outcomesRoot(cacheDir)
  await mkdir(root, {recursive: true})
  const tmp = path.join(root, `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await writeFile(tmp, JSON.stringify({...outcome, cached: undefined}))
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
export async function pruneOutcomes(cacheDir: string, opts: {keepSha?: string; keepDays: number; now?: number}): Promise<number> {
  const root = outcomesRoot(cacheDir)
  const cutoff = (opts.now ?? Date.now()) - (opts.keepDays * 86_400_000)
  let removed = 0
  for (const name of await readdir(root).catch(ignoreMissing) ?? []) {
    const file = path.join(root, name)
    const pid = /^\.tmp-(\d+)-/.exec(name)?.[1]
    if (pid) {
      if (Number(pid) !== process.pid && !isAlive(Number(pid))) await rm(file, {force: true})
      continue
    }

    if (!name.endsWith('.json')) continue
    const st = await stat(file).catch(ignoreMissing)
    if (!st || st.mtimeMs >= cutoff) continue
    const sha = await readFile(file, 'utf8').then(t => (JSON.parse(t) as Stored).sha, () => {})
    if (opts.keepSha && sha === opts.keepSha) continue
    await rm(file, {force: true})
    removed++
  }

  return removed
}

/** `staging clean`: every outcome (only a cache) and leftover. */
export async function clearOutcomes(cacheDir: string): Promise<void> {
  const root = outcomesRoot(cacheDir)
  for (const name of await readdir(root).catch(ignoreMissing) ?? []) {
    if (name.endsWith('.json') || name.startsWith('.tmp-')) await rm(path.join(root, name), {force: true})
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): undefined {
  if (error.code !== 'ENOENT' && error.code !== 'ENOTDIR') throw error
  return undefined
}
