/**
 * The descriptors of a kind: `<Kind>` in `apis/org/project_planton/provider/<provider>/<kind>/v1/api.proto`
 * and every file it imports, in dependency order. Each file's descriptor is read from the generated
 * Go code committed next to it (see golit.ts); a file without generated code is compiled from its
 * `.proto` text (see proto-text.ts). Imports the monorepo does not define, `buf/validate/validate.proto`
 * and the Google well-known types, come from the libraries that define them.
 */
import {
  create, createFileRegistry, type DescFile, type FileRegistry, fromBinary,
} from '@bufbuild/protobuf'
import * as wkt from '@bufbuild/protobuf/wkt'
import {type FileDescriptorProto, FileDescriptorProtoSchema, FileDescriptorSetSchema} from '@bufbuild/protobuf/wkt'
import {file_buf_validate_validate as fileBufValidate} from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js'

import type {SchemaSource} from './source.js'

import {errorMessage, InterruptedError} from '../errors.js'
import {PROVIDER_ROOT} from '../modules.js'
import {extractRawDescriptor} from './golit.js'
import {SchemaBuildError} from './unavailable.js'

/** Proto import names are relative to this folder of the monorepo. */
export const PROTO_ROOT = 'apis'

/** Import names a tree may use: relative, `.proto`, nothing that climbs out. */
const IMPORT_NAME = /^(?:[\w.-]+\/)*[\w.-]+\.proto$/

let libraries: Map<string, DescFile> | undefined

/** The files the libraries define, by import name. */
export function libraryFiles(): Map<string, DescFile> {
  if (!libraries) {
    libraries = new Map()
    for (const value of Object.values(wkt)) {
      if (isDescFile(value)) libraries.set(value.proto.name, value)
    }

    libraries.set(fileBufValidate.proto.name, fileBufValidate)
  }

  return libraries
}

function isDescFile(value: unknown): value is DescFile {
  return typeof value === 'object' && value !== null && (value as DescFile).kind === 'file' && 'proto' in value
}

/** `kubernetes.project-planton.org/v1` + `KubernetesRedis` → the import name of the kind's api.proto. */
export function kindApiProto(apiVersion: string, kind: string): string | undefined {
  const provider = /^([a-z\d-]+)\.project-planton\.org\/v\d+$/.exec(apiVersion)?.[1]
  if (!provider || !/^[A-Za-z][A-Za-z\d]*$/.test(kind)) return undefined
  return `${PROVIDER_ROOT.slice(PROTO_ROOT.length + 1)}/${provider}/${kind.toLowerCase()}/v1/api.proto`
}

/** A compiler of `.proto` text, for trees without generated code. */
export type TextCompiler = {
  /** the imports of `text` (parsing only) */
  imports(name: string, text: string): string[]
  /** the descriptor of `text`; `registry` holds every file it imports */
  compile(name: string, text: string, registry: FileRegistry): FileDescriptorProto
}

type Found = {name: string; deps: string[]; proto?: FileDescriptorProto; text?: string}

/**
 * The kind's file and its imports from `source`, dependencies first. Library files are not
 * included (see buildRegistry). Throws SchemaBuildError.
 */
export async function readClosure(source: SchemaSource, apiProto: string, text?: () => Promise<TextCompiler>, signal?: AbortSignal): Promise<FileDescriptorProto[]> {
  const found = new Map<string, Found>()
  const pending: Array<{name: string; importedBy?: string}> = [{name: apiProto}]
  const stopIfAborted = () => {
    if (signal?.aborted) throw new InterruptedError(typeof signal.reason === 'string' ? signal.reason as NodeJS.Signals : 'SIGINT')
  }

  while (pending.length > 0) {
    stopIfAborted()
    const wanted = pending.splice(0).filter(p => !found.has(p.name) && !libraryFiles().has(p.name))
    const batch = [...new Map(wanted.map(p => [p.name, p])).values()]
    // What readOne reads: the generated code if there is some, else the .proto text.
    await source.prefetch?.(batch.filter(p => IMPORT_NAME.test(p.name)).map(p => {
      const where = `${PROTO_ROOT}/${p.name}`
      return [where.replace(/\.proto$/, '.pb.go'), where]
    }))
    // One request per file, all at once: the git reader answers them in order from one process.
    const files = await Promise.all(batch.map(async p => ({...p, file: await readOne(source, p.name, p.importedBy, text)})))
    for (const {name, file} of files) {
      found.set(name, file)
      for (const dep of file.deps) pending.push({name: dep, importedBy: name})
    }
  }

  const ordered = dependencyOrder(apiProto, found)
  const compiler = ordered.some(f => !f.proto) && text ? await text() : undefined
  const out: FileDescriptorProto[] = []
  const byName = new Map<string, FileDescriptorProto>()
  for (const f of ordered) {
    // A signal must stop a long compile: it is handled between files.
    stopIfAborted()
    if (f.proto) {
      out.push(f.proto)
      byName.set(f.name, f.proto)
      continue
    }

    await new Promise(setImmediate)
    try {
      // Only what this file imports (transitively): a registry of every file so far would make
      // the compile of a kind with thousands of imports quadratic.
      const compiled = compiler!.compile(f.name, f.text!, buildRegistry(dependencyClosure(f.deps, name => byName.get(name)), f.deps))
      out.push(compiled)
      byName.set(f.name, compiled)
    } catch (error) {
      throw new SchemaBuildError('bad-descriptor', `${PROTO_ROOT}/${f.name} in ${source.describe} does not compile: ${errorMessage(error)}`, {cause: error})
    }
  }

  return out
}

async function readOne(source: SchemaSource, name: string, importedBy: string | undefined, text?: () => Promise<TextCompiler>): Promise<Found> {
  const where = `${PROTO_ROOT}/${name}`
  if (!IMPORT_NAME.test(name) || name.split('/').some(part => part === '..' || part === '.')) {
    throw new SchemaBuildError('bad-descriptor', `${importedBy ? `${PROTO_ROOT}/${importedBy}` : 'the kind'} imports ${JSON.stringify(name)}, which is not a plain file name`)
  }

  const generated = await source.read(where.replace(/\.proto$/, '.pb.go'))
  if (generated) {
    let proto: FileDescriptorProto
    try {
      const raw = extractRawDescriptor(generated)
      if (!raw) throw new Error('no embedded descriptor')
      proto = fromBinary(FileDescriptorProtoSchema, raw)
    } catch (error) {
      throw new SchemaBuildError('bad-descriptor', `the generated code of ${where} in ${source.describe} holds no readable descriptor: ${errorMessage(error)}`, {cause: error})
    }

    if (proto.name !== name) {
      throw new SchemaBuildError('bad-descriptor', `the generated code next to ${where} in ${source.describe} describes ${JSON.stringify(proto.name)}`)
    }

    return {name, deps: proto.dependency, proto}
  }

  const source_ = await source.read(where)
  if (!source_) {
    if (!importedBy) throw new SchemaBuildError('no-api-proto', `no ${where} in ${source.describe}`)
    throw new SchemaBuildError('missing-import', `${PROTO_ROOT}/${importedBy} imports ${name}, which ${source.describe} does not have`)
  }

  if (!text) throw new SchemaBuildError('bad-descriptor', `${where} in ${source.describe} has no generated code next to it`)
  const body = source_.toString('utf8')
  try {
    return {name, deps: (await text()).imports(name, body), text: body}
  } catch (error) {
    throw new SchemaBuildError('bad-descriptor', `${where} in ${source.describe} does not parse: ${errorMessage(error)}`, {cause: error})
  }
}

/** Post-order walk from the kind's file: every file after the files it imports. */
function dependencyOrder(root: string, found: Map<string, Found>): Found[] {
  const out: Found[] = []
  const state = new Map<string, 'done' | 'open'>()
  const visit = (name: string, chain: string[]): void => {
    if (libraryFiles().has(name) || state.get(name) === 'done') return
    if (state.get(name) === 'open') throw new SchemaBuildError('bad-descriptor', `import cycle: ${[...chain, name].join(' → ')}`)
    state.set(name, 'open')
    const file = found.get(name)!
    for (const dep of file.deps) visit(dep, [...chain, name])
    state.set(name, 'done')
    out.push(file)
  }

  visit(root, [])
  return out
}

/**
 * The files `roots` name and everything they import, dependencies first, each once: those `lookup`
 * knows (what it does not know is left out, with its imports).
 */
export function dependencyClosure(roots: Iterable<string>, lookup: (name: string) => FileDescriptorProto | undefined): FileDescriptorProto[] {
  const out: FileDescriptorProto[] = []
  const seen = new Set<string>()
  const visit = (name: string): void => {
    if (seen.has(name)) return
    const file = lookup(name)
    if (!file) return
    seen.add(name)
    for (const dep of file.dependency) visit(dep)
    out.push(file)
  }

  for (const name of roots) visit(name)
  return out
}

/**
 * A registry of `files` (dependencies first) plus the library files they, or `imports`, need. Throws
 * SchemaBuildError when the descriptors do not fit together (an unknown type, a duplicate name).
 */
export function buildRegistry(files: FileDescriptorProto[], imports: string[] = []): FileRegistry {
  const libs = libraryFiles()
  const needed = dependencyClosure([...files.flatMap(f => f.dependency), ...imports], name => libs.get(name)?.proto)
  try {
    return createFileRegistry(create(FileDescriptorSetSchema, {file: [...needed, ...files]}))
  } catch (error) {
    throw new SchemaBuildError('bad-descriptor', `the descriptors do not fit together: ${errorMessage(error)}`, {cause: error})
  }
}
