// End-to-end: the unified commands (apply, plan/preview, destroy/delete, refresh, init) route to
// pulumi or to tofu/terraform by the manifest's project-planton.org/provisioner label.
import {expect} from 'chai'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, onPath, runCli, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {installPulumiStandIn, type PulumiRecord, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, type Upstream,
} from '../support/upstream.js'

const FQDN = 'acme/redis/dev'

function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replaceAll(/\u001B\[[\d;]*m/g, '')
}

function expectOk(result: CliResult): void {
  expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${plain(result.stdout)}`).to.equal(0)
}

describe('e2e: unified commands', () => {
  let upstream: Upstream
  let binDir: string

  before(() => {
    upstream = createUpstream()
    binDir = makeTempDir('pp-pulumi-bin-')
    installPulumiStandIn(binDir)
  })

  after(() => removeTempDirs())

  function pulumiSandbox(): {sb: Sandbox; recordFile: string} {
    const sb = sandbox(upstream)
    const recordFile = path.join(sb.home, 'pulumi-records.jsonl')
    sb.env.PULUMI_STAND_IN_RECORD = recordFile
    sb.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`
    return {sb, recordFile}
  }

  describe('label pulumi', () => {
    let sb: Sandbox
    let recordFile: string
    let manifest: string

    before(() => {
      ({recordFile, sb} = pulumiSandbox())
      manifest = path.join(sb.home, 'redis.yaml')
      writeFileSync(manifest, manifestYaml({labels: {'project-planton.org/provisioner': 'pulumi', 'pulumi.project-planton.org/stack.fqdn': FQDN}}))
    })

    const cases: Array<{args: string[]; argv: string[]}> = [
      {args: ['apply', '--yes'], argv: ['up', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['apply', '--diff'], argv: ['up', '--stack', FQDN, '--diff']},
      {args: ['plan'], argv: ['preview', '--stack', FQDN]},
      {args: ['preview', '--diff'], argv: ['preview', '--stack', FQDN, '--diff']},
      {args: ['refresh', '--yes'], argv: ['refresh', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['init'], argv: ['stack', 'init', FQDN]},
      {args: ['destroy', '--yes'], argv: ['destroy', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['delete', '--auto-approve'], argv: ['destroy', '--stack', FQDN, '--yes', '--skip-preview']},
    ]
    for (const c of cases) {
      it(`${c.args.join(' ')} → pulumi ${c.argv.join(' ')}`, async () => {
        const seen = readRecords(recordFile).length
        const result = await runCli([...c.args, '-f', manifest], {env: sb.env})
        expectOk(result)
        const records: PulumiRecord[] = readRecords(recordFile).slice(seen)
        expect(records.map(r => r.argv)).to.deep.equal([c.argv])
        expect(existsSync(path.join(sb.plantonHome, 'tofu', 'state')), 'no tofu state').to.equal(false)
        expect(workspacesOf(sb)).to.deep.equal([])
      })
    }
  })

  describe('label terraform', () => {
    let sb: Sandbox
    let manifest: string
    let recordFile: string
    const state = () => JSON.parse(readFileSync(path.join(sb.plantonHome, 'tofu', 'state', 'kubernetesredis+redis-demo', 'terraform.tfstate'), 'utf8')) as {
      resources: unknown[]
      outputs: Record<string, {value: unknown}>
    }

    before(function () {
      if (!onPath('terraform')) {
        console.log('    skipped: terraform is not on PATH')
        this.skip()
      }

      // the pulumi stand-in is on PATH too: it must not be called
      ({recordFile, sb} = pulumiSandbox())
      manifest = path.join(sb.home, 'redis.yaml')
      writeFileSync(manifest, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}, spec: {container: {replicas: 2}}}))
    })

    afterEach(() => {
      expect(readRecords(recordFile)).to.deep.equal([])
      expect(workspacesOf(sb)).to.deep.equal([])
    })

    it('init runs terraform init', async () => {
      const result = await runCli(['init', '-f', manifest], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.include('Handing off to terraform: terraform init')
      expect(plain(result.stdout)).to.include('Terraform has been successfully initialized')
    })

    it('apply --yes applies with terraform', async () => {
      const result = await runCli(['apply', '-f', manifest, '--yes'], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.include('terraform init, then terraform apply')
      expect(state().resources).to.have.length(1)
      expect(state().outputs.replicas.value).to.equal(2)
    })

    it('plan and its alias preview find no changes', async () => {
      for (const command of ['plan', 'preview']) {
        const result = await runCli([command, '-f', manifest], {env: sb.env})
        expectOk(result)
        expect(result.stderr).to.include('terraform init, then terraform plan')
        expect(plain(result.stdout)).to.include('No changes.')
      }
    })

    it('refresh runs terraform refresh', async () => {
      const result = await runCli(['refresh', '-f', manifest], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.include('terraform init, then terraform refresh')
      expect(state().resources).to.have.length(1)
    })

    it('the alias delete destroys with terraform', async () => {
      const result = await runCli(['delete', '-f', manifest, '--auto-approve'], {env: sb.env})
      expectOk(result)
      expect(result.stderr).to.include('terraform init, then terraform destroy')
      expect(plain(result.stdout)).to.include('Resources: 1 destroyed')
      expect(state().resources).to.deep.equal([])
    })

    it('destroy --yes on the emptied state destroys nothing', async () => {
      const result = await runCli(['destroy', '-f', manifest, '--yes'], {env: sb.env})
      expectOk(result)
      expect(plain(result.stdout)).to.include('Resources: 0 destroyed')
    })
  })

  describe('no provisioner label and no terminal', () => {
    for (const command of ['apply', 'plan', 'preview', 'destroy', 'delete', 'refresh', 'init']) {
      it(`${command} fails naming the label`, async () => {
        const {recordFile, sb} = pulumiSandbox()
        const manifest = path.join(sb.home, 'redis.yaml')
        writeFileSync(manifest, manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': FQDN}}))
        const result = await runCli([command, '-f', manifest], {env: sb.env})
        expect(result.code).to.not.equal(0)
        expect(result.stderr).to.include('project-planton.org/provisioner')
        expect(result.stderr).to.include('no terminal')
        expect(readRecords(recordFile)).to.deep.equal([])
        expect(workspacesOf(sb)).to.deep.equal([])
        expect(existsSync(sb.clone)).to.equal(false)
      })
    }
  })
})
