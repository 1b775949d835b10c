/**
 * How a pulumi run has its module program (`--module-binary`, PROJECT_PLANTON_MODULE_BINARY). A
 * module of its own, light enough for the flag definitions that every command loads.
 */
import {InvalidInputError} from '../errors.js'

export const MODULE_BINARY_MODES = ['auto', 'download', 'build', 'never'] as const
export type ModuleBinaryMode = (typeof MODULE_BINARY_MODES)[number]
/** The default of `--module-binary`, e.g. `build` on machines that must not download programs. */
export const MODULE_BINARY_VARIABLE = 'PROJECT_PLANTON_MODULE_BINARY'

/** What a run in mode `never` says of its program (no resolver is loaded for it). */
export const BINARIES_OFF = 'module binaries are off (mode never)'

/** The mode of a run: the flag, else PROJECT_PLANTON_MODULE_BINARY, else auto. */
export function moduleBinaryMode(flag: string | undefined, env: NodeJS.ProcessEnv): ModuleBinaryMode {
  const fromEnv = env[MODULE_BINARY_VARIABLE]?.trim()
  const value = flag ?? (fromEnv || 'auto')
  if ((MODULE_BINARY_MODES as readonly string[]).includes(value)) return value as ModuleBinaryMode
  const where = flag === undefined ? MODULE_BINARY_VARIABLE : '--module-binary'
  throw new InvalidInputError(`invalid ${where} ${JSON.stringify(value)}`, {hint: `Use one of ${MODULE_BINARY_MODES.join(', ')}.`})
}
