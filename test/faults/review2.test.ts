// Cases of a second outside review of saved plans, the files a run reads beside the manifest,
// typed --set, manifest URLs and terminal output. Each fails on the code it was written against;
// each says what a user would check.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  existsSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs'
import {createServer, type Server} from 'node:http'
import {type AddressInfo} from 'node:net'
import path from 'node:path'

import {type Sandbox} from '../support/cli.js'
import {makeTempDir, manifestYaml, removeTempDirs} from '../support/upstream.js'
import {signalGroup, sleep} from './process-group.js'
import {cli} from './sandbox.js'
import {badInput, fault} from './tally.js'
import {TOFU, warmSuite} from './warm-suite.js'

/** A tofu KubernetesRedis manifest "redis-demo" as data. */
function redisDoc(replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'kubernetes.project-planton.org/v1',
    kind: 'KubernetesRedis',
    metadata: {name: 'redis-demo', labels: TOFU},
    spec: {namespace: {value: 'ns'}, container: {replicas}},
  }
}

describe('faults: a second outside review (saved plans, files read beside the manifest, --set, URLs)', () => {
  const suite = warmSuite('pp-review2-')
  const {fresh, manifest, start} = suite

  before(async function () {
    this.timeout(120_000)
    await suite.setUp()
  })

  afterEach(() => suite.killLeftovers())

  after(() => removeTempDirs())

  /** A saved plan of redis-demo (2 replicas) at a fresh path. */
  async function savedPlan(sb: Sandbox): Promise<{plan: string; record: string; file: string}> {
    const plan = path.join(makeTempDir('pp-plans-'), 'redis.plan')
    const file = manifest('redis-demo', {container: {replicas: 2}}, {file: 'two'})
    await cli(sb, ['tofu', 'plan', '-f', file, '--out', plan], {expect: 0})
    return {plan, record: `${plan}.project-planton.json`, file}
  }

  describe('saved plans', () => {
    it('apply --plan with a manifest other than the one planned is refused, never applies the plan\'s values in its name', async () => fault(async () => {
      const sb = fresh()
      const {plan} = await savedPlan(sb)
      const five = manifest('redis-demo', {container: {replicas: 5}}, {file: 'five'})
      // What must hold: the run applies what its manifest says, or is refused (the record keeps a
      // digest of the checked variables the plan was made with, and apply compares it).
      const r = await cli(sb, ['tofu', 'apply', '-f', five, '--plan', plan])
      expect(r.stdout, `apply -f five.yaml (5 replicas) --plan <plan of 2 replicas>: exit ${r.code}\n${r.stderr}`).to.not.match(/replicas = 2/)
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.contain('made from other values')
    }))

    it('a record that is a FIFO is refused at once (exit 2), not waited on with Ctrl-C ignored', async function () {
      // A hang fails the case here rather than at the suite's longer limit.
      this.timeout(60_000)
      await fault(async () => {
        const sb = fresh()
        const {plan, record, file} = await savedPlan(sb)
        rmSync(record)
        execFileSync('mkfifo', [record])
        const p = start(['tofu', 'apply', '-f', file, '--plan', plan], sb)
        await p.waitFor(/Load manifest/)
        await sleep(200)
        // As a user would, when nothing happens: Ctrl-C. A hang (the read of the FIFO holds the
        // process even after the signal) ends in the test's own timeout; no duration is asserted.
        signalGroup(p, 'SIGINT')
        const r = await p.done
        // What must hold: a record that is not a regular file is refused as the plan file is (2);
        // at the least, Ctrl-C ends the run (130).
        expect([2, 130], p.output()).to.include(r.code)
      })
    })

    it('a record too big to be one (a 3 GiB sparse file) is an input error (exit 2), not a crash', async () => badInput(async () => {
      const sb = fresh()
      const {plan, record, file} = await savedPlan(sb)
      rmSync(record)
      execFileSync('truncate', ['-s', '3G', record])
      const r = await cli(sb, ['tofu', 'apply', '-f', file, '--plan', plan])
      rmSync(record)
      // What must hold: records are a few hundred bytes; one over a small limit is "damaged" (exit 2).
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stderr).to.not.match(/greater than 2 GiB|RangeError|ERR_FS_FILE_TOO_LARGE/)
    }))

    it('--out inside the CLI home is refused: a plan never replaces the local state of a stack', async () => badInput(async () => {
      const sb = fresh()
      const file = manifest('redis-demo', {container: {replicas: 2}}, {file: 'two'})
      await cli(sb, ['tofu', 'apply', '-f', file, '--auto-approve'], {expect: 0})
      const state = path.join(sb.plantonHome, 'tofu', 'state', 'kubernetesredis+redis-demo', 'terraform.tfstate')
      const before = readFileSync(state, 'utf8')
      const r = await cli(sb, ['tofu', 'plan', '-f', file, '--out', state])
      // What must hold: the CLI's home (state, staging, workspaces, caches) is not a place for a
      // plan; such an --out is refused (2) before the tool runs, and the state is as it was.
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(readFileSync(state, 'utf8'), 'the local state after plan --out <that state file>').to.equal(before)
    }))
  })

  describe('credentials files', () => {
    it('--provider-config <provider>=<FIFO> no one writes: refused, or Ctrl-C ends the run', async function () {
      // A hang fails the case here rather than at the suite's longer limit.
      this.timeout(60_000)
      await fault(async () => {
        const sb = fresh()
        const fifo = path.join(makeTempDir('pp-fifo-'), 'kube.yaml')
        execFileSync('mkfifo', [fifo])
        const p = start(['tofu', 'plan', '-f', manifest('redis-demo', {container: {replicas: 1}}), '--provider-config', `kubernetes=${fifo}`], sb)
        await p.waitFor(/Load manifest/)
        await sleep(200)
        signalGroup(p, 'SIGINT')
        // A hang ends in the test's own timeout; no duration is asserted.
        const r = await p.done
        // What must hold: as --kubernetes-provider-config <FIFO> is refused (2), or the file is read
        // as a FIFO manifest is, so that Ctrl-C ends the run (130).
        expect([2, 130], p.output()).to.include(r.code)
      })
    })
  })

  describe('the outcome cache of manifest checks', () => {
    it('a file read as a stack input (-i) is not taken for the same file read as a manifest (-f)', async () => badInput(async () => {
      const sb = fresh()
      // One text, two readings: as a manifest (replicas 9, and a field "target" the kind does not
      // have) and as a stack input (its target: replicas 2).
      const both = path.join(suite.files, 'both.yaml')
      writeFileSync(both, JSON.stringify({...redisDoc(9), target: redisDoc(2)}))
      await cli(sb, ['tofu', 'plan', '-i', both], {expect: 0})
      const r = await cli(sb, ['tofu', 'plan', '-f', both])
      // What must hold: checked afresh, -f refuses the manifest (unknown field target, exit 2); the
      // outcome kept for -i (whose target has 2 replicas) must not answer for it.
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stdout).to.not.match(/replicas\s+=\s+2/)
    }))
  })

  describe('terminal output', () => {
    it('validate does not print a manifest\'s control characters (escape sequences) raw', async () => fault(async () => {
      const sb = fresh()
      const file = path.join(suite.files, 'escapes.yaml')
      // A name that sets the terminal's title and clears the screen when printed as it is.
      writeFileSync(file, manifestYaml({labels: TOFU, name: 'x\u001B]0;PWNED\u0007\u001B[2Jfake', spec: {namespace: {value: 'ns'}, container: {replicas: 1}}}))
      const r = await cli(sb, ['validate', '-f', file])
      // What must hold: outside text is printed through oneLine (display.ts), as the run's own
      // progress does ("Loaded KubernetesRedis x\u001b]0;…"): no ESC or BEL byte reaches the terminal.
      // eslint-disable-next-line no-control-regex -- the bytes looked for
      expect(r.stdout + r.stderr).to.not.match(/[\u0007\u001B]/)
    }))
  })

  describe('--set', () => {
    it('kind cannot be moved to another kind (the run would use that kind\'s module and state with a manifest checked as the first)', async () => badInput(async () => {
      const sb = fresh()
      const file = manifest('redis-demo', {container: {replicas: 2}})
      // --no-validate only skips the buf.validate rules (the const on kind); the schema check stays.
      const r = await cli(sb, ['plan', '-f', file, '--set', 'kind=KubernetesPostgres', '--no-validate'])
      // What must hold: the kind and apiVersion that route a run (module, stack, state folder) are
      // those of the schema the manifest was checked against; otherwise the run is refused (2).
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stdout).to.not.include('Handing off')
      const state = path.join(sb.plantonHome, 'tofu', 'state')
      expect(existsSync(state) ? readdirSync(state) : []).to.not.include('kubernetespostgres+redis-demo')
    }))
  })

  describe('manifest URLs', () => {
    let server: Server
    let port: number

    before(async () => {
      const text = manifestYaml({labels: TOFU, spec: {namespace: {value: 'ns'}, container: {replicas: 1}}})
      server = createServer((_req, res) => {
        res.writeHead(200, {'content-type': 'application/yaml'})
        res.end(text)
      })
      await new Promise<void>(resolve => {
        server.listen(0, '127.0.0.1', resolve)
      })
      port = (server.address() as AddressInfo).port
    })

    after(() => new Promise<void>(resolve => {
      server.close(() => resolve())
    }))

    it('a password with "/" (not percent-encoded) is not printed in the error', async () => fault(async () => {
      const sb = fresh()
      const secret = 'Zm9v/YmFy+c2VjcmV0'
      const r = await cli(sb, ['validate', '-f', `https://deploy:${secret}@127.0.0.1:${port}/m.yaml`])
      expect(r.code, r.stdout + r.stderr).to.not.equal(0)
      // What must hold: whatever part of the URL is its userinfo (up to the last "@" before the
      // path) is never shown.
      expect(r.stdout + r.stderr).to.not.include('c2VjcmV0')
    }))

    it('the signature of a pre-signed URL is not printed by a run that downloads it', async () => fault(async () => {
      const sb = fresh()
      const signature = 'a3f1c0ffee5ec2e7b16d0d3e9b0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f'
      const url = `http://127.0.0.1:${port}/m.yaml?X-Amz-Credential=AKIAEXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=${signature}`
      const r = await cli(sb, ['validate', '-f', url], {expect: 0})
      // What must hold: a query string (tokens, signatures) is credentials as userinfo is: shown
      // without its values (or without the query), in the progress, warnings and errors.
      expect(r.stdout + r.stderr).to.not.include(signature)
    }))
  })
})
