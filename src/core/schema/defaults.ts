/**
 * Defaults declared in the protos with `(org.project_planton.shared.options.default) = "…"`, applied
 * as the Go CLI applies them (internal/manifest/protodefaults):
 *
 * - a field that is not set gets its default, converted from the option's string to the field's
 *   type (string; int32/int64/uint32/uint64 by Go's strconv rules; bool by strconv.ParseBool; float,
 *   double; an enum by value name). "Not set" is protobuf presence: a plain proto3 scalar holding its
 *   zero value (0, "", false) counts as not set and gets the default; an `optional` one does not.
 * - a message field that is set is walked into; one that is not set is created when its type (or a
 *   type below it) has a field with a default, and then walked into;
 * - lists and maps are never touched, nor the messages inside them;
 * - an empty default is ignored; a default that does not convert, or one on a type the Go CLI does
 *   not convert (sint32, fixed64, bytes, …), is an error, as it makes the Go CLI refuse the manifest.
 *
 * Where this differs, on purpose: a member of a oneof that is not set is left alone, where the Go CLI
 * sets it (so clearing the member the manifest chose, or choosing one the manifest did not); and a
 * message type that contains itself is not created again below itself, where the Go CLI recurses
 * without end.
 */
import {
  create, type DescExtension, type DescField, type DescMessage, getExtension, hasExtension, type Message, ScalarType,
} from '@bufbuild/protobuf'
import {reflect, type ReflectMessage} from '@bufbuild/protobuf/reflect'

import type {KindSchema} from './schema.js'

import {type Problem} from './problems.js'

export const DEFAULT_OPTION = 'org.project_planton.shared.options.default'

export function applyDefaults(schema: KindSchema, message: Message): Problem[] {
  const option = schema.registry.getExtension(DEFAULT_OPTION)
  // A commit whose protos declare no default option has no defaults to apply.
  if (!option) return []
  const walk = new DefaultsWalk(option)
  walk.message(reflect(schema.message, message), '', new Set([schema.message.typeName]))
  return walk.problems
}

function defaultOf(field: DescField, option: DescExtension): string | undefined {
  const {options} = field.proto
  if (!options || !hasExtension(options, option)) return undefined
  const value = getExtension(options, option)
  return typeof value === 'string' ? value : undefined
}

/** One pass over a manifest's message, setting the defaults it lacks. */
class DefaultsWalk {
  readonly problems: Problem[] = []
  /** message type name → whether it, or a type below it, has a default */
  private readonly withDefaults = new Map<string, boolean>()

  constructor(private readonly option: DescExtension) {}

  /** `creating`: the message types being created on the way here, none of which is created again below itself. */
  message(msg: ReflectMessage, path: string, creating: Set<string>): void {
    for (const field of msg.fields) {
      if (field.fieldKind === 'list' || field.fieldKind === 'map') continue
      const at = path ? `${path}.${field.name}` : field.name
      const set = msg.isSet(field)
      // A oneof member that is not the chosen one is left alone (see the module comment).
      if (!set && field.oneof) continue
      if (field.fieldKind === 'message') {
        if (set) {
          this.message(msg.get(field) as ReflectMessage, at, creating)
        } else if (!creating.has(field.message.typeName) && hasDefaults(field.message, this.option, this.withDefaults)) {
          const child = create(field.message)
          const childRef = reflect(field.message, child)
          this.message(childRef, at, new Set([field.message.typeName, ...creating]))
          msg.set(field, childRef)
        }

        continue
      }

      if (!set) this.scalar(msg, field, at)
    }
  }

  private scalar(msg: ReflectMessage, field: DescField & {fieldKind: 'enum' | 'scalar'}, at: string): void {
    const text = defaultOf(field, this.option)
    if (!text) return
    try {
      msg.set(field, convert(text, field))
    } catch (error) {
      this.problems.push({path: at, message: `the default ${JSON.stringify(text)} declared in the protos does not fit: ${(error as Error).message}`, kind: 'default'})
    }
  }
}

/** Whether a message type, or one of the message types below it (lists and maps aside), has a default. */
function hasDefaults(desc: DescMessage, option: DescExtension, memo: Map<string, boolean>): boolean {
  const known = memo.get(desc.typeName)
  if (known !== undefined) return known
  // A type that contains itself: assume no while it is being looked at, so the walk ends.
  memo.set(desc.typeName, false)
  let found = false
  for (const field of desc.fields) {
    if (field.fieldKind === 'list' || field.fieldKind === 'map') continue
    if (field.fieldKind === 'message' ? hasDefaults(field.message, option, memo) : defaultOf(field, option) !== undefined) {
      found = true
      break
    }
  }

  memo.set(desc.typeName, found)
  return found
}

/** Go's ConvertStringToFieldValue. Throws an Error saying why. */
export function convert(text: string, field: DescField & {fieldKind: 'enum' | 'scalar'}): unknown {
  if (field.fieldKind === 'enum') {
    const value = field.enum.values.find(v => v.name === text)
    if (!value) throw new Error(`${text} is not a value of ${field.enum.name}`)
    return value.number
  }

  switch (field.scalar) {
  case ScalarType.BOOL: {
    return parseGoBool(text)
  }

  case ScalarType.DOUBLE:
  case ScalarType.FLOAT: {
    const n = parseGoFloat(text)
    if (field.scalar === ScalarType.FLOAT && Number.isFinite(n) && Math.abs(n) > 3.402_823_466_385_288_6e38) throw new Error('out of the range of a 32-bit float')
    return n
  }

  case ScalarType.INT32: {
    return Number(parseGoInt(text, -(2n ** 31n), (2n ** 31n) - 1n))
  }

  case ScalarType.INT64: {
    return parseGoInt(text, -(2n ** 63n), (2n ** 63n) - 1n)
  }

  case ScalarType.STRING: {
    return text
  }

  case ScalarType.UINT32: {
    return Number(parseGoInt(text, 0n, (2n ** 32n) - 1n, true))
  }

  case ScalarType.UINT64: {
    return parseGoInt(text, 0n, (2n ** 64n) - 1n, true)
  }

  default: {
    throw new Error(`defaults of type ${ScalarType[field.scalar].toLowerCase()} are not supported`)
  }
  }
}

/** strconv.ParseInt/ParseUint with base 10: an optional sign (not for unsigned), decimal digits. */
function parseGoInt(text: string, min: bigint, max: bigint, unsigned = false): bigint {
  if (!(unsigned ? /^\d+$/ : /^[+-]?\d+$/).test(text)) throw new Error(`${JSON.stringify(text)} is not an integer`)
  const n = BigInt(text)
  if (n < min || n > max) throw new Error(`${text} is out of range`)
  return n
}

/** strconv.ParseBool */
function parseGoBool(text: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return false
  throw new Error(`${JSON.stringify(text)} is not a boolean`)
}

/** strconv.ParseFloat for the forms a default is written in: decimal, exponent, inf, nan. */
function parseGoFloat(text: string): number {
  const special = text.replace(/^[+-]/, '').toLowerCase()
  if (special === 'inf' || special === 'infinity') return text.startsWith('-') ? -Infinity : Infinity
  if (special === 'nan') return Number.NaN
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) throw new Error(`${JSON.stringify(text)} is not a number`)
  return Number(text)
}
