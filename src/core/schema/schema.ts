/**
 * The schema of a kind, built from the protos of the source a run uses (a commit of staging, or a
 * local checkout), through the per-commit cache when the source is a commit.
 */
import {
  create, type DescMessage, type FileRegistry, fromBinary, toBinary,
} from '@bufbuild/protobuf'
import {FileDescriptorSetSchema} from '@bufbuild/protobuf/wkt'

import type {SchemaSource} from './source.js'

import {errorMessage} from '../errors.js'
import {debug} from '../log.js'
import {
  DamagedEntryError, discardSchemaEntry, readSchemaEntry, schemaKey, writeSchemaEntry,
} from './cache.js'
import {
  buildRegistry, kindApiProto, PROTO_ROOT, readClosure, type TextCompiler,
} from './descriptors.js'
import {SchemaBuildError, type SchemaUnavailable} from './unavailable.js'

export type KindSchema = {
  registry: FileRegistry
  /** the kind's message, e.g. org.project_planton.provider.kubernetes.kubernetesredis.v1.KubernetesRedis */
  message: DescMessage
  /** what it was built from, for messages ("commit 1a2b3c4d5e6f", a folder) */
  origin: string
  /** files of the monorepo in the kind's import closure */
  files: number
  /** read from the cache of this commit instead of built */
  fromCache: boolean
}

export type SchemaResult = SchemaUnavailable | {ok: true; schema: KindSchema}

export type SchemaRequest = {
  source: SchemaSource
  apiVersion: string
  kind: string
  /** the CLI home's cache folder; without it nothing is cached */
  cacheDir?: string
  /** the repository-relative folder of the kind (`…/<kind>/v1`) when the caller already found it */
  kindDir?: string
  /** compile `.proto` text where a file has no generated code (default true) */
  compileText?: boolean
  /** the run's: a signal stops reading and compiling */
  signal?: AbortSignal
}

/** Builds (or reads from the cache) the schema of a kind. Never throws for what the tree holds. */
export async function loadKindSchema(req: SchemaRequest): Promise<SchemaResult> {
  const apiProto = req.kindDir ? `${req.kindDir.replace(/^apis\//, '').replace(/\/$/, '')}/api.proto` : kindApiProto(req.apiVersion, req.kind)
  if (!apiProto) {
    return {ok: false, reason: 'no-api-proto', message: `no schema for apiVersion ${JSON.stringify(req.apiVersion)} and kind ${JSON.stringify(req.kind)}: not a ProjectPlanton apiVersion and kind`}
  }

  const key = req.cacheDir && req.source.commit ? schemaKey(req.source.commit, req.apiVersion, req.kind, apiProto) : undefined
  if (key) {
    const cached = await readCached(req.cacheDir!, key, req.source.describe)
    if (cached) return {ok: true, schema: cached}
  }

  try {
    const text = req.compileText === false ? undefined : textCompiler
    const files = await readClosure(req.source, apiProto, text, req.signal)
    const registry = buildRegistry(files)
    const kindFile = files.at(-1)!
    const typeName = kindFile.package ? `${kindFile.package}.${req.kind}` : req.kind
    const message = registry.getMessage(typeName)
    if (!message) throw new SchemaBuildError('no-message', `${PROTO_ROOT}/${apiProto} in ${req.source.describe} has no message ${req.kind}`)
    if (key) {
      const payload = toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, {file: files}))
      try {
        await writeSchemaEntry(req.cacheDir!, key, {
          sha: req.source.commit!, apiVersion: req.apiVersion, kind: req.kind, typeName, files: files.length,
        }, payload)
      } catch (error) {
        // Only a cache: a full disk must not fail a run that has its schema.
        debug('writing the schema cache failed: %s', errorMessage(error))
      }
    }

    return {
      ok: true,
      schema: {
        registry, message, origin: req.source.describe, files: files.length, fromCache: false,
      },
    }
  } catch (error) {
    if (error instanceof SchemaBuildError) return error.toResult()
    throw error
  }
}

async function readCached(cacheDir: string, key: string, origin: string): Promise<KindSchema | undefined> {
  try {
    const entry = await readSchemaEntry(cacheDir, key)
    if (!entry) return undefined
    const {file} = fromBinary(FileDescriptorSetSchema, entry.payload)
    const registry = buildRegistry(file)
    const message = registry.getMessage(entry.info.typeName)
    if (!message) throw new DamagedEntryError(`schema cache entry ${key} has no message ${entry.info.typeName}`)
    return {
      registry, message, origin, files: file.length, fromCache: true,
    }
  } catch (error) {
    if (!(error instanceof DamagedEntryError || error instanceof SchemaBuildError || isDecodeError(error))) throw error
    debug('schema cache entry %s is damaged (%s): building it again', key, errorMessage(error))
    await discardSchemaEntry(cacheDir, key)
    return undefined
  }
}

/** protobuf-es reports undecodable bytes with a plain Error from its binary reader. */
function isDecodeError(error: unknown): boolean {
  return error instanceof Error && /premature EOF|invalid wire type|cannot parse|illegal tag|invalid UTF-8|out of range/i.test(error.message)
}

async function textCompiler(): Promise<TextCompiler> {
  const {protoTextCompiler} = await import('./proto-text.js')
  return protoTextCompiler
}
