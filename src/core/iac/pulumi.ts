/**
 * Pulumi operations: the stack FQDN, the arguments of each operation, and the stack input file.
 */
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {parseDocument, stringify} from 'yaml'

import type {ProviderConfig} from '../credentials.js'
import type {Manifest} from '../manifest.js'

import {InvalidInputError} from '../errors.js'
import {label, LABELS} from '../manifest.js'
import {validateStackId} from '../workspace.js'

export type PulumiOp = 'cancel' | 'delete' | 'destroy' | 'init' | 'preview' | 'refresh' | 'update'

export type PulumiFlags = {stack?: string; yes?: boolean; diff?: boolean; force?: boolean}

/**
 * The stack: label `stack.fqdn`, else labels organization/project/stack.name joined by `/`, else
 * `--stack`. Returns where it came from so the caller can say when `--stack` was not used.
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

export function pulumiArgs(op: PulumiOp, fqdn: string, flags: PulumiFlags): string[] {
  switch (op) {
  case 'cancel': {
    return ['cancel', '--stack', fqdn, '--yes']
  }

  case 'delete': {
    return ['stack', 'rm', '--stack', fqdn, '--yes', ...(flags.force ? ['--force'] : [])]
  }

  case 'init': {
    return ['stack', 'init', fqdn]
  }

  default: {
    const verb = op === 'update' ? 'up' : op
    const args = [verb, '--stack', fqdn]
    if (flags.yes && op !== 'preview') args.push('--yes', '--skip-preview')
    if (flags.diff) args.push('--diff')
    return args
  }
  }
}

/** `pulumi stack init` of a stack that exists is not a failure for us. */
export function isAlreadyExists(stderr: string): boolean {
  return /already exists/i.test(stderr)
}

/** Writes the stack input (`{target, provider_config}`) readable by the owner only; returns its path. */
export async function writeStackInput(privateDir: string, manifest: Manifest, provider?: ProviderConfig): Promise<string> {
  const file = path.join(privateDir, 'stack-input.yaml')
  // The stack input's field names are fixed by the modules (snake_case).
  const input: Record<string, unknown> = {target: manifest}
  // eslint-disable-next-line camelcase
  if (provider) input.provider_config = provider.values
  await writeFile(file, stringify(input), {mode: 0o600})
  return file
}

/** In a workspace copy only: make `Pulumi.yaml`'s project name match the stack's project. */
export async function alignProjectName(moduleDir: string, fqdn: string): Promise<void> {
  const parts = fqdn.split('/')
  if (parts.length !== 3) return
  const file = path.join(moduleDir, 'Pulumi.yaml')
  const doc = parseDocument(await readFile(file, 'utf8'))
  if (doc.get('name') === parts[1]) return
  doc.set('name', parts[1])
  await writeFile(file, doc.toString())
}
