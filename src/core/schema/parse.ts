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
  const problems: Problem[] = []
  checkMessage(schema, schema.message, data, '', problems)
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

function checkMessage(schema: KindSchema, desc: DescMessage, value: unknown, path: string, problems: Problem[]): void {
  if (desc.typeName.startsWith('google.protobuf.')) {
    checkWellKnown(schema, desc, value, path, problems)
    return
  }

  if (!isMapping(value)) {
    problems.push({path, message: `expected a mapping (${desc.name}), got ${describe(value)}`, kind: 'parse'})
    return
  }

  const seen = new Map<DescField, string>()
  const oneofs = new Map<string, string>()
  for (const [key, child] of Object.entries(value)) {
    const at = childPath(path, key)
    const field = fieldByKey(desc, key)
    if (!field) {
      const hint = suggestField(desc, key)
      problems.push({path: at, message: `unknown field${hint ? `; did you mean ${hint}?` : ''} (${desc.name} has: ${desc.fields.map(f => f.jsonName).join(', ')})`, kind: 'parse'})
      continue
    }

    const other = seen.get(field)
    if (other !== undefined) {
      problems.push({path: at, message: `set twice, also as ${other}`, kind: 'parse'})
      continue
    }

    seen.set(field, key)
    // null means "not set" in protobuf JSON (google.protobuf.Value aside, where it is a value).
    if (child === null && field.message?.typeName !== 'google.protobuf.Value') continue
    if (field.oneof) {
      const first = oneofs.get(field.oneof.name)
      if (first !== undefined) {
        problems.push({path: at, message: `${first} is already set, and only one field of oneof ${field.oneof.name} (${field.oneof.fields.map(f => f.jsonName).join(', ')}) may be`, kind: 'parse'})
        continue
      }

      oneofs.set(field.oneof.name, key)
    }

    checkField(schema, field, child, at, problems)
  }
}

function checkField(schema: KindSchema, field: DescField, value: unknown, path: string, problems: Problem[]): void {
  switch (field.fieldKind) {
  case 'enum': {
    checkEnum(field.enum, value, path, problems)
    break
  }

  case 'list': {
    if (!Array.isArray(value)) {
      problems.push({path, message: `expected a list, got ${describe(value)}`, kind: 'parse'})
      return
    }

    for (const [i, item] of value.entries()) {
      const at = `${path}[${i}]`
      if (item === null && field.listKind !== 'message') problems.push({path: at, message: 'a list item cannot be null', kind: 'parse'})
      else if (field.listKind === 'message') checkMessage(schema, field.message, item, at, problems)
      else if (field.listKind === 'enum') checkEnum(field.enum, item, at, problems)
      else checkScalar(field.scalar, item, at, problems)
    }

    break
  }

  case 'map': {
    if (!isMapping(value)) {
      problems.push({path, message: `expected a mapping, got ${describe(value)}`, kind: 'parse'})
      return
    }

    for (const [key, item] of Object.entries(value)) {
      const at = childPath(path, key, true)
      checkMapKey(field.mapKey, key, at, problems)
      if (field.mapKind === 'message') checkMessage(schema, field.message, item, at, problems)
      else if (field.mapKind === 'enum') checkEnum(field.enum, item, at, problems)
      else checkScalar(field.scalar, item, at, problems)
    }

    break
  }

  case 'message': {
    checkMessage(schema, field.message, value, path, problems)
    break
  }

  case 'scalar': {
    checkScalar(field.scalar, value, path, problems)
    break
  }
  }
}

function checkEnum(desc: DescEnum, value: unknown, path: string, problems: Problem[]): void {
  if (typeof value === 'string') {
    if (desc.values.some(v => v.name === value)) return
    const near = closest(value, desc.values.map(v => v.name), 1)[0]
    problems.push({path, message: `${JSON.stringify(value)} is not a value of ${desc.name}${near ? `; did you mean ${near}?` : ''} (values: ${desc.values.map(v => v.name).join(', ')})`, kind: 'parse'})
    return
  }

  if (typeof value === 'number' && Number.isInteger(value) && value >= -((2 ** 31)) && value < (2 ** 31)) return
  if (value === null && desc.typeName === 'google.protobuf.NullValue') return
  problems.push({path, message: `expected one of ${desc.values.map(v => v.name).join(', ')}, got ${describe(value)}`, kind: 'parse'})
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

function checkScalar(type: ScalarType, value: unknown, path: string, problems: Problem[]): void {
  const fail = (expected: string) => problems.push({path, message: `expected ${expected}, got ${describe(value)}`, kind: 'parse'})
  switch (type) {
  case ScalarType.BOOL: {
    if (typeof value !== 'boolean') fail('true or false')
    return
  }

  case ScalarType.BYTES: {
    if (typeof value !== 'string' || !BASE64.test(value)) fail('base64-encoded bytes')
    return
  }

  case ScalarType.DOUBLE:
  case ScalarType.FLOAT: {
    const ok = typeof value === 'number' || (typeof value === 'string' && (['-Infinity', 'Infinity', 'NaN'].includes(value) || (value.trim() !== '' && Number.isFinite(Number(value)))))
    if (!ok) fail('a number')
    else if (type === ScalarType.FLOAT && Number.isFinite(Number(value)) && Math.abs(Number(value)) > 3.402_823_466_385_288_6e38) fail('a number in the range of a 32-bit float')
    return
  }

  case ScalarType.STRING: {
    if (typeof value !== 'string') fail('a string (quote it in YAML)')
    return
  }

  default: {
    const range = INT_RANGES[type]!
    const bits = [ScalarType.FIXED32, ScalarType.INT32, ScalarType.SFIXED32, ScalarType.SINT32, ScalarType.UINT32].includes(type) ? 32 : 64
    const unsigned = range[0] === 0n
    const what = `${unsigned ? 'a non-negative' : 'an'} integer (${bits}-bit)`
    let n: bigint | undefined
    if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value)
    else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) n = BigInt(value.trim())
    if (n === undefined) fail(what)
    else if (n < range[0] || n > range[1]) fail(`${what} between ${range[0]} and ${range[1]}`)
  }
  }
}

function checkMapKey(type: ScalarType, key: string, path: string, problems: Problem[]): void {
  if (type === ScalarType.STRING) return
  if (type === ScalarType.BOOL) {
    if (key !== 'true' && key !== 'false') problems.push({path, message: 'a key of this map must be true or false', kind: 'parse'})
    return
  }

  checkScalar(type, key, path, problems)
}

/** Well-known types have JSON forms of their own (a wrapper is its value, a Duration "3s"): the library decides. */
function checkWellKnown(schema: KindSchema, desc: DescMessage, value: unknown, path: string, problems: Problem[]): void {
  try {
    fromJson(desc, value as JsonValue, {registry: schema.registry})
  } catch (error) {
    const message = errorMessage(error).replace(/^cannot decode (message|field) [\w.]+ from JSON: /, '')
    problems.push({path, message: `not a valid ${desc.name}: ${message}`, kind: 'parse'})
  }
}
