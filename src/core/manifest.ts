/**
 * ProjectPlanton manifests: load (file or stdin), apply `--set` overrides, validate.
 */
import {parse, parseDocument} from 'yaml'

import {InvalidInputError} from './errors.js'
import {readManifestText, type ReadOptions} from './manifest-source.js'

export type Manifest = {
  apiVersion: string
  kind: string
  metadata: {name: string; labels?: Record<string, string>; [key: string]: unknown}
  spec?: unknown
  [key: string]: unknown
}

export type LoadedManifest = {manifest: Manifest; source: string}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Reads a manifest from `file`, or from stdin when `file` is `-`; a signal stops the reading. */
export async function loadManifest(file: string, sets: string[] = [], opts: ReadOptions = {}): Promise<LoadedManifest> {
  const {text, source} = await readManifestText(file, opts)
  return {manifest: parseManifest(text, source, sets), source}
}

export function parseManifest(text: string, source: string, sets: string[] = []): Manifest {
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

  for (const set of sets) applySet(data as Record<string, unknown>, set)
  return validateManifest(data as Record<string, unknown>, source)
}

function validateManifest(data: Record<string, unknown>, source: string): Manifest {
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

/** Applies one `path=value` override; the value is read as a YAML scalar (`2` is a number, `'2'` a string). */
export function applySet(data: Record<string, unknown>, set: string): void {
  const eq = set.indexOf('=')
  if (eq <= 0) throw new InvalidInputError(`invalid --set ${JSON.stringify(set)}: expected path=value, e.g. spec.container.replicas=2`)
  const keys = set.slice(0, eq).split('.')
  if (keys.some(k => k === '' || FORBIDDEN_KEYS.has(k))) {
    throw new InvalidInputError(`invalid --set path ${JSON.stringify(set.slice(0, eq))}: empty or reserved path component`)
  }

  let value: unknown
  try {
    value = parse(set.slice(eq + 1))
  } catch {
    value = set.slice(eq + 1)
  }

  let node: Record<string, unknown> = data
  for (const key of keys.slice(0, -1)) {
    const next = node[key]
    if (next === undefined || next === null) {
      node[key] = {}
    } else if (typeof next !== 'object') {
      throw new InvalidInputError(`invalid --set ${JSON.stringify(set)}: ${key} is ${describe(next)}, not a mapping`)
    }

    node = node[key] as Record<string, unknown>
  }

  node[keys.at(-1)!] = value
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty'
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}
