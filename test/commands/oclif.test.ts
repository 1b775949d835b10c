// The commands through oclif in-process (@oclif/test runs the sources): help, topics, aliases,
// flag validation, and the staging hooks that another plugin could observe.
import {Config} from '@oclif/core'
import {runCommand, runHook} from '@oclif/test'
import {expect} from 'chai'
import {existsSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {homePaths} from '../../src/core/home.js'
import {parseManifest, validateManifest} from '../../src/core/manifest.js'
import {ROOT, runCli, sandbox} from '../support/cli.js'
import {createUpstream, removeTempDirs, TF_MODULE_REDIS} from '../support/upstream.js'

describe('commands in-process', () => {
  const saved = {...process.env}

  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
    Object.assign(process.env, saved)
  })

  after(removeTempDirs)

  function useSandbox() {
    const up = createUpstream()
    const sb = sandbox(up)
    Object.assign(process.env, {HOME: sb.home, PROJECT_PLANTON_HOME: sb.plantonHome, PROJECT_PLANTON_REPO_URL: up.url})
    return {sb, up}
  }

  it('lists the topics and the unified commands in the root help', async () => {
    const {stdout} = await runCommand(['--help'], {root: ROOT})
    for (const word of ['staging', 'pulumi', 'tofu', 'apply', 'plan', 'destroy', 'refresh', 'init']) expect(stdout).to.contain(word)
  })

  it('keeps the aliases working but out of the command lists; the help of each command names its alias', async () => {
    const aliases = {
      checkout: 'staging:checkout', pull: 'staging:pull', 'modules-version': 'staging:status', preview: 'plan', delete: 'destroy', 'pulumi:up': 'pulumi:update', 'pulumi:rm': 'pulumi:delete',
    }
    const root = await runCommand(['--help'], {root: ROOT})
    const pulumi = await runCommand(['pulumi', '--help'], {root: ROOT})
    const listed = `${root.stdout}\n${pulumi.stdout}`
    for (const [alias, id] of Object.entries(aliases)) {
      const words = alias.replace(':', ' ')
      expect(listed, alias).to.not.match(new RegExp(`^ {2}${words} `, 'm'))
      const help = await runCommand([id, '--help'], {root: ROOT})
      expect(help.stdout, id).to.contain(`Also available as \`project-planton ${words}\`.`)
      // The alias still names the command (its help is the command's).
      const viaAlias = await runCommand([...words.split(' '), '--help'], {root: ROOT})
      expect(viaAlias.stdout.split('\n')[0], alias).to.equal(help.stdout.split('\n')[0])
      expect(viaAlias.stdout, alias).to.contain(`$ project-planton ${words} `)
    }

    expect(root.stdout).to.match(/^ {2}destroy /m)
    expect(pulumi.stdout).to.match(/^ {2}pulumi update /m)
  })

  it('help is accurate: --full-tree only where Pulumi can run, --auto-approve says what it skips', async () => {
    const config = await Config.load(ROOT)
    const iac = config.commands.filter(c => !c.hidden && /^(pulumi|tofu):|^(apply|plan|destroy|refresh|init)$/.test(c.id))
    expect(iac.length).to.equal(17)
    for (const command of iac) {
      const {stdout} = await runCommand([command.id, '--help'], {root: ROOT})
      expect(stdout.includes('--full-tree'), command.id).to.equal(!command.id.startsWith('tofu:'))
    }

    const {error, stderr} = await runCommand(['tofu:plan', '-f', 'x.yaml', '--full-tree'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.contain('Nonexistent flag: --full-tree')
    expect((await runCommand(['tofu:destroy', '--help'], {root: ROOT})).stdout).to.match(/--auto-approve +Destroy without asking/)
    expect((await runCommand(['tofu:apply', '--help'], {root: ROOT})).stdout).to.match(/--auto-approve +Apply without asking/)
  })

  it('answers --version in the same words as oclif, without loading it', async () => {
    const config = await Config.load(ROOT)
    const r = await runCli(['--version'], {env: sandbox().env})
    expect(r.code).to.equal(0)
    expect(r.stdout.trim()).to.equal(config.userAgent)
  })

  it('teaches with examples in command help', async () => {
    const {stdout} = await runCommand(['staging:checkout', '--help'], {root: ROOT})
    expect(stdout).to.contain('checkout v0.2.1')
    expect(stdout).to.contain('latest')
    expect(stdout).to.contain('Also available as `project-planton checkout`.')
    const tofu = await runCommand(['tofu:apply', '--help'], {root: ROOT})
    for (const flag of ['--manifest', '--set', '--module-dir', '--module-version', '--no-cleanup', '--auto-approve', '--provider-config']) expect(tofu.stdout).to.contain(flag)
    // The reference CLI's per-provider flags still work (see the e2e tests) but are not listed.
    expect(tofu.stdout).not.to.contain('--aws-provider-config')
  })

  it('runs staging pull and status through the space separator and the aliases', async () => {
    const {up} = useSandbox()
    const pull = await runCommand(['staging', 'pull', '--json'], {root: ROOT})
    expect(pull.error).to.equal(undefined)
    expect(JSON.parse(pull.stdout)).to.include({action: 'cloned', sha: up.sha('main')})
    const status = await runCommand(['modules-version', '--json'], {root: ROOT})
    expect(JSON.parse(status.stdout)).to.include({ref: 'main', headMatches: true})
  })

  it('refuses a bad version with exit code 2 before touching anything', async () => {
    const {sb} = useSandbox()
    // (runCommand splits its arguments on spaces: this one has none)
    const {error, stderr} = await runCommand(['staging:checkout', '--', '--upload-pack=touch'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.contain('invalid version')
    expect(existsSync(sb.plantonHome)).to.equal(false)
  })

  it('requires a manifest for IaC commands', async () => {
    const {error, stderr} = await runCommand(['tofu:plan'], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.match(/Exactly one of the following must be provided: --manifest, --stack-input/)
  })

  it('prepares and tears down a workspace through the staging hooks', async () => {
    const {sb} = useSandbox()
    const config = await Config.load(ROOT)
    const paths = homePaths(sb.plantonHome)
    const manifest = validateManifest(parseManifest('apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\nmetadata: {name: hooked}\n', 'm.yaml'), 'm.yaml')
    const lines: string[] = []
    const prepared = await runHook(
      'staging:prepare',
      {
        request: {
          tool: 'tofu',
          manifest,
          stackId: 'kubernetesredis/hooked',
          paths,
          url: process.env.PROJECT_PLANTON_REPO_URL!,
          cliVersion: config.version,
          command: 'test',
          report: (l: string) => lines.push(l),
        },
      },
      {root: ROOT},
    )
    const ws = (prepared.result as {successes: Array<{result: {moduleDir: string; root: string; files: number}}>}).successes[0].result
    expect(ws.moduleDir).to.equal(path.join(ws.root, 'tree', TF_MODULE_REDIS))
    expect(readdirSync(ws.moduleDir)).to.include('main.tf')
    expect(ws.files).to.be.greaterThan(2)
    expect(lines.join('\n')).to.contain('Cloning')
    writeFileSync(path.join(ws.moduleDir, 'scratch'), 'x')

    await runHook('staging:teardown', {workspace: ws, keep: false, workspacesRoot: paths.workspaces}, {root: ROOT})
    expect(existsSync(ws.root)).to.equal(false)
  })

  it('reports a failing prepare hook as an error, not as a silent success', async () => {
    useSandbox()
    const manifestFile = path.join(process.env.HOME!, 'bad.yaml')
    writeFileSync(manifestFile, 'apiVersion: kubernetes.project-planton.org/v1\nkind: NoSuchKind\nmetadata: {name: x}\n')
    const {error, stderr} = await runCommand(['tofu:plan', '-f', manifestFile], {root: ROOT})
    expect(error?.oclif?.exit).to.equal(2)
    expect(stderr).to.contain('unknown kind NoSuchKind')
    const workspaces = path.join(process.env.PROJECT_PLANTON_HOME!, 'workspaces')
    expect(existsSync(workspaces) ? readdirSync(workspaces) : []).to.deep.equal([])
  })
})
