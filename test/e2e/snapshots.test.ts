// The per-commit snapshots under <home>/cache: a damaged one is exported again, and `staging
// checkout` drops those of other commits that no run used for a week.
import {expect} from 'chai'
import {
  chmodSync, existsSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {SNAPSHOT_KEEP_DAYS} from '../../src/core/snapshot.js'
import {runCli, type Sandbox, sandbox} from '../support/cli.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, TF_MODULE_REDIS,
} from '../support/upstream.js'

/** A `tofu` that records the files of the folder it runs in and exits 0. */
function tofuStandIn(): {bin: string; calls: () => string[][]} {
  const dir = makeTempDir('pp-tofu-')
  const bin = path.join(dir, 'tofu')
  const log = path.join(dir, 'calls.jsonl')
  writeFileSync(bin, `#!${process.execPath}
const fs = require('node:fs')
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(fs.readdirSync('.').sort()) + '\\n')
`)
  chmodSync(bin, 0o755)
  return {bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l) as string[]) : [])}
}

describe('module snapshots', () => {
  let sb: Sandbox
  let manifest: string
  let env: NodeJS.ProcessEnv
  let tofu: ReturnType<typeof tofuStandIn>
  const snapshots = () => path.join(sb.plantonHome, 'cache', 'snapshots')
  const snapshotNames = () => (existsSync(snapshots()) ? readdirSync(snapshots()).filter(n => !n.startsWith('.')) : [])

  beforeEach(() => {
    sb = sandbox(createUpstream())
    manifest = path.join(sb.home, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({name: 'redis-snap', labels: {'project-planton.org/provisioner': 'tofu'}}))
    tofu = tofuStandIn()
    env = {...sb.env, PROJECT_PLANTON_TOFU_BIN: tofu.bin}
  })

  after(removeTempDirs)

  it('a damaged snapshot is exported again from staging, and the run gets every file', async () => {
    const first = await runCli(['tofu:init', '-f', manifest], {env})
    expect(first.code, first.stderr).to.equal(0)
    const [name] = snapshotNames()
    const damaged = path.join(snapshots(), name, 'tree', TF_MODULE_REDIS, 'main.tf')
    expect(existsSync(damaged)).to.equal(true)
    rmSync(damaged)

    const second = await runCli(['tofu:init', '-f', manifest], {env})

    expect(second.code, second.stderr).to.equal(0)
    expect(second.stderr).to.contain('gone or damaged; exporting from staging instead')
    const [before, after] = tofu.calls()
    expect(after).to.deep.equal(before)
    expect(after).to.include('main.tf')
    // The snapshot was made again, complete.
    expect(existsSync(damaged)).to.equal(true)
  })

  it('checkout drops snapshots of other commits unused for a week and keeps recently used ones', async () => {
    expect((await runCli(['tofu:init', '-f', manifest], {env})).code).to.equal(0)
    const [mainSnapshot] = snapshotNames()
    const old = new Date(Date.now() - ((SNAPSHOT_KEEP_DAYS + 1) * 86_400_000))
    utimesSync(path.join(snapshots(), mainSnapshot, 'index.json'), old, old)

    const away = await runCli(['staging:checkout', 'v0.1.0'], {env})

    expect(away.code, away.stderr).to.equal(0)
    expect(away.stderr).to.match(/Removed 1 snapshot\(s\) of other commits unused for 7 days/)
    expect(snapshotNames()).to.deep.equal([])

    // Used a moment ago: moving on keeps it.
    expect((await runCli(['tofu:init', '-f', manifest], {env})).code).to.equal(0)
    const [v1Snapshot] = snapshotNames()
    const status = await runCli(['staging:status', '--json'], {env})
    const {cache} = JSON.parse(status.stdout) as {cache: {bytes: number; snapshots: number}}
    expect(cache.snapshots).to.equal(1)
    expect(cache.bytes).to.be.greaterThan(0)
    expect((await runCli(['staging:status'], {env})).stdout).to.match(/^Cache: +1 module snapshot\(s\), /m)
    const next = await runCli(['staging:checkout', 'v0.2.0'], {env})
    expect(next.code, next.stderr).to.equal(0)
    expect(next.stderr).to.not.contain('Removed')
    expect(snapshotNames()).to.deep.equal([v1Snapshot])
  })
})
