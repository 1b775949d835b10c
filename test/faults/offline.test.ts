// Offline: the upstream folder is renamed away (unreachable). Versions already in staging still
// work, a version that is not fails at once with a message that says so, and a changed upstream
// URL is noticed with a way out.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, type Upstream,
} from '../support/upstream.js'
import {cli, copyHome, status} from './sandbox.js'
import {fault} from './tally.js'
import {actualTree, expectedTree, treeDiff} from './trees.js'

describe('faults: upstream unreachable', () => {
  let u: Upstream
  let sb: Sandbox
  let manifest: string
  let away: string
  let v2sha: string
  const expected: Record<string, Map<string, string>> = {}

  before(async function () {
    this.timeout(120_000)
    u = createUpstream()
    sb = sandbox(u)
    await cli(sb, ['staging', 'pull'], {expect: 0})
    await cli(sb, ['staging', 'checkout', 'v0.1.0'], {expect: 0})
    for (const ref of ['v0.1.0', 'v0.2.0']) expected[ref] = expectedTree(u, ref)
    // `latest` = the highest plain release tag of this upstream
    expected.latest = expected['v0.2.0']
    v2sha = u.sha('v0.2.0')
    const dir = makeTempDir('pp-manifests-')
    manifest = path.join(dir, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}}))
    away = `${u.dir}-away`
    renameSync(u.dir, away)
  })

  after(() => {
    renameSync(away, u.dir)
    removeTempDirs()
  })

  async function expectAt(ref: string): Promise<void> {
    const st = await status(sb)
    expect(st.ref).to.equal(ref)
    expect(st.headMatches && st.clean, 'work tree at the selected commit and clean').to.equal(true)
    expect(treeDiff(actualTree(sb.clone, rel => rel === '.git'), expected[ref]).slice(0, 5)).to.deep.equal([])
  }

  it('checkout of a version already in staging works offline', async () => fault(async () => {
    const r = await cli(sb, ['staging', 'checkout', 'v0.2.0'], {expect: 0})
    expect(r.stderr).to.match(/Selected v0\.2\.0/)
    expect(r.stderr).to.not.match(/fetched/)
    await expectAt('v0.2.0')
  }))

  it('checkout of a version that is not in staging fails at once, saying the upstream is unreachable', async () => fault(async () => {
    for (const ref of ['v9.9.9', 'deadbeef', 'feature/not-there']) {
      const r = await cli(sb, ['staging', 'checkout', ref])
      expect(r.code, r.stderr).to.not.equal(0)
      expect(r.stderr).to.match(/offline|unreachable/i)
      expect(r.stderr).to.include(ref)
      expect(r.stderr, 'no stack trace').to.not.match(/^\s+at /m)
    }

    await expectAt('v0.2.0')
  }))

  it('`checkout latest` offline falls back to the release tags already in staging', async () => fault(async () => {
    const r = await cli(sb, ['staging', 'checkout', 'latest'], {expect: 0})
    expect(r.stderr).to.match(/unreachable/i)
    const st = await status(sb)
    expect(st.sha).to.equal(v2sha)
  }))

  it('tofu:plan of the selected version works offline (real terraform)', async () => fault(async () => {
    const r = await cli(sb, ['tofu:plan', '-f', manifest], {expect: 0})
    expect(r.stdout).to.include('module_version = "v0.2.0"')
  }))

  it('tofu:plan --module-version of a local version works offline; of a missing one fails saying so', async () => fault(async () => {
    const ok = await cli(sb, ['tofu:plan', '-f', manifest, '--module-version', 'v0.1.0'], {expect: 0})
    expect(ok.stdout).to.include('module_version = "v0.1.0"')
    const missing = await cli(sb, ['tofu:plan', '-f', manifest, '--module-version', 'v8.8.8'])
    expect(missing.code).to.not.equal(0)
    expect(missing.stderr).to.match(/offline|unreachable/i)
    await expectAt('latest')
  }))

  it('staging pull offline fails with a clear message and leaves staging as it was', async () => fault(async () => {
    const r = await cli(sb, ['staging', 'pull'])
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.match(/unreachable/i)
    expect(r.stderr, 'no stack trace').to.not.match(/^\s+at /m)
    await expectAt('latest')
  }))

  it('an https upstream that refuses connections: local versions work, a missing one fails saying so', async () => fault(async () => {
    const url = 'https://127.0.0.1:9/plantonhq/project-planton.git'
    const net = sandbox(url)
    copyHome(sb, net)
    execFileSync('git', ['-C', net.clone, 'remote', 'set-url', 'origin', url])
    const stateFile = path.join(net.plantonHome, 'staging', 'state.json')
    writeFileSync(stateFile, JSON.stringify({...JSON.parse(readFileSync(stateFile, 'utf8')), url}))
    await cli(net, ['staging', 'checkout', 'v0.1.0'], {expect: 0})
    const missing = await cli(net, ['staging', 'checkout', 'v9.9.9'])
    expect(missing.code).to.not.equal(0)
    expect(missing.stderr).to.match(/offline|unreachable/i)
    const plan = await cli(net, ['tofu:plan', '-f', manifest], {expect: 0})
    expect(plan.stdout).to.include('module_version = "v0.1.0"')
  }))

  it('a changed upstream URL is detected with a clear message', async () => fault(async () => {
    const other = 'file:///srv/mirrors/project-planton.git'
    const env = {PROJECT_PLANTON_REPO_URL: other}
    for (const args of [['staging', 'checkout', 'v0.1.0'], ['staging', 'pull'], ['tofu:plan', '-f', manifest]]) {
      const r = await cli(sb, args, {env})
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.not.equal(0)
      expect(r.stderr).to.include(`staging was cloned from ${u.url}, but the upstream is now ${other}`)
      expect(r.stderr).to.match(/staging clean --all/)
    }

    const st = JSON.parse((await cli(sb, ['staging', 'status', '--json'], {env, expect: 0})).stdout) as {urlMismatch: boolean}
    expect(st.urlMismatch).to.equal(true)
    await expectAt('latest')
  }))
})
