// The shape of the ProjectPlanton monorepo (SPEC §8), described once for every fixture of it:
//   test/support/upstream.ts    small upstreams the tests build and change (with protos.ts)
//   bench/monorepo.ts           the benchmark's monorepo of the real size
//   examples/demo-monorepo      the offline demo's upstream (scripts/demo.mjs)
// Each of them says at its top why its content is its own; monorepo.test.ts checks that all three
// keep to this shape.

export const GO_MODULE = 'github.com/plantonhq/project-planton'

/** The API protos and the Go code generated from them. */
export const API_ROOT = 'apis/org/project_planton'

export const PROVIDER_ROOT = `${API_ROOT}/provider`

/** The twelve provider folders of the real monorepo (in the benchmark's order). */
export const PROVIDERS = [
  'kubernetes',
  'aws',
  'gcp',
  'digitalocean',
  'civo',
  'azure',
  'cloudflare',
  'auth0',
  'openfga',
  'confluent',
  'atlas',
  'snowflake',
] as const

/** The folder of a kind's API (`KubernetesRedis` of `kubernetes` → `…/provider/kubernetes/kubernetesredis/v1`). */
export function kindDir(provider: string, kind: string): string {
  return `${PROVIDER_ROOT}/${provider}/${kind.toLowerCase()}/v1`
}

/**
 * A kind's module for a tool. A pulumi module is a Go `package main` with a Pulumi.yaml and no
 * go.mod of its own (it builds against the root one); a tf module is self-contained.
 */
export function moduleDir(provider: string, kind: string, tool: 'pulumi' | 'tf'): string {
  return `${kindDir(provider, kind)}/iac/${tool}`
}

/** The Pulumi.yaml of a module (every real one is a Go program). */
export function pulumiProject(name: string, description: string): string {
  return `name: ${name}\nruntime: go\ndescription: ${description}\n`
}

/**
 * A component tag, which `latest` must never pick: `<version>-<component>.<YYYYMMDD>.<n>`, where the
 * component is `cli`, `app`, `pulumi.<kind folder>` or `terraform.<kind folder>`.
 */
export function componentTag(version: string, component: string, date: string, n: number): string {
  return `${version}-${component}.${date}.${n}`
}
