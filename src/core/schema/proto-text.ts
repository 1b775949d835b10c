/**
 * Compiles `.proto` text into a FileDescriptorProto, for trees without generated Go code. protobufjs
 * parses the text (it keeps custom options, repeated ones merged into lists, in `parsedOptions`);
 * this module turns its reflection objects into descriptor messages and encodes custom options
 * (`(buf.validate.field)`, `(org.project_planton.shared.options.default)`, …) as extensions
 * through @bufbuild/protobuf, resolving each against the files the text imports. What is not
 * needed for a manifest's schema is left out: services, comments (source info), proto2 groups.
 */
import {
  create, createFileRegistry, type DescEnum, type DescExtension, type DescMessage, type FileRegistry, fromJson, getExtension,
  hasExtension, type JsonValue, mergeFromJson, type Message, type MessageShape, ScalarType, setExtension,
} from '@bufbuild/protobuf'
import {
  type DescriptorProto, DescriptorProtoSchema, type EnumDescriptorProto, EnumDescriptorProtoSchema, EnumOptionsSchema,
  EnumValueOptionsSchema, type FieldDescriptorProto, FieldDescriptorProtoSchema, FieldOptionsSchema,
  type FileDescriptorProto, FileDescriptorProtoSchema, FileOptionsSchema, FieldDescriptorProto_Label as Label, MessageOptionsSchema,
  OneofOptionsSchema, FieldDescriptorProto_Type as Type,
} from '@bufbuild/protobuf/wkt'
import protobuf from 'protobufjs'

import type {TextCompiler} from './descriptors.js'

type PbObject = protobuf.ReflectionObject & {parsedOptions?: Array<Record<string, unknown>> | null}

const SCALARS: Record<string, Type> = {
  bool: Type.BOOL,
  bytes: Type.BYTES,
  double: Type.DOUBLE,
  fixed32: Type.FIXED32,
  fixed64: Type.FIXED64,
  float: Type.FLOAT,
  int32: Type.INT32,
  int64: Type.INT64,
  sfixed32: Type.SFIXED32,
  sfixed64: Type.SFIXED64,
  sint32: Type.SINT32,
  sint64: Type.SINT64,
  string: Type.STRING,
  uint32: Type.UINT32,
  uint64: Type.UINT64,
}

export const protoTextCompiler: TextCompiler = {
  imports(name, text) {
    const parsed = parse(text)
    return [...parsed.imports ?? [], ...parsed.weakImports ?? []]
  },
  compile(name, text, registry) {
    return new FileCompiler(name, text, registry).compile()
  },
}

function parse(text: string): protobuf.IParserResult {
  // keepCase: field names exactly as written (descriptors hold them as written).
  return protobuf.parse(text, {keepCase: true, alternateCommentMode: true})
}

class FileCompiler {
  private readonly parsed: protobuf.IParserResult
  private readonly syntax: 'proto2' | 'proto3'
  /** full names (no leading dot) of the types this file declares, with what they are */
  private readonly local = new Map<string, 'enum' | 'message'>()
  /** custom options, set once the file itself is known (an option may be declared in the same file) */
  private readonly deferred: Array<(registry: FileRegistry) => void> = []

  constructor(private readonly name: string, text: string, private readonly registry: FileRegistry) {
    this.parsed = parse(text)
    const syntax = /^\s*syntax\s*=\s*["'](proto[23])["']/m.exec(text)?.[1]
    if (/^\s*edition\s*=/m.test(text)) throw new Error('editions are not supported')
    this.syntax = syntax === 'proto3' ? 'proto3' : 'proto2'
  }

  compile(): FileDescriptorProto {
    const pkg = this.parsed.package ?? ''
    const scope = pkg ? this.parsed.root.lookup(pkg) as protobuf.Namespace : this.parsed.root
    if (!scope) throw new Error(`package ${pkg} declares nothing`)
    this.collect(scope, pkg)
    const file = create(FileDescriptorProtoSchema, {
      name: this.name,
      package: pkg,
      dependency: this.parsed.imports ?? [],
      syntax: this.syntax === 'proto3' ? 'proto3' : '',
    })
    for (const child of scope.nestedArray) {
      if (child instanceof protobuf.Type) file.messageType.push(this.message(child, pkg))
      else if (child instanceof protobuf.Enum) file.enumType.push(this.enum(child, pkg))
      else if (child instanceof protobuf.Field && child.extend) file.extension.push(this.field(child, pkg, pkg))
    }

    const options = this.options(FileOptionsSchema, scope as PbObject, pkg)
    if (options) file.options = options
    if (this.deferred.length > 0) {
      const withSelf = createFileRegistry(file, name => this.registry.getFile(name))
      for (const apply of this.deferred) apply(withSelf)
    }

    return file
  }

  private collect(ns: protobuf.NamespaceBase, prefix: string): void {
    for (const child of ns.nestedArray) {
      const full = prefix ? `${prefix}.${child.name}` : child.name
      if (child instanceof protobuf.Type) this.local.set(full, 'message')
      else if (child instanceof protobuf.Enum) this.local.set(full, 'enum')
      if (child instanceof protobuf.Namespace) this.collect(child, full)
    }
  }

  private message(type: protobuf.Type, scope: string): DescriptorProto {
    const full = `${scope ? `${scope}.` : ''}${type.name}`
    const msg = create(DescriptorProtoSchema, {name: type.name})
    const realOneofs = type.oneofsArray.filter(o => !isSynthetic(o))
    msg.oneofDecl = realOneofs.map(o => ({$typeName: 'google.protobuf.OneofDescriptorProto', name: o.name, options: this.options(OneofOptionsSchema, o as PbObject, full)}))
    const synthetic: string[] = []
    for (const f of type.fieldsArray) {
      const field = this.field(f, full, full)
      if (f instanceof protobuf.MapField) {
        const entry = mapEntryName(f.name)
        msg.nestedType.push(this.mapEntry(entry, f, full))
        field.label = Label.REPEATED
        field.type = Type.MESSAGE
        field.typeName = `.${full}.${entry}`
      }

      if (f.partOf && !isSynthetic(f.partOf)) field.oneofIndex = realOneofs.indexOf(f.partOf)
      if (f.partOf && isSynthetic(f.partOf)) {
        field.proto3Optional = true
        field.oneofIndex = realOneofs.length + synthetic.length
        synthetic.push(f.partOf.name)
      }

      msg.field.push(field)
    }

    for (const name of synthetic) msg.oneofDecl.push({$typeName: 'google.protobuf.OneofDescriptorProto', name})
    for (const child of type.nestedArray) {
      if (child instanceof protobuf.Type) msg.nestedType.push(this.message(child, full))
      else if (child instanceof protobuf.Enum) msg.enumType.push(this.enum(child, full))
      else if (child instanceof protobuf.Field && child.extend) msg.extension.push(this.field(child, full, full))
    }

    for (const r of type.reserved ?? []) {
      if (typeof r === 'string') msg.reservedName.push(r)
      else msg.reservedRange.push({$typeName: 'google.protobuf.DescriptorProto.ReservedRange', start: r[0], end: r[1] + 1})
    }

    const options = this.options(MessageOptionsSchema, type as PbObject, full)
    if (options) msg.options = options
    return msg
  }

  private enum(e: protobuf.Enum, scope: string): EnumDescriptorProto {
    const full = `${scope ? `${scope}.` : ''}${e.name}`
    const out = create(EnumDescriptorProtoSchema, {name: e.name})
    const valueOptions = (e as unknown as {valuesOptions?: Record<string, Record<string, unknown>>}).valuesOptions ?? {}
    for (const [name, number] of Object.entries(e.values)) {
      const opts = valueOptions[name]
      const options = opts ? this.options(EnumValueOptionsSchema, {parsedOptions: Object.entries(opts).map(([k, v]) => ({[k]: v}))} as unknown as PbObject, full) : undefined
      out.value.push({
        $typeName: 'google.protobuf.EnumValueDescriptorProto', name, number, options,
      })
    }

    for (const r of e.reserved ?? []) {
      if (typeof r === 'string') out.reservedName.push(r)
      else out.reservedRange.push({$typeName: 'google.protobuf.EnumDescriptorProto.EnumReservedRange', start: r[0], end: r[1]})
    }

    const options = this.options(EnumOptionsSchema, e as PbObject, full)
    if (options) out.options = options
    return out
  }

  private mapEntry(name: string, f: protobuf.MapField, scope: string): DescriptorProto {
    const key = create(FieldDescriptorProtoSchema, {
      name: 'key', number: 1, label: Label.OPTIONAL, jsonName: 'key',
    })
    this.setType(key, f.keyType, scope)
    const value = create(FieldDescriptorProtoSchema, {
      name: 'value', number: 2, label: Label.OPTIONAL, jsonName: 'value',
    })
    this.setType(value, f.type, scope)
    return create(DescriptorProtoSchema, {name, field: [key, value], options: create(MessageOptionsSchema, {mapEntry: true})})
  }

  private field(f: protobuf.Field, scope: string, optionScope: string): FieldDescriptorProto {
    const opts = {...f.options} as Record<string, unknown>
    const field = create(FieldDescriptorProtoSchema, {
      name: f.name,
      number: f.id,
      label: f.repeated ? Label.REPEATED : (f.required ? Label.REQUIRED : Label.OPTIONAL),
      jsonName: typeof opts.json_name === 'string' ? opts.json_name : jsonName(f.name),
    })
    if (f.extend) field.extendee = this.resolve(f.extend, scope, 'message')
    if (f.extend && opts.proto3_optional) field.proto3Optional = true
    this.setType(field, f.type, scope)
    if (typeof opts.default === 'string' || typeof opts.default === 'number' || typeof opts.default === 'boolean') field.defaultValue = String(opts.default)
    const options = this.options(FieldOptionsSchema, f as PbObject, optionScope, ['json_name', 'default', 'proto3_optional'])
    if (options) field.options = options
    return field
  }

  private setType(field: FieldDescriptorProto, typeName: string, scope: string): void {
    const scalar = SCALARS[typeName]
    if (scalar !== undefined) {
      field.type = scalar
      return
    }

    const resolved = this.resolve(typeName, scope)
    field.typeName = resolved
    field.type = this.kindOf(resolved.slice(1)) === 'enum' ? Type.ENUM : Type.MESSAGE
  }

  private kindOf(full: string): 'enum' | 'message' | undefined {
    const local = this.local.get(full)
    if (local) return local
    if (this.registry.getMessage(full)) return 'message'
    if (this.registry.getEnum(full)) return 'enum'
    return undefined
  }

  /** A type name as written, resolved by protoc's scoping rules; returns `.full.name`. */
  private resolve(name: string, scope: string, want?: 'enum' | 'message'): string {
    if (name.startsWith('.')) {
      if (!this.kindOf(name.slice(1))) throw new Error(`unknown type ${name}`)
      return name
    }

    const [first] = name.split('.')
    const parts = scope ? scope.split('.') : []
    for (let i = parts.length; i >= 0; i--) {
      const prefix = parts.slice(0, i).join('.')
      const head = prefix ? `${prefix}.${first}` : first
      // The first component decides the scope, as in protoc: a package or a type of that name.
      if (!this.kindOf(head) && !this.isPackagePrefix(head)) continue
      const full = prefix ? `${prefix}.${name}` : name
      const kind = this.kindOf(full)
      if (kind && (!want || kind === want)) return `.${full}`
    }

    throw new Error(`unknown type ${name} (in ${scope || 'the root scope'})`)
  }

  private isPackagePrefix(name: string): boolean {
    const pkgs = [this.parsed.package ?? '', ...[...this.registry.files].map(f => f.proto.package)]
    return pkgs.some(p => p === name || p.startsWith(`${name}.`))
  }

  /** The options message of an element, with its custom options set as extensions. */
  private options<Desc extends DescMessage>(
    schema: Desc,
    obj: PbObject,
    scope: string,
    skip: string[] = [],
  ): MessageShape<Desc> | undefined {
    const entries = obj.parsedOptions ?? []
    if (entries.length === 0 && (!obj.options || Object.keys(obj.options).length === 0)) return undefined
    const builtIn: Record<string, JsonValue> = {}
    const custom: Array<[string, unknown]> = []
    if (entries.length > 0) {
      for (const entry of entries) {
        for (const [k, v] of Object.entries(entry)) {
          if (k.startsWith('(')) custom.push([k, v])
          else builtIn[k] = v as JsonValue
        }
      }
    } else {
      for (const [k, v] of Object.entries(obj.options ?? {})) if (!k.startsWith('(')) builtIn[k] = v as JsonValue
    }

    for (const k of skip) delete builtIn[k]
    const options = Object.keys(builtIn).length > 0 ? fromJson(schema, builtIn, {registry: this.registry}) : create(schema)
    const target: OptionTarget = {options, extendee: schema.typeName, scope}
    for (const [rawName, value] of custom) this.deferred.push(registry => setCustom(registry, target, rawName, value))
    return Object.keys(builtIn).length > 0 || custom.length > 0 ? options : undefined
  }
}

/** Where a custom option goes: the options message of one element, and the scope its name is resolved in. */
type OptionTarget = {options: Message; extendee: string; scope: string}

function setCustom(registry: FileRegistry, target: OptionTarget, rawName: string, value: unknown): void {
  const {options, extendee, scope} = target
  // `(a.b.c)` or `(a.b.c).sub.path`; protobufjs has already nested sub-paths into objects.
  const m = /^\(([^)]+)\)(?:\.(.+))?$/.exec(rawName)
  if (!m) throw new Error(`unreadable option name ${rawName}`)
  const ext = extensionNamed(registry, m[1], scope, extendee)
  let json = value
  if (m[2]) for (const key of m[2].split('.').reverse()) json = {[key]: json}
  if (ext.fieldKind === 'message') {
    const current = hasExtension(options, ext) ? getExtension(options, ext) as Message : create(ext.message)
    mergeFromJson(ext.message, current, listsAsArrays(ext.message, json) as JsonValue, {registry})
    setExtension(options, ext, current as never)
    return
  }

  if (ext.fieldKind === 'list') {
    const items = Array.isArray(json) ? json : [json]
    const current = hasExtension(options, ext) ? [...getExtension(options, ext) as unknown[]] : []
    for (const item of items) {
      if (ext.listKind === 'message') current.push(fromJson(ext.message, listsAsArrays(ext.message, item) as JsonValue, {registry}))
      else if (ext.listKind === 'enum') current.push(enumNumber(ext.enum, item, rawName))
      else current.push(scalarOption(ext.scalar, item, rawName))
    }

    setExtension(options, ext, current as never)
    return
  }

  if (ext.fieldKind === 'enum') {
    setExtension(options, ext, enumNumber(ext.enum, json, rawName) as never)
    return
  }

  setExtension(options, ext, scalarOption(ext.scalar, json, rawName) as never)
}

function extensionNamed(registry: FileRegistry, name: string, scope: string, extendee: string): DescExtension {
  const candidates = name.startsWith('.') ? [name.slice(1)] : scopeCandidates(name, scope)
  for (const c of candidates) {
    const ext = registry.getExtension(c)
    if (ext) {
      if (ext.extendee.typeName !== extendee) throw new Error(`option (${name}) extends ${ext.extendee.typeName}, not ${extendee}`)
      return ext
    }
  }

  throw new Error(`unknown option (${name}): no such extension in this file or the files it imports`)
}

/**
 * protobufjs gives a repeated option that occurs once as a plain value, and as a list only when it
 * occurs several times: make every repeated field of `desc` a list, as JSON wants it.
 */
function listsAsArrays(desc: DescMessage, json: unknown): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return json
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find(f => f.name === key || f.jsonName === key)
    if (!field) {
      out[key] = value
    } else if (field.fieldKind === 'list') {
      const items = Array.isArray(value) ? value : [value]
      out[key] = field.listKind === 'message' ? items.map(i => listsAsArrays(field.message, i)) : items
    } else if (field.fieldKind === 'message') {
      out[key] = listsAsArrays(field.message, value)
    } else {
      out[key] = value
    }
  }

  return out
}

function scopeCandidates(name: string, scope: string): string[] {
  const parts = scope ? scope.split('.') : []
  const out: string[] = []
  for (let i = parts.length; i >= 0; i--) out.push([...parts.slice(0, i), name].join('.'))
  return out
}

function enumNumber(desc: DescEnum, value: unknown, rawName: string): number {
  const v = typeof value === 'string' ? desc.values.find(x => x.name === value)?.number : value
  if (typeof v !== 'number') throw new Error(`option ${rawName}: ${String(value)} is not a value of ${desc.typeName}`)
  return v
}

function scalarOption(scalar: ScalarType, value: unknown, rawName: string): unknown {
  switch (scalar) {
  case ScalarType.BOOL: {
    if (typeof value !== 'boolean') throw new Error(`option ${rawName} needs true or false`)
    return value
  }

  case ScalarType.BYTES: {
    if (typeof value !== 'string') throw new Error(`option ${rawName} needs a string`)
    return new TextEncoder().encode(value)
  }

  case ScalarType.FIXED64:
  case ScalarType.INT64:
  case ScalarType.SFIXED64:
  case ScalarType.SINT64:
  case ScalarType.UINT64: {
    return BigInt(String(value))
  }

  case ScalarType.STRING: {
    if (typeof value !== 'string') throw new Error(`option ${rawName} needs a string`)
    return value
  }

  default: {
    if (typeof value !== 'number') throw new Error(`option ${rawName} needs a number`)
    return value
  }
  }
}

function isSynthetic(oneof: protobuf.OneOf): boolean {
  return oneof.fieldsArray.length === 1 && Boolean(oneof.fieldsArray[0].options?.proto3_optional) && oneof.name === `_${oneof.fieldsArray[0].name}`
}

/** protoc's json_name: underscores dropped, the letter after one upper-cased. */
export function jsonName(name: string): string {
  let out = ''
  let upper = false
  for (const c of name) {
    if (c === '_') upper = true
    else {
      out += upper ? c.toUpperCase() : c
      upper = false
    }
  }

  return out
}

/** protoc's name of a map field's entry type: `labels` → `LabelsEntry`, `my_map` → `MyMapEntry`. */
function mapEntryName(field: string): string {
  const camel = jsonName(field)
  return `${camel.charAt(0).toUpperCase()}${camel.slice(1)}Entry`
}
