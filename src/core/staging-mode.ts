/**
 * Which kind of clone staging is made as, when it has to be cloned:
 *  - full: every file of every version, checked out; every module of every version works offline.
 *    What a workstation wants after `staging pull`, so it is the default.
 *  - lean: commits and trees of the whole history, no work tree, and files fetched from the
 *    upstream as runs need them (a partial clone, `--filter=blob:none`). What a CI job on an empty
 *    home wants: its first run costs a small part of a full clone.
 *
 * The rule, first match wins: `--lean`/`--full` on the command, then PROJECT_PLANTON_STAGING=lean|full,
 * then CI=true (or 1) → lean, else full. The variable wins over CI, so a pipeline that caches its home
 * can keep a full clone. The mode is chosen when staging is cloned and stays with it: `staging pull
 * --full` turns a lean staging into a full one; a full staging becomes lean only by cloning again.
 */
import {InvalidInputError} from './errors.js'

export type StagingMode = 'full' | 'lean'

export const STAGING_MODE_VARIABLE = 'PROJECT_PLANTON_STAGING'

export type ModeChoice = {
  mode: StagingMode
  /** what decided it, for messages: `--lean`, `PROJECT_PLANTON_STAGING=full`, `CI=true`, `default` */
  because: string
}

/** The mode a new clone gets. Throws InvalidInputError for a PROJECT_PLANTON_STAGING that is neither lean nor full. */
export function chooseStagingMode(flag: StagingMode | undefined, env: NodeJS.ProcessEnv): ModeChoice {
  // Checked even when a flag decides: a mistyped variable is reported, not ignored until later.
  const raw = env[STAGING_MODE_VARIABLE]
  const value = raw?.trim().toLowerCase()
  if (value && value !== 'lean' && value !== 'full') {
    throw new InvalidInputError(`${STAGING_MODE_VARIABLE}=${JSON.stringify(raw)} is not a staging mode`, {
      hint: 'Set it to lean or full, or unset it (then staging is full, or lean when CI=true).',
    })
  }

  if (flag) return {mode: flag, because: `--${flag}`}
  if (value === 'lean' || value === 'full') return {mode: value, because: `${STAGING_MODE_VARIABLE}=${value}`}
  // The values the progress renderer also takes as CI (see base/progress.ts).
  const ci = env.CI?.trim().toLowerCase()
  if (ci === 'true' || ci === '1') return {mode: 'lean', because: `CI=${env.CI!.trim()}`}
  return {mode: 'full', because: 'default'}
}
