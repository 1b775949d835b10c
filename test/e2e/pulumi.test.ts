// End-to-end: the built CLI hands runs to `pulumi`. A recording stand-in executable plays pulumi
// (none can be installed here); the CLI finds it first on PATH, or through PROJECT_PLANTON_PULUMI_BIN.
import {expect} from 'chai'
import {
  existsSync, mkdirSync, readdirSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'
import {parse, stringify} from 'yaml'

import {
  type CliResult, hashTree, onPath, runCli, type Sandbox, sandbox, startCli, workspacesOf,
} from '../support/cli.js'
import {installPulumiStandIn, type PulumiRecord, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, exportTree, makeTempDir, manifestYaml, PULUMI_MODULE_REDIS, removeTempDirs, type Upstream,
} from '../support/upstream.js'

const FQDN = 'acme/redis/dev'
const FQDN_LABELS = {'project-planton.org/provisioner': 'pulumi', 'pulumi.project-planton.org/stack.fqdn': FQDN}

function expectOk(result: CliResult): void {
  expect(result.code, `exit code; stderr:\n${result.stderr}\nstdout:\n${result.stdout}`).to.equal(0)
}

/** Every file below `dir` whose name starts with `prefix`. */
function findFiles(dir: string, prefix: string): string[] {
  const found: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(d, {withFileTypes: true})) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.startsWith(prefix)) found.push(p)
    }
  }

  if (existsSync(dir)) walk(dir)
  return found
}

type Env = {sb: Sandbox; recordFile: string; manifest(labels?: Record<string, string>, name?: string): string}

/** Runs the CLI; returns its result and the stand-in invocations it caused. */
async function runRecorded(e: Env, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<{result: CliResult; records: PulumiRecord[]}> {
  const seen = readRecords(e.recordFile).length
  const result = await runCli(args, {env: {...e.sb.env, ...extraEnv}})
  return {result, records: readRecords(e.recordFile).slice(seen)}
}

describe('e2e: pulumi runs (stand-in pulumi)', () => {
  let upstream: Upstream
  let binDir: string
  let standInBin: string

  /** A sandbox whose PATH starts with the stand-in, with its own record file. */
  function env(extra: NodeJS.ProcessEnv = {}, withStandIn = true): Env {
    const sb = sandbox(upstream)
    const recordFile = path.join(sb.home, 'pulumi-records.jsonl')
    sb.env.PULUMI_STAND_IN_RECORD = recordFile
    if (withStandIn) sb.env.PATH = `${binDir}${path.delimiter}${process.env.PATH ?? ''}`
    Object.assign(sb.env, extra)
    let n = 0
    return {
      sb,
      recordFile,
      manifest(labels = FQDN_LABELS, name = 'redis-demo') {
        const file = path.join(sb.home, `manifest-${++n}.yaml`)
        writeFileSync(file, manifestYaml({name, labels}))
        return file
      },
    }
  }

  before(() => {
    upstream = createUpstream()
    binDir = makeTempDir('pp-pulumi-bin-')
    standInBin = installPulumiStandIn(binDir).bin
  })

  after(() => removeTempDirs())

  describe('operations and their pulumi arguments', () => {
    let e: Env
    let manifest: string

    before(() => {
      e = env()
      manifest = e.manifest()
    })

    const cases: Array<{args: string[]; argv: string[]}> = [
      {args: ['pulumi', 'update', '--yes', '--diff'], argv: ['up', '--stack', FQDN, '--yes', '--skip-preview', '--diff']},
      {args: ['pulumi', 'update'], argv: ['up', '--stack', FQDN]},
      {args: ['pulumi:up', '--yes'], argv: ['up', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['pulumi', 'preview'], argv: ['preview', '--stack', FQDN]},
      {args: ['pulumi', 'preview', '--diff'], argv: ['preview', '--stack', FQDN, '--diff']},
      {args: ['pulumi', 'refresh', '--yes'], argv: ['refresh', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['pulumi', 'destroy', '--yes'], argv: ['destroy', '--stack', FQDN, '--yes', '--skip-preview']},
      {args: ['pulumi', 'destroy'], argv: ['destroy', '--stack', FQDN]},
      {args: ['pulumi', 'init'], argv: ['stack', 'init', FQDN]},
      {args: ['pulumi', 'cancel'], argv: ['cancel', '--stack', FQDN, '--yes']},
      {args: ['pulumi', 'delete'], argv: ['stack', 'rm', '--stack', FQDN, '--yes']},
      {args: ['pulumi:rm', '--force'], argv: ['stack', 'rm', '--stack', FQDN, '--yes', '--force']},
      // What follows -- goes to pulumi unchanged (the manifest flag comes first below: it is the CLI's).
      {args: ['pulumi', 'preview', '--', '--refresh', '--target', 'urn:a'], argv: ['preview', '--stack', FQDN, '--refresh', '--target', 'urn:a']},
    ]
    for (const c of cases) {
      it(`${c.args.join(' ')} → pulumi ${c.argv.join(' ')}`, async () => {
        const dash = c.args.indexOf('--')
        const args = dash === -1 ? [...c.args, '-f', manifest] : [...c.args.slice(0, dash), '-f', manifest, ...c.args.slice(dash)]
        const {records, result} = await runRecorded(e, args)
        expectOk(result)
        expect(records.map(r => r.argv)).to.deep.equal([c.argv])
        expect(records[0].cwd).to.match(new RegExp(`${PULUMI_MODULE_REDIS}$`))
        expect(result.stderr).to.include(`Handing off to pulumi: pulumi ${c.argv.join(' ')}`)
        expect(workspacesOf(e.sb)).to.deep.equal([])
      })
    }
  })

  describe('stack name', () => {
    it('joins the organization, project and stack.name labels', async () => {
      const e = env()
      const manifest = e.manifest({
        'pulumi.project-planton.org/organization': 'organization',
        'pulumi.project-planton.org/project': 'project-planton-examples',
        'pulumi.project-planton.org/stack.name': 'example-env.KubernetesRedis.redis-demo',
      })
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', manifest])
      expectOk(result)
      expect(records.map(r => r.argv)).to.deep.equal([['preview', '--stack', 'organization/project-planton-examples/example-env.KubernetesRedis.redis-demo']])
    })

    it('takes --stack when the manifest has no stack labels', async () => {
      const e = env()
      const manifest = e.manifest({})
      const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', manifest, '--stack', 'team/app/prod', '--yes'])
      expectOk(result)
      expect(records.map(r => r.argv)).to.deep.equal([['up', '--stack', 'team/app/prod', '--yes', '--skip-preview']])
    })

    it('prefers the labels over --stack, and says so', async () => {
      const e = env()
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest(), '--stack', 'team/app/prod'])
      expectOk(result)
      expect(records.map(r => r.argv)).to.deep.equal([['preview', '--stack', FQDN]])
      expect(result.stderr).to.include('--stack team/app/prod ignored')
    })

    it('without labels or --stack is an error that says what to add', async () => {
      const e = env()
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest({})])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('--stack').and.to.include('pulumi.project-planton.org/stack.fqdn')
      expect(records).to.deep.equal([])
    })

    for (const bad of ['../../etc', '/abs/x', 'a/../b']) {
      it(`rejects --stack ${bad} and creates nothing`, async () => {
        const e = env()
        const sentinel = path.join(e.sb.home, 'etc')
        mkdirSync(sentinel)
        writeFileSync(path.join(sentinel, 'keep'), 'keep\n')
        const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', e.manifest({}), '--stack', bad, '--yes'])
        expect(result.code).to.not.equal(0)
        expect(result.stderr).to.include(`invalid --stack ${JSON.stringify(bad)}`)
        expect(records).to.deep.equal([])
        expect(workspacesOf(e.sb)).to.deep.equal([])
        expect(existsSync(path.join(sentinel, 'keep'))).to.equal(true)
      })
    }

    it('rejects a stack.fqdn label with ".." and creates nothing', async () => {
      const e = env()
      const manifest = e.manifest({'pulumi.project-planton.org/stack.fqdn': '../../..'})
      const {records, result} = await runRecorded(e, ['pulumi', 'destroy', '-f', manifest, '--yes'])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('invalid stack label')
      expect(records).to.deep.equal([])
      expect(workspacesOf(e.sb)).to.deep.equal([])
      expect(existsSync(e.sb.home)).to.equal(true)
    })
  })

  describe('workspace, stack input and environment', () => {
    it('runs in the module folder of a workspace with go.mod at its root', async () => {
      const e = env()
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest(), '--no-cleanup'])
      expectOk(result)
      const kept = /Kept workspace: (\S+)/.exec(result.stderr)?.[1]
      expect(kept, result.stderr).to.be.a('string')
      expect(path.dirname(kept!)).to.equal(path.join(e.sb.plantonHome, 'workspaces'))
      expect(records).to.have.length(1)
      const [record] = records
      expect(record.cwd).to.equal(path.join(kept!, 'tree', PULUMI_MODULE_REDIS))
      expect(record.files).to.include.members(['Pulumi.yaml', 'main.go', 'module/main.go'])
      expect(existsSync(path.join(kept!, 'tree', 'go.mod'))).to.equal(true)
      expect(existsSync(path.join(kept!, 'tree', '.git'))).to.equal(false)
      // the staging workspace builds against the root go.mod, not a user's go.work
      expect(record.env.GOWORK).to.equal('off')
    })

    it('passes the manifest after --set and the provider credentials as a 0600 stack input', async () => {
      const e = env()
      const credentials = path.join(e.sb.home, 'kube-credentials.yaml')
      const creds = {kubeconfig: 'apiVersion: v1\nkind: Config\nclusters: []\n', context: 'kind-dev'}
      writeFileSync(credentials, stringify(creds))
      const manifest = e.manifest()
      const {records, result} = await runRecorded(e, [
        'pulumi', 'up', '-f', manifest, '--yes', '--set', 'spec.container.replicas=3', '--kubernetes-provider-config', credentials,
      ])
      expectOk(result)
      expect(records).to.have.length(1)
      const [record] = records
      expect(record.stackInputMode).to.equal(0o600)
      expect(record.env.STACK_INPUT_YAML_FILE!.startsWith(path.join(e.sb.plantonHome, 'workspaces') + path.sep)).to.equal(true)
      const input = parse(record.stackInput!) as {target: unknown; provider_config: unknown}
      const expected = parse(manifestYaml({name: 'redis-demo', labels: FQDN_LABELS})) as {spec: {container: {replicas: number}}}
      expected.spec.container.replicas = 3
      expect(input.target).to.deep.equal(expected)
      expect(input.provider_config).to.deep.equal(creds)
      // credentials do not outlive the run
      expect(findFiles(e.sb.home, 'stack-input')).to.deep.equal([])
      expect(workspacesOf(e.sb)).to.deep.equal([])
    })

    it('writes no provider_config without a credentials flag', async () => {
      const e = env()
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest()])
      expectOk(result)
      const input = parse(records[0].stackInput!) as Record<string, unknown>
      expect(Object.keys(input)).to.deep.equal(['target'])
    })

    it('sets KUBE_CTX from the context label, and --kube-context overrides it', async () => {
      const e = env()
      const withLabel = e.manifest({...FQDN_LABELS, 'kubernetes.project-planton.org/context': 'kind-from-label'})
      const fromLabel = await runRecorded(e, ['pulumi', 'preview', '-f', withLabel])
      expectOk(fromLabel.result)
      expect(fromLabel.records[0].env.KUBE_CTX).to.equal('kind-from-label')

      const fromFlag = await runRecorded(e, ['pulumi', 'preview', '-f', withLabel, '--kube-context', 'kind-from-flag'])
      expectOk(fromFlag.result)
      expect(fromFlag.records[0].env.KUBE_CTX).to.equal('kind-from-flag')

      const flagOnly = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest(), '--kube-context', 'kind-flag-only'])
      expectOk(flagOnly.result)
      expect(flagOnly.records[0].env.KUBE_CTX).to.equal('kind-flag-only')

      const none = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest()])
      expectOk(none.result)
      expect(none.records[0].env.KUBE_CTX).to.equal(undefined)
    })

    it('--module-dir runs pulumi in that folder and leaves it byte-identical', async () => {
      const e = env()
      const moduleDir = path.join(makeTempDir('pp-pulumi-module-'), 'redis')
      exportTree(upstream, 'v0.2.0', PULUMI_MODULE_REDIS, moduleDir)
      const before = hashTree(moduleDir)
      expect(Object.keys(before)).to.include('Pulumi.yaml')

      // the stack's project (other) differs from Pulumi.yaml's name: the user's file must stay as it is
      const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', e.manifest({}), '--stack', 'acme/other/dev', '--yes', '--module-dir', moduleDir])
      expectOk(result)
      expect(records).to.have.length(1)
      expect(records[0].cwd).to.equal(moduleDir)
      expect(records[0].argv).to.deep.equal(['up', '--stack', 'acme/other/dev', '--yes', '--skip-preview'])
      expect(records[0].env.STACK_INPUT_YAML_FILE!.startsWith(moduleDir)).to.equal(false)
      expect(records[0].files).to.not.include('stack-input.yaml')
      expect(hashTree(moduleDir)).to.deep.equal(before)
      expect(existsSync(e.sb.clone), 'staging is not touched').to.equal(false)
      expect(workspacesOf(e.sb)).to.deep.equal([])
    })

    it('a --module-dir without Pulumi.yaml is an error', async () => {
      const e = env()
      const notModule = path.join(makeTempDir('pp-not-pulumi-'), 'src')
      mkdirSync(notModule)
      writeFileSync(path.join(notModule, 'main.go'), 'package main\n')
      const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', e.manifest(), '--module-dir', notModule])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('no Pulumi.yaml')
      expect(records).to.deep.equal([])
      expect(workspacesOf(e.sb)).to.deep.equal([])
    })
  })

  describe('exit codes and signals', () => {
    it("passes pulumi's exit code through and still removes the workspace", async () => {
      const e = env({PULUMI_STAND_IN_EXIT: '3'})
      const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', e.manifest(), '--yes'])
      expect(result.code).to.equal(3)
      expect(records).to.have.length(1)
      expect(workspacesOf(e.sb)).to.deep.equal([])
      expect(findFiles(e.sb.home, 'stack-input')).to.deep.equal([])
    })

    it('init of a stack that already exists succeeds; another init failure does not', async () => {
      const e = env()
      const manifest = e.manifest()
      const exists = await runRecorded(e, ['pulumi', 'init', '-f', manifest], {PULUMI_STAND_IN_STACK_EXISTS: '1'})
      expectOk(exists.result)
      expect(exists.records.map(r => r.argv)).to.deep.equal([['stack', 'init', FQDN]])
      expect(exists.result.stderr).to.include('already exists')

      const other = await runRecorded(e, ['pulumi', 'init', '-f', manifest], {PULUMI_STAND_IN_EXIT: '255', PULUMI_STAND_IN_STDERR: 'error: no credentials\n'})
      expect(other.result.code).to.equal(255)
      expect(workspacesOf(e.sb)).to.deep.equal([])
    })

    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      it(`${signal} during the run reaches pulumi, removes the workspace and exits ${code}`, async () => {
        const e = env({PULUMI_STAND_IN_SLEEP_MS: '45000'})
        const cli = startCli(['pulumi', 'up', '-f', e.manifest(), '--yes'], {env: e.sb.env})
        await cli.waitFor(/stand-in: waiting/)
        expect(workspacesOf(e.sb)).to.have.length(1)
        expect(findFiles(e.sb.home, 'stack-input')).to.have.length(1)
        cli.child.kill(signal)
        const result = await cli.done
        expect(result.code, result.stderr).to.equal(code)
        const records = readRecords(e.recordFile)
        expect(records.map(r => r.signal)).to.deep.equal([undefined, signal])
        expect(workspacesOf(e.sb)).to.deep.equal([])
        expect(findFiles(e.sb.home, 'stack-input')).to.deep.equal([])
      })
    }
  })

  describe('Ctrl-C typed at a terminal', () => {
    it('pulumi gets one SIGINT (from the terminal, not a second from us); the run cleans up and exits 130', async function () {
      if (!onPath('script')) {
        console.log('    skipped: util-linux `script` (to make a pseudo-terminal) is not on PATH')
        this.skip()
      }

      // The stand-in keeps recording signals for a while after the first: a forwarded copy would land there.
      const e = env({PULUMI_STAND_IN_SLEEP_MS: '45000', PULUMI_STAND_IN_LINGER_MS: '1500'})
      const cli = startCli(['pulumi', 'up', '-f', e.manifest(), '--yes'], {env: e.sb.env, terminal: true})
      await cli.waitFor(/stand-in: waiting/)
      expect(findFiles(e.sb.home, 'stack-input')).to.have.length(1)
      cli.child.stdin!.write('\u0003')
      const result = await cli.done
      expect(result.code, result.stdout + result.stderr).to.equal(130)
      const records = readRecords(e.recordFile)
      // The tool really ran at a terminal, and saw exactly one interrupt.
      expect(records[0].tty).to.equal(true)
      expect(records.map(r => r.signal)).to.deep.equal([undefined, 'SIGINT'])
      expect(workspacesOf(e.sb)).to.deep.equal([])
      expect(findFiles(e.sb.home, 'stack-input')).to.deep.equal([])
    })
  })

  describe('finding the pulumi binary', () => {
    it('a missing pulumi is a clear error naming it and how to install it', async function () {
      if (onPath('pulumi')) {
        console.log('    skipped: a pulumi binary is on PATH')
        this.skip()
      }

      const e = env({}, false)
      const {records, result} = await runRecorded(e, ['pulumi', 'up', '-f', e.manifest(), '--yes'])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('pulumi is not installed')
      expect(result.stderr).to.include('https://www.pulumi.com/docs/install/')
      expect(result.stderr).to.include('PROJECT_PLANTON_PULUMI_BIN')
      expect(records).to.deep.equal([])
      expect(workspacesOf(e.sb)).to.deep.equal([])
    })

    it('PROJECT_PLANTON_PULUMI_BIN names the binary to run', async () => {
      const e = env({PROJECT_PLANTON_PULUMI_BIN: standInBin}, false)
      expect(onPath('pulumi', e.sb.env.PATH)).to.not.equal(standInBin)
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest()])
      expectOk(result)
      expect(records.map(r => r.argv)).to.deep.equal([['preview', '--stack', FQDN]])
    })

    it('a PROJECT_PLANTON_PULUMI_BIN that is not executable is an error', async () => {
      const e = env({PROJECT_PLANTON_PULUMI_BIN: path.join(binDir, 'pulumi-stand-in.cjs')})
      const {records, result} = await runRecorded(e, ['pulumi', 'preview', '-f', e.manifest()])
      expect(result.code).to.not.equal(0)
      expect(result.stderr).to.include('PROJECT_PLANTON_PULUMI_BIN')
      expect(records).to.deep.equal([])
    })
  })
})
