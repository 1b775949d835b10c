/**
 * The part of the manifest check that needs the protobuf and CEL libraries (loaded only when no
 * outcome is cached; see manifest-check.ts): build the kind's schema from the module source, check
 * the manifest, and produce what each tool gets.
 */
import type {CheckOutcome, CheckRequest} from '../check-outcome.js'

import {checkManifest} from './check.js'
import {tofuVariables} from './output.js'
import {loadKindSchema} from './schema.js'
import {checkoutSource, commitSource} from './source.js'

export async function computeCheck(req: CheckRequest): Promise<CheckOutcome> {
  const source = 'commit' in req.origin ? commitSource(req.origin.commit.repo, req.origin.commit.sha, req.origin.commit.prefetch) : await checkoutSource(req.origin.folder)
  if ('ok' in source) return {status: 'unavailable', reason: source.reason, message: source.message}
  try {
    const {apiVersion, kind} = req.data as {apiVersion: string; kind: string}
    const result = await loadKindSchema({
      source, apiVersion, kind, cacheDir: req.cacheDir, kindDir: req.kindDir, signal: req.signal,
    })
    if (!result.ok) return {status: 'unavailable', reason: result.reason, message: result.message}
    const {schema} = result
    const checked = await checkManifest(schema, req.data, {sets: req.sets, validate: req.validate})
    return {
      status: 'checked',
      valid: checked.valid,
      problems: checked.problems.map(p => ({path: p.path, message: p.message})),
      target: checked.manifest,
      variables: checked.message ? tofuVariables(schema, checked.message) : undefined,
      schema: schema.origin,
      cached: false,
    }
  } finally {
    await source.close()
  }
}
