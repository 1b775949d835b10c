/**
 * What the tools get from a parsed, overridden and defaulted manifest, in the shapes the Go CLI
 * hands them:
 *
 * - Pulumi, stack input `target` (pkg/iac/stackinput/stack_input.go): `protojson.Marshal` of the
 *   message with default options, then YAML. So: JSON (camelCase) field names; enums by value name;
 *   64-bit integers as decimal strings; fields holding their zero value (and unset ones) left out;
 *   well-known types in their JSON forms (a wrapper is its value, a Duration "3s").
 *   `pulumiTarget` returns exactly that object; the Go CLI's YAML has its keys sorted, ours keeps
 *   the field order of the protos (YAML readers do not care).
 * - OpenTofu, the variables (pkg/iac/tofu/tfvars/tfvars.go): the same protojson object written as
 *   a tfvars file, every key passed through its ToSnakeCase (`diskSize` → `disk_size`) and every
 *   key named `apiVersion`, `kind` or `status` dropped at any depth. `tofuVariables` returns the
 *   same object for a JSON var file, with two differences on purpose: the keys of map fields (labels,
 *   environment variables) and the contents of google.protobuf.Struct fields are kept as written,
 *   where the Go CLI rewrites them too (`MY_VAR` → `m_y__v_a_r`) or drops a key named `kind`; and
 *   numbers keep JSON's notation where Go prints float64 with %v.
 */
import {
  type DescMessage, type JsonObject, type JsonValue, type Message, toJson,
} from '@bufbuild/protobuf'

import type {KindSchema} from './schema.js'

import {fieldByKey} from './parse.js'

export function pulumiTarget(schema: KindSchema, message: Message): JsonObject {
  return toJson(schema.message, message, {registry: schema.registry}) as JsonObject
}

/** The Go CLI drops these keys wherever they occur in the variables. */
const DROPPED = new Set(['apiVersion', 'kind', 'status'])

export function tofuVariables(schema: KindSchema, message: Message): JsonObject {
  return snakeFields(schema.message, pulumiTarget(schema, message))
}

function snakeFields(desc: DescMessage, json: JsonObject): JsonObject {
  const out: JsonObject = {}
  for (const [key, value] of Object.entries(json)) {
    if (DROPPED.has(key)) continue
    const field = fieldByKey(desc, key)
    out[goSnake(key)] = field ? snakeValue(field, value) : value
  }

  return out
}

function snakeValue(field: NonNullable<ReturnType<typeof fieldByKey>>, value: JsonValue): JsonValue {
  const isObject = (v: JsonValue): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v)
  switch (field.fieldKind) {
  case 'list': {
    return field.listKind === 'message' && !isWellKnown(field.message) && Array.isArray(value) ? value.map(v => (isObject(v) ? snakeFields(field.message, v) : v)) : value
  }

  case 'map': {
    if (field.mapKind !== 'message' || isWellKnown(field.message) || !isObject(value)) return value
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isObject(v) ? snakeFields(field.message, v) : v]))
  }

  case 'message': {
    return !isWellKnown(field.message) && isObject(value) ? snakeFields(field.message, value) : value
  }

  default: {
    return value
  }
  }
}

function isWellKnown(desc: DescMessage): boolean {
  return desc.typeName.startsWith('google.protobuf.')
}

/** The Go CLI's caseconverter.ToSnakeCase: `_` before every upper-case ASCII letter but the first, then lower case. */
export function goSnake(s: string): string {
  let out = ''
  for (const [i, c] of [...s].entries()) out += i > 0 && c >= 'A' && c <= 'Z' ? `_${c}` : c
  return out.toLowerCase()
}
