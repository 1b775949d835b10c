// Builds real git repositories shaped like the ProjectPlanton monorepo (the shape of
// monorepo.ts), for use as the upstream of the staging cache in tests.
//
// Why this is not the benchmark's generator (bench/monorepo.ts) with a size option: tests need
// content that runs and says which version ran (tf modules of `terraform_data` that terraform
// applies without a download, Go files whose imports make a known closure, a release marker in
// every module), a history with a branch, moved and component tags, and a work repository the
// tests keep committing to; and they build hundreds of upstreams per run, so each must take a
// fraction of a second. The benchmark needs the real sizes and none of that.
// Why not the demo's (examples/demo-monorepo): that is one kind, for people to read.
//
// History created by createUpstream() (all on branch `main` unless noted):
//   commit 1  marker "v0.1.0"   tag v0.1.0
//   commit 2  marker "v0.2.0"   tag v0.2.0
//   feature/x (branch off v0.2.0, one commit)  marker "feature-x"
//   commit 3  marker "main-3"   component tags only (not releases):
//             v0.2.0-terraform.kubernetesredis.20260101.0
//             v0.3.0-cli.20260115.1
//             v0.9.9-pulumi.awss3bucket.20260120.0
// The marker is written to the root file VERSION and to every tf module's
// outputs.tf as `output "module_version"`.

import {execFileSync} from 'node:child_process'
import {
  mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {stringify} from 'yaml'

import {
  componentTag, GO_MODULE, kindDir, moduleDir, pulumiProject,
} from './monorepo.js'

export {GO_MODULE} from './monorepo.js'

export type Upstream = {
  /** the non-bare work repo that acts as upstream */
  dir: string
  /** 'file://' + dir */
  url: string
  /** git rev-parse ref^{commit} */
  sha(ref: string): string
  /** write (null = delete) files relative to repo root, git add -A, commit, return the new sha */
  commit(files: Record<string, string | null>, message: string): string
  /** lightweight tag, forced so it can move existing tags; ref defaults to HEAD */
  tag(name: string, ref?: string): void
  /** create or force-move a branch without switching; ref defaults to HEAD */
  branch(name: string, ref?: string): void
  /** switch the upstream's checked-out (HEAD) branch */
  checkoutBranch(name: string): void
  /** run git in dir, return stdout trimmed */
  git(...args: string[]): string
}

export const KIND_DIR_REDIS = kindDir('kubernetes', 'KubernetesRedis')
export const KIND_DIR_POSTGRES = kindDir('kubernetes', 'KubernetesPostgres')
export const KIND_DIR_AWSS3BUCKET = kindDir('aws', 'AwsS3Bucket')
export const KIND_DIR_GCPGKECLUSTER = kindDir('gcp', 'GcpGkeCluster')

export const TF_MODULE_REDIS = moduleDir('kubernetes', 'KubernetesRedis', 'tf')
export const PULUMI_MODULE_REDIS = moduleDir('kubernetes', 'KubernetesRedis', 'pulumi')
export const TF_MODULE_POSTGRES = moduleDir('kubernetes', 'KubernetesPostgres', 'tf')
export const PULUMI_MODULE_POSTGRES = moduleDir('kubernetes', 'KubernetesPostgres', 'pulumi')
export const TF_MODULE_AWSS3BUCKET = moduleDir('aws', 'AwsS3Bucket', 'tf')
export const PULUMI_MODULE_AWSS3BUCKET = moduleDir('aws', 'AwsS3Bucket', 'pulumi')
export const TF_MODULE_GCPGKECLUSTER = moduleDir('gcp', 'GcpGkeCluster', 'tf')

export const TF_MODULES = [TF_MODULE_REDIS, TF_MODULE_POSTGRES, TF_MODULE_AWSS3BUCKET, TF_MODULE_GCPGKECLUSTER] as const
export const PULUMI_MODULES = [PULUMI_MODULE_REDIS, PULUMI_MODULE_POSTGRES, PULUMI_MODULE_AWSS3BUCKET] as const

/** Go packages (repo-relative dirs) reachable from the pulumi modules. */
export const SHARED_GO_DIRS = {
  shared: 'apis/org/project_planton/shared',
  common: 'pkg/iac/pulumi/pulumimodule/common',
  kubernetesProvider: 'pkg/iac/pulumi/pulumimodule/provider/kubernetes',
  awsProvider: 'pkg/iac/pulumi/pulumimodule/provider/aws',
} as const

/** A Go package no module imports. */
export const UNRELATED_GO_DIR = 'pkg/unrelated'

export const RELEASE_TAGS = ['v0.1.0', 'v0.2.0'] as const
export const COMPONENT_TAGS = [
  componentTag('v0.2.0', 'terraform.kubernetesredis', '20260101', 0),
  componentTag('v0.3.0', 'cli', '20260115', 1),
  componentTag('v0.9.9', 'pulumi.awss3bucket', '20260120', 0),
] as const
export const FEATURE_BRANCH = 'feature/x'

// ---------------------------------------------------------------------------
// temp dirs

const tempDirs: string[] = []

/** mkdtemp under os.tmpdir(); the directory is removed by removeTempDirs(). */
export function makeTempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)))
  tempDirs.push(dir)
  return dir
}

/** rm -rf every directory created by makeTempDir (call from after hooks). */
export function removeTempDirs(): void {
  while (tempDirs.length > 0) {
    const dir = tempDirs.pop()!
    rmSync(dir, {force: true, recursive: true, maxRetries: 3})
  }
}

// ---------------------------------------------------------------------------
// git

const BASE_DATE = Date.parse('2026-01-01T00:00:00Z')

function gitEnv(seq: number): NodeJS.ProcessEnv {
  const date = new Date(BASE_DATE + (seq * 60_000)).toISOString().replace(/\.\d{3}Z$/, 'Z')
  return {
    ...process.env,
    GIT_AUTHOR_NAME: 'Planton Test',
    GIT_AUTHOR_EMAIL: 'test@project-planton.invalid',
    GIT_COMMITTER_NAME: 'Planton Test',
    GIT_COMMITTER_EMAIL: 'test@project-planton.invalid',
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_DATE: date,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
  }
}

function runGit(cwd: string, seq: number, args: string[]): string {
  try {
    return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      env: gitEnv(seq),
      maxBuffer: 64 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim()
  } catch (error) {
    const err = error as Error & {stderr?: string; stdout?: string}
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${err.stderr || err.message}`)
  }
}

// ---------------------------------------------------------------------------
// repository content

type KindSpec = {
  provider: string
  kind: string // lower-case folder name, e.g. kubernetesredis
  kindName: string // e.g. KubernetesRedis
  pulumiName?: string // Pulumi.yaml project name; undefined = no pulumi module
  providerPkg?: 'kubernetes' | 'aws'
}

const KINDS: KindSpec[] = [
  {
    kind: 'kubernetesredis', kindName: 'KubernetesRedis', provider: 'kubernetes', providerPkg: 'kubernetes', pulumiName: 'kubernetes-redis',
  },
  {
    kind: 'kubernetespostgres', kindName: 'KubernetesPostgres', provider: 'kubernetes', providerPkg: 'kubernetes', pulumiName: 'kubernetes-postgres',
  },
  {
    kind: 'awss3bucket', kindName: 'AwsS3Bucket', provider: 'aws', providerPkg: 'aws', pulumiName: 'aws-s3-bucket',
  },
  {kind: 'gcpgkecluster', kindName: 'GcpGkeCluster', provider: 'gcp'},
]

function apiDir(k: KindSpec): string {
  return kindDir(k.provider, k.kind)
}

function tfOutputs(marker: string): string {
  return `output "name" {
  value = terraform_data.this.output.name
}

output "replicas" {
  value = terraform_data.this.output.replicas
}

output "module_version" {
  value = "${marker}"
}
`
}

function tfFiles(k: KindSpec, marker: string): Record<string, string> {
  const dir = moduleDir(k.provider, k.kind, 'tf')
  return {
    [`${dir}/README.md`]: `# ${k.kindName} Terraform module\n\nTest module; uses only built-in resources.\n`,
    [`${dir}/main.tf`]: `locals {
  name   = var.metadata.name
  labels = try(var.metadata.labels, {})
}

resource "terraform_data" "this" {
  input = {
    kind     = "${k.kindName}"
    name     = local.name
    replicas = try(var.spec.container.replicas, 1)
  }
}
`,
    [`${dir}/outputs.tf`]: tfOutputs(marker),
    [`${dir}/provider.tf`]: '# No external providers: this module only uses built-in resources.\n',
    [`${dir}/variables.tf`]: `variable "metadata" {
  description = "metadata of the ${k.kindName} resource"
  type        = any
}

variable "spec" {
  description = "spec of the ${k.kindName} resource"
  type        = any
}
`,
  }
}

function pulumiFiles(k: KindSpec): Record<string, string> {
  if (!k.pulumiName || !k.providerPkg) return {}
  const dir = moduleDir(k.provider, k.kind, 'pulumi')
  const apiPkg = `${GO_MODULE}/${apiDir(k)}`
  const alias = `${k.kind}v1`
  return {
    [`${dir}/Makefile`]: `.PHONY: build
build:
\tgo build ./...
`,
    [`${dir}/Pulumi.yaml`]: pulumiProject(k.pulumiName, 'test'),
    [`${dir}/README.md`]: `# ${k.kindName} Pulumi module\n`,
    [`${dir}/main.go`]: `package main

import (
\t"github.com/plantonhq/project-planton/${dir}/module"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
\tpulumi.Run(func(ctx *pulumi.Context) error {
\t\treturn module.Resources(ctx)
\t})
}
`,
    [`${dir}/module/main.go`]: `package module

import (
\t"fmt"

\t${alias} "${apiPkg}"
\t"${GO_MODULE}/pkg/iac/pulumi/pulumimodule/provider/${k.providerPkg}"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resources creates the ${k.kindName} resources.
func Resources(ctx *pulumi.Context) error {
\tin := &${alias}.${k.kindName}{}
\tif _, err := ${k.providerPkg}.Provider(ctx); err != nil {
\t\treturn fmt.Errorf("provider: %w", err)
\t}
\tctx.Export("name", pulumi.String(in.Name))
\treturn nil
}
`,
    [`${dir}/module/locals.go`]: `package module

import "strings"

func normalize(s string) string { return strings.ToLower(s) }
`,
  }
}

function apiFiles(k: KindSpec): Record<string, string> {
  return {
    [`${apiDir(k)}/api.pb.go`]: `package ${k.kind}v1

import shared "${GO_MODULE}/${SHARED_GO_DIRS.shared}"

// ${k.kindName} is the API resource.
type ${k.kindName} struct {
\tName     string
\tMetadata *shared.Metadata
}
`,
    [`${apiDir(k)}/api.proto`]: `syntax = "proto3";\n\npackage org.project_planton.provider.${k.provider}.${k.kind}.v1;\n\nmessage ${k.kindName} {}\n`,
  }
}

function sharedFiles(): Record<string, string> {
  const bigBody = Array.from({length: 400}, (_, i) => `func Unrelated${i}() int { return ${i} }`).join('\n')
  return {
    [`${SHARED_GO_DIRS.awsProvider}/provider.go`]: `package aws

import (
\t"${GO_MODULE}/${SHARED_GO_DIRS.common}"
\tpulumiaws "github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
\t"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Provider returns the AWS provider.
func Provider(ctx *pulumi.Context) (*pulumiaws.Provider, error) {
\treturn pulumiaws.NewProvider(ctx, common.Name("aws"), &pulumiaws.ProviderArgs{})
}
`,
    [`${SHARED_GO_DIRS.common}/common.go`]: `package common

// Name prefixes a resource name.
func Name(s string) string { return "planton-" + s }
`,
    [`${SHARED_GO_DIRS.kubernetesProvider}/provider.go`]: `package kubernetes

import "${GO_MODULE}/${SHARED_GO_DIRS.common}"

// Provider returns the provider name.
func Provider(_ interface{}) (string, error) { return common.Name("kubernetes"), nil }
`,
    [`${SHARED_GO_DIRS.shared}/metadata.pb.go`]: `package shared

// Metadata is the common resource metadata.
type Metadata struct {
\tName   string
\tLabels map[string]string
}
`,
    [`${UNRELATED_GO_DIR}/big.go`]: `package unrelated\n\nimport "os"\n\nvar _ = os.Getenv\n\n${bigBody}\n`,
  }
}

/** Files changed by a release: the root VERSION file and every tf module's outputs.tf. */
export function markerFiles(marker: string): Record<string, string> {
  const files: Record<string, string> = {VERSION: `${marker}\n`}
  for (const dir of TF_MODULES) files[`${dir}/outputs.tf`] = tfOutputs(marker)
  return files
}

function initialFiles(marker: string): Record<string, string> {
  const files: Record<string, string> = {
    'README.md': '# project-planton (test upstream)\n',
    'go.mod': `module ${GO_MODULE}\n\ngo 1.24\n\nrequire (\n\tgithub.com/pulumi/pulumi-aws/sdk/v6 v6.66.0\n\tgithub.com/pulumi/pulumi/sdk/v3 v3.150.0\n)\n`,
    'go.sum':
      'github.com/pulumi/pulumi-aws/sdk/v6 v6.66.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n'
      + 'github.com/pulumi/pulumi/sdk/v3 v3.150.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n',
    ...sharedFiles(),
  }
  for (const k of KINDS) Object.assign(files, apiFiles(k), tfFiles(k, marker), pulumiFiles(k))
  Object.assign(files, markerFiles(marker))
  return files
}

// ---------------------------------------------------------------------------
// public API

/** Open an existing git work repository as an Upstream (no content is created). */
export function openUpstream(dir: string): Upstream {
  let seq = 0
  const git = (...args: string[]): string => runGit(dir, seq, args)
  const upstream: Upstream = {
    branch(name, ref = 'HEAD') {
      git('branch', '-f', name, ref)
    },
    checkoutBranch(name) {
      git('checkout', '-q', name)
    },
    commit(files, message) {
      for (const [rel, content] of Object.entries(files)) {
        const abs = join(dir, rel)
        if (content === null) {
          rmSync(abs, {force: true, recursive: true})
        } else {
          mkdirSync(dirname(abs), {recursive: true})
          writeFileSync(abs, content)
        }
      }

      seq++
      git('add', '-A')
      git('commit', '-q', '--allow-empty', '--no-verify', '-m', message)
      return git('rev-parse', 'HEAD')
    },
    dir,
    git,
    sha(ref) {
      return git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`)
    },
    tag(name, ref = 'HEAD') {
      git('tag', '-f', name, ref)
    },
    url: `file://${dir}`,
  }
  return upstream
}

/**
 * Create a ProjectPlanton-shaped upstream repository (see the history at the top
 * of this file). Uses a fresh temp dir unless opts.dir is given.
 */
export function createUpstream(opts: {dir?: string; files?: (marker: string) => Record<string, string | null>} = {}): Upstream {
  const dir = opts.dir ?? makeTempDir('pp-upstream-')
  mkdirSync(dir, {recursive: true})
  runGit(dir, 0, ['init', '-q', '-b', 'main'])
  const u = openUpstream(realpathSync(dir))

  // opts.files: extra files of each commit of the history above, by its marker
  const extra = (marker: string) => opts.files?.(marker) ?? {}
  u.commit({...initialFiles('v0.1.0'), ...extra('v0.1.0')}, 'feat: initial modules')
  u.tag('v0.1.0')

  u.commit({...markerFiles('v0.2.0'), ...extra('v0.2.0')}, 'chore: release v0.2.0')
  u.tag('v0.2.0')

  u.git('checkout', '-q', '-b', FEATURE_BRANCH, 'v0.2.0')
  u.commit({...markerFiles('feature-x'), ...extra('feature-x')}, 'feat: feature x')
  u.checkoutBranch('main')

  u.commit({...markerFiles('main-3'), ...extra('main-3')}, 'feat: unreleased change on main')
  for (const t of COMPONENT_TAGS) u.tag(t)

  return u
}

/** Content of the root VERSION file at ref (e.g. 'v0.1.0'). */
export function markerAt(upstream: Upstream, ref: string): string {
  return upstream.git('show', `${ref}:VERSION`)
}

/** Write the files of `subdir` (repo-relative, '' = whole repo) at `ref` into `dest`. */
export function exportTree(upstream: Upstream, ref: string, subdir: string, dest: string): string[] {
  const listing = upstream.git('ls-tree', '-r', '--name-only', ref, '--', subdir || '.')
  const files = listing === '' ? [] : listing.split('\n')
  const prefix = subdir ? subdir.replace(/\/+$/, '') + '/' : ''
  for (const file of files) {
    const content = execFileSync('git', ['show', `${ref}:${file}`], {cwd: upstream.dir, env: gitEnv(0), maxBuffer: 64 * 1024 * 1024})
    const rel = prefix && file.startsWith(prefix) ? file.slice(prefix.length) : file
    const abs = join(dest, rel)
    mkdirSync(dirname(abs), {recursive: true})
    writeFileSync(abs, content)
  }

  return files
}

/** A ProjectPlanton manifest as YAML (defaults: KubernetesRedis "redis-demo" with one replica). */
export function manifestYaml(opts: {apiVersion?: string; kind?: string; labels?: Record<string, string>; name?: string; spec?: unknown} = {}): string {
  const metadata: Record<string, unknown> = {name: opts.name ?? 'redis-demo'}
  if (opts.labels) metadata.labels = opts.labels
  const doc: Record<string, unknown> = {
    apiVersion: opts.apiVersion ?? 'kubernetes.project-planton.org/v1',
    kind: opts.kind ?? 'KubernetesRedis',
    metadata,
  }
  const spec = 'spec' in opts ? opts.spec : {container: {replicas: 1}}
  if (spec !== undefined) doc.spec = spec
  return stringify(doc)
}
