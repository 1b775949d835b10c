/**
 * ProjectPlanton manifests: load (file or stdin), apply `--set` overrides, validate.
 */
import {parseDocument} from 'yaml'

import {InvalidInputError} from './errors.js'
import {readManifestText, type ReadOptions} from './manifest-source.js'
import {applyUntyped, type SetOverride} from './overrides.js'

export type Manifest = {
  apiVersion: string
  kind: string
  metadata: {name: string; labels?: Record<string, string>; [key: string]: unknown}
  spec?: unknown
  [key: string]: unknown
}

export type LoadedManifest = {
  /** the manifest with `--set` applied as plain YAML values (what routing and labels read) */
  manifest: Manifest
  /** the manifest as written, for the schema check (which applies `--set` to typed fields) */
  data: Record<string, unknown>
  /** the text it was read from: what a checked outcome is kept under (JSON would take .inf for null) */
  text: string
  source: string
}

/**
 * Reads a manifest from `file`, or from stdin when `file` is `-` (a signal stops the reading), and
 * checks what every run needs before its schema is known: apiVersion, kind, metadata.name, labels.
 */
export async function loadManifest(file: string, sets: SetOverride[] = [], opts: ReadOptions = {}): Promise<LoadedManifest> {
  const {text, source} = await readManifestText(file, opts)
  const data = parseManifest(text, source)
  const overridden = structuredClone(data)
  await applyUntyped(overridden, sets)
  return {
    manifest: validateManifest(overridden, source), data, text, source,
  }
}

/**
 * `-i/--stack-input <file>`: a full stack input as the Go CLI accepts it, `{target: <manifest>,
 * provider_config: {…}}`. The target goes through the same checks as a manifest; the provider
 * config stands for a credentials file of the manifest's provider.
 */
export async function loadStackInput(file: string, sets: SetOverride[] = [], opts: ReadOptions = {}): Promise<LoadedManifest & {providerConfig?: Record<string, unknown>}> {
  const {text, source} = await readManifestText(file, opts)
  const input = parseManifest(text, source)
  const target = input.target as Record<string, unknown> | undefined
  if (!target || typeof target !== 'object' || Array.isArray(target)) {
    throw new InvalidInputError(`${source}: a stack input needs a target (the manifest) as a mapping`, {hint: 'Its shape: {target: {apiVersion, kind, metadata, spec}, provider_config: {…}}.'})
  }

  const providerConfig = input.provider_config ?? input.providerConfig
  if (providerConfig !== undefined && providerConfig !== null && (typeof providerConfig !== 'object' || Array.isArray(providerConfig))) {
    throw new InvalidInputError(`${source}: provider_config must be a mapping`)
  }

  const overridden = structuredClone(target)
  await applyUntyped(overridden, sets)
  return {
    manifest: validateManifest(overridden, `${source} (target)`), data: target, text, source, providerConfig: (providerConfig ?? undefined) as Record<string, unknown> | undefined,
  }
}

/** The YAML mapping of a manifest (no check of its fields: see loadManifest). */
export function parseManifest(text: string, source: string): Record<string, unknown> {
  const doc = parseDocument(text, {prettyErrors: true, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const error = doc.errors[0]
    const pos = error.linePos?.[0]
    const where = pos ? `${source}:${pos.line}:${pos.col}` : source
    throw new InvalidInputError(`${where}: invalid YAML: ${error.message.split('\n')[0]}`)
  }

  let data: unknown
  try {
    data = doc.toJS({maxAliasCount: 100})
  } catch (error) {
    // yaml throws a ReferenceError for an alias bomb ("billion laughs").
    if (!(error instanceof ReferenceError)) throw error
    throw new InvalidInputError(`${source}: invalid YAML: ${error.message} (aliases are limited to keep a manifest from expanding without bound)`)
  }

  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new InvalidInputError(`${source}: a manifest must be a YAML mapping with apiVersion, kind, metadata and spec, not ${describe(data)}`)
  }

  return data as Record<string, unknown>
}

export function validateManifest(data: Record<string, unknown>, source: string): Manifest {
  const missing = (field: string): never => {
    throw new InvalidInputError(`${source}: ${field} is missing or not a non-empty string`, {
      hint: 'A manifest needs apiVersion (e.g. kubernetes.project-planton.org/v1), kind (e.g. KubernetesRedis) and metadata.name.',
    })
  }

  if (typeof data.apiVersion !== 'string' || !data.apiVersion.trim()) missing('apiVersion')
  if (typeof data.kind !== 'string' || !data.kind.trim()) missing('kind')
  if (!/^[A-Za-z][A-Za-z\d]*$/.test(data.kind as string)) {
    throw new InvalidInputError(`${source}: invalid kind ${JSON.stringify(data.kind)}: a kind is a CamelCase name such as KubernetesRedis`)
  }

  const metadata = data.metadata as Record<string, unknown> | undefined
  if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) missing('metadata')
  if (typeof metadata!.name !== 'string' || !(metadata!.name as string).trim()) missing('metadata.name')
  const {labels} = (metadata!)
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== 'object' || Array.isArray(labels)) throw new InvalidInputError(`${source}: metadata.labels must be a mapping`)
    for (const [key, value] of Object.entries(labels)) {
      if (typeof value !== 'string') throw new InvalidInputError(`${source}: label ${key} must be a string, not ${describe(value)}`)
    }
  }

  return data as Manifest
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty'
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}
