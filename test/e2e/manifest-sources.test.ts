// Where a manifest comes from besides a file: an http(s) URL (a real server on 127.0.0.1, with
// a 404, a server that never answers and an oversized body), and a full stack input (-i).
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import path from 'node:path'
import {stringify} from 'yaml'

import {runCli, type Sandbox, sandbox} from '../support/cli.js'
import {upstreamSchemaFiles} from '../support/protos.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {createUpstream, makeTempDir, removeTempDirs} from '../support/upstream.js'

const GOOD = {
  apiVersion: 'kubernetes.project-planton.org/v1',
  kind: 'KubernetesRedis',
  metadata: {name: 'from-url', labels: {'project-planton.org/provisioner': 'terraform'}},
  spec: {namespace: {value: 'cache'}},
}

describe('manifest sources: URLs and stack inputs', () => {
  let server: Server
  let base: string
  let sb: Sandbox
  const held: Array<{destroy(): void}> = []

  before(async function () {
    this.timeout(60_000)
    server = createServer((req, res) => {
      switch (req.url) {
      case '/good.yaml': {
        res.setHeader('content-type', 'application/yaml')
        res.end(stringify(GOOD))

        break;
      }

      case '/huge.yaml': {
        res.write(`${stringify(GOOD)}#`)
        const chunk = 'x'.repeat(64 * 1024)
        for (let i = 0; i < 40; i++) res.write(chunk)
        res.end('\n')

        break;
      }

      case '/private.yaml': {
        const ok = req.headers.authorization === `Basic ${Buffer.from('alice:s3cr3t').toString('base64')}`
        res.statusCode = ok ? 200 : 401
        res.end(ok ? stringify(GOOD) : 'who are you?')
        break
      }

      case '/slow.yaml': {
        // Never answers: the CLI's timeout must end the wait.
        held.push(res.socket!)

        break;
      }

      default: {
        res.statusCode = 404
        res.end('not here')
      }
      }
    })
    await new Promise<void>(resolve => {
      server.listen(0, '127.0.0.1', resolve)
    })
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    sb = sandbox(createUpstream({files: upstreamSchemaFiles}))
    const pull = await runCli(['staging', 'pull'], {env: sb.env})
    expect(pull.code, pull.stderr).to.equal(0)
  })

  after(async () => {
    for (const socket of held) socket.destroy()
    await new Promise(resolve => {
      server.close(resolve)
    })
    removeTempDirs()
  })

  it('downloads the manifest and runs it (checked like a file), saying the URL is plain http', async () => {
    const r = await runCli(['tofu:plan', '-f', `${base}/good.yaml`], {env: sb.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stderr).to.contain(`Loaded KubernetesRedis from-url from ${base}/good.yaml`)
    expect(r.stderr).to.contain('over plain http')
    expect(r.stderr).to.match(/Manifest valid against the protos/)
  })

  it('credentials in the URL are sent as basic auth and never printed', async () => {
    const url = `${base.replace('http://', 'http://alice:s3cr3t@')}/private.yaml`
    const r = await runCli(['tofu:plan', '-f', url], {env: sb.env})
    expect(r.code, r.stderr).to.equal(0)
    expect(r.stdout + r.stderr).to.not.contain('s3cr3t')
    const wrong = await runCli(['tofu:plan', '-f', url.replace('s3cr3t', 'guess')], {env: sb.env})
    expect(wrong.code).to.equal(2)
    expect(wrong.stderr).to.contain('the server answered 401')
    expect(wrong.stderr).to.not.contain('guess')
  })

  it('a 404, a server that never answers and an oversized body: exit 2, one clear line, nothing run', async () => {
    const missing = await runCli(['tofu:plan', '-f', `${base}/missing.yaml`], {env: sb.env})
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.contain('the server answered 404 Not Found')
    const slow = await runCli(['tofu:plan', '-f', `${base}/slow.yaml`], {env: {...sb.env, PROJECT_PLANTON_HTTP_TIMEOUT: '1'}})
    expect(slow.code).to.equal(2)
    expect(slow.stderr).to.contain('no answer within 1 s')
    const huge = await runCli(['tofu:plan', '-f', `${base}/huge.yaml`], {env: sb.env})
    expect(huge.code).to.equal(2)
    expect(huge.stderr).to.contain('larger than 1024 KiB')
    expect(huge.stderr).to.not.match(/^\s+at .+[(:]\d+/m)
  })

  it('a stack input (-i): its target is checked, its provider_config reaches pulumi as the manifest provider\'s', async () => {
    const bin = makeTempDir('pp-bin-')
    const {recordFile} = installPulumiStandIn(bin)
    const dir = makeTempDir('pp-stack-input-')
    const file = path.join(dir, 'stack-input.yaml')
    const target = {...GOOD, metadata: {name: 'si', labels: {'pulumi.project-planton.org/stack.fqdn': 'acme/redis/dev'}}}
    // eslint-disable-next-line camelcase
    writeFileSync(file, stringify({target, provider_config: {kubeconfig: 'apiVersion: v1\n'}}))
    const r = await runCli(['pulumi:preview', '-i', file], {env: {...sb.env, PATH: `${bin}:${process.env.PATH}`, PULUMI_STAND_IN_RECORD: recordFile}})
    expect(r.code, r.stderr).to.equal(0)
    const input = readRecords(recordFile).at(-1)!.stackInput!
    expect(input).to.contain('provider_config:').and.contain('kubeconfig:').and.contain('evictionPolicy: allkeys_lru')
    writeFileSync(file, stringify({target: {...target, spec: {container: {replica: 2}}}}))
    const bad = await runCli(['pulumi:preview', '-i', file], {env: {...sb.env, PATH: `${bin}:${process.env.PATH}`}})
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.contain('spec.container.replica')
    const both = await runCli(['pulumi:preview', '-i', file, '-f', file], {env: sb.env})
    expect(both.code).to.equal(2)
  })
})
