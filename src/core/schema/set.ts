/**
 * `--set path=value`, checked against the kind's message, as in the Go CLI (which looks each path
 * segment up as a field of the message, by its proto name or its snake_case form, and sets the
 * last one):
 *
 * - the path names fields by proto name (`disk_size`) or JSON name (`diskSize`); an unknown name is
 *   an error with the closest valid names;
 * - the value is converted to the field's type: integers (64-bit ones too), `true`/`false`, numbers,
 *   an enum value by name (or number), strings as written; a well-known wrapper takes its value;
 * - one flag may hold several pairs separated by commas: `--set a=1,b=2`; a value containing a
 *   comma is double-quoted: `--set 'spec.note="a,b"'`;
 * - a map entry is a path segment after the map field, and a segment holding dots (a label key) is
 *   double-quoted: `--set 'metadata.labels."example.com/team"=web'`;
 * - lists cannot be set (nor can they in the Go CLI), nor can a whole message: set its fields.
 *
 * The Go CLI hands every value to its setter as a string, so there only string fields can really be
 * set; here the value is converted, as the issue of typed --set asks.
 */
import {
  create, type DescEnum, type DescField, type DescMessage, isMessage, type Message, ScalarType,
} from '@bufbuild/protobuf'
import {reflect, type ReflectMap, type ReflectMessage} from '@bufbuild/protobuf/reflect'

import type {SetOverride} from '../overrides.js'
import type {KindSchema} from './schema.js'

import {closest} from '../modules.js'
import {fieldByKey, suggestField} from './parse.js'
import {childPath, type Problem} from './problems.js'

/** Applies the overrides to `message`; returns the problems (unknown path, value of the wrong type). */
export function applySets(schema: KindSchema, message: Message, sets: SetOverride[]): Problem[] {
  const problems: Problem[] = []
  for (const set of sets) {
    const problem = applyOne(reflect(schema.message, message), set)
    if (problem) problems.push(problem)
  }

  return problems
}

function applyOne(root: ReflectMessage, set: SetOverride): Problem | undefined {
  const walk = new SetWalk(root, set)
  const error = walk.run()
  return error === undefined ? undefined : {path: walk.at, message: `--set ${set.source}: ${error}`, kind: 'set'}
}

/** What one field of the path led to: the message the path goes on into, or its end (with what is wrong, if anything). */
type Step = {error: string | undefined} | {into: ReflectMessage}

/** One --set, followed segment by segment from the root message to the field it sets. */
class SetWalk {
  /** The path followed so far, for the problem's location. */
  at = ''
  private i = 0
  private msg: ReflectMessage

  constructor(root: ReflectMessage, private readonly set: SetOverride) {
    this.msg = root
  }

  /** Sets the field the path names; what is wrong with the path or the value, if anything. */
  run(): string | undefined {
    const {path} = this.set
    for (; this.i < path.length; this.i++) {
      const segment = path[this.i]
      const field = fieldByKey(this.msg.desc, segment) ?? fieldByKey(this.msg.desc, snake(segment))
      this.at = childPath(this.at, segment)
      if (!field) return unknownField(this.msg.desc, segment)
      const step = this.step(field)
      if ('error' in step) return step.error
      this.msg = step.into
    }

    return undefined
  }

  private step(field: DescField): Step {
    switch (field.fieldKind) {
    case 'enum':
    case 'scalar': {
      if (!this.last()) return {error: `${field.name} is a ${typeName(field)}, it has no field ${this.set.path[this.i + 1]}`}
      return this.assign(value => this.msg.set(field, value), field)
    }

    case 'list': {
      return {error: `${field.name} is a list; lists cannot be set with --set, edit the manifest`}
    }

    case 'map': {
      return this.mapEntry(field)
    }

    case 'message': {
      return this.message(field)
    }
    }
  }

  /** A map field: the next segment is the entry's key. */
  private mapEntry(field: DescField & {fieldKind: 'map'}): Step {
    const {path} = this.set
    if (this.last()) return {error: `${field.name} is a map; set one entry: ${path.join('.')}.<key>=value (a key holding dots in double quotes)`}
    const key = path[++this.i]
    this.at = childPath(this.at, key, true)
    const map = this.msg.get(field) as ReflectMap
    const mapKey = convertSetValue(scalarField(field.mapKey), key)
    if (mapKey.error) return {error: `map key: ${mapKey.error}`}
    if (field.mapKind === 'message') {
      if (this.last()) return {error: `the entries of ${field.name} are messages (${field.message.name}); set their fields`}
      const existing = map.get(mapKey.value) as ReflectMessage | undefined
      const entry = existing ?? reflect(field.message, create(field.message))
      if (!existing) map.set(mapKey.value, entry)
      return {into: entry}
    }

    const valueField = field.mapKind === 'enum'
      ? {fieldKind: 'enum', enum: field.enum} as DescField & {fieldKind: 'enum'}
      : scalarField(field.scalar)
    if (!this.last()) return {error: `the entries of ${field.name} are ${typeName(valueField)} values, they have no fields`}
    return this.assign(value => map.set(mapKey.value, value), valueField)
  }

  /** A message field: followed into, or, at the end of the path, set when it is a well-known wrapper. */
  private message(field: DescField & {fieldKind: 'message'}): Step {
    if (!this.last()) {
      if (!this.msg.isSet(field)) this.msg.set(field, reflect(field.message, create(field.message)))
      const child = this.msg.get(field)
      return {into: isMessage(child) ? reflect(field.message, child) : child as ReflectMessage}
    }

    const wrapped = WRAPPERS[field.message.typeName]
    if (wrapped === undefined) {
      const fields = field.message.fields.map(f => `${this.set.path.join('.')}.${f.jsonName}`).join(', ')
      return {error: `${field.name} is a message (${field.message.name}); set one of its fields: ${fields}`}
    }

    return this.assign(value => {
      const wrapper = reflect(field.message, create(field.message))
      wrapper.set(field.message.fields[0], value)
      this.msg.set(field, wrapper)
    }, scalarField(wrapped))
  }

  /** Converts the --set value to `type`'s type and hands it to `put`. */
  private assign(put: (value: unknown) => void, type: DescField & {fieldKind: 'enum' | 'scalar'}): Step {
    const value = convertSetValue(type, this.set.value)
    if (value.error) return {error: value.error}
    put(value.value)
    return {error: undefined}
  }

  private last(): boolean {
    return this.i === this.set.path.length - 1
  }
}

/** A stand-in field of scalar `type`, to convert a map key, a map value or a wrapper's value like a field. */
function scalarField(type: ScalarType): DescField & {fieldKind: 'scalar'} {
  return {fieldKind: 'scalar', scalar: type} as DescField & {fieldKind: 'scalar'}
}

const WRAPPERS: Record<string, ScalarType> = {
  'google.protobuf.BoolValue': ScalarType.BOOL,
  'google.protobuf.BytesValue': ScalarType.BYTES,
  'google.protobuf.DoubleValue': ScalarType.DOUBLE,
  'google.protobuf.FloatValue': ScalarType.FLOAT,
  'google.protobuf.Int32Value': ScalarType.INT32,
  'google.protobuf.Int64Value': ScalarType.INT64,
  'google.protobuf.StringValue': ScalarType.STRING,
  'google.protobuf.UInt32Value': ScalarType.UINT32,
  'google.protobuf.UInt64Value': ScalarType.UINT64,
}

function unknownField(desc: DescMessage, segment: string): string {
  const hint = suggestField(desc, segment)
  return `${desc.name} has no field ${segment}${hint ? `; did you mean ${hint}?` : ''} (fields: ${desc.fields.map(f => f.jsonName).join(', ')})`
}

function typeName(field: DescField & {fieldKind: 'enum' | 'scalar'}): string {
  return field.fieldKind === 'enum' ? field.enum.name : ScalarType[field.scalar].toLowerCase()
}

/** strcase.ToSnake, as the Go setter retries a segment with it: `DiskSize` → `disk_size`. */
function snake(s: string): string {
  return s.replaceAll(/([a-z\d])([A-Z])/g, '$1_$2').replaceAll(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toLowerCase()
}

const INT_LIMITS: Partial<Record<ScalarType, [bigint, bigint, boolean]>> = {
  [ScalarType.FIXED32]: [0n, (2n ** 32n) - 1n, false],
  [ScalarType.FIXED64]: [0n, (2n ** 64n) - 1n, true],
  [ScalarType.INT32]: [-(2n ** 31n), (2n ** 31n) - 1n, false],
  [ScalarType.INT64]: [-(2n ** 63n), (2n ** 63n) - 1n, true],
  [ScalarType.SFIXED32]: [-(2n ** 31n), (2n ** 31n) - 1n, false],
  [ScalarType.SFIXED64]: [-(2n ** 63n), (2n ** 63n) - 1n, true],
  [ScalarType.SINT32]: [-(2n ** 31n), (2n ** 31n) - 1n, false],
  [ScalarType.SINT64]: [-(2n ** 63n), (2n ** 63n) - 1n, true],
  [ScalarType.UINT32]: [0n, (2n ** 32n) - 1n, false],
  [ScalarType.UINT64]: [0n, (2n ** 64n) - 1n, true],
}

/** An enum value by name (exact, then ignoring case) or by number. */
function convertEnumValue(type: DescEnum, text: string): {error?: string; value?: unknown} {
  const names = type.values.map(v => v.name)
  const exact = type.values.find(v => v.name === text) ?? type.values.find(v => v.name.toLowerCase() === text.toLowerCase())
  if (exact) return {value: exact.number}
  // An enum's number is an int32 (proto3 keeps numbers it does not name).
  if (/^-?\d+$/.test(text)) {
    const n = Number(text)
    return n >= -2_147_483_648 && n <= 2_147_483_647 ? {value: n} : {error: `${text} is out of range for ${type.name} (an int32)`}
  }

  const near = closest(text, names, 2)
  return {error: `${JSON.stringify(text)} is not a value of ${type.name}${near.length > 0 ? `; did you mean ${near.join(' or ')}?` : ''} (values: ${names.join(', ')})`}
}

/** The value of a `--set`, converted to the type of `field`. */
export function convertSetValue(field: DescField & {fieldKind: 'enum' | 'scalar'}, text: string): {error?: string; value?: unknown} {
  if (field.fieldKind === 'enum') return convertEnumValue(field.enum, text)
  const limits = INT_LIMITS[field.scalar]
  if (limits) {
    const [min, max, big] = limits
    if (!/^[+-]?\d+$/.test(text.trim())) return {error: `expected an integer, got ${JSON.stringify(text)}`}
    const n = BigInt(text.trim())
    if (n < min || n > max) return {error: `${text} is out of range (${min} to ${max})`}
    return {value: big ? n : Number(n)}
  }

  switch (field.scalar) {
  case ScalarType.BOOL: {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return {value: true}
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return {value: false}
    return {error: `expected true or false, got ${JSON.stringify(text)}`}
  }

  case ScalarType.BYTES: {
    return {value: new TextEncoder().encode(text)}
  }

  case ScalarType.DOUBLE:
  case ScalarType.FLOAT: {
    const n = Number(text)
    if (text.trim() === '' || Number.isNaN(n)) return {error: `expected a number, got ${JSON.stringify(text)}`}
    return {value: n}
  }

  default: {
    return {value: text}
  }
  }
}
