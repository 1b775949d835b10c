// Runs read their manifest as the Go CLI does: against the protos of the module version they use
// (the upstream here carries real .proto files and their generated Go code at two releases whose
// schemas differ), with defaults, typed --set and buf.validate rules, before any tool starts.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'

import {
  hashTree, runCli, type Sandbox, sandbox,
} from '../support/cli.js'
import {upstreamSchemaFiles} from '../support/protos.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, exportTree, makeTempDir, removeTempDirs, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'

const TOFU: Record<string, string> = {'project-planton.org/provisioner': 'terraform'}
const STACK = {'pulumi.project-planton.org/stack.fqdn': 'acme/redis/dev'}

describe('runs checked against the schema of their module version', () => {
  let upstream: Upstream
  let warm: Sandbox
  let dir: string
  let bin: string
  let recordFile: string

  function manifest(name: string, spec: unknown, labels: Record<string, string> = TOFU): string {
    const file = path.join(dir, `${name}.yaml`)
    writeFileSync(file, stringify({
      apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis', metadata: {name, labels}, spec,
    }))
    return file
  }

  /** A home with staging already cloned (at v0.2.0), as a copy of the warm one. */
  function fresh(): Sandbox {
    const sb = sandbox(upstream)
    mkdirSync(path.dirname(sb.plantonHome), {recursive: true})
    execFileSync('cp', ['-a', warm.plantonHome, sb.plantonHome])
    return sb
  }

  function pulumiEnv(): NodeJS.ProcessEnv {
    return {PATH: `${bin}:${process.env.PATH}`, PULUMI_STAND_IN_RECORD: recordFile}
  }

  function workspaces(sb: Sandbox): string[] {
    return existsSync(path.join(sb.plantonHome, 'workspaces')) ? readdirSync(path.join(sb.plantonHome, 'workspaces')) : []
  }

  before(async function () {
    this.timeout(120_000)
    upstream = createUpstream({files: upstreamSchemaFiles})
    dir = makeTempDir('pp-schema-runs-')
    bin = makeTempDir('pp-bin-')
    recordFile = installPulumiStandIn(bin).recordFile
    warm = sandbox(upstream)
    const pull = await runCli(['staging', 'pull'], {env: warm.env})
    expect(pull.code, pull.stderr).to.equal(0)
    const pin = await runCli(['staging', 'checkout', 'v0.2.0'], {env: warm.env})
    expect(pin.code, pin.stderr).to.equal(0)
  })

  after(() => removeTempDirs())

  it('hands the tools the manifest after the defaults of the protos (pulumi: protojson; tofu: snake_case variables)', async () => {
    const sb = fresh()
    const m = manifest('defaults', {namespace: {value: 'cache'}, container: {replicas: 2}}, STACK)
    const pulumi = await runCli(['pulumi:preview', '-f', m], {env: {...sb.env, ...pulumiEnv()}})
    expect(pulumi.code, pulumi.stderr).to.equal(0)
    expect(pulumi.stderr).to.match(/Manifest valid against the protos of commit [\da-f]{12}/)
    const input = readRecords(recordFile).at(-1)!.stackInput!
    expect(input).to.contain('storageSize: 1Gi').and.contain('evictionPolicy: allkeys_lru').and.contain('replicas: 2')

    const tofu = await runCli(['tofu:plan', '-f', manifest('tfdefaults', {namespace: {value: 'cache'}}), '--no-cleanup'], {env: sb.env})
    expect(tofu.code, tofu.stderr).to.equal(0)
    const [ws] = workspaces(sb)
    const vars = JSON.parse(readFileSync(path.join(sb.plantonHome, 'workspaces', ws, 'private', 'terraform.tfvars.json'), 'utf8')) as Record<string, Record<string, unknown>>
    // eslint-disable-next-line camelcase -- the variables' own names
    expect(vars.spec).to.deep.include({eviction_policy: 'allkeys_lru', container: {replicas: 1, storage_size: '1Gi'}})
    expect(vars).to.not.have.property('api_version')
    expect(tofu.stdout).to.match(/replicas\s+=\s+1/)
  })

  const violations: Array<{what: string; spec: unknown; path: RegExp}> = [
    {what: 'a required field', spec: {container: {replicas: 1}}, path: /spec\.namespace: value is required/},
    {what: 'a CEL rule with its own message', spec: {namespace: {value: 'x'}, container: {storageSize: '1 gig'}}, path: /spec\.container\.storage_size: disk size must look like 1Gi or 500Mi/},
    {what: 'a numeric bound', spec: {namespace: {value: 'x'}, container: {replicas: 50}}, path: /spec\.container\.replicas: must be greater than or equal to 1 and less than or equal to 10/},
    {what: 'an enum name that does not exist', spec: {namespace: {value: 'x'}, evictionPolicy: 'lru-ish'}, path: /spec\.eviction_?[Pp]olicy/},
    {what: 'two members of one oneof', spec: {namespace: {value: 'x'}, password: 'a', passwordFrom: {name: 'b'}}, path: /oneof/},
    {what: 'an unknown field, with the closest name', spec: {namespace: {value: 'x'}, container: {replica: 3}}, path: /spec\.container\.replica: .*replicas/},
    {what: 'a wrong type', spec: {namespace: {value: 'x'}, container: {replicas: 'many'}}, path: /spec\.container\.replicas/},
  ]
  for (const v of violations) {
    it(`refuses ${v.what}: exit 2, the field path, no tool started, no workspace, staging untouched`, async () => {
      const sb = fresh()
      const before = hashTree(sb.clone)
      const records = readRecords(recordFile).length
      const r = await runCli(['pulumi:update', '--yes', '-f', manifest(`bad-${violations.indexOf(v)}`, v.spec, STACK)], {env: {...sb.env, ...pulumiEnv()}})
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(v.path)
      expect(r.stderr).to.contain('Nothing was run')
      expect(readRecords(recordFile).length, 'pulumi started').to.equal(records)
      expect(workspaces(sb)).to.deep.equal([])
      expect(hashTree(sb.clone)).to.deep.equal(before)
    })
  }

  it('reports every problem at once', async () => {
    const r = await runCli(['tofu:plan', '-f', manifest('many', {container: {replica: 3, storageSiz: 'x', persistenceEnabled: 'yes'}})], {env: fresh().env})
    expect(r.code).to.equal(2)
    expect(r.stderr).to.match(/3 problem\(s\)/)
    expect(r.stderr).to.contain('spec.container.replica:').and.contain('spec.container.storageSiz:').and.contain('spec.container.persistenceEnabled:')
  })

  it('apiVersion and kind are checked as constants of the protos of the module the run uses', async () => {
    const file = path.join(dir, 'const.yaml')
    writeFileSync(file, stringify({
      apiVersion: 'aws.project-planton.org/v1', kind: 'KubernetesRedis', metadata: {name: 'c', labels: {'project-planton.org/provisioner': 'terraform'}}, spec: {namespace: {value: 'x'}},
    }))
    const r = await runCli(['tofu:plan', '-f', file], {env: fresh().env})
    expect(r.code, r.stderr).to.equal(2)
    expect(r.stderr).to.match(/api_?[Vv]ersion: must equal `kubernetes\.project-planton\.org\/v1`/)
  })

  it('uses the schema of --module-version: a field renamed between releases is refused by the other one', async () => {
    const sb = fresh()
    const newer = manifest('newer', {namespace: {value: 'x'}, container: {storageSize: '2Gi'}})
    const older = manifest('older', {namespace: {value: 'x'}, container: {diskSize: '2Gi'}})
    expect((await runCli(['tofu:plan', '-f', newer], {env: sb.env})).code).to.equal(0)
    const r1 = await runCli(['tofu:plan', '-f', newer, '--module-version', 'v0.1.0'], {env: sb.env})
    expect(r1.code).to.equal(2)
    expect(r1.stderr).to.match(/spec\.container\.storageSize: .*disk_?[Ss]ize/)
    expect((await runCli(['tofu:plan', '-f', older, '--module-version', 'v0.1.0'], {env: sb.env})).code).to.equal(0)
    const r2 = await runCli(['tofu:plan', '-f', older], {env: sb.env})
    expect(r2.code).to.equal(2)
    expect(r2.stderr).to.match(/spec\.container\.diskSize: .*storage_?[Ss]ize/)
  })

  it('--set is typed against the schema: numbers, enums, comma pairs, dotted label keys; an unknown path is refused', async () => {
    const sb = fresh()
    const m = manifest('sets', {namespace: {value: 'x'}}, STACK)
    const sets = ['--set', 'spec.container.replicas=3,spec.evictionPolicy=noeviction', '--set', 'metadata.labels."team.example.com/owner"=web']
    const ok = await runCli(['pulumi:preview', '-f', m, ...sets], {env: {...sb.env, ...pulumiEnv()}})
    expect(ok.code, ok.stderr).to.equal(0)
    const input = readRecords(recordFile).at(-1)!.stackInput!
    expect(input).to.contain('replicas: 3').and.contain('evictionPolicy: noeviction').and.contain('team.example.com/owner: web')
    const bad = await runCli(['pulumi:preview', '-f', m, '--set', 'spec.container.replica=3'], {env: {...sb.env, ...pulumiEnv()}})
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--set spec\.container\.replica=3: .*replicas/)
    const wrong = await runCli(['pulumi:preview', '-f', m, '--set', 'spec.container.replicas=three'], {env: {...sb.env, ...pulumiEnv()}})
    expect(wrong.code).to.equal(2)
  })

  it('--no-validate skips the rules with a warning, not the parsing', async () => {
    const sb = fresh()
    const r = await runCli(['tofu:plan', '-f', manifest('novalidate', {container: {replicas: 50}}), '--no-validate'], {env: sb.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain('--no-validate: the buf.validate rules were not checked')
    const typo = await runCli(['tofu:plan', '-f', manifest('novalidate-typo', {container: {replica: 5}}), '--no-validate'], {env: sb.env})
    expect(typo.code).to.equal(2)
  })

  it('the second run of a manifest reads its checked outcome back; a damaged one is computed again', async () => {
    const sb = fresh()
    const m = manifest('again', {namespace: {value: 'x'}})
    const first = await runCli(['tofu:plan', '-f', m], {env: sb.env})
    expect(first.code).to.equal(0)
    expect(first.stderr).to.not.contain('(checked before)')
    const second = await runCli(['tofu:plan', '-f', m], {env: sb.env})
    expect(second.stderr).to.contain('(checked before)')
    const checks = path.join(sb.plantonHome, 'cache', 'checks')
    for (const f of readdirSync(checks)) writeFileSync(path.join(checks, f), '{"status": "checked", "val')
    const third = await runCli(['tofu:plan', '-f', m], {env: sb.env})
    expect(third.code, third.stderr).to.equal(0)
    expect(third.stderr).to.not.contain('(checked before)')
    expect((await runCli(['tofu:plan', '-f', m], {env: sb.env})).stderr).to.contain('(checked before)')
  })

  it('a commit whose protos do not parse: one line, and the run goes on; --strict refuses', async () => {
    const broken = upstream.commit({
      'apis/org/project_planton/provider/kubernetes/kubernetesredis/v1/api.pb.go': 'package kubernetesredisv1\n\nvar file_x_rawDesc = "" +\n\t"\\x0a\\xff\\xff"\n',
    }, 'damaged generated code')
    upstream.tag('broken-protos', broken)
    const sb = fresh()
    const m = manifest('broken', {namespace: {value: 'x'}})
    const r = await runCli(['tofu:plan', '-f', m, '--module-version', 'broken-protos'], {env: sb.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.match(/Warning: the manifest was not checked against its schema \(.+\); going on with the basic checks/)
    // "No schema" is kept for the commit like a check: the next run does not build it again.
    const kept = readdirSync(path.join(sb.plantonHome, 'cache', 'checks')).map(f => JSON.parse(readFileSync(path.join(sb.plantonHome, 'cache', 'checks', f), 'utf8')) as {status: string; sha: string})
    expect(kept.filter(k => k.status === 'unavailable').map(k => k.sha)).to.deep.equal([upstream.sha('broken-protos')])
    const again = await runCli(['tofu:plan', '-f', m, '--module-version', 'broken-protos'], {env: sb.env})
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stderr).to.match(/Warning: the manifest was not checked against its schema/)
    const strict = await runCli(['tofu:plan', '-f', m, '--module-version', 'broken-protos', '--strict'], {env: sb.env})
    expect(strict.code).to.equal(2)
    expect(strict.stderr).to.contain('cannot check KubernetesRedis against its schema')
  })

  it('run inside a module folder: that folder is used, said in one line, and left byte-identical; --staging uses staging', async () => {
    const sb = fresh()
    const own = makeTempDir('pp-own-module-')
    exportTree(upstream, 'v0.2.0', TF_MODULE_REDIS, own)
    writeFileSync(path.join(own, 'outputs.tf'), 'output "module_version" {\n  value = "my-own-edit"\n}\n')
    chmodSync(own, 0o755)
    const before = hashTree(own)
    const m = manifest('here', {namespace: {value: 'x'}})
    const r = await runCli(['tofu:plan', '-f', m], {env: sb.env, cwd: own})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain(`Using the OpenTofu/Terraform module in the current directory (${own})`)
    expect(r.stdout).to.contain('my-own-edit')
    expect(hashTree(own)).to.deep.equal(before)
    const staged = await runCli(['tofu:plan', '-f', m, '--staging'], {env: sb.env, cwd: own})
    expect(staged.code, staged.stderr).to.equal(0)
    expect(staged.stdout).to.not.contain('my-own-edit')
  })
})
