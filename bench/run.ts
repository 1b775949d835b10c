/**
 * `npm run bench [-- --quick] [-- --keep] [-- --against <checkout>]`: builds a synthetic monorepo of the real shape as a git
 * upstream in a temp folder (TMPDIR picks the file system) and measures, side by side in one run
 * (medians of several rounds), what a run of the CLI costs against what the reference
 * implementation does (`cp -a` of the clone per run, a plain `git clone`). Prints a Markdown table
 * and writes it, with the machine's facts, to bench/results.md. Run under `node --expose-gc` (as
 * the npm script does) so in-process runs do not pay for each other's garbage.
 *
 * Whole-CLI figures run the built CLI as installed (a copy with an oclif manifest) as a child process;
 * rows marked "floor" show the least each measurement can take on the machine. In-process figures import
 * the compiled core modules from dist/. The IaC tools are stand-ins that exit at once, so the
 * figures are the CLI's own overhead.
 *
 * `--against <checkout>`: another built checkout of this CLI (an earlier commit, `npm ci && npm run
 * build` in it); its whole-CLI runs are timed in the same rounds as ours, each with a home of its
 * own, so a change can be held to "no whole run slower".
 */
import {execFileSync} from 'node:child_process'
import {
  chmodSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import type * as HomeModule from '../src/core/home.js'
import type * as PrepareModule from '../src/core/prepare.js'
import type * as WorkspaceModule from '../src/core/workspace.js'

import {measureBinaryRows} from './binaries.js'
import {leanRows} from './lean.js'
import {
  type BenchRow, childCpuMs, cpuModel, formatMs, fsType, median, output, timeAsync, timeChild, timeParallel,
} from './measure.js'
import {
  createMonorepo, kindDir, type KindInfo, type MonorepoFacts,
} from './monorepo.js'
import {schemaRows} from './schema.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const CLI = path.join(ROOT, 'bin', 'run.js')
const quick = process.argv.includes('--quick')
const keep = process.argv.includes('--keep')
const againstAt = process.argv.indexOf('--against')
const AGAINST = againstAt === -1 ? undefined : path.resolve(process.argv[againstAt + 1] ?? '.', 'bin', 'run.js')

/** Rounds per measurement; every round runs ours and the baseline back to back. */
const ROUNDS = quick
  ? {
    scale: 3, inner: 3, parallel: 3, cold: 3, startup: 9,
  }
  : {
    scale: 6, inner: 5, parallel: 5, cold: 5, startup: 15,
  }
const SCALES = quick ? [2] : [2, 4]
const PARALLEL = 16
const MiB = 1024 * 1024

type Row = BenchRow

const rows: Row[] = []
const log = (line: string) => process.stderr.write(`${line}\n`)

// ---------------------------------------------------------------------------
// setup

if (!existsSync(path.join(ROOT, 'dist', 'core', 'prepare.js'))) {
  log('dist/ is missing: run `npx tsc -b` first (npm run bench does).')
  process.exit(1)
}

const dist = (rel: string) => pathToFileURL(path.join(ROOT, 'dist', rel)).href
const {prepareRun} = (await import(dist('core/prepare.js'))) as typeof PrepareModule
const {removeWorkspace} = (await import(dist('core/workspace.js'))) as typeof WorkspaceModule
const {homePaths} = (await import(dist('core/home.js'))) as typeof HomeModule

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pp-bench-')))
const binDir = path.join(tmp, 'bin')
const userHome = path.join(tmp, 'user-home')
mkdirSync(binDir)
mkdirSync(userHome)
const standIn = path.join(binDir, 'stand-in')
writeFileSync(standIn, '#!/bin/sh\nexit 0\n')
chmodSync(standIn, 0o755)
for (const name of ['pulumi', 'tofu', 'terraform']) symlinkSync(standIn, path.join(binDir, name))

const baseEnv: NodeJS.ProcessEnv = {}
for (const [k, v] of Object.entries(process.env)) {
  if (k.startsWith('PROJECT_PLANTON_') || k === 'DEBUG' || k === 'NODE_OPTIONS') continue
  baseEnv[k] = v
}

function cliEnv(home: string, url: string): NodeJS.ProcessEnv {
  return {
    ...baseEnv,
    HOME: userHome,
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
    PROJECT_PLANTON_HOME: home,
    PROJECT_PLANTON_REPO_URL: url,
    PROJECT_PLANTON_TOFU_BIN: standIn,
    PROJECT_PLANTON_PULUMI_BIN: standIn,
    // The rows measure source workspaces (bench/binaries.ts measures module binaries): no
    // release download is tried.
    PROJECT_PLANTON_MODULE_BINARY: 'never',
    CI: 'true',
    // CI=true alone would clone staging lean: these rows measure the full staging (lean: rows 9).
    PROJECT_PLANTON_STAGING: 'full',
    NO_COLOR: '1',
  }
}

/** Flushes what earlier steps wrote, so that no timed step pays for the write-back of another. */
function sync(): void {
  execFileSync('sync')
}

function rmrf(p: string): void {
  rmSync(p, {recursive: true, force: true, maxRetries: 3})
}

const cleanup = () => {
  if (!keep) rmrf(tmp)
}

process.on('SIGINT', () => {
  cleanup()
  process.exit(130)
})

// ---------------------------------------------------------------------------
// the monorepo and the manifests

log(`Generating the synthetic monorepo (${quick ? 'quick' : 'full'} mode)…`)
const genStart = Date.now()
const upstream = await createMonorepo(path.join(tmp, 'upstream-1x.git'))
log(`  ${upstream.files} files, ${(upstream.bytes / MiB).toFixed(0)} MiB, ${upstream.commits} commits, ${upstream.tags} tags in ${((Date.now() - genStart) / 1000).toFixed(1)} s`)

const tofuKind = upstream.kinds.find(k => k.provider === 'aws' && k.tf)!
const smallKind = upstream.kinds.find(k => k.provider === 'civo')!
const largeKind = upstream.kinds.find(k => k.usesCrds)!

type Target = {name: string; tool: 'pulumi' | 'tofu'; file: string; manifest: PrepareModule.PrepareRequest['manifest']; stackId: string; info: KindInfo}

function target(name: string, tool: 'pulumi' | 'tofu', k: (typeof upstream.kinds)[number]): Target {
  const apiVersion = `${k.provider}.project-planton.org/v1`
  const labels: Record<string, string>
    = tool === 'tofu'
      ? {'project-planton.org/provisioner': 'tofu'}
      : {
        'project-planton.org/provisioner': 'pulumi',
        'pulumi.project-planton.org/organization': 'acme',
        'pulumi.project-planton.org/project': 'bench',
        'pulumi.project-planton.org/stack.name': `dev.${k.kind}.bench`,
      }
  const file = path.join(tmp, `${name}.yaml`)
  const yaml = [
    `apiVersion: ${apiVersion}`,
    `kind: ${k.kind}`,
    'metadata:',
    '  name: bench',
    '  labels:',
    ...Object.entries(labels).map(([l, v]) => `    ${l}: ${v}`),
    'spec:',
    '  container: {replicas: 1}',
    '',
  ].join('\n')
  writeFileSync(file, yaml)
  const stackId = tool === 'tofu' ? `${k.kind.toLowerCase()}/bench` : `acme/bench/dev.${k.kind}.bench`
  return {
    name, tool, file, stackId, info: k, manifest: {
      apiVersion, kind: k.kind, metadata: {name: 'bench', labels}, spec: {container: {replicas: 1}},
    },
  }
}

/**
 * The CLI as users install it: a copy of bin/, dist/ and package.json with a generated
 * oclif.manifest.json (the working tree never has one). Whole-CLI rows run this copy; row 3d runs the
 * working tree for comparison.
 */
function installedCopy(root = ROOT, name = 'cli-with-manifest'): string | undefined {
  const copy = path.join(tmp, name)
  mkdirSync(copy)
  execFileSync('cp', ['-a', path.join(root, 'bin'), path.join(root, 'dist'), path.join(root, 'package.json'), copy])
  symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
  try {
    output(process.execPath, [path.join(ROOT, 'node_modules', 'oclif', 'bin', 'run.js'), 'manifest'], {
      cwd: copy,
      env: {...baseEnv, OCLIF_SKIP_NEW_VERSION_CHECK: 'true'},
    })
  } catch (error) {
    log(`  could not generate an oclif manifest in a copy: ${(error as Error).message.split('\n')[0]}`)
  }

  return existsSync(path.join(copy, 'oclif.manifest.json')) ? path.join(copy, 'bin', 'run.js') : undefined
}

const INSTALLED = installedCopy()
const RUN_CLI = INSTALLED ?? CLI
if (!INSTALLED) log('  whole-CLI rows run the working tree (no oclif manifest)')
// The earlier build as installed too, when ours is: like against like.
const AGAINST_RUN = AGAINST && INSTALLED ? (installedCopy(path.dirname(path.dirname(AGAINST)), 'against-with-manifest') ?? AGAINST) : AGAINST
const OURS_VS = AGAINST_RUN && AGAINST_RUN !== AGAINST ? RUN_CLI : CLI

const tofu = target('tofu', 'tofu', tofuKind)
const small = target('pulumi-small', 'pulumi', smallKind)
const large = target('pulumi-large', 'pulumi', largeKind)

// ---------------------------------------------------------------------------
// measurements

type Series = Record<string, number[]>
const add = (s: Series, key: string, v: number) => {
  s[key] ??= []
  s[key].push(v)
}

/** The commit of the --against checkout (or its folder), to name it in the table. */
function againstCommit(): string {
  const dir = path.dirname(path.dirname(AGAINST!))
  try {
    return output('git', ['-C', dir, 'rev-parse', '--short=12', 'HEAD']).trim()
  } catch (error) {
    // Not a git checkout (an unpacked tarball): its folder names it.
    log(`  --against: ${(error as Error).message.split('\n')[0]}`)
    return dir
  }
}

function cliArgs(t: Target, cli = RUN_CLI): string[] {
  return [cli, t.tool === 'tofu' ? 'tofu:plan' : 'pulumi:preview', '-f', t.file]
}

/** A command that loads oclif, parses its flags and fails at once on a missing manifest (exit 2). */
const startOnlyArgs = [RUN_CLI, 'tofu:plan', '-f', path.join(tmp, 'no-such-manifest.yaml')]

/**
 * The least file-system work a workspace can take: the snapshot's files copied into a fresh folder
 * with one synchronous call each (a tofu module flat, a closure in its folders) and removed again,
 * with no lock, record, check or index. What rows 1 and 2 could reach at best on this machine.
 */
function fsFloor(snapshot: {dir: string; files: string[]; dirs: string[]; flat: boolean}, dest: string): void {
  const src = path.join(snapshot.dir, 'tree')
  mkdirSync(dest)
  if (snapshot.flat) {
    for (const f of snapshot.files) copyFileSync(path.join(src, f), path.join(dest, path.basename(f)), constants.COPYFILE_FICLONE)
  } else {
    for (const d of snapshot.dirs) mkdirSync(path.join(dest, d))
    for (const f of snapshot.files) copyFileSync(path.join(src, f), path.join(dest, f), constants.COPYFILE_FICLONE)
  }

  rmSync(dest, {recursive: true, force: true})
}

/** The snapshot a warm run of `t` copies from, found by its module folder. */
function snapshotOf(home: string, t: Target): {dir: string; files: string[]; dirs: string[]; flat: boolean} {
  const root = path.join(homePaths(home).cache, 'snapshots')
  const layout = t.tool === 'tofu' ? 'module' : 'closure'
  const folder = `/${kindDir(t.info)}/iac/${t.tool === 'tofu' ? 'tf' : 'pulumi'}`
  for (const name of readdirSync(root)) {
    const indexFile = path.join(root, name, 'index.json')
    if (!existsSync(indexFile)) continue
    const index = JSON.parse(readFileSync(indexFile, 'utf8')) as {modulePath: string; layout: string; files: string[]}
    if (index.layout !== layout || !`/${index.modulePath}`.endsWith(folder)) continue
    const dirs = new Set<string>()
    for (const f of index.files) {
      for (let d = path.posix.dirname(f); d !== '.' && !dirs.has(d); d = path.posix.dirname(d)) dirs.add(d)
    }

    return {
      dir: path.join(root, name), files: index.files, dirs: [...dirs].sort(), flat: layout === 'module',
    }
  }

  throw new Error(`no snapshot for ${t.name} under ${root}`)
}

/** Collects garbage between in-process runs (with --expose-gc), so no run pays for another's. */
function collectGarbage(): void {
  (globalThis as {gc?: () => void}).gc?.()
}

async function prepareAndClean(home: string, url: string, t: Target): Promise<PrepareModule.PreparedRun> {
  const paths = homePaths(home)
  const run = await prepareRun({
    tool: t.tool,
    manifest: t.manifest,
    stackId: t.stackId,
    paths,
    url,
    cliVersion: '0.1.0',
    command: 'bench',
    env: cliEnv(home, url),
  })
  await removeWorkspace(paths.workspaces, run)
  return run
}

type ScaleResult = {scale: number; facts: MonorepoFacts; home: string; series: Series; closureFiles: Record<string, string>}

/** A warm staging for one repository size: cloned, and every target run once. */
async function setupScale(scale: number, facts: MonorepoFacts): Promise<ScaleResult> {
  const home = path.join(tmp, `home-${scale}x`)
  log(`Scale ${scale}×: warming staging (clone + one run of each)…`)
  for (const t of [tofu, small, large]) await timeChild(process.execPath, cliArgs(t), {env: cliEnv(home, facts.url)})
  if (AGAINST && scale === 1) {
    for (const t of [tofu, small, large]) await timeChild(process.execPath, cliArgs(t, AGAINST_RUN), {env: cliEnv(`${home}-against`, facts.url)})
  }

  const closureFiles: Record<string, string> = {}
  for (const t of [tofu, small, large]) {
    const run = await prepareAndClean(home, facts.url, t)
    closureFiles[t.name] = `${run.files} files, ${(run.bytes / MiB).toFixed(2)} MiB`
  }

  return {
    scale, facts, home, series: {}, closureFiles,
  }
}

/** One round of rows 1–3 at one size: in-process preparation, whole-CLI runs, and `cp -a` of the clone. */
async function measureRound(res: ScaleResult, r: number): Promise<void> {
  const {facts, home, series} = res
  const {cache, clone} = homePaths(home)
  // First the runs that find nothing cached, then one untimed run of each to fill the caches again.
  const timed = async (key: string, t: Target) => {
    collectGarbage()
    add(series, key, await timeAsync(() => prepareAndClean(home, facts.url, t)))
  }

  for (const t of [tofu, small, large]) {
    rmrf(cache)
    await timed(`${t.name}-cold`, t)
  }

  for (const t of [tofu, small, large]) await prepareAndClean(home, facts.url, t)
  for (let i = 0; i < ROUNDS.inner; i++) await timed('tofu', tofu)
  for (let i = 0; i < ROUNDS.inner; i++) await timed('small-cached', small)
  for (let i = 0; i < ROUNDS.inner; i++) await timed('large-cached', large)
  const floors = {tofu: snapshotOf(home, tofu), small: snapshotOf(home, small), large: snapshotOf(home, large)}
  for (const [key, snapshot] of Object.entries(floors)) {
    for (let i = 0; i < ROUNDS.inner; i++) {
      collectGarbage()
      add(series, `floor-${key}`, await timeAsync(async () => fsFloor(snapshot, path.join(tmp, `floor-${res.scale}x`))))
    }
  }

  const env = cliEnv(home, facts.url)
  for (const t of [tofu, small, large]) add(series, `cli-${t.name}`, await timeChild(process.execPath, cliArgs(t), {env}))
  if (INSTALLED) add(series, 'cli-tofu-tree', await timeChild(process.execPath, cliArgs(tofu, CLI), {env}))
  if (AGAINST && res.scale === 1) {
    // Like against like: both installed (with an oclif manifest) when both can be, else both from their trees.
    for (const t of [tofu, small, large]) {
      add(series, `tree-${t.name}`, await timeChild(process.execPath, cliArgs(t, OURS_VS), {env}))
      add(series, `against-${t.name}`, await timeChild(process.execPath, cliArgs(t, AGAINST_RUN), {env: cliEnv(`${home}-against`, facts.url)}))
    }
  }

  add(series, 'cli-start', await timeChild(process.execPath, startOnlyArgs, {env, code: 2}))
  add(series, 'node', await timeChild(process.execPath, ['-e', '0'], {env}))
  // Copies are kept until the end: on ext4 with online discard, deleting hundreds of MiB makes the
  // next writes pay for it, whichever measurement they belong to.
  add(series, 'cp', await timeChild('cp', ['-a', clone, path.join(tmp, `cp-${res.scale}x-${r}`)]))
  sync()
  const tofuMs = median(series.tofu.slice(-ROUNDS.inner))
  log(`  round ${r + 1}/${ROUNDS.scale}, ${res.scale}×: cp -a ${formatMs(series.cp.at(-1)!)}, tofu ${formatMs(tofuMs)}, CLI tofu:plan ${formatMs(series['cli-tofu'].at(-1)!)}`)
}

function scaleRows(res: ScaleResult): void {
  const s = res.series
  const alike = OURS_VS === CLI ? 'both from their working trees' : 'both with an oclif manifest'
  const cp = median(s.cp)
  const cpName = `cp -a of the clone (${res.facts.files} files)`
  rows.push(
    {
      id: '1', what: `tofu workspace prepare+clean, warm staging (${res.closureFiles.tofu})`, ours: median(s.tofu), base: cp, baseName: cpName, kind: 'speedup', goal: 500,
    },
    {
      id: '1b', what: 'tofu prepare+clean, first run of the commit (caches empty)', ours: median(s['tofu-cold']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '1f', what: 'floor: the same files copied and removed with bare sync calls, nothing else', ours: median(s['floor-tofu']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '2a', what: `pulumi small (${smallKind.kind}, ${res.closureFiles['pulumi-small']}), closure cached`, ours: median(s['small-cached']), base: cp, baseName: cpName, kind: 'speedup', goal: 50,
    },
    {
      id: '2af', what: 'floor: the small closure copied and removed with bare sync calls, nothing else', ours: median(s['floor-small']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '2b', what: 'pulumi small, cold closure (computed this run)', ours: median(s['pulumi-small-cold']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '2c', what: `pulumi largest (${largeKind.kind}, ${res.closureFiles['pulumi-large']}), closure cached`, ours: median(s['large-cached']), base: cp, baseName: cpName, kind: 'speedup', goal: 50,
    },
    {
      id: '2d', what: 'pulumi largest, cold closure (computed this run)', ours: median(s['pulumi-large-cold']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '2cf', what: 'floor: the largest closure copied and removed with bare sync calls, nothing else', ours: median(s['floor-large']), base: cp, baseName: cpName, kind: 'speedup',
    },
    {
      id: '3a', what: 'whole CLI `tofu:plan`, stand-in tofu', ours: median(s['cli-tofu']), base: cp, baseName: 'cp -a alone', kind: 'speedup', goal: 15,
    },
    {
      id: '3b', what: 'whole CLI `pulumi:preview` small, stand-in pulumi', ours: median(s['cli-pulumi-small']), base: cp, baseName: 'cp -a alone', kind: 'speedup', goal: 15,
    },
    {
      id: '3c', what: 'whole CLI `pulumi:preview` largest, stand-in pulumi', ours: median(s['cli-pulumi-large']), base: cp, baseName: 'cp -a alone', kind: 'speedup', goal: 15,
    },
    ...(s['against-tofu']
      ? [tofu, small, large].map(t => ({
        id: `3${({tofu: 'a', 'pulumi-small': 'b'} as Record<string, string>)[t.name] ?? 'c'}~`,
        what: `whole CLI ${t.tool === 'tofu' ? '`tofu:plan`' : `\`pulumi:preview\` ${t.name.slice('pulumi-'.length)}`}, ours vs --against (${alike})`,
        ours: median(s[`tree-${t.name}`]),
        base: median(s[`against-${t.name}`]),
        baseName: `--against checkout at ${againstCommit()}`,
        kind: 'cost' as const,
        goal: 1.05,
      }))
      : []),
    ...(s['cli-tofu-tree']
      ? [{
        id: '3d', what: 'whole CLI `tofu:plan` from the working tree (no oclif manifest)', ours: median(s['cli-tofu-tree']), base: cp, baseName: 'cp -a alone', kind: 'speedup' as const,
      }]
      : []),
    {
      id: '3f', what: 'floor: oclif start-up alone (`tofu:plan` of a missing file: flags parsed, exit 2)', ours: median(s['cli-start']), base: cp, baseName: 'cp -a alone', kind: 'speedup',
    },
    {
      id: '3g', what: 'floor: Node.js alone (`node -e 0`)', ours: median(s.node), base: cp, baseName: 'cp -a alone', kind: 'speedup',
    },
  )
}

const FLAT = 1.25

function growthRows(res: ScaleResult, ref: ScaleResult): void {
  const n = `${res.scale}× files`
  const at1 = '1× files'
  const pairs: Array<[string, string, Row['kind'], number | undefined]> = [
    ['tofu', 'tofu prepare+clean', 'cost', FLAT],
    ['small-cached', 'pulumi small, closure cached', 'cost', FLAT],
    ['large-cached', 'pulumi largest, closure cached', 'cost', FLAT],
    ['pulumi-small-cold', 'pulumi small, cold closure', 'cost', undefined],
    ['pulumi-large-cold', 'pulumi largest, cold closure', 'cost', undefined],
    ['cli-tofu', 'whole CLI `tofu:plan`', 'cost', FLAT],
    ['cli-pulumi-small', 'whole CLI `pulumi:preview` small', 'cost', FLAT],
    ['cli-pulumi-large', 'whole CLI `pulumi:preview` largest', 'cost', FLAT],
    ['cp', 'reference: cp -a of the clone', 'cost', undefined],
  ]
  for (const [i, [key, what, kind, goal]] of pairs.entries()) {
    rows.push({
      id: `7${'abcdefghij'[i]}`, what: `${what}, ${n} (${res.facts.files})`, ours: median(res.series[key]), base: median(ref.series[key]), baseName: `same at ${at1}`, kind, goal,
    })
  }
}

/** Row 4: 16 warm `tofu:plan` runs started at once against one. */
async function measureParallel(facts: MonorepoFacts): Promise<void> {
  const env = cliEnv(path.join(tmp, 'home-1x'), facts.url)
  const one: number[] = []
  const many: number[] = []
  const cpu: number[] = []
  log(`Parallel: ${ROUNDS.parallel} rounds of 1 and ${PARALLEL} warm runs…`)
  for (let r = 0; r < ROUNDS.parallel; r++) {
    sync()
    one.push(await timeChild(process.execPath, cliArgs(tofu), {env}))
    many.push(await timeParallel(PARALLEL, process.execPath, cliArgs(tofu), {env}))
    const c = childCpuMs(process.execPath, cliArgs(tofu), {env})
    if (c !== undefined) cpu.push(c)
  }

  const nproc = os.availableParallelism()
  rows.push({
    id: '4', what: `${PARALLEL} parallel warm \`tofu:plan\` runs (wall of all) vs one`, ours: median(many), base: median(one), baseName: 'one run', kind: 'cost', goal: 2,
  })
  if (cpu.length > 0) {
    // With N cores, 16 runs of c ms CPU each need at least 16·c/N ms: the floor of the ratio.
    const floor = (PARALLEL * median(cpu)) / nproc
    rows.push({
      id: '4b', what: `CPU-bound floor: ${PARALLEL} × ${formatMs(median(cpu))} CPU per run ÷ ${nproc} cores`, ours: floor, base: median(one), baseName: 'one run', kind: 'cost',
    })
  }
}

/** Row 5: the first run on an empty home (clone included) against a plain `git clone`. */
async function measureCold(facts: MonorepoFacts): Promise<void> {
  const ours: number[] = []
  const base: number[] = []
  log(`Cold first run: ${ROUNDS.cold} rounds…`)
  const runOurs = (r: number) => timeChild(process.execPath, cliArgs(tofu), {env: cliEnv(path.join(tmp, `home-cold-${r}`), facts.url)})
  const runBase = (r: number) => timeChild('git', ['clone', '--quiet', facts.url, path.join(tmp, `clone-cold-${r}`)], {env: baseEnv})
  const start: number[] = []
  for (let r = 0; r < ROUNDS.cold; r++) {
    // Alternate which goes first, so neither always meets a warmer page cache.
    for (const which of r % 2 === 0 ? ['ours', 'base'] : ['base', 'ours']) {
      sync()
      if (which === 'ours') ours.push(await runOurs(r))
      else base.push(await runBase(r))
    }

    start.push(await timeChild(process.execPath, startOnlyArgs, {env: cliEnv(path.join(tmp, 'home-start'), facts.url), code: 2}))
    log(`  round ${r + 1}/${ROUNDS.cold}: ours ${formatMs(ours.at(-1)!)}, git clone ${formatMs(base.at(-1)!)}`)
  }

  rows.push({
    id: '5', what: 'cold first run `tofu:plan` (empty home, clone included)', ours: median(ours), base: median(base), baseName: 'plain git clone, same URL', kind: 'cost', goal: 1.1,
  }, {
    id: '5f',
    what: 'floor: the git clone plus oclif start-up alone (row 3f), no other work',
    ours: median(base) + median(start),
    base: median(base),
    baseName: 'plain git clone, same URL',
    kind: 'cost',
  })
}

/**
 * The node_modules packages a command loads: ESM resolutions through a resolve hook, and CommonJS
 * modules from require's cache when the process exits.
 */
function loadedPackages(cliPath: string, args: string[], env?: NodeJS.ProcessEnv): string[] {
  const traceFile = path.join(tmp, 'imports.txt')
  const cjsHook = path.join(tmp, 'trace-require.cjs')
  rmrf(traceFile)
  writeFileSync(cjsHook, 'process.on("exit", () => require("node:fs").appendFileSync(process.env.BENCH_IMPORT_TRACE, Object.keys(require.cache).join("\\n") + "\\n"))\n')
  const hook = [
    'import {appendFileSync} from "node:fs";',
    'export async function resolve(s, c, next) {',
    '  const r = await next(s, c);',
    '  appendFileSync(process.env.BENCH_IMPORT_TRACE, r.url + "\\n");',
    '  return r;',
    '}',
  ].join('\n')
  const register = `import {register} from "node:module"; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`
  output(process.execPath, ['--require', cjsHook, '--import', `data:text/javascript,${encodeURIComponent(register)}`, cliPath, ...args], {
    env: {...(env ?? {...baseEnv, HOME: userHome}), BENCH_IMPORT_TRACE: traceFile},
  })
  const urls = existsSync(traceFile) ? readFileSync(traceFile, 'utf8').split('\n') : []
  const pkgs = new Set<string>()
  for (const u of urls) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)
    if (m) pkgs.add(m[1])
  }

  return [...pkgs].sort()
}

/** What the shell completion functions run on a <TAB> after `staging checkout `. */
const COMPLETE_VERSIONS = ['__complete', 'staging', 'checkout', '']

/** Row 6: `--version` (and `--help`, a completion <TAB>) against `node -e 0`, without and with an oclif manifest. */
async function measureStartup(): Promise<void> {
  const withManifest = INSTALLED
  const env = {...baseEnv, HOME: userHome}
  const warmEnv = cliEnv(path.join(tmp, 'home-1x'), upstream.url)
  const s: Series = {}
  log(`Start-up: ${ROUNDS.startup} rounds…`)
  for (let r = 0; r < ROUNDS.startup; r++) {
    add(s, 'node', await timeChild(process.execPath, ['-e', '0'], {env}))
    add(s, 'version', await timeChild(process.execPath, [CLI, '--version'], {env}))
    add(s, 'help', await timeChild(process.execPath, [CLI, '--help'], {env}))
    if (withManifest) {
      add(s, 'version-m', await timeChild(process.execPath, [withManifest, '--version'], {env}))
      add(s, 'help-m', await timeChild(process.execPath, [withManifest, '--help'], {env}))
    }

    // What a <TAB> after `staging checkout ` costs: the versions of a warm staging (~130 tags).
    add(s, 'complete', await timeChild(process.execPath, [RUN_CLI, ...COMPLETE_VERSIONS], {env: warmEnv}))
  }

  const node = median(s.node)
  rows.push({
    id: '6a', what: '`--version`, no oclif manifest (as in the working tree)', ours: median(s.version), base: node, baseName: 'node -e 0', kind: 'cost', goal: 2.2,
  })
  if (withManifest) rows.push({
    id: '6b', what: '`--version` with oclif.manifest.json (as packed)', ours: median(s['version-m']), base: node, baseName: 'node -e 0', kind: 'cost', goal: 2.2,
  })
  rows.push({
    id: '6c', what: '`--help`, no oclif manifest', ours: median(s.help), base: node, baseName: 'node -e 0', kind: 'cost',
  })
  if (withManifest) rows.push({
    id: '6d', what: '`--help` with oclif.manifest.json', ours: median(s['help-m']), base: node, baseName: 'node -e 0', kind: 'cost',
  })

  const completed = `\`${COMPLETE_VERSIONS.join(' ')}''\`, ${upstream.tags} tags${INSTALLED ? '' : ', no oclif manifest'}`
  rows.push({
    id: '6f', what: `shell completion of the versions in staging (${completed})`, ours: median(s.complete), base: node, baseName: 'node -e 0', kind: 'cost', goal: 2.2,
  })

  const checks: Array<{what: string; args: string[]; env?: NodeJS.ProcessEnv; none: string[]}> = [
    {what: '`--version`', args: ['--version'], none: ['listr2', 'simple-git', 'yaml', '@bufbuild/protobuf', '@bufbuild/protovalidate']},
    {what: '`--help`', args: ['--help'], none: ['listr2', 'simple-git', 'yaml', '@bufbuild/protobuf', '@bufbuild/protovalidate']},
    {
      what: 'a completion <TAB>', args: COMPLETE_VERSIONS, env: warmEnv, none: ['@oclif/core', 'listr2', 'simple-git', 'yaml', '@bufbuild/protobuf', '@bufbuild/protovalidate'],
    },
    // A warm run starts no git and takes no lock; semver is what @oclif/core's index would load.
    {
      what: 'warm `tofu:plan`', args: cliArgs(tofu).slice(1), env: cliEnv(path.join(tmp, 'home-1x'), upstream.url), none: ['proper-lockfile', 'semver', 'simple-git'],
    },
  ]
  for (const c of checks) {
    const loaded = loadedPackages(RUN_CLI, c.args, c.env).filter(p => c.none.includes(p))
    rows.push({
      id: '6e',
      what: `${c.what} loads none of ${c.none.join(', ')}`,
      ours: Number.NaN,
      base: Number.NaN,
      baseName: '',
      kind: 'speedup',
      check: {ok: loaded.length === 0, detail: loaded.length === 0 ? 'none loaded' : `loads ${loaded.join(', ')}`},
    })
  }
}

// ---------------------------------------------------------------------------
// report

function ratioOf(r: Row): number {
  return r.kind === 'speedup' ? r.base / r.ours : r.ours / r.base
}

function table(): string {
  const head = '| # | what | ours (median) | baseline (median) | ratio | goal | met |'
  const lines = [head, '|---|---|---:|---|---:|---|---|']
  for (const r of rows) {
    if (r.check) {
      lines.push(`| ${r.id} | ${r.what} | ${r.check.detail} | — | — | ${r.check.goal ?? 'none of them'} | ${r.check.ok ? 'yes' : 'no'} |`)
      continue
    }

    const ratio = ratioOf(r)
    const ratioText = r.kind === 'speedup' ? `${ratio.toFixed(ratio >= 10 ? 0 : 1)}× faster` : `${ratio.toFixed(2)}×`
    let goal = '(info)'
    let met = '—'
    if (r.kind === 'speedup' && r.goal !== undefined) {
      goal = `≥ ${r.goal}× faster`
      met = ratio >= r.goal ? 'yes' : 'no'
    } else if (r.kind === 'cost' && r.goal !== undefined) {
      goal = r.goal === FLAT ? `≤ ${r.goal}× (flat)` : `≤ ${r.goal}×`
      met = ratio <= r.goal ? 'yes' : 'no'
    }

    lines.push(`| ${r.id} | ${r.what} | ${formatMs(r.ours)} | ${formatMs(r.base)} ${r.baseName} | ${ratioText} | ${goal} | ${met} |`)
  }

  return lines.join('\n')
}

function packMiB(dir: string): number {
  const out = output('git', ['count-objects', '-v'], {cwd: dir})
  return Number(/^size-pack: (\d+)/m.exec(out)?.[1] ?? 0) / 1024
}

try {
  // Every size is measured in the same rounds, one after the other: a drift of the machine's load
  // hits them all alike, and the growth rows compare like with like.
  const results: ScaleResult[] = [await setupScale(1, upstream)]
  for (const scale of SCALES) {
    log(`Generating the ${scale}× repository…`)
    const facts = await createMonorepo(path.join(tmp, `upstream-${scale}x.git`), {scale, base: upstream})
    results.push(await setupScale(scale, facts))
  }

  sync()
  log(`Measuring ${ROUNDS.scale} rounds at ${results.map(r => `${r.scale}×`).join(', ')}…`)
  for (let r = 0; r < ROUNDS.scale; r++) {
    for (const res of results) await measureRound(res, r)
  }

  scaleRows(results[0])
  await measureParallel(upstream)
  await measureCold(upstream)
  const lean = await leanRows({
    rounds: ROUNDS.cold, cli: RUN_CLI, env: baseEnv, tmp: path.join(tmp, 'lean'), log,
  })
  rows.push(...lean.rows)
  await measureStartup()
  log('Schema: cold and warm schema builds, the schema libraries, `validate` alone…')
  rows.push(...await schemaRows({rounds: quick ? 3 : 7, cli: RUN_CLI, env: {...baseEnv, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`}}))
  log('Module binaries: a warm binary run against the warm source run it replaces, and `go` processes per run…')
  rows.push(...await measureBinaryRows({
    tmp, upstream, kind: largeKind, rounds: quick ? 3 : 6, inner: quick ? 3 : 5, log,
  }))
  for (const res of results.slice(1)) growthRows(res, results[0])

  const machine = [
    `- cores (nproc): ${os.availableParallelism()}`,
    `- CPU: ${cpuModel()}`,
    `- memory: ${(os.totalmem() / 1024 / MiB).toFixed(0)} GiB`,
    `- file system of the temp folder: ${fsType(tmp)}`,
    `- Node.js ${process.version}, ${output('git', ['--version']).trim()}`,
  ].join('\n')
  const repo = [
    `- ${upstream.files} files, ${(upstream.bytes / MiB).toFixed(0)} MiB at HEAD, ${packMiB(upstream.dir).toFixed(0)} MiB pack, ${upstream.commits} commits, ${upstream.tags} tags`,
    `- ${upstream.kinds.filter(k => k.pulumi).length} pulumi modules, ${upstream.kinds.filter(k => k.tf).length} tf modules over 12 providers; tofu module ${kindDir(tofuKind)}/iac/tf`,
    `- larger repositories: the same plus ${SCALES.map(s => `${s - 1}×`).join(' / ')} the files again as unrelated files`,
    lean.facts,
  ].join('\n')
  const mode = quick ? 'quick' : 'full'
  const notes = [
    'Ratios: "× faster" is baseline ÷ ours; the others are ours ÷ baseline. Rounds run ours and the baseline back to back;',
    `each figure is the median of ${ROUNDS.scale} rounds (rows 1–3 and 7: every size in every round; in-process preparation: ${ROUNDS.inner} runs per round).`,
    'The IaC tools are stand-ins that exit at once. In-process rows call prepareRun + removeWorkspace from dist/.',
    '`cp -a` reads a warm page cache. Copies and clones are deleted only at the end: on a file system mounted with online',
    'discard, deleting hundreds of MiB slows the writes that follow for a while, which would land on whatever is measured next.',
    'Whole-CLI rows (3, 4, 5) run the CLI as installed: a copy with a generated oclif.manifest.json (row 3d: the working tree).',
    'Rows marked "floor" are not goals: they are the least the row above can take on this machine whatever the CLI does',
    '(bare file copies; Node.js and oclif starting; one run\'s CPU time spread over all cores for row 4b). Where a floor',
    'misses the goal, so must the row.',
    'Rows B: module binaries. What a binary run saves, the compile of the module\'s Go program by Pulumi, cannot be measured',
    'here (no Go, no Pulumi on this machine; `go` is a stand-in that counts its calls): B1 is only the CLI\'s own part.',
    'Rows 3a~–3c~ (with `--against <checkout>`): the same whole runs of an earlier build, in the same rounds, each with its own home.',
  ].join('\n')
  const tableText = table()
  process.stdout.write(`\n${tableText}\n\n`)
  const md = [
    '# Benchmark results',
    '',
    `Mode: ${mode}; ${new Date().toISOString().slice(0, 10)}; whole run ${process.uptime().toFixed(0)} s. Run with \`npm run bench\` (\`-- --quick\` for a short run).`,
    '',
    '## Machine',
    '',
    machine,
    '',
    '## Synthetic monorepo',
    '',
    repo,
    '',
    '## Results',
    '',
    tableText,
    '',
    notes,
    '',
  ].join('\n')
  writeFileSync(path.join(ROOT, 'bench', 'results.md'), md)
  log(machine)
  log('Written to bench/results.md')
} finally {
  cleanup()
}
