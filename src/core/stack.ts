/**
 * Stack ids: the Pulumi stack of a manifest (`org/project/stack`) and the tofu state id
 * (`<kind>/<name>`). They are made here, and checked here before they become part of any path
 * (workspace names, local state folders).
 */
import path from 'node:path'

import type {Manifest} from './manifest.js'

import {InvalidInputError} from './errors.js'
import {label, LABELS} from './labels.js'

const SEGMENT = /^[A-Za-z\d][\w.-]{0,99}$/

/**
 * Validates a stack id (`org/project/stack` or a plain name) before it becomes part of any path.
 * Each segment is letters, digits, `.`, `_`, `-`, and does not start with `.`; no `..`, no absolute path.
 */
export function validateStackId(id: string, what = 'stack'): string {
  const segments = id.split('/')
  if (!id || segments.length > 3 || segments.some(s => !SEGMENT.test(s) || s.includes('..'))) {
    throw new InvalidInputError(`invalid ${what} ${JSON.stringify(id)}`, {
      hint: 'Use up to three segments separated by "/", each of letters, digits, ".", "_" or "-", not starting with "." (e.g. acme/platform/dev.KubernetesRedis.redis).',
    })
  }

  return id
}

export function stackSlug(id: string): string {
  return validateStackId(id).split('/').join('__')
}

/**
 * The Pulumi stack: label `stack.fqdn`, else labels organization/project/stack.name joined by `/`,
 * else `--stack`. Returns where it came from so the caller can say when `--stack` was not used.
 */
export function stackFqdn(manifest: Manifest, flag?: string): {fqdn: string; from: 'flag' | 'labels'} {
  const fqdn = label(manifest, LABELS.stackFqdn)
  if (fqdn) return {fqdn: validateStackId(fqdn, `stack label ${LABELS.stackFqdn}`), from: 'labels'}
  const parts = [LABELS.organization, LABELS.project, LABELS.stackName].map(l => label(manifest, l))
  if (parts.every(Boolean)) return {fqdn: validateStackId(parts.join('/'), 'stack from the pulumi.project-planton.org labels'), from: 'labels'}
  if (flag) return {fqdn: validateStackId(flag, '--stack'), from: 'flag'}
  throw new InvalidInputError('no Pulumi stack: the manifest has no stack labels and --stack was not given', {
    hint: `Pass --stack <org>/<project>/<stack>, or add the label ${LABELS.stackFqdn} (or ${LABELS.organization}, ${LABELS.project} and ${LABELS.stackName}).`,
  })
}

/** The tofu state id of a manifest: `<lowercase kind>/<metadata.name>`, validated. */
export function tofuStackId(manifest: Manifest): string {
  return validateStackId(`${manifest.kind.toLowerCase()}/${manifest.metadata.name}`, 'manifest kind/name')
}

/** The folder of a tofu stack's local state under `stateRoot`. */
export function stackStateDir(stateRoot: string, id: string): string {
  return path.join(stateRoot, stackSlug(id))
}
