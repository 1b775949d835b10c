/**
 * Stack ids: the Pulumi stack of a manifest (`org/project/stack`) and the tofu state id
 * (`<kind>/<name>`). They are made here, and checked here before they become part of any path
 * (workspace names, local state folders).
 */
import {rename} from 'node:fs/promises'
import path from 'node:path'

import type {Manifest} from './manifest.js'

import {InvalidInputError} from './errors.js'
import {exists} from './fsutil.js'
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

/**
 * The folder name of a stack id, one to one: `/` becomes `+` and an upper-case letter `~` and the
 * letter (neither `+` nor `~` can appear in a segment), so that two stacks never share a folder,
 * not even on a case-insensitive file system (`a/b` vs `a__b`, `Redis` vs `redis`).
 */
export function stackSlug(id: string): string {
  return validateStackId(id).split('/').map(s => s.replaceAll(/[A-Z]/g, c => `~${c.toLowerCase()}`)).join('+')
}

/** The folder name versions before 0.6 used; several stacks could share it (`a/b` and `a__b`). */
function legacySlug(id: string): string {
  return id.split('/').join('__')
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

/**
 * The folder of a tofu stack's local state under `stateRoot`. State that an earlier version kept
 * under the old, colliding name is moved here when that name can only have been this stack's;
 * when another stack could have written it, the run is refused until the user says whose it is.
 */
export async function stackStateDir(stateRoot: string, id: string): Promise<string> {
  const dir = path.join(stateRoot, stackSlug(id))
  const legacy = path.join(stateRoot, legacySlug(validateStackId(id)))
  if (legacy === dir || (await exists(dir)) || !(await exists(legacy))) return dir
  // The old name joined segments with "__": a name part holding "__" (or several segments) could
  // be another stack's.
  const [, ...rest] = id.split('/')
  if (rest.length > 1 || rest.some(r => r.includes('__'))) {
    const others = rest.length > 1 ? `${id.split('/')[0]}/${rest.join('__')}` : `${id.split('/')[0]}/${rest.join('/').replace('__', '/')}`
    throw new InvalidInputError(`local state ${legacy} may belong to stack ${id} or to ${others}: earlier versions kept both in one folder`, {
      hint: `If it is the state of ${id}, move it: mv '${legacy}' '${dir}'`,
    })
  }

  await rename(legacy, dir).catch(ignoreGone)
  return dir
}

function ignoreGone(error: NodeJS.ErrnoException): void {
  // Another run moved it first.
  if (error.code !== 'ENOENT') throw error
}
