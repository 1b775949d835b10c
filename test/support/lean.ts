// Helpers for lean staging tests: upstreams that allow partial clones (and one that does not), more
// kinds than the default upstream has, and looks into a staging clone that never fetch anything.
import {execFileSync} from 'node:child_process'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'

import {upstreamSchemaFiles} from './protos.js'
import {createUpstream, type Upstream} from './upstream.js'

/** What a run needs in the environment to clone staging lean. */
export const LEAN: NodeJS.ProcessEnv = {PROJECT_PLANTON_STAGING: 'lean'}

/** Kinds with only a tf module, added to the upstream so that more modules can run side by side. */
export const EXTRA_KINDS = ['KubernetesExtraone', 'KubernetesExtratwo', 'KubernetesExtrathree', 'KubernetesExtrafour'] as const

export function extraTfModule(kind: string): string {
  return `apis/org/project_planton/provider/kubernetes/${kind.toLowerCase()}/v1/iac/tf`
}

function extraKindFiles(marker: string): Record<string, string> {
  const files: Record<string, string> = {}
  for (const kind of EXTRA_KINDS) {
    const dir = extraTfModule(kind)
    files[`${dir}/main.tf`] = `resource "terraform_data" "this" {\n  input = {\n    kind = "${kind}"\n    name = var.metadata.name\n  }\n}\n`
    files[`${dir}/variables.tf`] = 'variable "metadata" {\n  type = any\n}\n\nvariable "spec" {\n  type = any\n}\n'
    files[`${dir}/outputs.tf`] = `output "module_version" {\n  value = "${marker}"\n}\n\noutput "kind" {\n  value = "${kind}"\n}\n`
  }

  return files
}

/**
 * Lets an upstream serve partial clones, as GitHub does: filters allowed, and single objects handed
 * out by id also under protocol v0/v1 (protocol v2, git's default, allows that anyway).
 */
export function allowLean(u: Upstream): Upstream {
  u.git('config', 'uploadpack.allowFilter', 'true')
  u.git('config', 'uploadpack.allowAnySHA1InWant', 'true')
  return u
}

/** The test upstream with real protos and generated code, the extra kinds, and partial clones allowed. */
export function createLeanUpstream(opts: {allowFilter?: boolean} = {}): Upstream {
  const u = createUpstream({files: marker => ({...upstreamSchemaFiles(marker), ...extraKindFiles(marker)})})
  if (opts.allowFilter === false) {
    u.git('config', 'uploadpack.allowFilter', 'false')
    return u
  }

  return allowLean(u)
}

/** git in a staging clone, refusing every transport: a look never fetches what it looks at. */
export function gitOffline(clone: string, args: string[]): string {
  return execFileSync('git', ['-c', 'protocol.allow=never', '-C', clone, ...args], {
    encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: {PATH: process.env.PATH, HOME: process.env.HOME, LC_ALL: 'C'},
  })
}

/** Whether the clone is partial (git marks the remote a promisor). */
export function isPartialClone(clone: string): boolean {
  try {
    return gitOffline(clone, ['config', '--local', '--get', 'remote.origin.promisor']).trim() === 'true'
  } catch {
    return false
  }
}

/** Repository path → blob id of commit `rev` (below `dir`, all when empty). */
export function blobIds(repo: string, rev: string, dir = ''): Map<string, string> {
  const listing = gitOffline(repo, ['ls-tree', '-r', '-z', '--full-tree', rev, ...(dir ? ['--', dir] : [])])
  const ids = new Map<string, string>()
  for (const rec of listing.split('\0').filter(Boolean)) {
    const tab = rec.indexOf('\t')
    const [, type, oid] = rec.slice(0, tab).split(' ')
    if (type === 'blob') ids.set(rec.slice(tab + 1), oid)
  }

  return ids
}

/** The paths of commit `rev` below `dir` (all when empty) whose contents are not in the clone. */
export function missingPaths(clone: string, rev: string, dir = ''): string[] {
  const missing = new Set(gitOffline(clone, ['rev-list', '--objects', '--missing=print', `${rev}^{tree}`]).split('\n').filter(l => l.startsWith('?')).map(l => l.slice(1)))
  return [...blobIds(clone, rev, dir)].filter(([, oid]) => missing.has(oid)).map(([p]) => p).sort()
}

/** Files a killed git leaves while receiving a pack. */
export function tmpPacks(clone: string): string[] {
  const dir = path.join(clone, '.git', 'objects', 'pack')
  return existsSync(dir) ? readdirSync(dir).filter(n => n.startsWith('tmp_')) : []
}

/** The top-level entries of the clone besides .git (a lean staging has none). */
export function workTreeEntries(clone: string): string[] {
  return existsSync(clone) ? readdirSync(clone).filter(n => n !== '.git') : []
}

/** A spec each kind's protos accept (the extra kinds have no protos: anything goes). */
const VALID_SPEC: Record<string, unknown> = {
  AwsS3Bucket: {awsRegion: 'us-east-1'},
  GcpGkeCluster: {projectId: 'demo'},
}

/** Writes a manifest of `kind` for `tool` into `dir` and returns its path. */
export function writeManifest(dir: string, kind: string, tool: 'pulumi' | 'terraform', opts: {name?: string; spec?: unknown} = {}): string {
  const spec = opts.spec ?? VALID_SPEC[kind] ?? {namespace: {value: 'demo'}}
  const name = opts.name ?? `${kind.toLowerCase()}-${tool}`
  const labels: Record<string, string> = {'project-planton.org/provisioner': tool}
  if (tool === 'pulumi') labels['pulumi.project-planton.org/stack.fqdn'] = `acme/${kind.toLowerCase()}/dev`
  const provider = /^[A-Z][a-z\d]*/.exec(kind)![0].toLowerCase()
  const file = path.join(dir, `${name}.yaml`)
  writeFileSync(file, stringify({
    apiVersion: `${provider}.project-planton.org/v1`, kind, metadata: {name, labels}, spec,
  }))
  return file
}
