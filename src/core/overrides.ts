/**
 * `--set path=value`: the syntax, and how overrides apply when there is no schema to type them.
 *
 * - one flag may hold several pairs separated by commas: `--set a=1,b=2`; a value containing a
 *   comma is double-quoted: `--set 'spec.note="a,b"'`;
 * - a path segment holding dots (a label or map key) is double-quoted:
 *   `--set 'metadata.labels."example.com/team"=web'`.
 *
 * With the kind's schema, schema/set.ts checks each path against the message and converts the
 * value to the field's type. Without it (a module version whose protos cannot be read), a value is
 * read as a YAML scalar (`2` a number, `'2'` a string), except under `metadata.labels`, whose
 * values are strings.
 */
import {InvalidInputError} from './errors.js'

export type SetOverride = {
  /** path segments as typed, quotes removed */
  path: string[]
  value: string
  /** the flag it came from, for messages */
  source: string
}

/** Thrown by parseSetFlags: the text of a flag cannot be read as path=value pairs. */
export class SetSyntaxError extends Error {
  name = 'SetSyntaxError'
}

/** Splits `--set` flags into overrides. Throws SetSyntaxError. */
export function parseSetFlags(flags: string[]): SetOverride[] {
  const out: SetOverride[] = []
  for (const flag of flags) {
    for (const pair of splitOutsideQuotes(flag, ',', flag)) {
      const [rawPath, ...rest] = splitOutsideQuotes(pair, '=', flag, 2)
      if (rest.length === 0) {
        throw new SetSyntaxError(`--set ${JSON.stringify(flag)}: ${JSON.stringify(pair)} is not path=value (a value holding a comma is double-quoted: path="a,b")`)
      }

      const path = splitOutsideQuotes(rawPath, '.', flag).map(s => unquote(s, flag))
      if (path.includes('')) throw new SetSyntaxError(`--set ${JSON.stringify(flag)}: empty path segment in ${JSON.stringify(rawPath)}`)
      out.push({path, value: unquote(rest[0], flag), source: pair})
    }
  }

  return out
}

function splitOutsideQuotes(text: string, sep: string, flag: string, limit = Infinity): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '\\' && quoted) {
      current += c + (text[i + 1] ?? '')
      i++
    } else if (c === '"') {
      quoted = !quoted
      current += c
    } else if (c === sep && !quoted && parts.length < limit - 1) {
      parts.push(current)
      current = ''
    } else {
      current += c
    }
  }

  if (quoted) throw new SetSyntaxError(`--set ${JSON.stringify(flag)}: unbalanced double quote`)
  parts.push(current)
  return parts
}

function unquote(text: string, flag: string): string {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return text
  try {
    return JSON.parse(text) as string
  } catch {
    throw new SetSyntaxError(`--set ${JSON.stringify(flag)}: ${text} is not a valid double-quoted string`)
  }
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

/** Reads `--set` flags, as an input error a user can act on. */
export function readSetFlags(flags: string[]): SetOverride[] {
  let sets: SetOverride[]
  try {
    sets = parseSetFlags(flags)
  } catch (error) {
    if (!(error instanceof SetSyntaxError)) throw error
    throw new InvalidInputError(error.message, {hint: 'Use --set path=value (several: a=1,b=2); double-quote a key holding dots: metadata.labels."a.b/c"=x.'})
  }

  // apiVersion and kind choose the schema, the module and the state: an override would check the
  // manifest as one kind and run it as another.
  const routing = sets.find(set => ROUTING_FIELDS.has(set.path[0].toLowerCase().replaceAll('_', '')))
  if (routing) {
    throw new InvalidInputError(`--set ${JSON.stringify(routing.source)}: ${routing.path[0]} cannot be overridden`, {
      hint: 'apiVersion and kind choose the module and the state; write another manifest for another kind.',
    })
  }

  return sets
}

/** In any spelling the schema accepts (apiVersion, api_version, Kind, …). */
const ROUTING_FIELDS = new Set(['apiversion', 'kind'])

/** Applies overrides to plain manifest data (no schema): values are YAML scalars, labels strings. */
export async function applyUntyped(data: Record<string, unknown>, sets: SetOverride[]): Promise<void> {
  const {parse} = await import('yaml')
  for (const set of sets) {
    if (set.path.some(k => FORBIDDEN_KEYS.has(k))) throw new InvalidInputError(`invalid --set ${JSON.stringify(set.source)}: reserved path component`)
    // metadata's fields (name, labels, …) are strings: `name=123` is the name "123".
    const label = set.path[0] === 'metadata'
    let {value} = set
    if (!label) {
      try {
        value = parse(set.value)
      } catch (error) {
        // Not a YAML scalar (`a: b`, `[`): the text itself.
        if (!(error instanceof Error && error.name.startsWith('YAML'))) throw error
      }
    }

    let node = data
    for (const key of set.path.slice(0, -1)) {
      const next = node[key]
      if (next === undefined || next === null) {
        node[key] = {}
      } else if (typeof next !== 'object' || Array.isArray(next)) {
        throw new InvalidInputError(`invalid --set ${JSON.stringify(set.source)}: ${key} is not a mapping`)
      }

      node = node[key] as Record<string, unknown>
    }

    node[set.path.at(-1)!] = value
  }
}
