/**
 * What is wrong with a manifest, each with the path of the field it is about: problems of shape
 * (unknown field, wrong type, two members of one oneof, a bad --set) and rule violations.
 */
export type Problem = {
  /** `spec.container.replicas`, `metadata.labels["a.b/c"]`, `spec.items[2].name`; empty for the whole manifest */
  path: string
  message: string
  /** parse: the manifest does not fit the message; set: a --set override; default: a default of the protos; rule: a buf.validate rule */
  kind: 'default' | 'parse' | 'rule' | 'set'
  /** for rules: the rule's id (`string.min_len`, a CEL rule's id) */
  rule?: string
}

export function formatProblem(p: Problem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message
}

const IDENTIFIER = /^[A-Za-z_][\w-]*$/

/** `parent` + field or map key `key`: `a.b`, or `a["x.y/z"]` for a key that is not a plain name. */
export function childPath(parent: string, key: string, mapKey = false): string {
  if (mapKey && !IDENTIFIER.test(key)) return `${parent}[${JSON.stringify(key)}]`
  return parent ? `${parent}.${key}` : key
}
