/**
 * Pulumi operations: the arguments of each operation, and the stack input file.
 */
import path from 'node:path'
import {parseDocument, stringify} from 'yaml'

import type {ProviderConfig} from '../credentials.js'
import type {Manifest} from '../manifest.js'

import {readInside, writeGenerated} from '../materialise.js'

export type PulumiOp = 'cancel' | 'delete' | 'destroy' | 'init' | 'preview' | 'refresh' | 'update'

export type PulumiFlags = {stack?: string; yes?: boolean; diff?: boolean; force?: boolean}

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
export async function writeStackInput(privateDir: string, target: Manifest | Record<string, unknown>, provider?: ProviderConfig): Promise<string> {
  // The stack input's field names are fixed by the modules (snake_case).
  const input: Record<string, unknown> = {target}
  // eslint-disable-next-line camelcase
  if (provider) input.provider_config = provider.values
  return writeGenerated(privateDir, 'stack-input.yaml', stringify(input), 0o600)
}

/** In a workspace copy only: make `Pulumi.yaml`'s project name match the stack's project. */
export async function alignProjectName(root: string, moduleDir: string, fqdn: string): Promise<void> {
  const parts = fqdn.split('/')
  if (parts.length !== 3) return
  const file = path.join(moduleDir, 'Pulumi.yaml')
  const doc = parseDocument(await readInside(root, file))
  if (doc.get('name') === parts[1]) return
  doc.set('name', parts[1])
  await writeGenerated(moduleDir, 'Pulumi.yaml', doc.toString())
}
