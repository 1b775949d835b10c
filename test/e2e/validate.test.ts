// `validate` end to end: the built CLI against a real upstream carrying protos and generated code.
import {expect} from 'chai'
import {readdirSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {stringify} from 'yaml'

import {hashTree, runCli, sandbox} from '../support/cli.js'
import {upstreamSchemaFiles} from '../support/protos.js'
import {
  createUpstream, makeTempDir, removeTempDirs, type Upstream,
} from '../support/upstream.js'

function manifestFile(dir: string, name: string, spec: unknown): string {
  const file = path.join(dir, name)
  writeFileSync(file, stringify({
    apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis', metadata: {name: 'redis-demo'}, spec,
  }))
  return file
}

describe('validate (built CLI)', () => {
  let upstream: Upstream
  let dir: string

  before(() => {
    upstream = createUpstream({files: upstreamSchemaFiles})
    dir = makeTempDir('pp-validate-')
  })

  after(() => removeTempDirs())

  it('passes a valid manifest (exit 0), prints it with defaults, and works offline once staging has the commit', async () => {
    const sb = sandbox(upstream)
    const good = manifestFile(dir, 'good.yaml', {namespace: {value: 'cache'}})
    const first = await runCli(['validate', '-f', good, '--module-version', 'v0.2.0', '--show-defaults'], {env: sb.env})
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stderr).to.match(/KubernetesRedis redis-demo in .*good\.yaml is valid \(protos of v0\.2\.0 [\da-f]{12}\)/)
    expect(first.stdout).to.include('storageSize: 1Gi').and.include('evictionPolicy: allkeys_lru').and.include('replicas: 1')
    const schemas = readdirSync(path.join(sb.plantonHome, 'cache', 'schemas')).filter(n => n.endsWith('.schema'))
    expect(schemas).to.have.length(1)

    // The upstream goes away: the commit is in staging, so validation needs no network.
    const moved = `${upstream.dir}-gone`
    renameSync(upstream.dir, moved)
    try {
      const homeBefore = hashTree(sb.clone)
      const offline = await runCli(['validate-manifest', '-f', good, '--module-version', 'v0.2.0', '--json'], {env: sb.env})
      expect(offline.code, offline.stderr).to.equal(0)
      const json = JSON.parse(offline.stdout) as {valid: boolean; schema: {cached: boolean}; problems: unknown[]}
      expect(json).to.deep.include({valid: true, problems: []})
      // The same manifest against the same commit: the outcome of the first run is read back.
      expect(json.schema.cached).to.equal(true)
      expect(hashTree(sb.clone)).to.deep.equal(homeBefore)
      const notLocal = await runCli(['validate', '-f', good, '--module-version', 'v9.9.9'], {env: sb.env})
      expect(notLocal.code).to.not.equal(0)
      expect(notLocal.stderr).to.match(/unreachable|offline/i)
    } finally {
      renameSync(moved, upstream.dir)
    }
  })

  it('lists every problem with its path and exits 2; --json gives them to scripts; each version has its own fields', async () => {
    const sb = sandbox(upstream)
    const bad = manifestFile(dir, 'bad.yaml', {container: {replica: 3, replicas: 40, diskSize: '1Gi'}})
    const res = await runCli(['validate', '-f', bad, '--module-version', 'v0.2.0'], {env: sb.env})
    expect(res.code).to.equal(2)
    expect(res.stderr).to.match(/spec\.container\.replica: unknown field; did you mean replicas\?/)
    expect(res.stderr).to.match(/spec\.container\.diskSize: unknown field/)
    const older = await runCli(['validate', '-f', bad, '--module-version', 'v0.1.0', '--json'], {env: sb.env})
    expect(older.code).to.equal(2)
    const json = JSON.parse(older.stdout) as {valid: boolean; problems: Array<{path: string; message: string}>}
    expect(json.valid).to.equal(false)
    expect(json.problems.map(p => p.path)).to.deep.equal(['spec.container.replica'])
    const fixed = manifestFile(dir, 'fixed.yaml', {namespace: {value: 'x'}, container: {replicas: 40, diskSize: '1Gi'}})
    const rules = await runCli(['validate', '-f', fixed, '--module-version', 'v0.1.0', '--set', 'spec.container.replicas=2,metadata.labels."a.b/c"=d'], {env: sb.env})
    expect(rules.code, rules.stderr).to.equal(0)
    const unknownSet = await runCli(['validate', '-f', fixed, '--module-version', 'v0.1.0', '--set', 'spec.container.replicaz=2'], {env: sb.env})
    expect(unknownSet.code).to.equal(2)
    expect(unknownSet.stderr).to.match(/did you mean replicas\?/)
  })

  it('says in one line that the schema cannot be built, and exits 1', async () => {
    const u = createUpstream({files: upstreamSchemaFiles})
    const kindDir = 'apis/org/project_planton/provider/kubernetes/kubernetesredis/v1'
    u.commit({[`${kindDir}/api.pb.go`]: null, [`${kindDir}/api.proto`]: 'syntax = "proto3";\nmessage KubernetesRedis { string x = }\n'}, 'broken')
    u.tag('v0.3.0')
    const sb = sandbox(u)
    const good = manifestFile(dir, 'good2.yaml', {namespace: {value: 'cache'}})
    const res = await runCli(['validate', '-f', good, '--module-version', 'v0.3.0'], {env: sb.env})
    expect(res.code).to.equal(1)
    expect(res.stderr).to.match(/cannot validate KubernetesRedis: .*api\.proto in commit [\da-f]{12} does not parse/)
    expect(res.stderr).to.not.match(/at .*\.js:\d+/)
  })
})
