// Where modules come from (--local-module) and what the tofu binary is handed: arguments, backend,
// variables, plugin cache and credentials, recorded by a stand-in tofu.
import {expect} from 'chai'
import {
  chmodSync, existsSync, readFileSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  hashTree, runCli, type Sandbox, sandbox,
} from '../support/cli.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'

type TofuRecord = {argv: string[]; cwd: string; env: Record<string, string | undefined>; files: string[]}

/** A `tofu` that records each call and exits 0. */
function tofuStandIn(dir: string): {bin: string; records: () => TofuRecord[]} {
  const bin = path.join(dir, 'tofu')
  const log = path.join(dir, 'tofu-calls.jsonl')
  writeFileSync(
    bin,
    `#!${process.execPath}
const fs = require('node:fs')
const keys = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'TF_PLUGIN_CACHE_DIR', 'KUBE_CTX']
const env = Object.fromEntries(keys.map((k) => [k, process.env[k]]))
fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({argv: process.argv.slice(2), cwd: process.cwd(), env, files: fs.readdirSync('.').sort()}) + '\\n')
`,
  )
  chmodSync(bin, 0o755)
  return {bin, records: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map(l => JSON.parse(l) as TofuRecord) : [])}
}

describe('module sources and the tofu hand-off', () => {
  let up: Upstream
  let sb: Sandbox
  let manifest: string

  beforeEach(() => {
    up = createUpstream()
    sb = sandbox(up)
    manifest = path.join(sb.home, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({name: 'redis-src', labels: {'project-planton.org/provisioner': 'tofu'}, spec: {container: {replicas: 2, diskSize: '1Gi'}}}))
  })

  after(removeTempDirs)

  it('hands tofu init then plan with the backend, variables, plugin cache and AWS credentials', async () => {
    const tofu = tofuStandIn(makeTempDir('pp-tofu-'))
    const creds = path.join(sb.home, 'aws.yaml')
    writeFileSync(creds, 'access_key_id: AKIATEST\nsecret_access_key: shh\nregion: us-east-1\n')
    const r = await runCli(['tofu:plan', '-f', manifest, '--provider-config', `aws=${creds}`, '--kube-context', 'kind-dev'], {env: {...sb.env, PROJECT_PLANTON_TOFU_BIN: tofu.bin}})
    expect(r.code, r.stderr).to.equal(0)
    const [init, plan] = tofu.records()
    const state = path.join(sb.plantonHome, 'tofu', 'state', 'kubernetesredis+redis-src', 'terraform.tfstate')
    // The sandbox sets NO_COLOR, which the CLI passes on as -no-color.
    expect(init.argv).to.deep.equal(['init', '-input=false', `-backend-config=path=${state}`, '-no-color'])
    expect(plan.argv[0]).to.equal('plan')
    expect(plan.argv).to.include('-input=false')
    const varFile = plan.argv.find(a => a.startsWith('-var-file='))!.slice('-var-file='.length)
    expect(plan.argv.find(a => a.startsWith('-out='))).to.match(/private\/tfplan$/)
    expect(init.cwd.endsWith(TF_MODULE_REDIS)).to.equal(true)
    expect(init.files).to.include.members(['main.tf', '_project_planton_backend.tf'])
    expect(plan.env).to.deep.equal({
      AWS_ACCESS_KEY_ID: 'AKIATEST',
      AWS_SECRET_ACCESS_KEY: 'shh',
      AWS_REGION: 'us-east-1',
      TF_PLUGIN_CACHE_DIR: path.join(sb.plantonHome, 'tofu', 'plugin-cache'),
      KUBE_CTX: 'kind-dev',
    })
    // The variables file held the manifest in snake_case and went away with the workspace.
    expect(existsSync(varFile)).to.equal(false)
    expect(r.stderr).to.contain('Handing off to tofu')
  })

  it("keeps the user's own TF_PLUGIN_CACHE_DIR", async () => {
    const tofu = tofuStandIn(makeTempDir('pp-tofu-'))
    const mine = makeTempDir('pp-plugins-')
    const r = await runCli(['tofu:init', '-f', manifest], {env: {...sb.env, PROJECT_PLANTON_TOFU_BIN: tofu.bin, TF_PLUGIN_CACHE_DIR: mine}})
    expect(r.code, r.stderr).to.equal(0)
    expect(tofu.records().map(c => c.env.TF_PLUGIN_CACHE_DIR)).to.deep.equal([mine])
  })

  it('--local-module takes the module from a local checkout and leaves it untouched', async () => {
    const tofu = tofuStandIn(makeTempDir('pp-tofu-'))
    up.checkoutBranch('feature/x')
    const before = hashTree(up.dir)
    const r = await runCli(['tofu:plan', '-f', manifest, '--local-module'], {env: {...sb.env, PROJECT_PLANTON_TOFU_BIN: tofu.bin, PROJECT_PLANTON_GIT_REPO: up.dir}})
    expect(r.code, r.stderr).to.equal(0)
    const [init] = tofu.records()
    expect(init.files).to.include('outputs.tf')
    expect(r.stderr).to.contain(`Using the local checkout ${up.dir}`)
    expect(hashTree(up.dir)).to.deep.equal(before)
    // Staging is not needed, so it is not cloned.
    expect(existsSync(sb.clone)).to.equal(false)
  })

  it('--local-module without a checkout is a clear error', async () => {
    const r = await runCli(['tofu:plan', '-f', manifest, '--local-module'], {env: {...sb.env, PROJECT_PLANTON_GIT_REPO: path.join(sb.home, 'nowhere')}})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('is not a ProjectPlanton monorepo')
  })
})
