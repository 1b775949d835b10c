// Lean staging, end to end with the built CLI: a partial clone of a real upstream (file://, with
// uploadpack.allowFilter on) whose runs fetch the files they read, the real terraform for tofu, the
// recording stand-in for pulumi, offline runs with the upstream moved away, `staging pull --full`,
// and an upstream that refuses filters.
import {expect} from 'chai'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync,
} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, hashTree, onPath, runCli, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {
  blobIds, createLeanUpstream, EXTRA_KINDS, gitOffline, isPartialClone, LEAN, missingPaths, tmpPacks, workTreeEntries, writeManifest,
} from '../support/lean.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  makeTempDir, PULUMI_MODULE_AWSS3BUCKET, PULUMI_MODULE_REDIS, removeTempDirs, TF_MODULE_POSTGRES, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'

type Status = {
  changedFiles: string[]
  clean?: boolean
  exists: boolean
  headMatches: boolean
  localFiles?: {local: number; total: number}
  mode?: string
  nextClone?: {because: string; mode: string}
  ref?: string
  sha?: string
  workTree?: string
}

const hasTerraform = Boolean(onPath('terraform') ?? onPath('tofu'))

describe('lean staging', () => {
  let u: Upstream
  let dir: string
  let binDir: string
  let recordFile: string
  const m: Record<string, string> = {}

  before(function () {
    this.timeout(120_000)
    u = createLeanUpstream()
    dir = makeTempDir('pp-lean-')
    binDir = path.join(dir, 'bin')
    mkdirSync(binDir)
    recordFile = installPulumiStandIn(binDir).recordFile
    m.redisTf = writeManifest(dir, 'KubernetesRedis', 'terraform')
    m.postgresTf = writeManifest(dir, 'KubernetesPostgres', 'terraform')
    m.extraTf = writeManifest(dir, EXTRA_KINDS[0], 'terraform')
    m.redisPulumi = writeManifest(dir, 'KubernetesRedis', 'pulumi')
    m.s3Pulumi = writeManifest(dir, 'AwsS3Bucket', 'pulumi')
  })

  after(() => removeTempDirs())

  function env(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...sb.env, PATH: `${binDir}${path.delimiter}${sb.env.PATH}`, PULUMI_STAND_IN_RECORD: recordFile, ...extra,
    }
  }

  async function run(sb: Sandbox, args: string[], extra: NodeJS.ProcessEnv = {}, code: null | number = 0): Promise<CliResult> {
    const r = await runCli(args, {env: env(sb, extra)})
    if (code !== null) expect(r.code, `${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).to.equal(code)
    return r
  }

  async function status(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): Promise<Status> {
    return JSON.parse((await run(sb, ['staging', 'status', '--json'], extra)).stdout) as Status
  }

  /** Runs `fn` with the upstream moved away: unreachable, as offline. */
  async function offline<T>(fn: () => Promise<T>): Promise<T> {
    const away = `${u.dir}-away`
    renameSync(u.dir, away)
    try {
      return await fn()
    } finally {
      renameSync(away, u.dir)
    }
  }

  /** The work tree of a clone: every entry but .git. */
  function workTree(clone: string): Record<string, string> {
    return Object.fromEntries(Object.entries(hashTree(clone)).filter(([p]) => p !== '.git' && !p.startsWith('.git/')))
  }

  function allPaths(ref: string): string[] {
    return gitOffline(u.dir, ['ls-tree', '-r', '--name-only', '--full-tree', ref]).split('\n').filter(Boolean)
  }

  /** A lean home cloned by `staging pull` (no run yet). */
  async function leanHome(): Promise<Sandbox> {
    const sb = sandbox(u, LEAN)
    await run(sb, ['staging', 'pull'])
    return sb
  }

  it('clones commits and trees only: no work tree, no file contents, and status says so', async () => {
    const sb = sandbox(u, LEAN)
    const pull = await run(sb, ['staging', 'pull'])
    expect(pull.stderr).to.match(/Cloned staging lean at main/)
    expect(pull.stderr).to.include('PROJECT_PLANTON_STAGING=lean')
    expect(isPartialClone(sb.clone)).to.equal(true)
    expect(workTreeEntries(sb.clone), 'nothing checked out').to.deep.equal([])
    expect(missingPaths(sb.clone, 'HEAD'), 'no file of the selected version is local').to.deep.equal(allPaths('main').sort())
    const st = await status(sb)
    expect(st).to.deep.include({
      mode: 'lean', workTree: 'none', ref: 'main', sha: u.sha('main'), headMatches: true, changedFiles: [],
    })
    expect(st.clean, 'no work tree: neither clean nor dirty').to.equal(undefined)
    expect(st.localFiles).to.deep.equal({local: 0, total: new Set(gitOffline(u.dir, ['ls-tree', '-r', '--object-only', 'main']).split('\n').filter(Boolean)).size})
    const text = (await run(sb, ['staging', 'status'])).stdout
    expect(text).to.match(/^Mode: +lean: 0 of \d+ files of the selected version are local/m)
    expect(text).to.match(/^Work tree: +none/m)
  })

  it('a tofu run fetches its module and the protos of its kind, nothing else, and plans with the real terraform', async function () {
    if (!hasTerraform) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const sb = sandbox(u, LEAN)
    const r = await run(sb, ['tofu:plan', '-f', m.redisTf])
    expect(r.stdout).to.include('module_version = "main-3"')
    expect(r.stderr).to.match(/Fetching \d+ files? of the module .*kubernetesredis\/v1\/iac\/tf \(lean staging\)/)
    expect(r.stderr).to.match(/Fetching \d+ files? of the protos of KubernetesRedis/)
    expect(missingPaths(sb.clone, 'HEAD', TF_MODULE_REDIS), 'the module is local').to.deep.equal([])
    // What is local is the module and protos, by content (another module's identical file shares its blob).
    const ids = blobIds(u.dir, 'main')
    const missing = new Set(missingPaths(sb.clone, 'HEAD'))
    const ofRedis = (p: string) => p.startsWith(`${TF_MODULE_REDIS}/`) || (/\.(pb\.go|proto)$/.test(p) && !/kubernetespostgres|awss3bucket|gcpgkecluster|kubernetesextra/.test(p))
    const wanted = new Set([...ids].filter(([p]) => ofRedis(p)).map(([, oid]) => oid))
    const local = [...ids].filter(([p]) => !missing.has(p))
    expect(local.filter(([, oid]) => !wanted.has(oid)).map(([p]) => p), 'local files that are neither the module nor the protos of its kind').to.deep.equal([])
    expect(missingPaths(sb.clone, 'HEAD', TF_MODULE_POSTGRES).length, 'other modules stay upstream').to.be.greaterThan(0)
    expect(tmpPacks(sb.clone)).to.deep.equal([])
    expect(workTreeEntries(sb.clone)).to.deep.equal([])
  })

  it('what was fetched stays: the same module runs offline, also with every cache removed', async function () {
    if (!hasTerraform) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const sb = await leanHome()
    await run(sb, ['tofu:plan', '-f', m.redisTf])
    await offline(async () => {
      const again = await run(sb, ['tofu:plan', '-f', m.redisTf])
      expect(again.stdout).to.include('module_version = "main-3"')
      expect(again.stderr).to.not.match(/Fetching/)
      // Without snapshots and checked manifests, the run reads its files from git again: all local.
      rmSync(path.join(sb.plantonHome, 'cache'), {recursive: true, force: true})
      const cold = await run(sb, ['tofu:plan', '-f', m.redisTf])
      expect(cold.stdout).to.include('module_version = "main-3"')
      expect(cold.stderr).to.not.match(/Fetching/)
    })
  })

  it('offline, a module never fetched fails at once, says what is missing and how to get it, and leaves nothing', async () => {
    const sb = await leanHome()
    const before = hashTree(path.join(sb.plantonHome, 'staging'))
    await offline(async () => {
      for (const [manifest, what] of [[m.postgresTf, /of the protos of KubernetesPostgres/], [m.s3Pulumi, /of the protos of AwsS3Bucket/]] as const) {
        const r = await run(sb, [manifest === m.s3Pulumi ? 'pulumi:preview' : 'tofu:plan', '-f', manifest], {}, 1)
        expect(r.stderr).to.match(what)
        expect(r.stderr).to.match(/not in staging yet \(apis\/.*\), and the upstream .* is unreachable/)
        expect(r.stderr).to.include('staging pull --full')
        expect(r.stderr, 'no stack trace').to.not.match(/^\s+at /m)
      }
    })
    expect(workspacesOf(sb), 'no workspace left').to.deep.equal([])
    expect(hashTree(path.join(sb.plantonHome, 'staging')), 'staging as it was').to.deep.equal(before)
    expect(readRecords(recordFile).filter(r => r.cwd.startsWith(sb.plantonHome)), 'pulumi never started').to.deep.equal([])
  })

  it('offline, the module files of a kind whose protos are local are reported missing the same way', async () => {
    const sb = await leanHome()
    // validate reads the protos only: the module itself stays upstream.
    await run(sb, ['validate', '-f', m.redisPulumi])
    await offline(async () => {
      const r = await run(sb, ['pulumi:preview', '-f', m.redisPulumi], {}, 1)
      expect(r.stderr).to.match(/files? of the Go module .*kubernetesredis\/v1\/iac\/pulumi .*not in staging yet/)
      expect(r.stderr).to.include('staging pull --full')
    })
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('pulumi: a lean staging gives the workspace exactly the files a full staging gives', async () => {
    const lean = sandbox(u, LEAN)
    const full = sandbox(u)
    for (const manifest of [m.redisPulumi, m.s3Pulumi]) {
      const trees: Array<Record<string, string>> = []
      for (const sb of [lean, full]) {
        const r = await run(sb, ['pulumi:preview', '-f', manifest, '--no-cleanup'])
        const ws = /Kept workspace: (.+)$/m.exec(r.stderr)![1]
        trees.push(hashTree(path.join(ws, 'tree')))
      }

      expect(Object.keys(trees[0]).length).to.be.greaterThan(5)
      expect(trees[0]).to.deep.equal(trees[1])
    }

    expect((await status(lean)).mode).to.equal('lean')
    expect((await status(full)).mode).to.equal('full')
    expect(missingPaths(lean.clone, 'HEAD', PULUMI_MODULE_REDIS)).to.deep.equal([])
    expect(missingPaths(lean.clone, 'HEAD', PULUMI_MODULE_AWSS3BUCKET)).to.deep.equal([])
  })

  it('checkout and --module-version in a lean staging move HEAD only; runs use the version chosen', async function () {
    if (!hasTerraform) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const sb = await leanHome()
    const co = await run(sb, ['staging', 'checkout', 'v0.1.0'])
    expect(co.stderr).to.match(/Selected v0\.1\.0/)
    const st = await status(sb)
    expect(st).to.deep.include({
      ref: 'v0.1.0', sha: u.sha('v0.1.0'), headMatches: true, workTree: 'none',
    })
    expect(gitOffline(sb.clone, ['rev-parse', 'HEAD']).trim()).to.equal(u.sha('v0.1.0'))
    expect(workTreeEntries(sb.clone)).to.deep.equal([])
    // The schema of v0.1.0: storageSize does not exist yet, diskSize does.
    const old = writeManifest(dir, 'KubernetesRedis', 'terraform', {spec: {namespace: {value: 'x'}, container: {diskSize: '2Gi'}}, name: 'redis-old'})
    expect((await run(sb, ['tofu:plan', '-f', old])).stdout).to.include('module_version = "v0.1.0"')
    const pinned = await run(sb, ['tofu:plan', '-f', m.redisTf, '--module-version', 'v0.2.0'])
    expect(pinned.stdout).to.include('module_version = "v0.2.0"')
    expect((await status(sb)).ref, 'staging stays where it was').to.equal('v0.1.0')
  })

  it('the schema check reads the protos of the version the run uses, fetched on demand', async () => {
    const sb = await leanHome()
    const renamed = writeManifest(dir, 'KubernetesRedis', 'terraform', {spec: {namespace: {value: 'x'}, container: {diskSize: '2Gi'}}, name: 'redis-renamed'})
    const refused = await run(sb, ['tofu:plan', '-f', renamed], {}, 2)
    expect(refused.stderr).to.match(/spec\.container\.diskSize/)
    expect(refused.stderr).to.contain('Nothing was run')
    const invalid = writeManifest(dir, 'KubernetesRedis', 'terraform', {spec: {namespace: {value: 'x'}, container: {replicas: 50}}, name: 'redis-invalid'})
    const problems = await run(sb, ['validate', '-f', invalid], {}, 2)
    expect(problems.stdout + problems.stderr).to.match(/spec\.container\.replicas: must be greater than or equal to 1/)
    const ok = await run(sb, ['validate', '-f', m.redisTf])
    expect(ok.stdout + ok.stderr).to.match(/valid/i)
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('a kind whose schema cannot be built is kept as such, as in a full staging: the next run does not build it again', async () => {
    const kindDir = path.dirname(path.dirname(TF_MODULE_REDIS))
    const sha = u.commit({[`${kindDir}/api.pb.go`]: 'package kubernetesredisv1\n'}, 'generated code without a descriptor')
    u.tag('no-descriptor', sha)
    try {
      const sb = await leanHome()
      const first = await run(sb, ['tofu:plan', '-f', m.redisTf, '--module-version', 'no-descriptor'])
      expect(first.stderr).to.contain('holds no readable descriptor')
      const checks = path.join(sb.plantonHome, 'cache', 'checks')
      const kept = readdirSync(checks).map(f => JSON.parse(readFileSync(path.join(checks, f), 'utf8')) as {status: string; sha: string})
      expect(kept.filter(o => o.sha === sha).map(o => o.status)).to.deep.equal(['unavailable'])
      const again = await offline(async () => run(sb, ['tofu:plan', '-f', m.redisTf, '--module-version', 'no-descriptor']))
      expect(again.stderr).to.contain('holds no readable descriptor')
    } finally {
      u.git('tag', '-d', 'no-descriptor')
      u.git('reset', '-q', '--hard', 'HEAD~1')
    }
  })

  it('`staging pull --full` makes a lean staging full in place; then any module runs offline', async function () {
    if (!hasTerraform) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const sb = await leanHome()
    await run(sb, ['tofu:plan', '-f', m.redisTf])
    const full = await run(sb, ['staging', 'pull', '--full'])
    expect(full.stderr).to.match(/Fetching every file of .* \(staging becomes a full clone\)/)
    expect(full.stderr).to.match(/now a full clone/)
    expect(isPartialClone(sb.clone)).to.equal(false)
    const st = await status(sb)
    expect(st).to.deep.include({
      mode: 'full', workTree: 'checked-out', clean: true, headMatches: true, ref: 'main',
    })
    const reference = sandbox(u)
    await run(reference, ['staging', 'pull'])
    expect(workTree(sb.clone), 'the work tree of a full clone').to.deep.equal(workTree(reference.clone))
    expect(missingPaths(sb.clone, 'HEAD')).to.deep.equal([])
    await offline(async () => {
      expect((await run(sb, ['tofu:plan', '-f', m.postgresTf])).stdout).to.include('module_version = "main-3"')
      expect((await run(sb, ['tofu:plan', '-f', m.extraTf])).stdout).to.include('module_version = "main-3"')
      await run(sb, ['pulumi:preview', '-f', m.s3Pulumi])
      expect((await run(sb, ['tofu:plan', '-f', m.redisTf, '--module-version', 'v0.1.0'])).stdout).to.include('module_version = "v0.1.0"')
    })
    const again = await run(sb, ['staging', 'pull', '--full', '--json'])
    expect(JSON.parse(again.stdout)).to.include({mode: 'full', converted: false, action: 'up-to-date'})
  })

  it('an upstream that refuses filters gives a full clone, with a one-line notice', async () => {
    const refusing = createLeanUpstream({allowFilter: false})
    const sb = sandbox(refusing, {CI: 'true'})
    const r = await runCli(['staging', 'pull'], {env: sb.env})
    expect(r.code, r.stderr).to.equal(0)
    const notices = r.stderr.split('\n').filter(l => /does not allow lean clones/.test(l))
    expect(notices).to.deep.equal(['Warning: the upstream does not allow lean clones (uploadpack.allowFilter is off): staging is a full clone'])
    expect(isPartialClone(sb.clone)).to.equal(false)
    const st = JSON.parse((await runCli(['staging', 'status', '--json'], {env: sb.env})).stdout) as Status
    expect(st).to.deep.include({mode: 'full', workTree: 'checked-out', clean: true})
    expect(existsSync(path.join(sb.clone, 'VERSION'))).to.equal(true)
    expect(missingPaths(sb.clone, 'HEAD')).to.deep.equal([])
  })

  it('the rule: full by default, lean under CI=true, PROJECT_PLANTON_STAGING over CI, the flag over both', async () => {
    const cases: Array<[NodeJS.ProcessEnv, string, string]> = [
      [{}, 'full', 'default'],
      [{CI: 'true'}, 'lean', 'CI=true'],
      [{CI: 'true', PROJECT_PLANTON_STAGING: 'full'}, 'full', 'PROJECT_PLANTON_STAGING=full'],
      [{PROJECT_PLANTON_STAGING: 'lean'}, 'lean', 'PROJECT_PLANTON_STAGING=lean'],
    ]
    for (const [extra, mode, because] of cases) {
      const sb = sandbox(u, extra)
      expect((await status(sb)).nextClone, JSON.stringify(extra)).to.deep.equal({mode, because})
    }

    const ci = sandbox(u, {CI: 'true'})
    await run(ci, ['staging', 'pull', '--full'])
    expect((await status(ci)).mode, 'pull --full under CI').to.equal('full')
    const flagged = sandbox(u)
    const r = await run(flagged, ['pulumi:preview', '-f', m.redisPulumi, '--lean'])
    expect(r.stderr).to.match(/Cloning .* lean \(--lean\)/)
    expect((await status(flagged)).mode, 'a first run with --lean').to.equal('lean')
    // A staging keeps its kind: --lean on a full one says so and changes nothing.
    const kept = await run(ci, ['staging', 'pull', '--lean'])
    expect(kept.stderr).to.match(/Staging is a full clone: --lean applies only when staging is cloned/)
    expect((await status(ci)).mode).to.equal('full')
  })

  it('a lean staging left alone by pull stays lean, and pull moves a branch by HEAD only', async () => {
    const sb = await leanHome()
    await run(sb, ['staging', 'checkout', 'main'])
    const newer = u.commit({'NEWS.md': 'news\n'}, 'docs: news')
    try {
      const r = await run(sb, ['staging', 'pull'])
      expect(r.stderr).to.match(/Staging updated: .* → main .*\(lean\)/)
      const st = await status(sb)
      expect(st).to.deep.include({
        mode: 'lean', sha: newer, headMatches: true, workTree: 'none',
      })
      expect(workTreeEntries(sb.clone)).to.deep.equal([])
      expect(readdirSync(path.join(sb.clone, '.git', 'objects', 'pack')).some(n => n.endsWith('.promisor')), 'the new commits came as a promisor pack').to.equal(true)
      expect(missingPaths(sb.clone, 'HEAD').includes('NEWS.md'), 'new files are not fetched by a pull').to.equal(true)
    } finally {
      u.git('reset', '-q', '--hard', 'HEAD~1')
    }
  })
})
