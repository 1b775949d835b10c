/**
 * `validate -f <manifest>`: read a manifest as a run would (strict parsing, typed --set, the protos'
 * defaults, the buf.validate rules) against the protos of the commit the run would use, and report,
 * without preparing a workspace or starting a tool. Staging is used as a run uses it: no network
 * when the commit is already there.
 */
import type {CheckProblem, SchemaOrigin} from '../manifest-check.js'
import type {StagingOptions} from '../staging.js'

import {PlantonError} from '../errors.js'
import {checkAgainstSchema} from '../manifest-check.js'
import {downloadTimeouts} from '../manifest-source.js'
import {loadManifest} from '../manifest.js'
import {readSetFlags} from '../overrides.js'
import {Staging} from '../staging.js'

export type ValidateRequest = Omit<StagingOptions, 'onProgress'> & {
  /** the manifest file, `-` for stdin */
  file: string
  /** `--set` flags as given */
  sets?: string[]
  moduleVersion?: string
  /** take the protos of the monorepo checkout that holds this folder instead of staging */
  moduleDir?: string
  /** false: parse and default only */
  validate?: boolean
  stdin?: NodeJS.ReadableStream
  report?: (line: string) => void
}

export type ValidateOutcome = {
  valid: boolean
  /** where the manifest came from (a path or <stdin>) */
  source: string
  apiVersion: string
  kind: string
  name: string
  /** what the schema was built from; `cached`: the outcome was read back from the cache */
  schema: {origin: string; ref?: string; sha?: string; cached: boolean}
  problems: CheckProblem[]
  /** the manifest after --set and defaults, in protobuf JSON form; absent when it does not parse */
  manifest?: Record<string, unknown>
}

/** The schema could not be built, so the manifest cannot be validated. */
export class SchemaUnavailableError extends PlantonError {}

export async function validateManifestFile(req: ValidateRequest): Promise<ValidateOutcome> {
  const sets = readSetFlags(req.sets ?? [])
  const {manifest, data, text, source} = await loadManifest(req.file, sets, {signal: req.signal, stdin: req.stdin, timeouts: downloadTimeouts(req.env ?? process.env)})
  let origin: SchemaOrigin
  let ref: string | undefined
  let sha: string | undefined
  if (req.moduleDir) {
    origin = {folder: req.moduleDir}
  } else {
    const staging = new Staging({...req, onProgress: req.report})
    const resolved = await staging.resolveForRun(req.moduleVersion)
    ref = resolved.ref
    sha = resolved.sha
    const fetcher = staging.blobFetcher()
    origin = {
      commit: {
        repo: staging.repository, sha, prefetch: entries => fetcher.ensure(resolved.sha, entries, `the protos of ${manifest.kind}`),
      },
    }
  }

  const outcome = await checkAgainstSchema({
    origin, data, text, sets, validate: req.validate !== false, cacheDir: req.paths.cache, signal: req.signal,
  })
  if (outcome.status === 'unavailable') {
    throw new SchemaUnavailableError(`cannot validate ${manifest.kind}: ${outcome.message}`, {
      hint: outcome.reason === 'no-api-proto' ? 'Check apiVersion and kind, and that this module version has the kind.' : undefined,
    })
  }

  return {
    valid: outcome.valid,
    source,
    apiVersion: manifest.apiVersion,
    kind: manifest.kind,
    name: manifest.metadata.name,
    schema: {
      origin: outcome.schema, ref, sha, cached: outcome.cached,
    },
    problems: outcome.problems,
    manifest: outcome.target,
  }
}
