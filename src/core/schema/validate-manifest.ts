/**
 * `validate -f <manifest>`: read a manifest as a run would (strict parsing, typed --set, the protos'
 * defaults, the buf.validate rules) against the protos of the commit the run would use, and report,
 * without preparing a workspace or starting a tool. Staging is used as a run uses it: no network
 * when the commit is already there.
 */
import type {JsonObject} from '@bufbuild/protobuf'

import type {StagingOptions} from '../staging.js'
import type {SchemaSource} from './source.js'

import {InvalidInputError, PlantonError} from '../errors.js'
import {loadManifest} from '../manifest.js'
import {Staging} from '../staging.js'
import {checkManifest} from './check.js'
import {type Problem} from './problems.js'
import {loadKindSchema} from './schema.js'
import {parseSetFlags, SetSyntaxError} from './set.js'
import {checkoutSource, commitSource} from './source.js'

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
  /** what the schema was built from */
  schema: {origin: string; ref?: string; sha?: string; fromCache: boolean}
  problems: Problem[]
  /** the manifest after --set and defaults, in protobuf JSON form; absent when it does not parse */
  manifest?: JsonObject
}

/** The schema could not be built, so the manifest cannot be validated. */
export class SchemaUnavailableError extends PlantonError {}

export async function validateManifestFile(req: ValidateRequest): Promise<ValidateOutcome> {
  const {manifest: data, source} = await loadManifest(req.file, [], req.stdin)
  let sets
  try {
    sets = parseSetFlags(req.sets ?? [])
  } catch (error) {
    if (error instanceof SetSyntaxError) throw new InvalidInputError(error.message, {hint: 'Use --set path=value; see `validate --help` for map keys holding dots.'})
    throw error
  }

  let schemaSource: SchemaSource
  let ref: string | undefined
  if (req.moduleDir) {
    const found = await checkoutSource(req.moduleDir)
    if ('ok' in found) throw new SchemaUnavailableError(`cannot validate: ${found.message}`)
    schemaSource = found
  } else {
    const staging = new Staging({...req, onProgress: req.report})
    const resolved = await staging.resolveForRun(req.moduleVersion)
    ref = resolved.ref
    schemaSource = commitSource(staging.repository, resolved.sha)
  }

  try {
    const result = await loadKindSchema({
      source: schemaSource, apiVersion: data.apiVersion, kind: data.kind, cacheDir: req.paths.cache,
    })
    if (!result.ok) {
      throw new SchemaUnavailableError(`cannot validate ${data.kind}: ${result.message}`, {
        hint: result.reason === 'no-api-proto' ? 'Check apiVersion and kind, and that this module version has the kind.' : undefined,
      })
    }

    const checked = await checkManifest(result.schema, data, {sets, validate: req.validate})
    return {
      valid: checked.valid,
      source,
      apiVersion: data.apiVersion,
      kind: data.kind,
      name: data.metadata.name,
      schema: {
        origin: result.schema.origin, ref, sha: schemaSource.commit, fromCache: result.schema.fromCache,
      },
      problems: checked.problems,
      manifest: checked.manifest,
    }
  } finally {
    await schemaSource.close()
  }
}
