// Cases of an outside review of the manifest check, --set, saved plans, the current-directory
// module and shell completion. Each fails on the code it was written against; each says what a
// user would check.
import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {
  existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'
import {setTimeout as delay} from 'node:timers/promises'

import {
  onPath, RUN_JS, type Sandbox, sandbox,
} from '../support/cli.js'
import {upstreamSchemaFiles} from '../support/protos.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, TF_MODULE_REDIS,
} from '../support/upstream.js'
import {signalGroup, startGroup, stopWhen} from './process-group.js'
import {cli, credentialFiles} from './sandbox.js'
import {badInput, fault, tally} from './tally.js'
import {TOFU, warmSuite} from './warm-suite.js'

function stateOf(sb: Sandbox, stack: string): string {
  return readFileSync(path.join(sb.plantonHome, 'tofu', 'state', stack, 'terraform.tfstate'), 'utf8')
}

describe('faults: an outside review (manifest check, --set, saved plans, completion)', () => {
  const suite = warmSuite('pp-review-')
  const {fresh, manifest} = suite

  before(async function () {
    this.timeout(120_000)
    await suite.setUp()
  })

  after(() => removeTempDirs())

  describe('the outcome cache of manifest checks', () => {
    it('a manifest with .inf is not taken for one with null (both are "null" in JSON)', async () => badInput(async () => {
      const sb = fresh()
      const plain = path.join(suite.files, 'mem.yaml')
      const write = (value: string) => writeFileSync(plain, `${manifestYaml({labels: TOFU, spec: {namespace: {value: 'ns'}}})}`.replace('spec:\n', `spec:\n  maxMemoryBytes: ${value}\n`))
      write('null')
      await cli(sb, ['validate', '-f', plain], {expect: 0})
      write('.inf')
      // Checked afresh this is refused (an int64 cannot be infinite); the cached "valid" of the null manifest must not answer.
      const r = await cli(sb, ['validate', '-f', plain])
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stdout + r.stderr).to.match(/maxMemoryBytes.*Infinity/)
    }))
  })

  describe('secrets in manifests', () => {
    it('are not kept readable by others after the run (the outcome cache holds the checked manifest)', async () => fault(async () => {
      const sb = fresh()
      const secret = 'Sup3rSecretRedisPassword'
      await cli(sb, ['plan', '-f', manifest('redis-demo', {container: {replicas: 1}, password: secret})], {expect: 0})
      // eslint-disable-next-line no-bitwise -- mode bits
      const exposed = credentialFiles(sb.plantonHome, [secret]).filter(f => (statSync(f).mode & 0o077) !== 0)
      tally.credentialsLeft += exposed.length
      expect(exposed, 'files in the CLI home that others may read and that hold the manifest\'s password').to.deep.equal([])
    }))
  })

  describe('--set', () => {
    it('a field named by its JSON or CamelCase form moves the stack with it: one stack never changes another\'s state', async () => fault(async () => {
      const sb = fresh()
      const file = manifest('redis-demo', {container: {replicas: 1}})
      await cli(sb, ['apply', '-f', file, '--auto-approve'], {expect: 0})
      const before = stateOf(sb, 'kubernetesredis+redis-demo')
      expect(before).to.include('"redis-demo"')
      // The typed --set finds metadata.name by its snake_case form; the stack id must follow (or the flag be refused).
      const r = await cli(sb, ['apply', '-f', file, '--auto-approve', '--set', 'metadata.Name=other'])
      expect(stateOf(sb, 'kubernetesredis+redis-demo'), `the state of redis-demo after a run for "other":\n${r.stdout}`).to.equal(before)
    }))

    it('an enum value out of range is an input error (exit 2), not a crash', async () => badInput(async () => {
      const sb = fresh()
      const file = manifest('redis-demo', {container: {replicas: 1}})
      const r = await cli(sb, ['validate', '-f', file, '--set', 'spec.evictionPolicy=99999999999'])
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stderr).to.not.match(/FieldValueInvalidError|\n\s+at /)
    }))
  })

  describe('saved plans', () => {
    it('plan --out with -detailed-exitcode (exit 2: changes) saves the plan it shows; a later apply never gets an older one', async () => fault(async () => {
      const sb = fresh()
      const plan = path.join(makeTempDir('pp-plans-'), 'redis.plan')
      await cli(sb, ['tofu', 'plan', '-f', manifest('redis-demo', {container: {replicas: 2}}, {file: 'two'}), '--out', plan], {expect: 0})
      const three = manifest('redis-demo', {container: {replicas: 3}}, {file: 'three'})
      const shown = await cli(sb, ['tofu', 'plan', '-f', three, '--out', plan, '--', '-detailed-exitcode'], {expect: 2})
      expect(shown.stdout).to.match(/replicas\s+=\s+3/)
      const applied = await cli(sb, ['tofu', 'apply', '-f', three, '--plan', plan])
      expect(applied.stdout, 'what apply --plan applied after a plan of 3 replicas was shown').to.not.match(/replicas = 2/)
    }))

    it('an --out in a folder that does not exist is refused before the tool runs, in one clear line', async () => badInput(async () => {
      const sb = fresh()
      const out = path.join(makeTempDir('pp-plans-'), 'missing', 'redis.plan')
      const r = await cli(sb, ['tofu', 'plan', '-f', manifest('redis-demo', {container: {replicas: 2}}), '--out', out])
      expect(r.code, r.stdout + r.stderr).to.equal(2)
      expect(r.stdout + r.stderr).to.not.include('Handing off')
      expect(r.stderr).to.not.match(/Code: ENOENT|copyfile/)
    }))
  })

  describe('the module in the current directory', () => {
    it('is not used for a manifest of another kind (the Redis module never runs a Postgres stack)', async () => fault(async () => {
      const sb = fresh()
      const checkout = path.join(makeTempDir('pp-checkout-'), 'project-planton')
      execFileSync('git', ['clone', '-q', suite.u.url, checkout], {env: {...process.env, GIT_CONFIG_NOSYSTEM: '1'}})
      const pg = manifest('pg-demo', {container: {replicas: 1}}, {kind: 'KubernetesPostgres'})
      const r = await cli(sb, ['plan', '-f', pg], {cwd: path.join(checkout, TF_MODULE_REDIS)})
      expect(r.stdout, r.stderr).to.not.match(/kind\s+=\s+"KubernetesRedis"/)
    }))
  })

  describe('shell completion', () => {
    it('a tag named like a command substitution is never run by Tab then Enter in bash', async function () {
      const why = onPath('tmux') ? (onPath('bash') && existsSync('/usr/share/bash-completion/bash_completion') ? undefined : 'bash or bash-completion is missing') : 'tmux is missing'
      if (why) {
        console.log(`      skipped: ${why}`)
        this.skip()
      }

      await fault(async () => {
        const hostile = createUpstream()
        const victim = path.join(makeTempDir('pp-victim-'), 'ran')
        hostile.git('tag', `v9x$(touch\${IFS}${victim})`)
        const bin = makeTempDir('pp-bin-')
        symlinkSync(RUN_JS, path.join(bin, 'project-planton'))
        const sb = sandbox(hostile, {PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`})
        await cli(sb, ['staging', 'pull'], {expect: 0})
        await cli(sb, ['autocomplete', 'bash'], {expect: 0})
        const script = (await cli(sb, ['autocomplete', 'script', 'bash'], {expect: 0})).stdout.trim()
        const dir = makeTempDir('pp-term-')
        const cwd = path.join(dir, 'work')
        mkdirSync(cwd)
        writeFileSync(path.join(dir, 'bashrc'), `PS1='PPTEST$ '\nunset HISTFILE\nsource /usr/share/bash-completion/bash_completion\n${script}\n`)
        const socket = path.join(dir, 'tmux.sock')
        const tmux = (...args: string[]) => execFileSync('tmux', ['-S', socket, ...args], {encoding: 'utf8', env: {...sb.env, TERM: 'xterm'}})
        const screen = () => tmux('capture-pane', '-p', '-t', 'pp')
        const waitScreen = async (ok: (s: string) => boolean) => {
          for (let i = 0; i < 100 && !ok(screen()); i++) await delay(100)
        }

        tmux('-f', '/dev/null', 'new-session', '-d', '-s', 'pp', '-x', '220', '-y', '40', '-c', cwd, `bash --noprofile --rcfile ${path.join(dir, 'bashrc')} -i`)
        try {
          await waitScreen(s => s.includes('PPTEST$'))
          tmux('send-keys', '-t', 'pp', '-l', 'project-planton staging checkout v9x')
          tmux('send-keys', '-t', 'pp', 'Tab')
          await waitScreen(s => !s.trimEnd().endsWith('checkout v9x'))
          tmux('send-keys', '-t', 'pp', 'Enter')
          // The command ends with a new prompt (refused or not).
          await waitScreen(s => (s.match(/PPTEST\$/g) ?? []).length >= 2)
          expect(existsSync(victim), `bash ran the tag's command substitution; the screen:\n${screen()}`).to.equal(false)
        } finally {
          spawnSync('tmux', ['-S', socket, 'kill-server'])
        }
      })
    })
  })

  describe('protos of a hostile or broken commit', () => {
    it('an import through "./" is a schema that cannot be built (a warning, the run goes on), as one through "../" is', async () => fault(async () => {
      const odd = createUpstream({files: upstreamSchemaFiles})
      const kindDir = path.dirname(path.dirname(TF_MODULE_REDIS))
      const api = odd.git('show', `HEAD:${kindDir}/api.proto`)
      odd.commit({
        [`${kindDir}/api.pb.go`]: null,
        [`${kindDir}/api.proto`]: api.replace('import "org/project_planton/shared/metadata.proto";', 'import "org/./project_planton/shared/metadata.proto";'),
      }, 'an import through ./')
      odd.tag('v0.6.0')
      const sb = sandbox(odd)
      await cli(sb, ['staging', 'pull'], {expect: 0})
      const r = await cli(sb, ['plan', '-f', manifest('redis-demo', {container: {replicas: 1}}), '--module-version', 'v0.6.0'])
      expect(r.code, r.stdout + r.stderr).to.equal(0)
      expect(r.stderr).to.include('not checked against its schema')
    }))
  })

  describe('signals while a big schema is compiled', () => {
    it('SIGTERM during the check of a kind with thousands of imports stops the run there, not after the compile', async () => fault(async () => {
      const big = createUpstream({files: upstreamSchemaFiles})
      const kindDir = path.dirname(path.dirname(TF_MODULE_REDIS))
      const fan: Record<string, string> = {[`${kindDir}/api.pb.go`]: '', [`${kindDir}/spec.pb.go`]: ''}
      const n = 2500
      const imports: string[] = []
      for (let i = 0; i < n; i++) {
        fan[`apis/org/fan/f${i}.proto`] = `syntax = "proto3";\npackage org.fan.f${i};\nmessage M { string a = 1; }\n`
        imports.push(`import "org/fan/f${i}.proto";`)
      }

      const api = big.git('show', `HEAD:${kindDir}/api.proto`)
      fan[`${kindDir}/api.proto`] = api.replace('import "buf/validate/validate.proto";', `import "buf/validate/validate.proto";\n${imports.join('\n')}`)
      big.commit(Object.fromEntries(Object.entries(fan).map(([k, v]) => [k, v === '' ? null : v])), 'many imports')
      big.tag('v0.5.0')
      const sb = sandbox(big)
      await cli(sb, ['staging', 'pull'], {expect: 0})
      const run = startGroup(['plan', '-f', manifest('redis-demo', {container: {replicas: 1}}), '--module-version', 'v0.5.0'], {env: sb.env})
      // Frozen (SIGSTOP) as soon as the check has started, so that SIGTERM lands during it however
      // fast the machine reads and compiles the protos.
      expect(await stopWhen(run, () => /\[STARTED\] Check the manifest against its schema/.test(run.output())), 'the run reached the check').to.equal(true)
      // As a CI runner cancels a job: SIGTERM to the CLI itself.
      process.kill(run.pid, 'SIGTERM')
      signalGroup(run, 'SIGCONT')
      const r = await run.done
      expect(r.code).to.equal(143)
      expect(run.output(), 'steps started after SIGTERM').to.not.include('Prepare workspace')
    }))
  })
})
