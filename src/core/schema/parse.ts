/**
 * Strict reading of a manifest (YAML already turned into plain data) into the kind's message, with
 * protobuf JSON semantics as the Go CLI's protojson.Unmarshal applies them: field names in
 * snake_case or camelCase, enums by name (or number), 64-bit integers as numbers or strings,
 * well-known types in their JSON forms, `null` as "not set". Unlike a plain JSON decoder, it walks
 * the whole manifest first and reports every problem (unknown field, wrong type, two members of a
 * oneof), each with its path and, for a misspelt field, the closest valid name.
 */
import {
  type DescEnum, type DescField, type DescMessage, fromJson, type JsonValue, type Message, ScalarType,
} from '@bufbuild/protobuf'

import type {KindSchema} from './schema.js'

import {errorMessage} from '../errors.js'
import {closest} from '../modules.js'
import {childPath, type Problem} from './problems.js'

export type ParseResult = {message?: Message; problems: Problem[]}

export function parseManifestData(schema: KindSchema, data: unknown): ParseResult {
  const walk = new StrictWalk(schema)
  walk.message(schema.message, data, '')
  const {problems} = walk
  if (problems.length > 0) return {problems}
  try {
    return {message: fromJson(schema.message, data as JsonValue, {registry: schema.registry}), problems}
  } catch (error) {
    // The walk above mirrors the decoder's rules; whatever it let through is still reported.
    return {problems: [{path: '', message: errorMessage(error), kind: 'parse'}]}
  }
}

/** The field of `desc` a manifest key names: its proto name or its JSON (camelCase) name. */
export function fieldByKey(desc: DescMessage, key: string): DescField | undefined {
  return desc.fields.find(f => f.name === key || f.jsonName === key)
}

/** The closest field name to a misspelt `key`, in the style the key was written in. */
export function suggestField(desc: DescMessage, key: string): string | undefined {
  const best = closest(key, desc.fields.flatMap(f => [f.name, f.jsonName]), 1)[0]
  const field = best === undefined ? undefined : fieldByKey(desc, best)
  if (!field) return undefined
  return key.includes('_') ? field.name : field.jsonName
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`
  return `${typeof value} ${String(value)}`
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** One walk over a manifest's data: the schema it is read against and every problem found so far. */
class StrictWalk {
  readonly problems: Problem[] = []

  constructor(private readonly schema: KindSchema) {}

  message(desc: DescMessage, value: unknown, path: string): void {
    if (desc.typeName.startsWith('google.protobuf.')) {
      this.wellKnown(desc, value, path)
      return
    }

    if (!isMapping(value)) {
      this.fail(path, `expected a mapping (${desc.name}), got ${describe(value)}`)
      return
    }

    const seen = new Map<DescField, string>()
    const oneofs = new Map<string, string>()
    for (const [key, child] of Object.entries(value)) {
      const at = childPath(path, key)
      const field = fieldByKey(desc, key)
      if (!field) {
        const hint = suggestField(desc, key)
        this.fail(at, `unknown field${hint ? `; did you mean ${hint}?` : ''} (${desc.name} has: ${desc.fields.map(f => f.jsonName).join(', ')})`)
        continue
      }

      const other = seen.get(field)
      if (other !== undefined) {
        this.fail(at, `set twice, also as ${other}`)
        continue
      }

      seen.set(field, key)
      // null means "not set" in protobuf JSON (google.protobuf.Value aside, where it is a value).
      if (child === null && field.message?.typeName !== 'google.protobuf.Value') continue
      if (field.oneof) {
        const first = oneofs.get(field.oneof.name)
        if (first !== undefined) {
          const members = field.oneof.fields.map(f => f.jsonName).join(', ')
          this.fail(at, `${first} is already set, and only one field of oneof ${field.oneof.name} (${members}) may be`)
          continue
        }

        oneofs.set(field.oneof.name, key)
      }

      this.field(field, child, at)
    }
  }

  private field(field: DescField, value: unknown, path: string): void {
    switch (field.fieldKind) {
    case 'enum': {
      this.enum(field.enum, value, path)
      break
    }

    case 'list': {
      if (!Array.isArray(value)) {
        this.fail(path, `expected a list, got ${describe(value)}`)
        return
      }

      for (const [i, item] of value.entries()) {
        const at = `${path}[${i}]`
        if (item === null && field.listKind !== 'message') this.fail(at, 'a list item cannot be null')
        else if (field.listKind === 'message') this.message(field.message, item, at)
        else if (field.listKind === 'enum') this.enum(field.enum, item, at)
        else this.scalar(field.scalar, item, at)
      }

      break
    }

    case 'map': {
      if (!isMapping(value)) {
        this.fail(path, `expected a mapping, got ${describe(value)}`)
        return
      }

      for (const [key, item] of Object.entries(value)) {
        const at = childPath(path, key, true)
        this.mapKey(field.mapKey, key, at)
        if (field.mapKind === 'message') this.message(field.message, item, at)
        else if (field.mapKind === 'enum') this.enum(field.enum, item, at)
        else this.scalar(field.scalar, item, at)
      }

      break
    }

    case 'message': {
      this.message(field.message, value, path)
      break
    }

    case 'scalar': {
      this.scalar(field.scalar, value, path)
      break
    }
    }
  }

  private enum(desc: DescEnum, value: unknown, path: string): void {
    const names = desc.values.map(v => v.name)
    if (typeof value === 'string') {
      if (names.includes(value)) return
      const near = closest(value, names, 1)[0]
      this.fail(path, `${JSON.stringify(value)} is not a value of ${desc.name}${near ? `; did you mean ${near}?` : ''} (values: ${names.join(', ')})`)
      return
    }

    if (typeof value === 'number' && Number.isInteger(value) && value >= -((2 ** 31)) && value < (2 ** 31)) return
    if (value === null && desc.typeName === 'google.protobuf.NullValue') return
    this.fail(path, `expected one of ${names.join(', ')}, got ${describe(value)}`)
  }

  private scalar(type: ScalarType, value: unknown, path: string): void {
    const expected = scalarMismatch(type, value)
    if (expected !== undefined) this.fail(path, `expected ${expected}, got ${describe(value)}`)
  }

  private mapKey(type: ScalarType, key: string, path: string): void {
    if (type === ScalarType.STRING) return
    if (type === ScalarType.BOOL) {
      if (key !== 'true' && key !== 'false') this.fail(path, 'a key of this map must be true or false')
      return
    }

    this.scalar(type, key, path)
  }

  /** Well-known types have JSON forms of their own (a wrapper is its value, a Duration "3s"): the library decides. */
  private wellKnown(desc: DescMessage, value: unknown, path: string): void {
    try {
      fromJson(desc, value as JsonValue, {registry: this.schema.registry})
    } catch (error) {
      const message = errorMessage(error).replace(/^cannot decode (message|field) [\w.]+ from JSON: /, '')
      this.fail(path, `not a valid ${desc.name}: ${message}`)
    }
  }

  private fail(path: string, message: string): void {
    this.problems.push({path, message, kind: 'parse'})
  }
}

const INT_RANGES: Partial<Record<ScalarType, [bigint, bigint]>> = {
  [ScalarType.INT32]: [-(2n ** 31n), (2n ** 31n) - 1n],
  [ScalarType.SINT32]: [-(2n ** 31n), (2n ** 31n) - 1n],
  [ScalarType.SFIXED32]: [-(2n ** 31n), (2n ** 31n) - 1n],
  [ScalarType.UINT32]: [0n, (2n ** 32n) - 1n],
  [ScalarType.FIXED32]: [0n, (2n ** 32n) - 1n],
  [ScalarType.INT64]: [-(2n ** 63n), (2n ** 63n) - 1n],
  [ScalarType.SINT64]: [-(2n ** 63n), (2n ** 63n) - 1n],
  [ScalarType.SFIXED64]: [-(2n ** 63n), (2n ** 63n) - 1n],
  [ScalarType.UINT64]: [0n, (2n ** 64n) - 1n],
  [ScalarType.FIXED64]: [0n, (2n ** 64n) - 1n],
}

const BASE64 = /^(?:[A-Za-z\d+/_-]{4})*(?:[A-Za-z\d+/_-]{2}(?:==)?|[A-Za-z\d+/_-]{3}=?)?$/

/** What a scalar of `type` should have been ("a number"), or undefined when `value` is one. */
function scalarMismatch(type: ScalarType, value: unknown): string | undefined {
  switch (type) {
  case ScalarType.BOOL: {
    return typeof value === 'boolean' ? undefined : 'true or false'
  }

  case ScalarType.BYTES: {
    return typeof value === 'string' && BASE64.test(value) ? undefined : 'base64-encoded bytes'
  }

  case ScalarType.DOUBLE:
  case ScalarType.FLOAT: {
    return floatMismatch(type, value)
  }

  case ScalarType.STRING: {
    return typeof value === 'string' ? undefined : 'a string (quote it in YAML)'
  }

  default: {
    return integerMismatch(type, value)
  }
  }
}

function floatMismatch(type: ScalarType.DOUBLE | ScalarType.FLOAT, value: unknown): string | undefined {
  const ok = typeof value === 'number' || (typeof value === 'string' && (['-Infinity', 'Infinity', 'NaN'].includes(value) || (value.trim() !== '' && Number.isFinite(Number(value)))))
  if (!ok) return 'a number'
  if (type === ScalarType.FLOAT && Number.isFinite(Number(value)) && Math.abs(Number(value)) > 3.402_823_466_385_288_6e38) return 'a number in the range of a 32-bit float'
  return undefined
}

function integerMismatch(type: ScalarType, value: unknown): string | undefined {
  const range = INT_RANGES[type]!
  const bits = [ScalarType.FIXED32, ScalarType.INT32, ScalarType.SFIXED32, ScalarType.SINT32, ScalarType.UINT32].includes(type) ? 32 : 64
  const unsigned = range[0] === 0n
  const what = `${unsigned ? 'a non-negative' : 'an'} integer (${bits}-bit)`
  let n: bigint | undefined
  if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value)
  else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = BigInt(value.trim())
  if (n === undefined) return what
  if (n < range[0] || n > range[1]) return `${what} between ${range[0]} and ${range[1]}`
  return undefined
}
