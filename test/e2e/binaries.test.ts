// Pulumi runs with module programs, through the built CLI: a release binary downloaded once from
// a real server on 127.0.0.1, a program built once per commit by a recording `go` stand-in, and
// the source runs they replace (with -trimpath for Go's build cache).
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {currentPlatform, releaseAssetName} from '../../src/core/binaries/platform.js'
import {
  type CliResult, RUN_JS, runCli, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {goBuilds, installGoStandIn, readProgramRuns} from '../support/go-stand-in.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  gzipProgram, recordingProgram, type ReleaseServer, startReleaseServer,
} from '../support/release-server.js'
import {
  createUpstream, exportTree, makeTempDir, manifestYaml, PULUMI_MODULE_REDIS, removeTempDirs, type Upstream,
} from '../support/upstream.js'

const FQDN = 'acme/redis/dev'

describe('e2e: pulumi module programs (--module-binary)', () => {
  let upstream: Upstream
  let server: ReleaseServer
  let manifest: string
  let bin: string
  let pulumiRecords: string
  let runsFile: string

  before(async () => {
    upstream = createUpstream()
    server = await startReleaseServer()
    bin = makeTempDir('pp-bin-')
    pulumiRecords = installPulumiStandIn(bin).recordFile
    const dir = makeTempDir('pp-binaries-')
    runsFile = path.join(dir, 'release-program-runs.txt')
    manifest = path.join(dir, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': FQDN}}))
    server.asset('v0.2.0', releaseAssetName('kubernetesredis', currentPlatform()!), {kind: 'file', body: gzipProgram(recordingProgram('release-v0.2.0', runsFile))})
  })

  after(async () => {
    await server.stop()
    removeTempDirs()
  })

  function env(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {
      ...sb.env, PATH: `${bin}:${process.env.PATH}`, PULUMI_STAND_IN_RECORD: pulumiRecords, PROJECT_PLANTON_MODULE_BINARY: 'auto', PROJECT_PLANTON_RELEASES_URL: server.base, ...extra,
    }
  }

  async function preview(sb: Sandbox, args: string[] = [], extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const r = await runCli(['pulumi:preview', '-f', manifest, ...args], {env: env(sb, extra)})
    expect(r.code, r.stderr).to.equal(0)
    return r
  }

  it('a release version: the binary is downloaded once, run by pulumi, then used from the cache with the server gone', async () => {
    const sb = sandbox(upstream)
    const first = await preview(sb, ['--module-version', 'v0.2.0'])
    expect(first.stderr).to.match(/Module program: module binary v0\.2\.0, downloaded/)
    const record = readRecords(pulumiRecords).at(-1)!
    expect(record.binary).to.match(/binaries/)
    expect(record.files, 'the workspace holds only the project file').to.deep.equal(['Pulumi.yaml'])
    expect(readFileSync(runsFile, 'utf8')).to.contain('release-v0.2.0')
    const requests = server.requests.length
    const again = await preview(sb, ['--module-version', 'v0.2.0'], {PROJECT_PLANTON_RELEASES_URL: 'http://127.0.0.1:9'})
    expect(again.stderr).to.match(/Module program: module binary v0\.2\.0, cached/)
    expect(server.requests.length, 'no request on a warm run').to.equal(requests)
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('a branch: built once with go (-trimpath), and 8 runs of the same commit at once build nothing more', async () => {
    const sb = sandbox(upstream)
    const goBin = makeTempDir('pp-go-')
    const go = installGoStandIn(goBin)
    const extra = {PATH: `${bin}:${goBin}:${process.env.PATH}`, GOFLAGS: '-mod=mod'}
    const first = await preview(sb, ['--module-version', 'main'], extra)
    expect(first.stderr).to.match(/Module program: module binary built once for main [\da-f]{12}/)
    expect(goBuilds(go.recordFile)).to.have.length(1)
    expect(goBuilds(go.recordFile)[0].argv).to.include('-trimpath')
    expect(goBuilds(go.recordFile)[0].env.GOFLAGS).to.equal('-mod=mod')
    expect(readProgramRuns(go.programRuns).length).to.be.greaterThan(0)
    const runs = await Promise.all(Array.from({length: 8}, () => new Promise<number | null>(resolve => {
      const child = spawn(process.execPath, [RUN_JS, 'pulumi:preview', '-f', manifest, '--module-version', 'main'], {env: env(sb, extra), stdio: 'ignore'})
      child.on('close', code => resolve(code))
    })))
    expect(runs).to.deep.equal(Array.from({length: 8}, () => 0))
    expect(goBuilds(go.recordFile), 'builds').to.have.length(1)
    upstream.commit({'NOTES.md': 'x\n'}, 'a new commit')
    await runCli(['staging', 'pull'], {env: env(sb)})
    await preview(sb, ['--module-version', 'main'], extra)
    expect(goBuilds(go.recordFile), 'a new commit builds again').to.have.length(2)
  })

  it('never (or no Go and no release): from source, with -trimpath added to the user\'s GOFLAGS', async () => {
    const sb = sandbox(upstream)
    const r = await preview(sb, ['--module-binary', 'never'], {GOFLAGS: '-mod=mod'})
    expect(r.stderr).to.match(/Module program: from source/)
    const record = readRecords(pulumiRecords).at(-1)!
    expect(record.env.GOFLAGS).to.equal('-mod=mod -trimpath')
    expect(record.files, 'the module folder of a closure workspace').to.include('main.go')
    const noGo = await preview(sb, ['--module-version', 'main'], {PATH: `${bin}:/usr/bin:/bin`})
    expect(noGo.stderr).to.match(/Module program: from source/)
  })

  it('--module-dir always compiles from the user\'s folder; a bad mode is refused before anything', async () => {
    const sb = sandbox(upstream)
    const own = makeTempDir('pp-own-')
    exportTree(upstream, 'v0.2.0', PULUMI_MODULE_REDIS, own)
    const r = await preview(sb, ['--module-dir', own, '--module-binary', 'auto'])
    expect(r.stderr).to.not.contain('Module program')
    expect(readRecords(pulumiRecords).at(-1)!.binary).to.equal(undefined)
    const bad = await runCli(['pulumi:preview', '-f', manifest, '--module-binary', 'sometimes'], {env: env(sb)})
    expect(bad.code).to.equal(2)
    const badEnv = await runCli(['pulumi:preview', '-f', manifest], {env: env(sb, {PROJECT_PLANTON_MODULE_BINARY: 'sometimes'})})
    expect(badEnv.code).to.equal(2)
    expect(badEnv.stderr).to.contain('invalid PROJECT_PLANTON_MODULE_BINARY')
  })
})
