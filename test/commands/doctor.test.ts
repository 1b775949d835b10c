// `doctor` through the built CLI, in a sandbox: what it finds on an empty home, on a healthy
// staging, without terraform on PATH, with broken settings, and the shape of --json.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  accessSync, mkdirSync, readdirSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {binariesRoot, installEntry} from '../../src/core/binaries/cache.js'
import {
  type CliResult, onPath, runCli, type Sandbox, sandbox,
} from '../support/cli.js'
import {installGoStandIn, readGoRecords} from '../support/go-stand-in.js'
import {
  createUpstream, makeTempDir, removeTempDirs, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'

type Check = {id: string; status: 'error' | 'ok' | 'warn'; message: string; fix?: string; details?: Record<string, unknown>}
type Report = {ok: boolean; errors: number; warnings: number; home: string; url: string; checks: Check[]}

function gitIsOlderThan2451(): boolean {
  const [major, minor, patch] = (/(\d+)\.(\d+)\.(\d+)/.exec(execFileSync('git', ['--version'], {encoding: 'utf8'})) ?? []).slice(1).map(Number)
  return major < 2 || (major === 2 && (minor < 45 || (minor === 45 && patch < 1)))
}

/** A PATH holding only git: no pulumi, tofu or terraform. */
function pathWithOnlyGit(): string {
  const bin = makeTempDir('pp-bin-')
  symlinkSync(onPath('git')!, path.join(bin, 'git'))
  return bin
}

async function doctorJson(sb: Sandbox, env: NodeJS.ProcessEnv = {}): Promise<{result: CliResult; report: Report}> {
  const result = await runCli(['doctor', '--json'], {env: {...sb.env, ...env}})
  return {result, report: JSON.parse(result.stdout) as Report}
}

function byId(report: Report, id: string): Check {
  const found = report.checks.find(c => c.id === id)
  expect(found, `check ${id} in ${JSON.stringify(report.checks.map(c => c.id))}`).to.not.equal(undefined)
  return found!
}

describe('doctor', () => {
  let upstream: Upstream

  before(() => {
    upstream = createUpstream()
  })

  after(() => removeTempDirs())

  it('on an empty home: exits 0, says staging is not cloned and how to clone it, and warns about an old git', async () => {
    const sb = sandbox(upstream)
    const result = await runCli(['doctor'], {env: sb.env})
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/warn\s+staging\s+staging is not cloned yet/)
    expect(result.stdout).to.include('project-planton staging pull')
    expect(result.stdout).to.match(/ok\s+home\s+.*does not exist yet; it will be created/)
    expect(result.stdout).to.match(/ok\s+disk\s+[\d.]+ [KMGT]?i?B free/)
    expect(result.stdout).to.match(/\d+ error\(s\), \d+ warning\(s\): ready to run\./)
    if (gitIsOlderThan2451()) {
      expect(result.stdout).to.match(/warn\s+git\s+git \d+\.\d+\.\d+ .* is older than 2\.45\.1/)
      expect(result.stdout).to.include('Upgrade git to 2.45.1 or newer')
    } else {
      expect(result.stdout).to.match(/ok\s+git\s+git \d+\.\d+\.\d+/)
    }

    // A diagnosis creates nothing.
    expect(() => accessSync(sb.plantonHome)).to.throw()
  })

  it('after staging pull: every staging check is ok, with the selected version and the upstream', async () => {
    const sb = sandbox(upstream)
    const pull = await runCli(['staging', 'pull'], {env: sb.env})
    expect(pull.code, pull.stderr).to.equal(0)
    expect((await runCli(['staging', 'checkout', 'v0.1.0'], {env: sb.env})).code).to.equal(0)
    const {report, result} = await doctorJson(sb)
    expect(result.code, result.stderr).to.equal(0)
    for (const id of ['staging', 'staging.upstream', 'staging.version', 'staging.worktree']) expect(byId(report, id).status, id).to.equal('ok')
    expect(byId(report, 'staging.version').message).to.match(/^v0\.1\.0 \(tag\) at [\da-f]{12}; the work tree is at that commit$/)
    expect(byId(report, 'staging.version').details).to.include({ref: 'v0.1.0', sha: upstream.sha('v0.1.0'), headSha: upstream.sha('v0.1.0')})
    expect(byId(report, 'staging.upstream').message).to.equal(`cloned from ${upstream.url}`)
    expect(byId(report, 'home').message).to.equal(`${sb.plantonHome} is writable`)

    const text = await runCli(['doctor'], {env: sb.env})
    expect(text.code).to.equal(0)
    expect(text.stdout).to.match(/ok\s+staging\.worktree\s+no local changes/)
  })

  it('reports local changes, a moved HEAD and a changed upstream URL, each with what to do', async () => {
    const sb = sandbox(upstream)
    expect((await runCli(['staging', 'pull'], {env: sb.env})).code).to.equal(0)
    expect((await runCli(['staging', 'checkout', 'v0.1.0'], {env: sb.env})).code).to.equal(0)
    writeFileSync(path.join(sb.clone, TF_MODULE_REDIS, 'main.tf'), '# edited by hand\n')
    const dirty = await doctorJson(sb)
    expect(dirty.result.code, 'warnings only').to.equal(0)
    const worktree = byId(dirty.report, 'staging.worktree')
    expect(worktree.status).to.equal('warn')
    expect(worktree.message).to.include(`${TF_MODULE_REDIS}/main.tf`)
    expect(worktree.fix).to.include('staging pull --force')

    execFileSync('git', ['-C', sb.clone, 'checkout', '-q', '-f', '--detach', upstream.sha('v0.2.0')], {env: {...sb.env, GIT_CONFIG_NOSYSTEM: '1'}})
    const detached = await doctorJson(sb)
    const version = byId(detached.report, 'staging.version')
    expect(version.status).to.equal('warn')
    expect(version.message).to.include(`the work tree is at ${upstream.sha('v0.2.0').slice(0, 12)}, not at the selected v0.1.0`)
    expect(version.fix).to.include(`checkout --detach ${upstream.sha('v0.1.0')}`)

    const moved = createUpstream()
    const {report, result} = await doctorJson(sb, {PROJECT_PLANTON_REPO_URL: moved.url})
    expect(result.code).to.equal(1)
    expect(report.ok).to.equal(false)
    const url = byId(report, 'staging.upstream')
    expect(url.status).to.equal('error')
    expect(url.message).to.include(`cloned from ${upstream.url}`)
    expect(url.fix).to.include('staging clean --all --yes && project-planton staging pull')
  })

  it('without terraform, tofu or pulumi on PATH: exits 1 and says what to install', async function () {
    const sb = sandbox(upstream)
    const result = await runCli(['doctor'], {env: {...sb.env, PATH: pathWithOnlyGit()}})
    expect(result.code, result.stdout).to.equal(1)
    expect(result.stdout).to.match(/warn\s+terraform\s+terraform is not installed \(not found on PATH\)/)
    expect(result.stdout).to.include('Install Terraform (https://developer.hashicorp.com/terraform/install)')
    expect(result.stdout).to.include('Install OpenTofu (https://opentofu.org/docs/intro/install/)')
    expect(result.stdout).to.match(/error\s+iac-tools\s+none of pulumi, tofu or terraform is installed/)
    expect(result.stdout).to.match(/1 error\(s\), \d+ warning\(s\): fix the errors above before running\./)

    const terraform = onPath('terraform')
    if (!terraform) {
      console.log('      (override part skipped: terraform is not on PATH)')
      this.skip()
    }

    // PROJECT_PLANTON_TERRAFORM_BIN finds it even off PATH; an override that points nowhere is an error.
    const {report, result: withOverride} = await doctorJson(sb, {PATH: pathWithOnlyGit(), PROJECT_PLANTON_TERRAFORM_BIN: terraform})
    expect(withOverride.code, withOverride.stdout).to.equal(0)
    expect(byId(report, 'terraform')).to.deep.include({status: 'ok'})
    expect(byId(report, 'terraform').message).to.match(/^Terraform v\d+\.\d+\.\d+ \(.*, from PROJECT_PLANTON_TERRAFORM_BIN\)$/)
    expect(byId(report, 'tofu').message).to.include('manifests labelled tofu run terraform instead')

    const broken = await doctorJson(sb, {PROJECT_PLANTON_PULUMI_BIN: '/nonexistent/pulumi'})
    expect(broken.result.code).to.equal(1)
    expect(byId(broken.report, 'pulumi')).to.deep.include({status: 'error', message: 'PROJECT_PLANTON_PULUMI_BIN=/nonexistent/pulumi is not an executable file'})
  })

  it('a home that is a file is an error', async () => {
    const sb = sandbox(upstream)
    const file = path.join(sb.home, 'not-a-folder')
    writeFileSync(file, 'x')
    const {report, result} = await doctorJson(sb, {PROJECT_PLANTON_HOME: file})
    expect(result.code).to.equal(1)
    expect(byId(report, 'home')).to.deep.include({status: 'error', message: `${file} is not a directory`})
    expect(byId(report, 'home').fix).to.include('PROJECT_PLANTON_HOME')
  })

  it('--json prints one document with a stable shape and nothing on stderr', async () => {
    const sb = sandbox(upstream)
    mkdirSync(sb.plantonHome, {recursive: true})
    const {report, result} = await doctorJson(sb)
    expect(result.stderr).to.equal('')
    expect(report).to.have.all.keys('ok', 'errors', 'warnings', 'home', 'url', 'checks')
    expect(report.home).to.equal(sb.plantonHome)
    expect(report.url).to.equal(upstream.url)
    const ids = report.checks.map(c => c.id)
    expect(ids).to.include.members(['node', 'git', 'pulumi', 'tofu', 'terraform', 'home', 'disk', 'staging'])
    for (const c of report.checks) {
      expect(c.status).to.be.oneOf(['ok', 'warn', 'error'])
      expect(c.message).to.be.a('string').and.not.equal('')
      if (c.status !== 'ok') expect(c.fix, `${c.id} says what to do`).to.be.a('string')
    }

    expect(report.errors).to.equal(report.checks.filter(c => c.status === 'error').length)
    expect(report.warnings).to.equal(report.checks.filter(c => c.status === 'warn').length)
    expect(report.ok).to.equal(report.errors === 0)
    expect(result.code).to.equal(report.ok ? 0 : 1)
    const disk = byId(report, 'disk').details as {freeBytes: number; path: string}
    expect(disk.freeBytes).to.be.a('number').and.greaterThan(0)
    expect(disk.path).to.equal(sb.plantonHome)
  })

  it('reports Go and the module binaries: the cache\'s count and size, the mode, and a bad setting as an error', async () => {
    const sb = sandbox(upstream)
    const goBin = makeTempDir('pp-go-')
    const go = installGoStandIn(goBin)
    const withGo = {PATH: `${goBin}${path.delimiter}${sb.env.PATH}`}
    const root = binariesRoot(path.join(sb.plantonHome, 'cache'))
    await installEntry(root, 'cafe_kubernetesredis_linux_amd64_go1.25.1_0123456789ab', async dir => {
      writeFileSync(path.join(dir, 'pulumi-kubernetesredis'), '#!/bin/sh\nexit 0\n')
      return {
        how: 'built', module: 'kubernetesredis', os: 'linux', arch: 'amd64', file: 'pulumi-kubernetesredis', sha: 'c'.repeat(40), goVersion: 'go1.25.1',
      }
    })
    // The default mode, as a user has it (the sandbox sets never for runs).
    const {report} = await doctorJson(sb, {...withGo, PROJECT_PLANTON_MODULE_BINARY: ''})
    expect(byId(report, 'go')).to.include({status: 'ok', message: `go1.25.1 (${go.bin}): module binaries are built once per commit`})
    expect(byId(report, 'module-binaries')).to.include({status: 'ok', message: 'mode auto, releases from https://github.com/plantonhq/project-planton/releases; 1 in the cache (1 built, 0 downloaded, 17 B)'})
    // Go was asked for its version, and nothing was written to remember it (a diagnosis changes nothing).
    expect(readGoRecords(go.recordFile).map(r => r.argv)).to.deep.equal([['env', 'GOVERSION']])
    expect(readdirSync(root).filter(n => n !== '.locks')).to.deep.equal(['cafe_kubernetesredis_linux_amd64_go1.25.1_0123456789ab'])

    const withoutGo = await doctorJson(sb, {PATH: pathWithOnlyGit()})
    expect(byId(withoutGo.report, 'go')).to.include({status: 'warn', message: 'Go is not installed (no go on PATH): pulumi runs cannot start (tofu runs do not need Go)'})
    const never = await doctorJson(sb, {PROJECT_PLANTON_MODULE_BINARY: 'never'})
    expect(byId(never.report, 'module-binaries').message).to.match(/^off \(PROJECT_PLANTON_MODULE_BINARY=never\)/)
    const bad = await doctorJson(sb, {PROJECT_PLANTON_MODULE_BINARY: 'sometimes'})
    expect(byId(bad.report, 'module-binaries')).to.include({status: 'error', message: 'invalid PROJECT_PLANTON_MODULE_BINARY "sometimes"', fix: 'Use one of auto, download, build, never.'})
    expect(bad.result.code).to.equal(1)
    const badUrl = await doctorJson(sb, {PROJECT_PLANTON_RELEASES_URL: 'ftp://mirror/releases'})
    expect(byId(badUrl.report, 'module-binaries').status).to.equal('error')
  })
})
