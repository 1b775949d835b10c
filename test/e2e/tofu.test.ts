// End-to-end: the built CLI runs OpenTofu/Terraform modules from staging (and from --module-dir)
// with the real terraform (or tofu) binary, keeping local state under the CLI home.
import {expect} from 'chai'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, hashTree, onPath, ROOT, runCli, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {
  createUpstream, exportTree, makeTempDir, manifestYaml, markerAt, removeTempDirs, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'

type TfState = {
  outputs: Record<string, {value: unknown}>
  resources: Array<{type: string; instances: Array<{attributes: {input: {value: {name: string; replicas: number}}}}>}>
}

// terraform prints colours even with NO_COLOR; assertions read the plain text.
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replaceAll(/\u001B\[[\d;]*m/g, '')
}

function writeManifest(dir: string, name: string, provisioner: string, replicas = 1): string {
  const file = path.join(dir, `${name}.yaml`)
  writeFileSync(file, manifestYaml({name, labels: {'project-planton.org/provisioner': provisioner}, spec: {container: {replicas}}}))
  return file
}

function statePath(sb: Sandbox, name: string): string {
  return path.join(sb.plantonHome, 'tofu', 'state', `kubernetesredis+${name}`, 'terraform.tfstate')
}

function readState(sb: Sandbox, name: string): TfState {
  return JSON.parse(readFileSync(statePath(sb, name), 'utf8')) as TfState
}

function expectOk(result: CliResult): void {
  expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${plain(result.stdout)}`).to.equal(0)
}

/** The staging clone's work tree without .git: what users may browse. */
function workTree(sb: Sandbox): Record<string, string> {
  return Object.fromEntries(Object.entries(hashTree(sb.clone)).filter(([rel]) => rel !== '.git' && !rel.startsWith(`.git${path.sep}`)))
}

async function selectedRef(sb: Sandbox): Promise<string> {
  const status = await runCli(['staging', 'status', '--json'], {env: sb.env})
  expectOk(status)
  return (JSON.parse(status.stdout) as {ref: string}).ref
}

describe('e2e: tofu/terraform runs', () => {
  const tfBinary = onPath('tofu') ?? onPath('terraform')
  let upstream: Upstream

  before(function () {
    if (!tfBinary) {
      console.log('    skipped: neither tofu nor terraform is on PATH')
      this.skip()
    }

    upstream = createUpstream()
  })

  after(() => removeTempDirs())

  describe('apply, plan and destroy with local state (label terraform)', () => {
    let sb: Sandbox
    let manifest: string
    let stagingBefore: Record<string, string>

    before(async () => {
      sb = sandbox(upstream)
      manifest = writeManifest(sb.home, 'redis-demo', 'terraform')
      expectOk(await runCli(['staging', 'pull'], {env: sb.env}))
      stagingBefore = workTree(sb)
      expect(Object.keys(stagingBefore)).to.include('VERSION')
    })

    it('apply --auto-approve keeps the state under the CLI home, applies --set and removes the workspace', async () => {
      const result = await runCli(['tofu', 'apply', '-f', manifest, '--auto-approve', '--set', 'spec.container.replicas=3'], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.include('Handing off to terraform')
      expect(plain(result.stdout)).to.include('Apply complete! Resources: 1 added')

      const state = readState(sb, 'redis-demo')
      expect(state.resources.map(r => r.type)).to.deep.equal(['terraform_data'])
      expect(state.resources[0].instances[0].attributes.input.value).to.include({name: 'redis-demo', replicas: 3})
      expect(state.outputs.replicas.value).to.equal(3)
      expect(state.outputs.name.value).to.equal('redis-demo')
      expect(existsSync(path.join(sb.plantonHome, 'workspaces'))).to.equal(true)
      expect(workspacesOf(sb)).to.deep.equal([])
    })

    it('the outputs show the marker of the version selected in staging', async () => {
      const ref = await selectedRef(sb)
      // first clone: the tag of the CLI's own version if upstream has it, else the default branch
      const {version} = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {version: string}
      const versionTag = `v${version}`
      expect(ref).to.equal(upstream.git('tag', '--list', versionTag) === versionTag ? versionTag : 'main')
      expect(readState(sb, 'redis-demo').outputs.module_version.value).to.equal(markerAt(upstream, ref))
    })

    it('plan afterwards finds no changes', async () => {
      const result = await runCli(['tofu', 'plan', '-f', manifest, '--set', 'spec.container.replicas=3'], {env: sb.env})
      expectOk(result)
      expect(plain(result.stdout)).to.include('No changes.')
      expect(workspacesOf(sb)).to.deep.equal([])
    })

    it('destroy --auto-approve uses the kept state', async () => {
      const result = await runCli(['tofu', 'destroy', '-f', manifest, '--auto-approve'], {env: sb.env})
      expectOk(result)
      expect(plain(result.stdout)).to.include('Resources: 1 destroyed')
      expect(readState(sb, 'redis-demo').resources).to.deep.equal([])
      expect(workspacesOf(sb)).to.deep.equal([])
    })

    it("leaves staging's work tree byte-identical", () => {
      expect(workTree(sb)).to.deep.equal(stagingBefore)
    })
  })

  describe('a tofu:* command without tofu installed', () => {
    before(function () {
      if (onPath('tofu')) {
        console.log('    skipped: tofu is on PATH, so the terraform fallback cannot be observed')
        this.skip()
      }

      if (!onPath('terraform')) {
        console.log('    skipped: terraform is not on PATH')
        this.skip()
      }
    })

    it('uses terraform with a notice; --no-cleanup keeps the workspace and staging status lists it', async () => {
      const sb = sandbox(upstream)
      const manifest = writeManifest(sb.home, 'redis-tofu', 'tofu')
      const result = await runCli(['tofu:apply', '-f', manifest, '--auto-approve', '--no-cleanup'], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.match(/tofu is not installed; using terraform at \S*terraform/)
      expect(readState(sb, 'redis-tofu').resources).to.have.length(1)

      const kept = /Kept workspace: (\S+)/.exec(result.stderr)?.[1]
      expect(kept, result.stderr).to.be.a('string')
      expect(path.dirname(kept!)).to.equal(path.join(sb.plantonHome, 'workspaces'))
      expect(workspacesOf(sb)).to.deep.equal([path.basename(kept!)])
      // the kept workspace is the one terraform ran in: its module folder was initialised there
      expect(existsSync(path.join(kept!, 'tree', TF_MODULE_REDIS, '.terraform'))).to.equal(true)
      // and the state is not inside it
      expect(existsSync(path.join(kept!, 'tree', TF_MODULE_REDIS, 'terraform.tfstate'))).to.equal(false)

      const human = await runCli(['staging', 'status'], {env: sb.env})
      expectOk(human)
      expect(human.stdout).to.include(`${kept} (kept with --no-cleanup)`)
      const json = await runCli(['staging', 'status', '--json'], {env: sb.env})
      expectOk(json)
      const {workspaces} = JSON.parse(json.stdout) as {workspaces: Array<{path: string; kept: boolean; running: boolean}>}
      expect(workspaces).to.deep.equal([{path: kept, kept: true, running: false}])
    })
  })

  it('--module-version runs that version once; the selected version stays', async () => {
    const sb = sandbox(upstream)
    const manifest = writeManifest(sb.home, 'redis-versions', 'terraform')
    expectOk(await runCli(['staging', 'checkout', 'v0.2.0'], {env: sb.env}))

    const once = await runCli(['tofu', 'apply', '-f', manifest, '--auto-approve', '--module-version', 'v0.1.0'], {env: sb.env})
    expectOk(once)
    expect(readState(sb, 'redis-versions').outputs.module_version.value).to.equal(markerAt(upstream, 'v0.1.0'))
    expect(await selectedRef(sb)).to.equal('v0.2.0')

    const again = await runCli(['tofu', 'apply', '-f', manifest, '--auto-approve'], {env: sb.env})
    expectOk(again)
    expect(readState(sb, 'redis-versions').outputs.module_version.value).to.equal(markerAt(upstream, 'v0.2.0'))
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('--module-dir runs the folder as it is and leaves it byte-identical', async () => {
    const sb = sandbox(upstream)
    const manifest = writeManifest(sb.home, 'redis-own', 'terraform')
    const moduleDir = path.join(makeTempDir('pp-tf-module-'), 'redis')
    exportTree(upstream, 'feature/x', TF_MODULE_REDIS, moduleDir)
    const before = hashTree(moduleDir)
    expect(Object.keys(before)).to.include('main.tf')

    const applied = await runCli(['tofu', 'apply', '-f', manifest, '--auto-approve', '--module-dir', moduleDir, '--set', 'spec.container.replicas=2'], {env: sb.env})
    expectOk(applied)
    const state = readState(sb, 'redis-own')
    expect(state.outputs.module_version.value).to.equal(markerAt(upstream, 'feature/x'))
    expect(state.outputs.replicas.value).to.equal(2)
    const destroyed = await runCli(['tofu', 'destroy', '-f', manifest, '--auto-approve', '--module-dir', moduleDir], {env: sb.env})
    expectOk(destroyed)
    expect(readState(sb, 'redis-own').resources).to.deep.equal([])

    expect(hashTree(moduleDir)).to.deep.equal(before)
    expect(existsSync(path.join(moduleDir, '.terraform'))).to.equal(false)
    expect(existsSync(sb.clone), 'staging is not touched').to.equal(false)
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('a --module-dir without *.tf files is an error', async () => {
    const sb = sandbox(upstream)
    const manifest = writeManifest(sb.home, 'redis-none', 'terraform')
    const notModule = path.join(makeTempDir('pp-not-module-'), 'docs')
    mkdirSync(notModule)
    writeFileSync(path.join(notModule, 'README.md'), '# not a module\n')
    const before = hashTree(notModule)

    const result = await runCli(['tofu', 'apply', '-f', manifest, '--auto-approve', '--module-dir', notModule], {env: sb.env})
    expect(result.code).to.not.equal(0)
    expect(result.stderr).to.include(notModule).and.to.include('no *.tf file')
    expect(hashTree(notModule)).to.deep.equal(before)
    expect(workspacesOf(sb)).to.deep.equal([])
    expect(existsSync(statePath(sb, 'redis-none'))).to.equal(false)
    expect(readdirSync(sb.home)).to.not.include('.terraform')
  })

  describe('arguments for the tool, and saved plans', () => {
    let sb: Sandbox
    let manifest: string

    before(async () => {
      sb = sandbox(upstream)
      manifest = writeManifest(sb.home, 'redis-saved', 'terraform')
      expectOk(await runCli(['staging', 'pull'], {env: sb.env}))
      expectOk(await runCli(['staging', 'checkout', 'v0.1.0'], {env: sb.env}))
    })

    it('passes what follows -- to the tool unchanged; with -detailed-exitcode the CLI\'s own input errors exit 64', async () => {
      const changes = await runCli(['tofu', 'plan', '-f', manifest, '--', '-detailed-exitcode', '-lock=false'], {env: sb.env})
      // terraform's 2: the plan has changes (nothing is applied yet).
      expect(changes.code, changes.stderr).to.equal(2)
      expect(plain(changes.stdout)).to.contain('Plan: 1 to add')
      const bad = await runCli(['tofu', 'plan', '-f', manifest, '--module-version', '..bad', '--', '-detailed-exitcode'], {env: sb.env})
      expect(bad.code).to.equal(64)
      const plainBad = await runCli(['tofu', 'plan', '-f', manifest, '--module-version', '..bad'], {env: sb.env})
      expect(plainBad.code).to.equal(2)
      const stray = await runCli(['tofu', 'plan', '-f', manifest, 'stray'], {env: sb.env})
      expect(stray.code).to.equal(2)
      expect(stray.stderr).to.contain('stray')
    })

    it('plan --out keeps the plan outside the workspace; apply --plan applies exactly it, and only from the same commit', async () => {
      const planFile = path.join(sb.home, 'redis.tfplan')
      const planned = await runCli(['tofu', 'plan', '-f', manifest, '--out', planFile], {env: sb.env})
      expectOk(planned)
      expect(planned.stderr).to.contain(`Saved the plan to ${planFile}`)
      expect(existsSync(planFile)).to.equal(true)
      expect(JSON.parse(readFileSync(`${planFile}.project-planton.json`, 'utf8'))).to.include({commit: upstream.sha('v0.1.0'), stack: 'kubernetesredis/redis-saved'})
      expect(workspacesOf(sb)).to.deep.equal([])

      expectOk(await runCli(['staging', 'checkout', 'v0.2.0'], {env: sb.env}))
      const refused = await runCli(['tofu', 'apply', '-f', manifest, '--plan', planFile], {env: sb.env})
      expect(refused.code).to.equal(2)
      expect(refused.stderr).to.contain(`was made from v0.1.0 ${upstream.sha('v0.1.0').slice(0, 12)}`).and.contain(`--module-version ${upstream.sha('v0.1.0')}`)
      expect(existsSync(statePath(sb, 'redis-saved'))).to.equal(false)

      const other = writeManifest(sb.home, 'redis-other', 'terraform')
      const wrongStack = await runCli(['tofu', 'apply', '-f', other, '--plan', planFile, '--module-version', 'v0.1.0'], {env: sb.env})
      expect(wrongStack.code).to.equal(2)
      expect(wrongStack.stderr).to.contain('was made for stack kubernetesredis/redis-saved')

      const applied = await runCli(['tofu', 'apply', '-f', manifest, '--plan', planFile, '--module-version', 'v0.1.0'], {env: sb.env})
      expectOk(applied)
      expect(readState(sb, 'redis-saved').outputs.module_version.value).to.equal(markerAt(upstream, 'v0.1.0'))
      const missing = await runCli(['tofu', 'apply', '-f', manifest, '--plan', path.join(sb.home, 'nope.tfplan')], {env: sb.env})
      expect(missing.code).to.equal(2)
      expect(missing.stderr).to.contain('no such plan file')
    })
  })
})
