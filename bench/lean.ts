/**
 * Lean staging rows: what a first run costs on an empty home when staging is lean (a partial clone;
 * files fetched as the run needs them), next to a plain full `git clone` of the same URL, measured
 * in the same rounds; the second run of the same module next to today's warm run; and
 * `staging pull --full` after a lean first run next to the same full clone. Floors: the blobless
 * clone alone, and with oclif's start-up.
 *
 * The upstream is the benchmark monorepo with a history that weighs what the real one's does
 * (createMonorepo's `history: 'real'`, ~78 MiB pack), served with uploadpack.allowFilter on, as
 * GitHub serves it. `leanRows()` returns rows in bench/run.ts's format;
 * `node --expose-gc --import tsx bench/lean.ts [--quick]` prints them alone.
 */
import {execFileSync} from 'node:child_process'
import {
  chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {
  type BenchRow, formatMs, median, output, timeChild,
} from './measure.js'
import {createMonorepo, type KindInfo} from './monorepo.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export type LeanRow = BenchRow

export type LeanOptions = {
  rounds?: number
  /** bin/run.js of the CLI to measure (default: the working tree's) */
  cli?: string
  /** the environment without PROJECT_PLANTON_* (PATH, locale, …) */
  env?: NodeJS.ProcessEnv
  /** a folder for the upstream, homes and clones (default: a new temp folder, removed at the end) */
  tmp?: string
  log?: (line: string) => void
}

export type LeanResult = {rows: LeanRow[]; facts: string}

export async function leanRows(opts: LeanOptions = {}): Promise<LeanResult> {
  const rounds = opts.rounds ?? 5
  const cli = opts.cli ?? path.join(ROOT, 'bin', 'run.js')
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`))
  const own = opts.tmp === undefined
  const tmp = opts.tmp ?? realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pp-bench-lean-')))
  mkdirSync(tmp, {recursive: true})
  try {
    log('Lean staging: generating the monorepo with a real-weight history…')
    const repo = await createMonorepo(path.join(tmp, 'upstream-real.git'), {history: 'real'})
    execFileSync('git', ['-C', repo.dir, 'config', 'uploadpack.allowFilter', 'true'])
    const pack = packMiB(repo.dir)
    const facts = `- lean rows: the same tree with a real-weight history (${repo.commits} commits, ${repo.tags} tags, ${pack.toFixed(0)} MiB pack), uploadpack.allowFilter on`
    log(`  ${facts.slice(2)}`)

    const binDir = path.join(tmp, 'lean-bin')
    mkdirSync(binDir, {recursive: true})
    const standIn = path.join(binDir, 'stand-in')
    writeFileSync(standIn, '#!/bin/sh\nexit 0\n')
    chmodSync(standIn, 0o755)
    for (const name of ['pulumi', 'tofu', 'terraform']) symlinkSync(standIn, path.join(binDir, name))
    const base: NodeJS.ProcessEnv = {}
    for (const [k, v] of Object.entries(opts.env ?? process.env)) if (!k.startsWith('PROJECT_PLANTON_') && k !== 'NODE_OPTIONS') base[k] = v
    const env = (home: string, mode: 'full' | 'lean'): NodeJS.ProcessEnv => ({
      ...base,
      HOME: path.join(tmp, 'lean-user'),
      PATH: `${binDir}${path.delimiter}${base.PATH ?? ''}`,
      PROJECT_PLANTON_HOME: home,
      PROJECT_PLANTON_REPO_URL: repo.url,
      PROJECT_PLANTON_TOFU_BIN: standIn,
      PROJECT_PLANTON_PULUMI_BIN: standIn,
      PROJECT_PLANTON_STAGING: mode,
      CI: 'true',
      NO_COLOR: '1',
    })
    mkdirSync(path.join(tmp, 'lean-user'), {recursive: true})

    const tofuKind = repo.kinds.find(k => k.provider === 'aws' && k.tf)!
    const largeKind = repo.kinds.find(k => k.usesCrds)!
    const tofu = [cli, 'tofu:plan', '-f', manifest(tmp, tofuKind, 'tofu')]
    const pulumi = [cli, 'pulumi:preview', '-f', manifest(tmp, largeKind, 'pulumi')]
    const startOnly = [cli, 'tofu:plan', '-f', path.join(tmp, 'no-such-manifest.yaml')]

    // Today's warm run: a full staging that ran the module once.
    const warmHome = path.join(tmp, 'lean-warm-full')
    await timeChild(process.execPath, tofu, {env: env(warmHome, 'full')})

    const s: Record<string, number[]> = {}
    const last = (k: string) => formatMs(s[k].at(-1)!)
    const add = (k: string, v: number) => {
      s[k] ??= []
      s[k].push(v)
    }

    for (let r = 0; r < rounds; r++) {
      const home = (what: string) => path.join(tmp, `lean-${what}-${r}`)
      const steps: Array<[string, () => Promise<number>]> = [
        ['clone', () => timeChild('git', ['clone', '--quiet', repo.url, home('clone')], {env: base})],
        ['blobless', () => timeChild('git', ['clone', '--quiet', '--filter=blob:none', '--no-checkout', repo.url, home('blobless')], {env: base})],
        ['tofu', () => timeChild(process.execPath, tofu, {env: env(home('tofu'), 'lean')})],
        ['pulumi', () => timeChild(process.execPath, pulumi, {env: env(home('pulumi'), 'lean')})],
      ]
      // Alternate the order, so that no one always meets a warmer page cache.
      for (const [key, step] of r % 2 === 0 ? steps : [...steps].reverse()) {
        sync()
        add(key, await step())
      }

      sync()
      add('second', await timeChild(process.execPath, tofu, {env: env(home('tofu'), 'lean')}))
      add('warm', await timeChild(process.execPath, tofu, {env: env(warmHome, 'full')}))
      sync()
      add('full', await timeChild(process.execPath, [cli, 'staging', 'pull', '--full'], {env: env(home('tofu'), 'lean')}))
      add('start', await timeChild(process.execPath, startOnly, {env: env(home('start'), 'lean'), code: 2}))
      log(`  round ${r + 1}/${rounds}: git clone ${last('clone')}, blobless ${last('blobless')}, lean tofu:plan ${last('tofu')}, lean pulumi:preview ${last('pulumi')}`)
      log(`    second run ${last('second')} vs warm ${last('warm')}, pull --full ${last('full')}`)
    }

    const clone = median(s.clone)
    const cloneName = 'plain git clone, same URL'
    const rows: LeanRow[] = [
      {
        id: '9a', what: 'cold first `tofu:plan`, lean staging (empty home, lean clone and fetches included)', ours: median(s.tofu), base: clone, baseName: cloneName, kind: 'cost', goal: 0.1,
      },
      {
        id: '9b', what: `cold first \`pulumi:preview\` of the largest closure (${largeKind.kind}), lean staging`, ours: median(s.pulumi), base: clone, baseName: cloneName, kind: 'cost', goal: 0.2,
      },
      {
        id: '9f', what: 'floor: the blobless clone alone (`git clone --filter=blob:none --no-checkout`)', ours: median(s.blobless), base: clone, baseName: cloneName, kind: 'cost',
      },
      {
        id: '9g',
        what: 'floor: the blobless clone plus oclif start-up (`tofu:plan` of a missing file), no other work',
        ours: median(s.blobless) + median(s.start),
        base: clone,
        baseName: cloneName,
        kind: 'cost',
      },
      {
        id: '9c', what: 'second run of the same module (`tofu:plan`), lean staging', ours: median(s.second), base: median(s.warm), baseName: 'warm run, full staging', kind: 'cost', goal: 1.1,
      },
      {
        id: '9d', what: '`staging pull --full` after a lean first run (everything fetched, work tree checked out)', ours: median(s.full), base: clone, baseName: cloneName, kind: 'cost', goal: 1.2,
      },
    ]
    return {rows, facts}
  } finally {
    if (own) rmSync(tmp, {recursive: true, force: true, maxRetries: 3})
  }
}

/** A manifest of kind `k` for `tool`, as bench/run.ts writes them. */
function manifest(dir: string, k: KindInfo, tool: 'pulumi' | 'tofu'): string {
  const labels = tool === 'tofu'
    ? ['    project-planton.org/provisioner: tofu']
    : ['    project-planton.org/provisioner: pulumi', '    pulumi.project-planton.org/stack.fqdn: acme/bench/dev']
  const file = path.join(dir, `lean-${tool}-${k.folder}.yaml`)
  const yaml = [`apiVersion: ${k.provider}.project-planton.org/v1`, `kind: ${k.kind}`, 'metadata:', '  name: bench', '  labels:', ...labels, 'spec:', '  container: {replicas: 1}', '']
  writeFileSync(file, yaml.join('\n'))
  return file
}

function packMiB(dir: string): number {
  return Number(/^size-pack: (\d+)/m.exec(output('git', ['count-objects', '-v'], {cwd: dir}))?.[1] ?? 0) / 1024
}

function sync(): void {
  execFileSync('sync')
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const {rows, facts} = await leanRows({rounds: process.argv.includes('--quick') ? 3 : 5})
  process.stdout.write(`${facts}\n\n`)
  for (const r of rows) {
    const ratio = r.kind === 'speedup' ? `${(r.base / r.ours).toFixed(1)}× faster` : `${(r.ours / r.base).toFixed(2)}×`
    const goal = r.goal === undefined ? '(info)' : `≤ ${r.goal}×`
    process.stdout.write(`| ${r.id} | ${r.what} | ${formatMs(r.ours)} | ${formatMs(r.base)} ${r.baseName} | ${ratio} | ${goal} |\n`)
  }
}
