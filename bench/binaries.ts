/**
 * `npm run bench:binaries [-- --quick]`: what a warm pulumi run costs the CLI with a module binary
 * against the warm source workspace it replaces, and how many `go` processes the CLI starts per run,
 * measured side by side in one run on the synthetic monorepo (bench/monorepo.ts). Prints a Markdown
 * table in the format of bench/run.ts; `measureBinaryRows` gives the rows to bench/run.ts.
 *
 * What cannot be measured here: the compile a binary run saves. There is no Go and no Pulumi on the
 * machines this runs on, so `go` is a stand-in that counts its invocations and writes a small
 * program. A source run hands Pulumi a fresh closure workspace, and Pulumi's Go runtime then runs
 * `go build` on it: without -trimpath every package of the closure is compiled again (Go's build
 * cache is keyed on absolute folders), so a source run costs seconds to minutes of compiling that a
 * binary run does not pay. The figures below are only what the CLI itself spends.
 */
import {
  chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs'
import {writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type * as CacheModule from '../src/core/binaries/cache.js'
import type * as PulumiYamlModule from '../src/core/binaries/pulumi-yaml.js'
import type * as ResolveModule from '../src/core/binaries/resolve.js'
import type * as HomeModule from '../src/core/home.js'
import type * as PrepareModule from '../src/core/prepare.js'
import type * as StagingModule from '../src/core/staging.js'
import type * as WorkspaceModule from '../src/core/workspace.js'

import {
  type BenchRow, formatMs, median, timeAsync,
} from './measure.js'
import {createMonorepo, type KindInfo, type MonorepoFacts} from './monorepo.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const MiB = 1024 * 1024

export type BinaryRow = BenchRow

type Modules = {
  cache: typeof CacheModule
  home: typeof HomeModule
  prepare: typeof PrepareModule
  pulumiYaml: typeof PulumiYamlModule
  resolve: typeof ResolveModule
  staging: typeof StagingModule
  workspace: typeof WorkspaceModule
}

const dist = (rel: string) => pathToFileURL(path.join(ROOT, 'dist', rel)).href

async function loadModules(): Promise<Modules> {
  return {
    cache: await import(dist('core/binaries/cache.js')),
    home: await import(dist('core/home.js')),
    prepare: await import(dist('core/prepare.js')),
    pulumiYaml: await import(dist('core/binaries/pulumi-yaml.js')),
    resolve: await import(dist('core/binaries/resolve.js')),
    staging: await import(dist('core/staging.js')),
    workspace: await import(dist('core/workspace.js')),
  }
}

/** A `go` that counts its invocations (one line each) and writes a small program for `build -o`. */
function installCountingGo(binDir: string): string {
  mkdirSync(binDir, {recursive: true})
  const calls = path.join(binDir, 'go-calls.txt')
  const script = [
    '#!/bin/sh',
    `echo "$*" >> '${calls}'`,
    'if [ "$1" = env ]; then echo go1.25.1; exit 0; fi',
    'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then printf \'#!/bin/sh\\nexit 0\\n\' > "$2"; chmod 755 "$2"; fi; shift; done',
    '',
  ].join('\n')
  writeFileSync(path.join(binDir, 'go'), script)
  chmodSync(path.join(binDir, 'go'), 0o755)
  return calls
}

function goCalls(file: string): number {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length
  } catch {
    return 0
  }
}

/**
 * The rows: warm binary run vs warm source workspace (largest closure), `go` processes per run, and
 * the cost of checking a large cached program before use against hashing it whole.
 */
export async function measureBinaryRows(opts: {tmp: string; upstream: MonorepoFacts; kind: KindInfo; rounds: number; inner: number; log: (line: string) => void}): Promise<BinaryRow[]> {
  const m = await loadModules()
  const {kind, upstream, tmp} = opts
  const home = path.join(tmp, 'home-binaries')
  const paths = m.home.homePaths(home)
  const binDir = path.join(tmp, 'bin-binaries')
  const callsFile = installCountingGo(binDir)
  // Full staging whatever CI says: the rows measure module binaries, not lean clones (rows 9).
  const env: NodeJS.ProcessEnv = {...process.env, PATH: `${binDir}${path.delimiter}/usr/bin${path.delimiter}/bin`, PROJECT_PLANTON_STAGING: 'full'}
  delete env.PROJECT_PLANTON_RELEASES_URL
  const apiVersion = `${kind.provider}.project-planton.org/v1`
  const manifest = {
    apiVersion, kind: kind.kind, metadata: {name: 'bench', labels: {}}, spec: {},
  }
  const fqdn = `acme/bench/dev.${kind.kind}.bench`
  const staging = {
    paths, url: upstream.url, cliVersion: '0.0.0', command: 'bench', env,
  }

  const source = async () => {
    const ws = await m.prepare.prepareRun({
      ...staging, tool: 'pulumi', manifest, stackId: fqdn,
    })
    await m.workspace.removeWorkspace(paths.workspaces, ws)
  }

  // What a binary run does instead of preparing a closure: resolve the version (no network when
  // the ref is local), find the cached program, and write a workspace holding only Pulumi.yaml.
  const binary = async () => {
    const resolved = await new m.staging.Staging(staging).resolveForRun()
    const program = await m.resolve.resolveModuleBinary({
      mode: 'build',
      version: resolved,
      kind: kind.kind,
      cacheDir: paths.cache,
      env,
      async buildWorkspace() {
        const ws = await m.prepare.prepareRun({
          ...staging, tool: 'pulumi', manifest, stackId: fqdn,
        })
        return ws.moduleDir
      },
    })
    if (program.kind !== 'binary') throw new Error(`no module binary: ${program.label}`)
    const ws = await m.workspace.createWorkspace(paths.workspaces, fqdn, {command: 'bench', sha: resolved.sha, source: 'staging'})
    await writeFile(path.join(ws.tree, 'Pulumi.yaml'), m.pulumiYaml.binaryPulumiYaml({project: m.pulumiYaml.binaryProjectName(fqdn, kind.kind), binary: program.path, kind: kind.kind}))
    await m.workspace.removeWorkspace(paths.workspaces, ws)
  }

  opts.log(`Module binaries: warming up (${kind.kind})…`)
  await source()
  const coldBefore = goCalls(callsFile)
  await binary()
  const coldCalls = goCalls(callsFile) - coldBefore

  const ours: number[] = []
  const base: number[] = []
  const warmBefore = goCalls(callsFile)
  let warmRuns = 0
  for (let r = 0; r < opts.rounds; r++) {
    const a: number[] = []
    const b: number[] = []
    for (let i = 0; i < opts.inner; i++) {
      a.push(await timeAsync(binary))
      b.push(await timeAsync(source))
      warmRuns++
    }

    ours.push(median(a))
    base.push(median(b))
  }

  const warmCalls = goCalls(callsFile) - warmBefore
  const closure = await m.prepare.prepareRun({
    ...staging, tool: 'pulumi', manifest, stackId: fqdn,
  })
  const closureFacts = `${closure.files} files, ${(closure.bytes / MiB).toFixed(2)} MiB`
  await m.workspace.removeWorkspace(paths.workspaces, closure)

  // Checking a cached program before use: a large one, as the kubernetes modules' programs are.
  const big = path.join(tmp, 'bench-big-program')
  mkdirSync(big, {recursive: true})
  const bigCache = path.join(big, 'cache')
  const root = m.cache.binariesRoot(bigCache)
  const platform = {os: process.platform === 'darwin' ? 'darwin' : 'linux', arch: 'amd64'}
  const entry = await m.cache.installEntry(root, 'big', async dir => {
    writeFileSync(path.join(dir, 'pulumi-big'), Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.alloc(100 * MiB, 1)]))
    return {
      how: 'built', module: 'big', os: platform.os, arch: platform.arch, file: 'pulumi-big', sha: 'f'.repeat(40), goVersion: 'go1.25.1',
    }
  })
  const expect = {
    how: 'built' as const, module: 'big', os: platform.os, arch: platform.arch,
  }
  const check: number[] = []
  const hash: number[] = []
  for (let r = 0; r < opts.rounds; r++) {
    check.push(await timeAsync(() => m.cache.lookupEntry(root, 'big', expect)))
    hash.push(await timeAsync(() => m.cache.hashFile(entry.path)))
  }

  rmSync(big, {recursive: true, force: true})

  const checkRow = (id: string, what: string, check: {ok: boolean; detail: string; goal: string}): BinaryRow => ({
    id, what, ours: 0, base: 0, baseName: '', kind: 'cost', check,
  })
  return [
    {
      id: 'B1',
      what: `warm pulumi run, module binary (version resolved, program found, Pulumi.yaml written, workspace removed), ${kind.kind}`,
      ours: median(ours),
      base: median(base),
      baseName: `warm source workspace (closure cached: ${closureFacts})`,
      kind: 'speedup',
    },
    checkRow('B2', '`go` processes the CLI starts per warm binary run', {ok: warmCalls === 0, detail: `${warmCalls} in ${warmRuns} warm runs`, goal: 'none'}),
    checkRow('B3', '`go` processes on the first binary run of a commit (go env GOVERSION, go build)', {ok: coldCalls === 2, detail: `${coldCalls}`, goal: '2, once per commit'}),
    {
      id: 'B4', what: 'checking a cached 100 MiB program before use (size, mode, file identity)', ours: median(check), base: median(hash), baseName: 'hashing it whole (SHA-256)', kind: 'speedup',
    },
  ]
}

function table(rows: BinaryRow[]): string {
  const lines = ['| # | what | ours (median) | baseline (median) | ratio | goal | met |', '|---|---|---:|---|---:|---|---|']
  for (const r of rows) {
    if (r.check) {
      lines.push(`| ${r.id} | ${r.what} | ${r.check.detail} | — | — | ${r.check.goal} | ${r.check.ok ? 'yes' : 'no'} |`)
      continue
    }

    const ratio = r.kind === 'speedup' ? r.base / r.ours : r.ours / r.base
    const ratioText = r.kind === 'speedup' ? `${ratio.toFixed(ratio >= 10 ? 0 : 1)}× faster` : `${ratio.toFixed(2)}×`
    lines.push(`| ${r.id} | ${r.what} | ${formatMs(r.ours)} | ${formatMs(r.base)} ${r.baseName} | ${ratioText} | (info) | — |`)
  }

  return lines.join('\n')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick')
  const log = (line: string) => process.stderr.write(`${line}\n`)
  const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pp-bench-bin-')))
  try {
    log('Generating the synthetic monorepo…')
    const upstream = await createMonorepo(path.join(tmp, 'upstream.git'))
    const kind = upstream.kinds.find(k => k.usesCrds)!
    const rows = await measureBinaryRows({
      tmp, upstream, kind, rounds: quick ? 3 : 6, inner: quick ? 3 : 5, log,
    })
    process.stdout.write(`\n${table(rows)}\n\n`)
    process.stdout.write('Not measurable here: the compile a binary run saves (no Go, no Pulumi on this machine; see the comment at the top of bench/binaries.ts).\n')
  } finally {
    rmSync(tmp, {recursive: true, force: true})
  }
}
