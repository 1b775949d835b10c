/* eslint-disable camelcase -- module variables are snake_case: the expectations spell them so */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {
  copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import type {Manifest} from '../../../src/core/manifest.js'

import {InvalidInputError} from '../../../src/core/errors.js'
import {
  checkTofuFlags, prepareTofu, snakeKeys, type TofuFlags, type TofuOp,
} from '../../../src/core/iac/tofu.js'
import {onPath} from '../../support/cli.js'
import {makeTempDir, removeTempDirs} from '../../support/upstream.js'

const GENERATED = '_project_planton_backend.tf'

/** A module terraform runs without a provider download: its output shows the variables it got. */
const REAL_MODULE = `variable "metadata" {
  type = any
}

variable "spec" {
  type = any
}

resource "terraform_data" "this" {
  input = "\${var.metadata.name}-\${var.spec.container.replica_count}"
}
`

function manifest(labels: Record<string, string> = {}, spec?: Record<string, unknown>): Manifest {
  return {
    apiVersion: 'kubernetes.project-planton.org/v1',
    kind: 'KubernetesRedis',
    metadata: {name: 'redis-demo', labels: {'project-planton.org/provisioner': 'terraform', ...labels}},
    spec: spec ?? {container: {replicas: 2}},
  }
}

const backend = (type: string, object?: string) => ({
  'terraform.project-planton.org/backend.type': type,
  ...(object === undefined ? {} : {'terraform.project-planton.org/backend.object': object}),
})

/** A workspace module folder holding `files`, its private folder and a state folder under a home. */
function workspace(files?: Record<string, string>) {
  const root = makeTempDir('pp-tofu-')
  const moduleDir = path.join(root, 'tree', 'm')
  const privateDir = path.join(root, 'private')
  mkdirSync(moduleDir, {recursive: true})
  mkdirSync(privateDir)
  for (const [name, content] of Object.entries(files ?? {'main.tf': 'resource "terraform_data" "this" {}\n'})) writeFileSync(path.join(moduleDir, name), content)
  return {
    moduleDir, privateDir, root, stateDir: path.join(root, 'home', 'tofu', 'state', 'kubernetesredis+redis-demo'),
  }
}

function expectInvalid(fn: () => unknown, message: RegExp): InvalidInputError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidInputError)
    expect((error as InvalidInputError).exitCode).to.equal(2)
    expect((error as Error).message).to.match(message)
    return error as InvalidInputError
  }

  return expect.fail(`accepted; wanted an error matching ${message}`)
}

/** prepareTofu in a fresh workspace; also returns the workspace and the path of its variables file. */
async function prepare(op: TofuOp, flags: TofuFlags = {}, m = manifest(), files?: Record<string, string>) {
  const ws = workspace(files)
  const plan = await prepareTofu({
    op, manifest: m, flags, moduleDir: ws.moduleDir, privateDir: ws.privateDir, stateDir: ws.stateDir,
  })
  return {...ws, plan, varFile: path.join(ws.privateDir, 'terraform.tfvars.json')}
}

/** The resources of a local state file. */
function resources(statePath: string): Array<{instances: Array<{attributes: {input: {value: string}}}>}> {
  return (JSON.parse(readFileSync(statePath, 'utf8')) as {resources: ReturnType<typeof resources>}).resources
}

describe('iac/tofu', () => {
  after(removeTempDirs)

  describe('checkTofuFlags', () => {
    it('is local state with nothing to configure when neither a flag nor a label says otherwise', () => {
      expect(checkTofuFlags(manifest(), {})).to.deep.equal({type: 'local', config: []})
    })

    it('turns the backend.object label into the settings of each backend type', () => {
      expect(checkTofuFlags(manifest(backend('s3', 'my-bucket/envs/dev/redis.tfstate')), {})).to.deep.equal({type: 's3', config: ['bucket=my-bucket', 'key=envs/dev/redis.tfstate']})
      expect(checkTofuFlags(manifest(backend('gcs', 'my-bucket/envs/dev')), {})).to.deep.equal({type: 'gcs', config: ['bucket=my-bucket', 'prefix=envs/dev']})
      expect(checkTofuFlags(manifest(backend('azurerm', 'tfstate/dev/redis')), {})).to.deep.equal({type: 'azurerm', config: ['container_name=tfstate', 'key=dev/redis']})
      // A bucket alone: no key, no empty `key=`.
      expect(checkTofuFlags(manifest(backend('s3', 'only-bucket')), {})).to.deep.equal({type: 's3', config: ['bucket=only-bucket']})
    })

    it('reads labels trimmed, and a local backend ignores backend.object', () => {
      expect(checkTofuFlags(manifest(backend('  gcs ', ' b/p ')), {})).to.deep.equal({type: 'gcs', config: ['bucket=b', 'prefix=p']})
      expect(checkTofuFlags(manifest(backend('local', 'b/p')), {})).to.deep.equal({type: 'local', config: []})
    })

    it('--backend-type beats the label; --backend-config entries come after the label settings', () => {
      const m = manifest(backend('s3', 'b/k'))
      expect(checkTofuFlags(m, {backendType: 'local'})).to.deep.equal({type: 'local', config: []})
      expect(checkTofuFlags(m, {backendType: 'gcs', backendConfig: ['impersonate_service_account=sa@x.iam', 'prefix=override']}))
      .to.deep.equal({type: 'gcs', config: ['bucket=b', 'prefix=k', 'impersonate_service_account=sa@x.iam', 'prefix=override']})
    })

    it('refuses an unknown backend type from the flag or the label, naming the ones that work', () => {
      expectInvalid(() => checkTofuFlags(manifest(), {backendType: 'consul'}), /unsupported backend type "consul"/)
      expectInvalid(() => checkTofuFlags(manifest(backend('S3')), {}), /unsupported backend type "S3"/)
      const error = expectInvalid(() => checkTofuFlags(manifest(backend('http')), {}), /"http"/)
      expect(error.hint).to.equal('Use one of: local, s3, gcs, azurerm.')
    })

    it('refuses a --backend-config that is not key=value', () => {
      for (const kv of ['bucket', '=value', 'two words=x', 'a/b=c', '']) expectInvalid(() => checkTofuFlags(manifest(), {backendConfig: [kv]}), /invalid --backend-config/)
    })
  })

  describe('prepareTofu', () => {
    it('runs init then the operation, with local state under the home and the variables in the private folder', async () => {
      const {plan, privateDir, stateDir, varFile} = await prepare('plan')
      const statePath = path.join(stateDir, 'terraform.tfstate')
      expect(plan.statePath).to.equal(statePath)
      expect(plan.steps).to.deep.equal([
        ['init', '-input=false', `-backend-config=path=${statePath}`],
        ['plan', '-input=false', `-var-file=${varFile}`, `-out=${path.join(privateDir, 'tfplan')}`],
      ])
    })

    it('has the steps of every operation, with -auto-approve and -destroy only when asked', async () => {
      const steps = async (op: TofuOp, flags: TofuFlags = {}) => {
        const {plan, varFile} = await prepare(op, flags)
        return {rest: plan.steps.slice(1), varFile}
      }

      let s = await steps('apply')
      expect(s.rest).to.deep.equal([['apply', `-var-file=${s.varFile}`]])
      s = await steps('apply', {autoApprove: true})
      expect(s.rest).to.deep.equal([['apply', `-var-file=${s.varFile}`, '-auto-approve']])
      s = await steps('destroy', {autoApprove: true})
      expect(s.rest).to.deep.equal([['destroy', `-var-file=${s.varFile}`, '-auto-approve']])
      s = await steps('destroy')
      expect(s.rest).to.deep.equal([['destroy', `-var-file=${s.varFile}`]])
      s = await steps('refresh', {autoApprove: true})
      expect(s.rest).to.deep.equal([['refresh', '-input=false', `-var-file=${s.varFile}`]])
      s = await steps('init', {autoApprove: true, destroy: true})
      expect(s.rest).to.deep.equal([])
      const {plan, privateDir, varFile} = await prepare('plan', {destroy: true, autoApprove: true})
      expect(plan.steps[1]).to.deep.equal(['plan', '-input=false', `-var-file=${varFile}`, `-out=${path.join(privateDir, 'tfplan')}`, '-destroy'])
    })

    it('a remote backend gets its settings and no local state path, and nothing is made under the home', async () => {
      const {plan, stateDir} = await prepare('init', {backendConfig: ['region=eu-west-1']}, manifest(backend('s3', 'bucket/dev/redis')))
      expect(plan.statePath).to.equal(undefined)
      expect(plan.steps).to.deep.equal([['init', '-input=false', '-backend-config=bucket=bucket', '-backend-config=key=dev/redis', '-backend-config=region=eu-west-1']])
      expect(existsSync(stateDir)).to.equal(false)
    })

    it('writes the backend block of the chosen type only when no .tf file of the module declares one', async () => {
      let ws = await prepare('init', {}, manifest(backend('gcs', 'b/p')))
      expect(readFileSync(path.join(ws.moduleDir, GENERATED), 'utf8')).to.equal('# generated by project-planton\nterraform {\n  backend "gcs" {}\n}\n')
      ws = await prepare('init')
      expect(readFileSync(path.join(ws.moduleDir, GENERATED), 'utf8')).to.contain('backend "local" {}')

      const own = 'terraform {\n  backend "s3" {\n    bucket = "mine"\n  }\n}\n'
      ws = await prepare('init', {}, manifest(), {'main.tf': 'locals {}\n', 'backend.tf': own})
      expect(existsSync(path.join(ws.moduleDir, GENERATED))).to.equal(false)
      expect(readFileSync(path.join(ws.moduleDir, 'backend.tf'), 'utf8')).to.equal(own)
    })

    it('does not count a commented-out backend, a backend in a non-.tf file, or a folder named x.tf', async () => {
      const ws = await prepare('init', {}, manifest(), {
        'main.tf': '# backend "s3" {}\nlocals {}\n',
        'notes.md': 'terraform {\n  backend "s3" {}\n}\n',
        'backend.tf.example': 'terraform {\n  backend "s3" {}\n}\n',
      })
      // A folder whose name ends in .tf: tofu does not read it, and neither may the check (EISDIR).
      const other = workspace({'main.tf': 'locals {}\n'})
      mkdirSync(path.join(other.moduleDir, 'x.tf'))
      writeFileSync(path.join(other.moduleDir, 'x.tf', 'inner.tf'), 'terraform {\n  backend "s3" {}\n}\n')
      await prepareTofu({
        op: 'init', manifest: manifest(), flags: {}, moduleDir: other.moduleDir, privateDir: other.privateDir, stateDir: other.stateDir,
      })
      expect(existsSync(path.join(ws.moduleDir, GENERATED))).to.equal(true)
      expect(existsSync(path.join(other.moduleDir, GENERATED))).to.equal(true)
    })

    it('writes metadata and spec as snake_case variables, readable by the owner only', async () => {
      const m = manifest({'app.kubernetes.io/name': 'redis'}, {container: {diskSize: '1Gi', replicaCount: 2}, ingressDns: {enabled: true}})
      const {varFile} = await prepare('plan', {}, m)
      expect(statSync(varFile).mode % 0o1000).to.equal(0o600)
      expect(JSON.parse(readFileSync(varFile, 'utf8'))).to.deep.equal({
        metadata: {name: 'redis-demo', labels: {'project-planton.org/provisioner': 'terraform', 'app.kubernetes.io/name': 'redis'}},
        spec: {container: {disk_size: '1Gi', replica_count: 2}, ingress_dns: {enabled: true}},
      })
    })

    it('keeps local state private: its folders 0700 and the files a tool left there 0600', async () => {
      const ws = workspace()
      mkdirSync(ws.stateDir, {recursive: true, mode: 0o755})
      writeFileSync(path.join(ws.stateDir, 'terraform.tfstate'), '{}', {mode: 0o644})
      await prepareTofu({
        op: 'init', manifest: manifest(), flags: {}, moduleDir: ws.moduleDir, privateDir: ws.privateDir, stateDir: ws.stateDir,
      })
      expect(statSync(ws.stateDir).mode % 0o1000).to.equal(0o700)
      expect(statSync(path.dirname(ws.stateDir)).mode % 0o1000).to.equal(0o700)
      expect(statSync(path.join(ws.stateDir, 'terraform.tfstate')).mode % 0o1000).to.equal(0o600)
    })

    it('checks the flags before it writes anything', async () => {
      const ws = workspace()
      try {
        await prepareTofu({
          op: 'apply', manifest: manifest(), flags: {backendType: 'etcd'}, moduleDir: ws.moduleDir, privateDir: ws.privateDir, stateDir: ws.stateDir,
        })
        expect.fail('prepared with an unknown backend')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
      }

      expect(readdirSync(ws.moduleDir)).to.deep.equal(['main.tf'])
      expect(readdirSync(ws.privateDir)).to.deep.equal([])
      expect(existsSync(ws.stateDir)).to.equal(false)
    })

    it('passes the arguments after -- last, to the operation (to init for init)', async () => {
      const extraArgs = ['-parallelism=2', '-lock=false']
      for (const op of ['apply', 'destroy', 'plan', 'refresh'] as const) {
        const {plan} = await prepare(op, {extraArgs, autoApprove: true, destroy: true})
        expect(plan.steps[0], op).to.not.include('-lock=false')
        expect(plan.steps[1].slice(-2), op).to.deep.equal(extraArgs)
      }

      const {plan} = await prepare('init', {extraArgs})
      expect(plan.steps).to.have.length(1)
      expect(plan.steps[0].slice(-2)).to.deep.equal(extraArgs)
    })

    it('applies a saved plan from a private copy, without variables or -auto-approve, leaving the saved file alone', async () => {
      const saved = path.join(makeTempDir('pp-saved-'), 'redis.tfplan')
      writeFileSync(saved, 'plan bytes', {mode: 0o644})
      const {plan, privateDir} = await prepare('apply', {planFile: saved, autoApprove: true, extraArgs: ['-parallelism=1']})
      const copy = path.join(privateDir, 'saved.tfplan')
      expect(plan.steps[1]).to.deep.equal(['apply', '-input=false', '-parallelism=1', copy])
      expect(readFileSync(copy, 'utf8')).to.equal('plan bytes')
      expect(statSync(copy).mode % 0o1000).to.equal(0o600)
      expect(statSync(saved).mode % 0o1000).to.equal(0o644)
    })

    describe('with the real terraform', () => {
      let bin: string | undefined
      const env: NodeJS.ProcessEnv = {
        ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', NO_COLOR: '1',
      }
      delete env.TF_CLI_ARGS
      delete env.TF_DATA_DIR

      before(function () {
        bin = onPath('tofu') ?? onPath('terraform')
        if (!bin) {
          console.log('      skipped: neither tofu nor terraform is on PATH')
          this.skip()
        }
      })

      /** Prepares `op` in `ws` and runs its steps there; returns the local state file. */
      async function run(ws: ReturnType<typeof workspace>, op: TofuOp, flags?: TofuFlags): Promise<string> {
        const {statePath, steps} = await prepareTofu({
          op, manifest: manifest({}, {container: {replicaCount: 3}}), flags: flags ?? {autoApprove: true}, moduleDir: ws.moduleDir, privateDir: ws.privateDir, stateDir: ws.stateDir,
        })
        for (const args of steps) {
          const r = spawnSync(bin!, [...args, '-no-color'], {cwd: ws.moduleDir, env, encoding: 'utf8'})
          expect(r.status, `${args.join(' ')}\n${r.stdout}\n${r.stderr}`).to.equal(0)
        }

        return statePath!
      }

      it('runs the steps: the variables reach the module, the state lands under the home, not in the module', async () => {
        const ws = workspace({'main.tf': REAL_MODULE})
        const statePath = await run(ws, 'apply')
        expect(resources(statePath)[0].instances[0].attributes.input.value).to.equal('redis-demo-3')
        expect(existsSync(path.join(ws.moduleDir, 'terraform.tfstate'))).to.equal(false)
        await run(ws, 'destroy')
        expect(resources(statePath)).to.deep.equal([])
      })

      it('a plan saved by one run is applied by a later one, in a workspace of its own', async () => {
        const first = workspace({'main.tf': REAL_MODULE})
        const statePath = await run(first, 'plan')
        expect(existsSync(statePath)).to.equal(false)
        const saved = path.join(makeTempDir('pp-saved-'), 'redis.tfplan')
        copyFileSync(path.join(first.privateDir, 'tfplan'), saved)
        const later = {...workspace({'main.tf': REAL_MODULE}), stateDir: first.stateDir}
        await run(later, 'apply', {planFile: saved})
        expect(resources(statePath)[0].instances[0].attributes.input.value).to.equal('redis-demo-3')
      })
    })
  })

  it('snakeKeys leaves label keys and keys holding "/" or "." as they are', () => {
    expect(snakeKeys({
      labels: {myLabel: 'x'}, fooBar: [{bazQux: 1}], 'example.com/someKey': {innerKey: 2}, a1B: null,
    })).to.deep.equal({
      labels: {myLabel: 'x'}, foo_bar: [{baz_qux: 1}], 'example.com/someKey': {inner_key: 2}, a1_b: null,
    })
  })
})
