// Nothing lost: a user's module folder and local checkout stay byte-identical, staging is unchanged
// by runs that only read it, local tofu state outlives the workspace, and credentials (stack input,
// kubeconfig, variables) are gone from the CLI home after a run, a failure, Ctrl-C or SIGTERM.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, exportTree, makeTempDir, manifestYaml, PULUMI_MODULE_REDIS, removeTempDirs, TF_MODULE_REDIS,
  type Upstream,
} from '../support/upstream.js'
import {
  crash, type GroupCli, signalGroup, startGroup, stopWhen,
} from './process-group.js'
import {
  cli, copyHome, credentialFiles, listDir,
} from './sandbox.js'
import {fault, tally} from './tally.js'
import {snapshot, snapshotDiff} from './trees.js'

function unchanged(before: Map<string, string>, dir: string, what: string): void {
  const changed = snapshotDiff(before, snapshot(dir))
  tally.userFilesChanged += changed.length
  expect(changed, what).to.deep.equal([])
}

/** A check for stopWhen: a run of `sb` has written its kubeconfig. */
function kubeconfigWritten(sb: Sandbox): () => boolean {
  const workspaces = path.join(sb.plantonHome, 'workspaces')
  return () => listDir(workspaces).some(w => existsSync(path.join(workspaces, w, 'private', 'kubeconfig')))
}

/** A check for stopWhen: the output of `p` matches `re`. */
function printed(p: GroupCli, re: RegExp): () => boolean {
  return () => re.test(p.output())
}

function cwds(records: Array<{cwd: string}>): string[] {
  return records.map(r => r.cwd)
}

describe('faults: nothing lost', () => {
  let u: Upstream
  let warm: Sandbox
  let binDir: string
  let files: string
  let secret: string
  let kubeCreds: string
  let m: Record<'pulumi' | 'tofu', string>

  before(async function () {
    this.timeout(120_000)
    u = createUpstream()
    warm = sandbox(u)
    await cli(warm, ['staging', 'pull'], {expect: 0})
    await cli(warm, ['staging', 'checkout', 'v0.2.0'], {expect: 0})
    binDir = makeTempDir('pp-bin-')
    installPulumiStandIn(binDir)
    files = makeTempDir('pp-files-')
    m = {pulumi: path.join(files, 'pulumi.yaml'), tofu: path.join(files, 'tofu.yaml')}
    writeFileSync(m.pulumi, manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': 'acme/other-project/dev'}}))
    writeFileSync(m.tofu, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}, name: 'kept-state'}))
    secret = `SECRET-${randomBytes(12).toString('hex')}`
    kubeCreds = path.join(files, 'kube.yaml')
    writeFileSync(kubeCreds, `kubeconfig: |\n  apiVersion: v1\n  kind: Config\n  users:\n  - name: admin\n    user:\n      token: ${secret}\n`)
  })

  after(() => removeTempDirs())

  function fresh(): Sandbox {
    const sb = sandbox(u)
    copyHome(warm, sb)
    return sb
  }

  function standIn(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {PATH: `${binDir}${path.delimiter}${process.env.PATH}`, PULUMI_STAND_IN_RECORD: path.join(makeTempDir('pp-rec-'), 'records.jsonl'), ...extra}
  }

  function noCredentials(sb: Sandbox): void {
    const left = credentialFiles(sb.plantonHome, [secret])
    tally.credentialsLeft += left.length
    expect(left, 'credentials left in the CLI home').to.deep.equal([])
  }

  describe('user folders', () => {
    it('--module-dir (tofu): apply, plan and destroy leave the folder byte-identical', async () => fault(async () => {
      const sb = fresh()
      const dir = makeTempDir('pp-user-tf-')
      exportTree(u, 'v0.1.0', TF_MODULE_REDIS, dir)
      writeFileSync(path.join(dir, 'terraform.tfvars'), 'note = "the user\'s own variables"\n')
      const before = snapshot(dir)
      for (const args of [['tofu:apply', '--auto-approve'], ['tofu:plan'], ['tofu:destroy', '--auto-approve']]) {
        const r = await cli(sb, [...args, '-f', m.tofu, '--module-dir', dir])
        expect(r.code, `${args[0]}: ${r.stderr}`).to.equal(0)
        unchanged(before, dir, `the module folder after ${args[0]}`)
      }

      expect(listDir(path.join(sb.plantonHome, 'workspaces'))).to.deep.equal([])
    }))

    it('--module-dir (pulumi): runs in place, with a different project name, and Ctrl-C, leave the folder byte-identical', async () => fault(async () => {
      const sb = fresh()
      const dir = makeTempDir('pp-user-pulumi-')
      exportTree(u, 'v0.1.0', PULUMI_MODULE_REDIS, dir)
      const before = snapshot(dir)
      const env = standIn()
      for (const args of [['pulumi:update', '--yes'], ['pulumi:preview']]) {
        await cli(sb, [...args, '-f', m.pulumi, '--module-dir', dir, '--kubernetes-provider-config', kubeCreds], {env, expect: 0})
        unchanged(before, dir, `the module folder after ${args[0]}`)
      }

      const records = readRecords(env.PULUMI_STAND_IN_RECORD!)
      expect(cwds(records), 'pulumi ran in the user\'s folder').to.deep.equal([dir, dir])
      expect(records[0].stackInput).to.include(secret)

      const slow = standIn({PULUMI_STAND_IN_SLEEP_MS: '120000'})
      const p = startGroup(['pulumi:update', '--yes', '-f', m.pulumi, '--module-dir', dir, '--kubernetes-provider-config', kubeCreds], {env: {...sb.env, ...slow}})
      try {
        await p.waitFor(/stand-in: waiting/)
        process.kill(p.pid, 'SIGINT')
        expect((await p.done).code).to.equal(130)
      } finally {
        signalGroup(p, 'SIGKILL')
      }

      unchanged(before, dir, 'the module folder after Ctrl-C')
      noCredentials(sb)
    }))

    it('--local-module: the local checkout (with its .git) is byte-identical after tofu and pulumi runs', async () => fault(async () => {
      const sb = fresh()
      const checkout = path.join(makeTempDir('pp-scm-'), 'project-planton')
      execFileSync('git', ['clone', '-q', u.url, checkout])
      const before = snapshot(checkout)
      const env = {...standIn(), PROJECT_PLANTON_GIT_REPO: checkout}
      const plan = await cli(sb, ['tofu:plan', '-f', m.tofu, '--local-module'], {env, expect: 0})
      expect(plan.stdout).to.include('module_version = "main-3"')
      await cli(sb, ['pulumi:preview', '-f', m.pulumi, '--local-module'], {env, expect: 0})
      unchanged(before, checkout, 'the local checkout')
    }))

    it('staging (work tree and .git) is byte-identical after runs that only read it', async () => fault(async () => {
      const sb = fresh()
      const before = snapshot(sb.clone)
      const env = standIn()
      const runs = [
        ['tofu:plan', '-f', m.tofu],
        ['pulumi:preview', '-f', m.pulumi],
        ['pulumi:preview', '-f', m.pulumi, '--full-tree'],
        ['tofu:plan', '-f', m.tofu, '--module-version', 'v0.1.0'],
      ]
      for (const args of runs) await cli(sb, args, {env, expect: 0})

      const changed = snapshotDiff(before, snapshot(sb.clone))
      expect(changed, 'staging').to.deep.equal([])
    }))
  })

  describe('local tofu state', () => {
    it('survives the workspace cleanup and `staging clean`, and a later destroy uses it', async () => fault(async () => {
      const sb = fresh()
      const state = path.join(sb.plantonHome, 'tofu', 'state', 'kubernetesredis+kept-state', 'terraform.tfstate')
      await cli(sb, ['tofu:apply', '-f', m.tofu, '--auto-approve'], {expect: 0})
      expect(listDir(path.join(sb.plantonHome, 'workspaces')), 'workspace removed').to.deep.equal([])
      const applied = JSON.parse(readFileSync(state, 'utf8')) as {resources: unknown[]}
      expect(applied.resources).to.have.length(1)
      await cli(sb, ['staging', 'clean', '--all', '--yes'], {expect: 0})
      expect(existsSync(state), 'state after staging clean --all').to.equal(true)
      // staging was cloned again (at another version): the resource is known from the kept state
      const plan = await cli(sb, ['tofu:plan', '-f', m.tofu], {expect: 0})
      expect(plan.stdout).to.match(/terraform_data\.this: Refreshing state/)
      expect(plan.stdout).to.not.match(/Plan: [1-9]\d* to add/)
      const destroyed = await cli(sb, ['tofu:destroy', '-f', m.tofu, '--auto-approve'], {expect: 0})
      expect(destroyed.stdout).to.match(/Resources: 1 destroyed/)
      expect((JSON.parse(readFileSync(state, 'utf8')) as {resources: unknown[]}).resources).to.deep.equal([])
    }))
  })

  describe('credentials are never left in the CLI home', () => {
    const pulumiCases: Array<{name: string; args: string[]; env: NodeJS.ProcessEnv; code: number; signal?: NodeJS.Signals}> = [
      {
        name: 'after a successful pulumi run', args: ['pulumi:preview'], env: {}, code: 0,
      },
      {
        name: 'after a failed pulumi run', args: ['pulumi:update', '--yes'], env: {PULUMI_STAND_IN_EXIT: '3'}, code: 3,
      },
      {
        name: 'after Ctrl-C (SIGINT) during pulumi', args: ['pulumi:update', '--yes'], env: {PULUMI_STAND_IN_SLEEP_MS: '120000'}, code: 130, signal: 'SIGINT',
      },
      {
        name: 'after SIGTERM during pulumi', args: ['pulumi:update', '--yes'], env: {PULUMI_STAND_IN_SLEEP_MS: '120000'}, code: 143, signal: 'SIGTERM',
      },
    ]
    for (const c of pulumiCases) {
      it(c.name, async () => fault(async () => {
        const sb = fresh()
        const env = standIn(c.env)
        const p = startGroup([...c.args, '-f', m.pulumi, '--kubernetes-provider-config', kubeCreds], {env: {...sb.env, ...env}})
        try {
          if (c.signal) {
            await p.waitFor(/stand-in: waiting/)
            process.kill(p.pid, c.signal)
          }

          const r = await p.done
          expect(r.code, r.stderr).to.equal(c.code)
        } finally {
          signalGroup(p, 'SIGKILL')
        }

        const [record] = readRecords(env.PULUMI_STAND_IN_RECORD!)
        expect(record.stackInput, 'pulumi got the credentials').to.include(secret)
        expect(record.stackInputMode, 'stack input readable by its owner only').to.equal(0o600)
        noCredentials(sb)
      }))
    }

    for (const [name, extra, code] of [
      ['after a successful terraform run', [], 0],
      ['after a failed terraform run', ['--backend-config', 'no_such_setting=1'], 1],
    ] as const) {
      it(name, async () => fault(async () => {
        const sb = fresh()
        const p = startGroup(['tofu:plan', '-f', m.tofu, '--kubernetes-provider-config', kubeCreds, ...extra], {env: sb.env})
        try {
          expect(await stopWhen(p, kubeconfigWritten(sb)), 'the kubeconfig was written for terraform').to.equal(true)
          signalGroup(p, 'SIGCONT')
          const r = await p.done
          expect(r.code, r.stderr).to.equal(code)
        } finally {
          signalGroup(p, 'SIGKILL')
        }

        noCredentials(sb)
      }))
    }

    it('after Ctrl-C (SIGINT) while terraform runs', async () => fault(async () => {
      const sb = fresh()
      const p = startGroup(['tofu:plan', '-f', m.tofu, '--kubernetes-provider-config', kubeCreds], {env: sb.env})
      try {
        expect(await stopWhen(p, printed(p, /Handing off to terraform/)), 'stopped at the hand-off').to.equal(true)
        process.kill(p.pid, 'SIGINT')
        signalGroup(p, 'SIGCONT')
        const r = await p.done
        expect(r.code, r.stderr).to.equal(130)
      } finally {
        signalGroup(p, 'SIGKILL')
      }

      noCredentials(sb)
    }))

    it('after a crash (SIGKILL) during a run, `staging clean` removes the dead run\'s credentials', async () => fault(async () => {
      const sb = fresh()
      const env = standIn({PULUMI_STAND_IN_SLEEP_MS: '120000'})
      const p = startGroup(['pulumi:update', '--yes', '-f', m.pulumi, '--kubernetes-provider-config', kubeCreds], {env: {...sb.env, ...env}})
      await p.waitFor(/stand-in: waiting/)
      await crash(p)
      expect(credentialFiles(sb.plantonHome, [secret]), 'a crash cannot clean up').to.not.deep.equal([])
      const clean = await cli(sb, ['staging', 'clean'], {expect: 0})
      expect(clean.stdout).to.match(/Removed 1 workspace/)
      noCredentials(sb)
    }))
  })
})
