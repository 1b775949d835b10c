/** The request and outcome of checking a manifest against its schema (see manifest-check.ts). */
import type {Prefetch} from './blob-fetch.js'
import type {GitRepository} from './git.js'
import type {SetOverride} from './overrides.js'

/** Where the protos come from: a commit of staging (with its prefetch when staging is lean), or a folder. */
export type SchemaOrigin = {
  commit: {
    repo: GitRepository
    sha: string
    prefetch?: Prefetch
  }
} | {folder: string}

export type CheckRequest = {
  origin: SchemaOrigin
  /** the manifest as written (before --set) */
  data: Record<string, unknown>
  /** the text the manifest was read from: an outcome is kept under it (with the commit, the overrides, the flags) */
  text: string
  sets: SetOverride[]
  /** false: parse and default only (`--no-validate`) */
  validate: boolean
  cacheDir: string
  /** the kind's folder when the module was already located (`…/<kind>/v1`) */
  kindDir?: string
  /** the run's: a signal stops the check */
  signal?: AbortSignal
}

export type CheckProblem = {path: string; message: string}

export type CheckOutcome
  = | {
    status: 'checked'
    valid: boolean
    problems: CheckProblem[]
    /** the message after --set and defaults as protojson: the Pulumi stack input's target */
    target?: Record<string, unknown>
    /** the same for OpenTofu: the variables, keys in the Go CLI's snake_case */
    variables?: Record<string, unknown>
    /** what the schema was built from, for messages */
    schema: string
    /** read back from the outcome cache */
    cached: boolean
  }
  | {status: 'unavailable'; reason: string; message: string}
