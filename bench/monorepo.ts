/**
 * A synthetic ProjectPlanton monorepo of the real shape (test/support/monorepo.ts) and size,
 * written as a bare git repository with `git fast-import` (one process, one pack, no work tree):
 * seconds instead of minutes.
 *
 * Why this is not the tests' generator (test/support/upstream.ts) with a size option: what the
 * benchmark measures (clone, fetch, export, copy) depends on the number and size of files, the
 * pack and the history, so it needs the real ones; the content is never run, only stored, so it
 * is made up (lines from a small vocabulary that compress like source code, images that do not
 * compress at all). The tests need the opposite: a small tree whose content runs, built in a
 * fraction of a second and changed commit by commit through a work tree.
 *
 * Shape at HEAD (scale 1): ~7,400 files, ~100 MiB; 135 kinds with a pulumi module (13 files, Go
 * `package main` plus a `module/` package, no own go.mod) and 131 with a tf module (7 files) under
 * `apis/org/project_planton/provider/<provider>/<kind>/v1/iac/{pulumi,tf}` over the 12 providers;
 * a root go.mod and go.sum; shared Go packages under `pkg/...` and
 * `apis/org/project_planton/shared`; one package of three 4 MiB generated files imported by a
 * part of the kubernetes modules; docs, web app sources and images that no module needs.
 * History: 1,300 commits on `main`, 40 release tags `vX.Y.Z` and 90 component tags.
 *
 * `scale` 2 or 4 adds (scale − 1) sets of unrelated files of the same shape and size under
 * `archive/`, so the file count and the bytes grow while every module stays the same.
 *
 * `history: 'real'` makes the history weigh what the real monorepo's does (~78 MiB pack instead of
 * ~56 MiB): each commit also rewrites a docs page, and every eleventh replaces an image. HEAD's tree
 * has the same shape either way.
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {
  API_ROOT, componentTag, GO_MODULE, kindDir as kindFolder, moduleDir, PROVIDERS, pulumiProject,
} from '../test/support/monorepo.js'

/** The package of big generated files, and how big they are. */
export const BIG_PACKAGE = 'pkg/kubernetes/kubernetestypes/crds'
const BIG_FILES = 3
const BIG_FILE_BYTES = 4 * 1024 * 1024

type File = {path: string; mode: '100644' | '100755'; content: () => Buffer}

export type KindInfo = {provider: string; kind: string; folder: string; pulumi: boolean; tf: boolean; usesCrds: boolean}

export type MonorepoFacts = {
  dir: string
  url: string
  files: number
  bytes: number
  commits: number
  tags: number
  kinds: KindInfo[]
}

/** For each provider: the prefix of its kinds' names, and how many kinds it has (135 in all). */
const KINDS_OF: Record<(typeof PROVIDERS)[number], [prefix: string, count: number]> = {
  kubernetes: ['Kubernetes', 45],
  aws: ['Aws', 25],
  gcp: ['Gcp', 15],
  digitalocean: ['DigitalOcean', 12],
  civo: ['Civo', 10],
  azure: ['Azure', 10],
  cloudflare: ['Cloudflare', 8],
  auth0: ['Auth0', 3],
  openfga: ['OpenFga', 3],
  confluent: ['Confluent', 2],
  atlas: ['Atlas', 1],
  snowflake: ['Snowflake', 1],
}

const SUFFIXES = [
  'Postgres',
  'Redis',
  'Kafka',
  'Mongodb',
  'Elasticsearch',
  'Keycloak',
  'Jenkins',
  'Gitlab',
  'Prometheus',
  'Grafana',
  'Istio',
  'CertManager',
  'ExternalDns',
  'IngressNginx',
  'Argocd',
  'Temporal',
  'Solr',
  'Neo4j',
  'Clickhouse',
  'Nats',
  'Signoz',
  'Harbor',
  'Locust',
  'Openbao',
  'Deployment',
  'CronJob',
  'StatefulSet',
  'Namespace',
  'Secret',
  'HelmRelease',
  'Vpc',
  'Subnet',
  'Cluster',
  'NodePool',
  'Bucket',
  'Database',
  'Queue',
  'Topic',
  'Function',
  'LoadBalancer',
  'Dns',
  'Certificate',
  'Firewall',
  'Volume',
  'Registry',
  'Alb',
  'Cdn',
  'Lambda',
  'Ecs',
  'Eks',
  'Rds',
  'Route53',
  'S3Bucket',
  'Iam',
  'Kms',
  'Sqs',
  'Sns',
  'Dynamodb',
  'Redshift',
  'Ec2',
  'Efs',
  'Client',
  'Connection',
  'Store',
  'Model',
]

/** The kinds, in a fixed order; the first 12 kubernetes kinds use the big generated package. */
export function kinds(): KindInfo[] {
  const all: KindInfo[] = []
  let tfSkipped = 0
  for (const provider of PROVIDERS) {
    const [prefix, count] = KINDS_OF[provider]
    for (let i = 0; i < count; i++) {
      // Kubernetes kinds are workloads (Postgres, Redis, …); the cloud ones start at Vpc.
      const j = i + (provider === 'kubernetes' ? 0 : 30)
      const kind = `${prefix}${SUFFIXES[j % SUFFIXES.length]}${j >= SUFFIXES.length ? i : ''}`
      // 131 of the 135 kinds have a tf module.
      const tf = !(provider === 'aws' && i >= 21 && tfSkipped++ < 4)
      all.push({
        provider, kind, folder: kind.toLowerCase(), pulumi: true, tf, usesCrds: provider === 'kubernetes' && i < 12,
      })
    }
  }

  return all
}

export function kindDir(k: KindInfo): string {
  return kindFolder(k.provider, k.folder)
}

// ---------------------------------------------------------------------------
// content: deterministic text built from a small vocabulary (compresses like source code)

const MODULUS = 2_147_483_647

/** Park–Miller: plain arithmetic, exact in doubles (products stay below 2^53). */
class Rng {
  private s: number

  constructor(seed: number) {
    this.s = 1 + (Math.abs(Math.floor(seed)) % (MODULUS - 1))
  }

  next(): number {
    this.s = (this.s * 48_271) % MODULUS
    return (this.s - 1) / (MODULUS - 1)
  }

  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sta', 'ge', 'pol', 'vin', 'dex', 'tor', 'qua', 'zen', 'bri', 'fo', 'hul', 'jad', 'wex', 'yo', 'cre']
const rng0 = new Rng(7)
const WORDS = Array.from({length: 3000}, () => {
  const n = 2 + rng0.int(3)
  let w = ''
  for (let i = 0; i < n; i++) w += SYLLABLES[rng0.int(SYLLABLES.length)]
  return w
})
const cap = (w: string) => w[0].toUpperCase() + w.slice(1)

function line(r: Rng, style: 'go' | 'hcl' | 'md' | 'proto' | 'ts'): string {
  const w = () => WORDS[r.int(WORDS.length)]
  switch (style) {
  case 'go': {
    return `\t${w()}${cap(w())} := ${w()}.${cap(w())}(${w()}, "${w()}-${w()}", ${r.int(1000)}) // ${w()} ${w()}\n`
  }

  case 'hcl': {
    return `  ${w()}_${w()} = try(var.spec.${w()}.${w()}, "${w()}")\n`
  }

  case 'proto': {
    return `  ${cap(w())}${cap(w())} ${w()}_${w()} = ${1 + r.int(99)}; // ${w()} ${w()} ${w()}\n`
  }

  case 'ts': {
    return `export const ${w()}${cap(w())} = (${w()}: ${cap(w())}) => ${w()}.${w()}(${r.int(100)}, '${w()}');\n`
  }

  default: {
    return `${cap(w())} ${w()} ${w()} ${w()} ${w()}, ${w()} ${w()} ${w()} ${w()} ${w()}.\n`
  }
  }
}

function seedOf(path: string, salt: number): number {
  let h = 7 + salt
  for (const ch of path) h = ((h * 31) + ch.codePointAt(0)!) % MODULUS
  return h
}

type Style = Parameters<typeof line>[1]

function text(path: string, bytes: number, style: Style, {head = '', salt = 0}: {head?: string; salt?: number} = {}): Buffer {
  const r = new Rng(seedOf(path, salt))
  const parts = [head]
  let size = head.length
  while (size < bytes) {
    const l = line(r, style)
    parts.push(l)
    size += l.length
  }

  return Buffer.from(parts.join(''))
}

function goFile(path: string, pkg: string, imports: string[], bytes: number): Buffer {
  const head = `// Code generated for the benchmark. DO NOT EDIT.\n\npackage ${pkg}\n\nimport (\n${imports.map(i => `\t"${i}"\n`).join('')})\n\nfunc init() {\n`
  return Buffer.concat([text(path, bytes, 'go', {head}), Buffer.from('}\n')])
}

const go = (rel: string) => `${GO_MODULE}/${rel}`

// ---------------------------------------------------------------------------
// the tree

const SHARED = `${API_ROOT}/shared`
const SHARED_K8S = `${SHARED}/kubernetes`
const SHARED_KIND = `${SHARED}/cloudresourcekind`
const STACKINPUT = 'pkg/iac/pulumi/pulumimodule/stackinput'
const STRINGMAPS = 'pkg/iac/pulumi/pulumimodule/datatypes/stringmaps'
const providerPkg = (p: string) => `pkg/iac/pulumi/pulumimodule/provider/${p}`
const K8S_HELPERS = ['containerresources', 'kuberneteslabels', 'helmrelease'].map(h => `pkg/iac/pulumi/pulumimodule/provider/kubernetes/${h}`)

function goPackage(dir: string, files: number, imports: string[], bytes: number): File[] {
  const pkg = dir.split('/').pop()!.replaceAll('-', '')
  return Array.from({length: files}, (_, i) => {
    const p = `${dir}/${pkg}_${i}.go`
    return {path: p, mode: '100644', content: () => goFile(p, pkg, imports, bytes)} satisfies File
  })
}

function textFile(path: string, bytes: number, style: Style, mode: File['mode'] = '100644'): File {
  return {path, mode, content: () => text(path, bytes, style)}
}

function kindFiles(k: KindInfo): File[] {
  const dir = kindDir(k)
  const pkg = `${k.folder}v1`
  const v1Imports = [go(SHARED), ...(k.provider === 'kubernetes' ? [go(SHARED_K8S)] : [])]
  const files: File[] = [
    ...['api', 'spec', 'stack_input', 'stack_outputs'].map(n => textFile(`${dir}/${n}.proto`, 2500, 'proto')),
    ...['api', 'spec', 'stack_input', 'stack_outputs'].map(n => {
      const p = `${dir}/${n}.pb.go`
      return {path: p, mode: '100644', content: () => goFile(p, pkg, v1Imports, n === 'spec' ? 60_000 : 18_000)} satisfies File
    }),
    {path: `${dir}/spec_test.go`, mode: '100644', content: () => goFile(`${dir}/spec_test.go`, pkg, ['testing'], 4000)},
    textFile(`${dir}/README.md`, 5000, 'md'),
    textFile(`${dir}/examples.md`, 3000, 'md'),
    textFile(`${dir}/docs/README.md`, 9000, 'md'),
    textFile(`${dir}/iac/hack/manifest.yaml`, 400, 'md'),
  ]
  if (k.pulumi) {
    const pd = moduleDir(k.provider, k.folder, 'pulumi')
    const mod = `${pd}/module`
    const moduleImports = [
      go(dir),
      go(providerPkg(k.provider)),
      go(STRINGMAPS),
      ...(k.provider === 'kubernetes' ? K8S_HELPERS.map(h => go(h)) : []),
      ...(k.usesCrds ? [go(BIG_PACKAGE)] : []),
      'github.com/pulumi/pulumi/sdk/v3/go/pulumi',
    ]
    files.push(
      {path: `${pd}/Pulumi.yaml`, mode: '100644', content: () => Buffer.from(pulumiProject(k.folder, `Pulumi module of ${k.kind}`))},
      textFile(`${pd}/Makefile`, 600, 'md'),
      textFile(`${pd}/README.md`, 2500, 'md'),
      textFile(`${pd}/overview.md`, 3000, 'md'),
      textFile(`${pd}/debug.sh`, 300, 'md', '100755'),
      {path: `${pd}/main.go`, mode: '100644', content: () => goFile(`${pd}/main.go`, 'main', [go(dir), go(mod), go(STACKINPUT), 'github.com/pulumi/pulumi/sdk/v3/go/pulumi'], 1500)},
      ...['main', 'locals', 'outputs', 'vars', 'resources', 'network', 'iam'].map(n => {
        const p = `${mod}/${n}.go`
        return {path: p, mode: '100644', content: () => goFile(p, 'module', moduleImports, 2500)} satisfies File
      }),
    )
  }

  if (k.tf) {
    const td = moduleDir(k.provider, k.folder, 'tf')
    files.push(
      ...['main', 'variables', 'outputs', 'locals', 'provider'].map(n => textFile(`${td}/${n}.tf`, 3000, 'hcl')),
      textFile(`${td}/README.md`, 2500, 'md'),
      textFile(`${td}/examples.md`, 1500, 'md'),
    )
  }

  return files
}

/** Everything at HEAD except the unrelated `archive/` sets. */
function baseTree(): File[] {
  const files: File[] = []
  const goMod = `module ${GO_MODULE}\n\ngo 1.24.0\n\nrequire (\n${Array.from({length: 250}, (_, i) => `\tgithub.com/example/dep${i} v1.${i % 30}.${i % 7}\n`).join('')})\n`
  files.push({path: 'go.mod', mode: '100644', content: () => Buffer.from(goMod)}, {
    path: 'go.sum',
    mode: '100644',
    content: () => Buffer.from(Array.from({length: 1400}, (_, i) => `github.com/example/dep${i % 250} v1.${i % 30}.${i % 7}/go.mod h1:${randomBase64(i)}=\n`).join('')),
  })
  for (const p of ['README.md', 'CHANGELOG.md', 'CONTRIBUTING.md', 'LICENSE', 'Makefile']) files.push(textFile(p, 6000, 'md'))
  for (const k of kinds()) files.push(...kindFiles(k))

  // Shared Go packages the modules import.
  files.push(
    ...goPackage(SHARED, 10, [go(SHARED_KIND)], 12_000),
    ...goPackage(SHARED_K8S, 6, [go(SHARED)], 10_000),
    ...goPackage(SHARED_KIND, 3, [], 30_000),
    ...goPackage(STACKINPUT, 2, [go(SHARED)], 3000),
    ...goPackage(STRINGMAPS, 2, [], 2000),
  )
  for (const p of PROVIDERS) files.push(...goPackage(providerPkg(p), 4, [go(SHARED), go(STRINGMAPS)], 4000))
  for (const h of K8S_HELPERS) files.push(...goPackage(h, 3, [go(SHARED_K8S)], 4000))
  for (let i = 0; i < BIG_FILES; i++) {
    const p = `${BIG_PACKAGE}/zz_generated_${i}.go`
    files.push({path: p, mode: '100644', content: () => goFile(p, 'crds', [go(SHARED_K8S)], BIG_FILE_BYTES)})
  }

  // The CLI's own Go code: many packages no module imports.
  for (let i = 0; i < 60; i++) files.push(...goPackage(`internal/cli/pkg${i}`, 6, [go(SHARED)], 10_000))
  for (let i = 0; i < 20; i++) files.push(...goPackage(`cmd/project-planton/root/sub${i}`, 5, [go(`internal/cli/pkg${i}`)], 5000))
  // Docs site and web app: text, and images that do not compress.
  for (let i = 0; i < 1250; i++) files.push(textFile(`site/content/docs/section${i % 40}/page${i}.mdx`, 14_000, 'md'))
  for (let i = 0; i < 1000; i++) files.push(textFile(`app/frontend/src/components/c${i % 50}/file${i}.tsx`, 6000, 'ts'))
  for (let i = 0; i < 200; i++) {
    files.push({path: `site/public/images/img${i}.png`, mode: '100644', content: () => randomBytes(140_000)})
  }

  return files
}

/** One set of unrelated files shaped like the base tree (without the big generated package). */
function archiveTree(base: File[], set: number): File[] {
  return base
  .filter(f => !f.path.startsWith(BIG_PACKAGE))
  .map(f => {
    const p = `archive/set${set}/${f.path}`
    if (f.path.endsWith('.png')) return {...f, path: p}
    // Same size as the original, new content (not a copy, so git cannot share objects).
    return {path: p, mode: f.mode, content: () => text(p, f.content().length, styleOf(p), {salt: set})}
  })
}

function styleOf(p: string): Style {
  if (p.endsWith('.go')) return 'go'
  if (p.endsWith('.tf')) return 'hcl'
  if (p.endsWith('.proto')) return 'proto'
  if (p.endsWith('.tsx')) return 'ts'
  return 'md'
}

function randomBase64(i: number): string {
  const r = new Rng(i + 1)
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  let s = ''
  for (let j = 0; j < 43; j++) s += chars[r.int(64)]
  return s
}

// ---------------------------------------------------------------------------
// writing the repository

const COMMITS = 1300
const RELEASES = 40
const COMPONENT_TAGS = 90
const COMMITTER = 'Planton Bench <bench@project-planton.invalid>'

/** A fast-import session: blobs and commits written to `git fast-import`'s stdin with back-pressure. */
class FastImport {
  private readonly child
  private stderr = ''
  private mark = 0

  constructor(dir: string) {
    this.child = spawn('git', ['fast-import', '--quiet', '--done'], {cwd: dir, stdio: ['pipe', 'ignore', 'pipe']})
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString()
    })
  }

  async write(chunk: Buffer | string): Promise<void> {
    if (!this.child.stdin.write(chunk)) await once(this.child.stdin, 'drain')
  }

  async data(content: Buffer | string): Promise<void> {
    const buf = typeof content === 'string' ? Buffer.from(content) : content
    await this.write(`data ${buf.length}\n`)
    await this.write(buf)
    await this.write('\n')
  }

  /** Writes every file's blob; returns the marks and the total bytes. */
  async blobs(files: File[]): Promise<{marks: number[]; bytes: number}> {
    const marks: number[] = []
    let bytes = 0
    for (const f of files) {
      const content = f.content()
      bytes += content.length
      marks.push(++this.mark)
      await this.write(`blob\nmark :${this.mark}\n`)
      await this.data(content)
    }

    return {marks, bytes}
  }

  async finish(): Promise<void> {
    await this.write('done\n')
    this.child.stdin.end()
    const [code] = (await once(this.child, 'close')) as [number]
    if (code !== 0) throw new Error(`git fast-import failed (${code}): ${this.stderr}`)
  }
}

/** Commit i's date (hourly from 2025-01-01) and its fast-import mark (blob marks stay below). */
const when = (i: number) => `${1_735_689_600 + (i * 3600)} +0000`
const commitMark = (i: number) => 1_000_000 + i

/**
 * Writes the repository into `dir` (a new bare repository) and returns what it holds. With `base`,
 * the new repository borrows the base's objects (git alternates), takes over its tags and adds one
 * commit on top of its `main` with (scale − 1) sets of unrelated files: the same modules and history
 * in a repository with `scale` times the files, without writing the base again.
 */
export async function createMonorepo(dir: string, opts: {scale?: number; base?: MonorepoFacts; history?: 'light' | 'real'} = {}): Promise<MonorepoFacts> {
  const scale = opts.scale ?? 1
  await mkdir(dir, {recursive: true})
  await git(dir, ['init', '--bare', '--quiet', '--initial-branch=main'])
  const base = baseTree()
  const extra: File[] = []
  for (let s = 1; s < scale; s++) extra.push(...archiveTree(base, s))
  const fi = new FastImport(dir)

  if (opts.base) {
    await writeFile(path.join(dir, 'objects', 'info', 'alternates'), `${path.join(opts.base.dir, 'objects')}\n`)
    const tip = (await gitOutput(opts.base.dir, ['rev-parse', 'refs/heads/main'])).trim()
    const {marks, bytes} = await fi.blobs(extra)
    await fi.write(`commit refs/heads/main\ncommitter ${COMMITTER} ${when(COMMITS + 1)}\n`)
    await fi.data(`Add ${extra.length} unrelated files\n`)
    await fi.write(`from ${tip}\n`)
    for (const [i, f] of extra.entries()) await fi.write(`M ${f.mode} :${marks[i]} ${f.path}\n`)
    await fi.write('\n')
    await fi.finish()
    await git(dir, ['fetch', '--quiet', '--no-write-fetch-head', opts.base.dir, '+refs/tags/*:refs/tags/*'])
    return {
      ...opts.base, dir, url: `file://${dir}`, files: opts.base.files + extra.length, bytes: opts.base.bytes + bytes, commits: opts.base.commits + 1,
    }
  }

  const tree = [...base, ...extra]
  const {marks, bytes} = await fi.blobs(tree)
  // Commit 1 holds the whole tree; each later one edits the changelog and one small module file.
  const small = tree.filter(f => f.path.includes('/iac/') && !f.path.endsWith('.go') && !f.path.endsWith('Pulumi.yaml'))
  const pages = opts.history === 'real' ? tree.filter(f => f.path.startsWith('site/content/')) : []
  const images = opts.history === 'real' ? tree.filter(f => f.path.endsWith('.png')) : []
  let changelog = ''
  for (let i = 1; i <= COMMITS; i++) {
    await fi.write(`commit refs/heads/main\nmark :${commitMark(i)}\ncommitter ${COMMITTER} ${when(i)}\n`)
    await fi.data(i === 1 ? 'Initial import\n' : `change ${i}\n`)
    if (i === 1) {
      for (const [j, f] of tree.entries()) await fi.write(`M ${f.mode} :${marks[j]} ${f.path}\n`)
    } else {
      changelog += `- change ${i}\n`
      await fi.write('M 100644 inline CHANGELOG.md\n')
      await fi.data(changelog)
      const f = small[(i * 7919) % small.length]
      await fi.write(`M ${f.mode} inline ${f.path}\n`)
      await fi.data(text(f.path, f.content().length, 'md', {salt: i}))
      if (pages.length > 0) {
        const page = pages[(i * 104_729) % pages.length]
        await fi.write(`M ${page.mode} inline ${page.path}\n`)
        await fi.data(text(page.path, 14_000, 'md', {salt: i}))
      }

      if (images.length > 0 && i % 11 === 0) {
        await fi.write(`M 100644 inline ${images[(i / 11) % images.length].path}\n`)
        await fi.data(randomBytes(140_000))
      }
    }

    await fi.write('\n')
  }

  // Releases spread over the history (the last one on the tip); component tags between them.
  const kindList = kinds()
  const tagNames: string[] = []
  for (let r = 0; r < RELEASES; r++) {
    const at = Math.round(((r + 1) * COMMITS) / RELEASES)
    const name = `v0.${2 + Math.floor(r / 20)}.${r % 20}`
    tagNames.push(name)
    await fi.write(`reset refs/tags/${name}\nfrom :${commitMark(at)}\n\n`)
  }

  for (let c = 0; c < COMPONENT_TAGS; c++) {
    const at = 1 + ((c * 131) % (COMMITS - 1))
    const k = kindList[(c * 17) % kindList.length]
    const date = `2026${String(1 + Math.floor(c / 28)).padStart(2, '0')}${String(1 + (c % 28)).padStart(2, '0')}`
    const kindsOfTag = [`terraform.${k.folder}`, `pulumi.${k.folder}`, 'cli', 'app']
    const name = componentTag(`v0.3.${c % 20}`, kindsOfTag[c % 4], date, c % 3)
    tagNames.push(name)
    await fi.write(`reset refs/tags/${name}\nfrom :${commitMark(at)}\n\n`)
  }

  await fi.finish()
  return {
    dir, url: `file://${dir}`, files: tree.length, bytes, commits: COMMITS, tags: new Set(tagNames).size, kinds: kindList,
  }
}

async function git(cwd: string, args: string[]): Promise<void> {
  await gitOutput(cwd, args)
}

async function gitOutput(cwd: string, args: string[]): Promise<string> {
  const child = spawn('git', args, {cwd, stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString()
  })
  const [code] = (await once(child, 'close')) as [number]
  if (code !== 0) throw new Error(`git ${args.join(' ')} failed with ${code}: ${err}`)
  return out
}
