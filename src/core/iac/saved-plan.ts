/**
 * Saved tofu/terraform plans (`tofu plan --out <file>`, then `tofu apply --plan <file>`): the plan
 * file is kept where the user asked, outside the workspace that cleanup removes, with a record
 * beside it (`<file>.project-planton.json`) of what it was made from. A plan is applied only by a
 * run of the same stack from the same commit (or module folder): applying it with another
 * version of the module would apply changes computed for different code.
 */
import {randomBytes} from 'node:crypto'
import {constants} from 'node:fs'
import {
  access, chmod, copyFile, realpath, rename, rm, stat, writeFile,
} from 'node:fs/promises'
import path from 'node:path'

import type {ModuleSource} from '../prepare.js'

import {InvalidInputError} from '../errors.js'
import {DamagedRecordError, isWithin, readJsonRecord} from '../fsutil.js'

/** 2: the record holds the digest of the variables the plan was made with. */
const FORMAT = 2
/** A plan's record is a few hundred bytes. */
const MAX_RECORD_BYTES = 64 * 1024

export type PlanRecord = {
  format: number
  /** the commit of the module (staging runs) */
  commit?: string
  /** the version as the run named it, for messages */
  ref?: string
  /** the module folder (runs from a folder) */
  folder?: string
  stack: string
  /** sha256 of the variables file the plan was made with */
  variables: string
  createdAt: string
}

export function recordFile(planFile: string): string {
  return `${planFile}.project-planton.json`
}

/** What a run makes a plan from, as recorded. */
export function planOrigin(module: ModuleSource): Pick<PlanRecord, 'commit' | 'folder' | 'ref'> {
  if (module.kind === 'staging') return {commit: module.resolved.sha, ref: module.resolved.ref}
  return {folder: module.kind === 'module-dir' ? module.dir : path.join(module.repo, module.modulePath)}
}

/** Reads the record of a saved plan (before anything is created); a plan without one is refused. */
export async function readPlanRecord(planFile: string): Promise<PlanRecord> {
  const hint = 'Make the plan with `project-planton tofu plan -f <manifest> --out <file>`.'
  if (!(await stat(planFile).then(st => st.isFile(), () => false))) throw new InvalidInputError(`--plan ${planFile}: no such plan file`, {hint})
  const record = recordFile(planFile)
  const damaged = (why: string) => new InvalidInputError(`--plan ${planFile}: its record ${record} ${why}`, {hint: `Plan again. ${hint}`})
  let parsed: Partial<PlanRecord>
  try {
    // A record, as the home's are: a FIFO would wait for ever, a huge file fill memory.
    parsed = await readJsonRecord<Partial<PlanRecord>>(record, MAX_RECORD_BYTES)
  } catch (error) {
    if (error instanceof DamagedRecordError) throw damaged('is damaged')
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    throw new InvalidInputError(`--plan ${planFile}: no record of what it was made from (${path.basename(record)} beside it)`, {hint})
  }

  if (!parsed || typeof parsed !== 'object') throw damaged('is damaged')
  if (typeof parsed.format === 'number' && parsed.format < FORMAT) throw damaged('was written by an earlier version of project-planton')
  if (parsed.format === FORMAT && typeof parsed.stack === 'string' && typeof parsed.variables === 'string') return parsed as PlanRecord
  throw damaged('is damaged')
}

/** Refuses a saved plan made for another stack, or from another commit or folder than this run's. */
export function checkPlanFits(planFile: string, record: PlanRecord, run: {stack: string; module: ModuleSource}): void {
  if (!record.commit && !record.folder) throw new InvalidInputError(`--plan ${planFile}: its record names neither the commit nor the folder it was made from`)
  if (record.stack !== run.stack) throw new InvalidInputError(`--plan ${planFile} was made for stack ${record.stack}, not ${run.stack}`)
  const now = planOrigin(run.module)
  if (record.commit && record.commit !== now.commit) {
    const made = [record.ref, record.commit.slice(0, 12)].filter(Boolean).join(' ')
    const uses = now.commit ? `${now.ref} ${now.commit.slice(0, 12)}` : now.folder
    throw new InvalidInputError(`--plan ${planFile} was made from ${made}, but this run uses ${uses}`, {
      hint: `Apply it with the module it was made from: --module-version ${record.commit}, or plan again.`,
    })
  }

  if (record.folder && record.folder !== now.folder) {
    throw new InvalidInputError(`--plan ${planFile} was made from the module folder ${record.folder}, but this run uses ${now.folder ?? `${now.ref} ${now.commit?.slice(0, 12)}`}`, {
      hint: `Apply it with --module-dir ${record.folder}, or plan again.`,
    })
  }
}

/**
 * Checks `--out` before anything runs: its folder must exist, be writable and lie outside the CLI's
 * home, and the path must not be a folder (nor a link to one), so that a plan the tool made is never
 * lost at the end and never replaces a file of the CLI's.
 */
export async function checkPlanOut(out: string, home: string): Promise<void> {
  const dir = path.dirname(out)
  const where = await stat(dir).catch(() => {})
  if (!where?.isDirectory()) throw new InvalidInputError(`--out ${out}: the folder ${dir} does not exist`)
  // The CLI's home holds state, staging and caches: a plan written there could replace any of them.
  const [realDir, realHome] = await Promise.all([realpath(dir), realpath(home).catch(() => path.resolve(home))])
  if (isWithin(realHome, realDir)) {
    throw new InvalidInputError(`--out ${out} is inside the CLI's home (${home}), which holds state, staging and caches`, {
      hint: 'Keep plans in a folder of your own, e.g. --out ./plan.tfplan.',
    })
  }

  const existing = await stat(out).catch(() => {})
  if (existing?.isDirectory()) throw new InvalidInputError(`--out ${out} is a folder; name the plan file to write`)
  try {
    await access(dir, constants.W_OK)
  } catch {
    throw new InvalidInputError(`--out ${out}: the folder ${dir} is not writable`)
  }
}

/** Copies the plan the tool wrote into the workspace to where the user asked, with its record (each file atomically). */
export async function keepPlan(from: string, to: string, record: Omit<PlanRecord, 'createdAt' | 'format'>): Promise<void> {
  const put = async (target: string, write: (tmp: string) => Promise<void>) => {
    const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(4).toString('hex')}.tmp`)
    try {
      await write(tmp)
      await rename(tmp, target)
    } catch (error) {
      await rm(tmp, {force: true})
      throw error
    }
  }

  // A plan holds the values of variables, secrets included: the owner's only, as the state.
  await put(to, async tmp => {
    await copyFile(from, tmp)
    await chmod(tmp, 0o600)
  })
  const full: PlanRecord = {...record, format: FORMAT, createdAt: new Date().toISOString()}
  await put(recordFile(to), tmp => writeFile(tmp, `${JSON.stringify(full, null, 2)}\n`))
}
