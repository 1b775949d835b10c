/**
 * A manifest read as the Go CLI reads it, in its order: parsed strictly into the kind's message,
 * `--set` overrides applied to typed fields, the protos' defaults applied, then the `buf.validate`
 * rules checked. Every problem of every step is collected, so a user sees them all at once.
 */
import {create, type JsonObject} from '@bufbuild/protobuf'

import type {SetOverride} from '../overrides.js'
import type {KindSchema} from './schema.js'

import {applyDefaults} from './defaults.js'
import {pulumiTarget} from './output.js'
import {parseManifestData} from './parse.js'
import {type Problem} from './problems.js'
import {applySets} from './set.js'
import {validateMessage} from './validate.js'

export type CheckOptions = {
  sets?: SetOverride[]
  /** false: skip the buf.validate rules (not the parsing, not the defaults) */
  validate?: boolean
}

export type CheckedManifest = {
  valid: boolean
  problems: Problem[]
  /** the message after --set and defaults; absent when the manifest does not parse */
  message?: import('@bufbuild/protobuf').Message
  /** the same as protojson (what a Pulumi stack input's `target` holds) */
  manifest?: JsonObject
}

export async function checkManifest(schema: KindSchema, data: unknown, opts: CheckOptions = {}): Promise<CheckedManifest> {
  const parsed = parseManifestData(schema, data)
  const sets = opts.sets ?? []
  if (!parsed.message) {
    // The --set paths are still checked (against an empty message), so that all is said at once.
    const setProblems = applySets(schema, create(schema.message), sets)
    return {valid: false, problems: [...parsed.problems, ...setProblems]}
  }

  const {message} = parsed
  const problems = [...applySets(schema, message, sets)]
  problems.push(...applyDefaults(schema, message))
  if (opts.validate !== false) problems.push(...await validateMessage(schema, message))
  return {
    valid: problems.length === 0, problems, message, manifest: pulumiTarget(schema, message),
  }
}
