// A hostile outside: an upstream whose trees hold symlink chains, .git folders and tags named like
// SHAs, checkouts that are refused or can never succeed, names that collide once they are paths,
// odd upstream URLs and tool paths, a home shared with the user's own files, signals while the
// manifest is still being read, and text that tries to forge the CLI's output. Each case was a
// defect found by an outside review; each test failed before its fix.
import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {once} from 'node:events'
import {
  chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {commitRaw} from '../support/crafted.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, makeTempDir, manifestYaml, markerAt, PULUMI_MODULE_REDIS, removeTempDirs, TF_MODULE_REDIS, type Upstream,
} from '../support/upstream.js'
import {signalGroup, sleep, startGroup} from './process-group.js'
import {
  cli, copyHome, listDir, status,
} from './sandbox.js'
import {badInput, fault, tally} from './tally.js'
import {snapshot, snapshotDiff} from './trees.js'

const TOFU = {'project-planton.org/provisioner': 'terraform'}

/** The marker output of the test modules: which version a run really used. */
function usedVersion(stdout: string): string | undefined {
  return /module_version = "([^"]+)"/.exec(stdout)?.[1]
}

function unchanged(before: Map<string, string>, dir: string, what: string): void {
  const changed = snapshotDiff(before, snapshot(dir))
  tally.userFilesChanged += changed.length
  expect(changed, what).to.deep.equal([])
}

function workspaces(sb: Sandbox): string[] {
  return listDir(path.join(sb.plantonHome, 'workspaces'))
}

/** Whether a run of the stand-in tool recorded a signal. */
function toolGotSignal(recordFile: string): boolean {
  return readRecords(recordFile).some(rec => Boolean(rec.signal))
}

describe('faults: a hostile outside', () => {
  let u: Upstream
  let warm: Sandbox
  let files: string
  let victimDir: string
  let victim: string

  before(async function () {
    this.timeout(120_000)
    u = createUpstream()
    files = makeTempDir('pp-hostile-')
    victimDir = makeTempDir('pp-victim-')
    victim = path.join(victimDir, 'victim.txt')
    writeFileSync(victim, 'precious\n')
    warm = sandbox(u)
    await cli(warm, ['staging', 'pull'], {expect: 0})
    await cli(warm, ['staging', 'checkout', 'v0.1.0'], {expect: 0})
  })

  after(() => removeTempDirs())

  function fresh(): Sandbox {
    const sb = sandbox(u)
    copyHome(warm, sb)
    return sb
  }

  function manifest(name: string, opts: Parameters<typeof manifestYaml>[0] = {}): string {
    const file = path.join(files, `${name}.yaml`)
    writeFileSync(file, manifestYaml({labels: TOFU, name, ...opts}))
    return file
  }

  describe('symlinks in upstream trees', () => {
    it('a chain that looks inside but resolves to the victim is refused; nothing is written through it', async () => badInput(async () => {
      const depth = path.join(TF_MODULE_REDIS, 'd').split('/').length + victimDir.split('/').length + 3
      const chain = `${'d/'.repeat(depth)}${'../'.repeat(depth)}${'../'.repeat(TF_MODULE_REDIS.split('/').length)}${victim.slice(1)}`
      const sha = commitRaw(u, u.sha('v0.1.0'), {
        [`${TF_MODULE_REDIS}/d`]: {content: '.', mode: '120000'},
        [`${TF_MODULE_REDIS}/_project_planton_backend.tf`]: {content: chain, mode: '120000'},
      }, 'a chain of links')
      u.tag('evil-chain', sha)
      const sb = fresh()
      const before = snapshot(victimDir)
      const r = await cli(sb, ['tofu:plan', '-f', manifest('chain'), '--module-version', 'evil-chain'])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/_project_planton_backend\.tf" is a symlink to .*leads outside the module/)
      unchanged(before, victimDir, 'the victim')
      expect(readFileSync(victim, 'utf8')).to.equal('precious\n')
      expect(workspaces(sb)).to.deep.equal([])
    }))

    it('a Pulumi.yaml chain out of the tree is refused before any project file is rewritten', async () => badInput(async () => {
      const yaml = path.join(victimDir, 'Pulumi.yaml')
      writeFileSync(yaml, 'name: the-users-own\nruntime: go\n')
      const depth = PULUMI_MODULE_REDIS.split('/').length
      const sha = commitRaw(u, u.sha('v0.1.0'), {
        [`${PULUMI_MODULE_REDIS}/d`]: {content: '.', mode: '120000'},
        [`${PULUMI_MODULE_REDIS}/Pulumi.yaml`]: {content: `${'d/'.repeat(30)}${'../'.repeat(30 + depth + 8)}${yaml.slice(1)}`, mode: '120000'},
      }, 'a project file that is a chain')
      u.tag('evil-pulumi', sha)
      const sb = fresh()
      const bin = makeTempDir('pp-bin-')
      installPulumiStandIn(bin)
      const r = await cli(sb, ['pulumi:preview', '-f', manifest('pchain'), '--stack', 'acme/proj/dev', '--module-version', 'evil-pulumi'], {env: {PATH: `${bin}:${process.env.PATH}`}})
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/Pulumi\.yaml" is a symlink/)
      expect(readFileSync(yaml, 'utf8')).to.equal('name: the-users-own\nruntime: go\n')
    }))

    it('a link inside the module at a generated file\'s name is replaced, not written through', async () => fault(async () => {
      // outputs.tf stays what the module says; the backend block gets a file of its own.
      const sha = commitRaw(u, u.sha('v0.1.0'), {[`${TF_MODULE_REDIS}/_project_planton_backend.tf`]: {content: 'outputs.tf', mode: '120000'}}, 'a link at a generated name')
      u.tag('link-at-backend', sha)
      const sb = fresh()
      const r = await cli(sb, ['tofu:plan', '-f', manifest('inside'), '--module-version', 'link-at-backend', '--no-cleanup'], {expect: 0})
      expect(usedVersion(r.stdout)).to.equal('v0.1.0')
      const [ws] = workspaces(sb)
      const mod = path.join(sb.plantonHome, 'workspaces', ws, 'tree', TF_MODULE_REDIS)
      expect(lstatSync(path.join(mod, '_project_planton_backend.tf')).isSymbolicLink()).to.equal(false)
      expect(readFileSync(path.join(mod, 'outputs.tf'), 'utf8')).to.contain('module_version')
    }))
  })

  describe('.git entries in upstream trees', () => {
    it('are never exported: git in a kept workspace runs nothing of the upstream', async () => fault(async () => {
      const marker = path.join(makeTempDir('pp-markers-'), 'fsmonitor-ran')
      const config = `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = touch ${marker}\n`
      const sha = commitRaw(u, u.sha('v0.1.0'), {
        [`${TF_MODULE_REDIS}/.git/HEAD`]: {content: 'ref: refs/heads/main\n'},
        [`${TF_MODULE_REDIS}/.git/config`]: {content: config},
        [`${TF_MODULE_REDIS}/sub/.GIT/config`]: {content: config},
      }, 'a .git folder in the module')
      u.tag('evil-dotgit', sha)
      const sb = fresh()
      const r = await cli(sb, ['tofu:plan', '-f', manifest('dotgit'), '--module-version', 'evil-dotgit', '--no-cleanup'], {expect: 0})
      expect(r.stderr).to.contain('Left out 3 entries named .git')
      const [ws] = workspaces(sb)
      const mod = path.join(sb.plantonHome, 'workspaces', ws, 'tree', TF_MODULE_REDIS)
      expect(existsSync(path.join(mod, '.git'))).to.equal(false)
      expect(existsSync(path.join(mod, 'sub', '.GIT'))).to.equal(false)
      // What a user does in a kept workspace: git finds no repository of the upstream's here.
      spawnSync('git', ['status'], {cwd: mod, stdio: 'ignore', env: {...process.env, GIT_CEILING_DIRECTORIES: path.dirname(sb.plantonHome)}})
      expect(existsSync(marker), 'the upstream\'s fsmonitor ran').to.equal(false)
    }))
  })

  describe('tags named like commit SHAs', () => {
    it('a full SHA is the commit, never a tag of that name pointing elsewhere', async () => fault(async () => {
      const shaA = u.sha('v0.1.0')
      u.tag(shaA, 'v0.2.0')
      try {
        const sb = fresh()
        await cli(sb, ['staging', 'pull'], {expect: 0})
        const run = await cli(sb, ['tofu:plan', '-f', manifest('hijack'), '--module-version', shaA], {expect: 0})
        expect(usedVersion(run.stdout)).to.equal('v0.1.0')
        await cli(sb, ['staging', 'checkout', 'v0.2.0'], {expect: 0})
        await cli(sb, ['staging', 'checkout', shaA], {expect: 0})
        const st = await status(sb)
        expect(st).to.include({sha: shaA, kind: 'commit'})
        expect(readFileSync(path.join(sb.clone, 'VERSION'), 'utf8')).to.equal(`${markerAt(u, 'v0.1.0')}\n`)
      } finally {
        u.git('tag', '-d', shaA)
      }
    }))

    it('a short prefix that is also a tag is refused with both candidates', async () => badInput(async () => {
      const prefix = u.sha('v0.2.0').slice(0, 8)
      u.tag(prefix, 'v0.1.0')
      try {
        const sb = fresh()
        await cli(sb, ['staging', 'pull'], {expect: 0})
        const before = await status(sb)
        const r = await cli(sb, ['staging', 'checkout', prefix])
        expect(r.code, r.stderr).to.equal(2)
        expect(r.stderr).to.contain(`tag ${prefix} (${u.sha('v0.1.0').slice(0, 12)})`)
        expect(r.stderr).to.contain(`commit ${u.sha('v0.2.0').slice(0, 12)}`)
        expect(r.stderr).to.contain(`tags/${prefix}`)
        expect((await status(sb)).sha).to.equal(before.sha)
        await cli(sb, ['staging', 'checkout', `tags/${prefix}`], {expect: 0})
        expect((await status(sb)).sha).to.equal(u.sha('v0.1.0'))
      } finally {
        u.git('tag', '-d', prefix)
      }
    }))
  })

  describe('a checkout git refuses', () => {
    it('leaves selection and work tree as they were, names the file in the way, and no later command forces it', async () => fault(async () => {
      const sha = u.commit({'NOTES.md': 'upstream notes\n'}, 'track NOTES.md')
      u.tag('with-notes', sha)
      const sb = fresh()
      await cli(sb, ['staging', 'pull'], {expect: 0})
      writeFileSync(path.join(sb.clone, 'NOTES.md'), 'my own notes\n')
      const r = await cli(sb, ['staging', 'checkout', 'with-notes'])
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr).to.match(/untracked files in the staging work tree are in the way: NOTES\.md/)
      expect(r.stderr).to.contain('staging stays at v0.1.0')
      const st = await status(sb)
      expect(st).to.include({ref: 'v0.1.0', sha: u.sha('v0.1.0')})
      expect(st.pending).to.equal(undefined)
      const run = await cli(sb, ['tofu:plan', '-f', manifest('notes')], {expect: 0})
      expect(run.stderr).to.not.contain('Finishing an interrupted checkout')
      expect(usedVersion(run.stdout)).to.equal('v0.1.0')
      await cli(sb, ['staging', 'pull'], {expect: 0})
      expect(readFileSync(path.join(sb.clone, 'NOTES.md'), 'utf8')).to.equal('my own notes\n')
    }))

    it('a commit git can never check out is refused; runs still use it with --module-version', async () => fault(async () => {
      const sha = commitRaw(u, u.sha('v0.2.0'), {[`${TF_MODULE_REDIS}/.git/config`]: {content: '[core]\n'}}, 'never checked out')
      u.tag('never', sha)
      const sb = fresh()
      const r = await cli(sb, ['staging', 'checkout', 'never'])
      expect(r.code, r.stderr).to.equal(1)
      expect(r.stderr).to.contain('paths git will not write')
      expect(r.stderr).to.contain('--module-version never')
      expect((await status(sb)).pending).to.equal(undefined)
      const run = await cli(sb, ['tofu:plan', '-f', manifest('never'), '--module-version', 'never'], {expect: 0})
      expect(usedVersion(run.stdout)).to.equal('v0.2.0')
    }))

    it('an interrupted checkout that cannot be finished is abandoned: no command is wedged, checkout --force recovers', async () => fault(async () => {
      const sha = commitRaw(u, u.sha('v0.2.0'), {[`${TF_MODULE_REDIS}/.git/config`]: {content: '[core]\n'}}, 'never checked out')
      u.tag('never2', sha)
      const sb = fresh()
      await cli(sb, ['staging', 'pull'], {expect: 0})
      // What a crash in the middle of `staging checkout never2` leaves: the switch recorded as pending.
      const stateFile = path.join(sb.plantonHome, 'staging', 'state.json')
      const state = JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, unknown>
      writeFileSync(stateFile, JSON.stringify({...state, pending: {ref: 'never2', kind: 'tag', sha}}))
      const run = await cli(sb, ['tofu:plan', '-f', manifest('wedge')], {expect: 0})
      expect(run.stderr).to.match(/interrupted checkout of never2 cannot be finished .* staging stays at v0\.1\.0/)
      expect(usedVersion(run.stdout)).to.equal('v0.1.0')
      expect((await status(sb)).pending).to.equal(undefined)
      await cli(sb, ['staging', 'pull'], {expect: 0})
      writeFileSync(stateFile, JSON.stringify({...JSON.parse(readFileSync(stateFile, 'utf8')), pending: {ref: 'never2', kind: 'tag', sha}}))
      await cli(sb, ['staging', 'checkout', '--force', 'v0.2.0'], {expect: 0})
      expect(await status(sb)).to.include({ref: 'v0.2.0', sha: u.sha('v0.2.0')})
    }))
  })

  describe('names that collide once they are paths', () => {
    it('stacks a/b and a__b keep separate local state: destroying one leaves the other', async () => fault(async () => {
      const sb = fresh()
      const slash = manifest('slash', {name: 'a/b'})
      const under = manifest('under', {name: 'a__b'})
      await cli(sb, ['tofu:apply', '-f', slash, '--auto-approve'], {expect: 0})
      await cli(sb, ['tofu:apply', '-f', under, '--auto-approve'], {expect: 0})
      const stateRoot = path.join(sb.plantonHome, 'tofu', 'state')
      expect(listDir(stateRoot).sort()).to.deep.equal(['kubernetesredis+a+b', 'kubernetesredis+a__b'])
      await cli(sb, ['tofu:destroy', '-f', under, '--auto-approve'], {expect: 0})
      const kept = JSON.parse(readFileSync(path.join(stateRoot, 'kubernetesredis+a+b', 'terraform.tfstate'), 'utf8')) as {resources: unknown[]}
      expect(kept.resources.length, 'a/b still has its resource').to.be.greaterThan(0)
    }))

    it('state under the old folder name is moved when only one stack can own it, refused when two could', async () => fault(async () => {
      const sb = fresh()
      const solo = manifest('solo')
      await cli(sb, ['tofu:apply', '-f', solo, '--auto-approve'], {expect: 0})
      const stateRoot = path.join(sb.plantonHome, 'tofu', 'state')
      // As versions before the one-to-one names left it.
      execFileSync('mv', [path.join(stateRoot, 'kubernetesredis+solo'), path.join(stateRoot, 'kubernetesredis__solo')])
      const plan = await cli(sb, ['tofu:plan', '-f', solo], {expect: 0})
      expect(plan.stdout).to.match(/No changes/)
      expect(listDir(stateRoot)).to.deep.equal(['kubernetesredis+solo'])

      mkdirSync(path.join(stateRoot, 'kubernetesredis__x__y'))
      writeFileSync(path.join(stateRoot, 'kubernetesredis__x__y', 'terraform.tfstate'), '{}')
      const r = await cli(sb, ['tofu:plan', '-f', manifest('xy', {name: 'x__y'})])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/may belong to stack kubernetesredis\/x__y or to kubernetesredis\/x\/y/)
      expect(existsSync(path.join(stateRoot, 'kubernetesredis__x__y', 'terraform.tfstate'))).to.equal(true)
    }))

    it('local state is readable by its owner only', async () => fault(async () => {
      const sb = fresh()
      await cli(sb, ['tofu:apply', '-f', manifest('private'), '--auto-approve'], {expect: 0})
      const dir = path.join(sb.plantonHome, 'tofu', 'state', 'kubernetesredis+private')
      expect(statSync(dir).mode % 0o1000).to.equal(0o700)
      for (const f of readdirSync(dir)) expect(statSync(path.join(dir, f)).mode % 0o1000, f).to.equal(0o600)
    }))
  })

  describe('signals while the manifest is read', () => {
    it('from a FIFO no one writes: SIGINT ends the run at once with 130', async () => fault(async () => {
      const sb = fresh()
      const fifo = path.join(makeTempDir('pp-fifo-'), 'manifest.yaml')
      execFileSync('mkfifo', [fifo])
      const p = startGroup(['tofu:plan', '-f', fifo], {env: sb.env})
      await p.waitFor(/Load manifest/)
      await sleep(200)
      signalGroup(p, 'SIGINT')
      // A hang would end in the test's own timeout; no duration is asserted.
      const r = await p.done
      expect(r.code, p.output()).to.equal(130)
      expect(workspaces(sb)).to.deep.equal([])
    }))

    it('from a stdin that never ends: SIGTERM ends the run with 143', async () => fault(async () => {
      const sb = fresh()
      const p = startGroup(['tofu:plan', '-f', '-'], {env: sb.env, input: 'apiVersion: kubernetes.project-planton.org/v1\n', keepStdinOpen: true})
      await p.waitFor(/Load manifest/)
      await sleep(200)
      p.child.kill('SIGTERM')
      const r = await p.done
      p.child.stdin!.destroy()
      expect(r.code, p.output()).to.equal(143)
    }))
  })

  describe('upstream URLs and tool paths', () => {
    it('an scp-like host:path upstream goes to git as such (through the user\'s SSH command)', async () => fault(async () => {
      // A stand-in ssh: serves `host:path` from a local folder, and records the host.
      const serve = makeTempDir('pp-ssh-')
      execFileSync('git', ['clone', '-q', '--bare', u.dir, path.join(serve, 'bare.git')])
      const log = path.join(serve, 'hosts.log')
      const ssh = path.join(serve, 'fake-ssh')
      writeFileSync(ssh, `#!/bin/sh\n# fake-ssh [options] host command\nwhile [ "$#" -gt 2 ]; do shift; done\necho "$1" >> '${log}'\ncd '${serve}' && exec sh -c "$2"\n`, {mode: 0o755})
      for (const url of ['gitserver:bare.git', '[gitserver]:bare.git']) {
        const sb = sandbox(url, {GIT_SSH_COMMAND: ssh})
        await cli(sb, ['staging', 'pull'], {expect: 0})
        expect(JSON.parse((await cli(sb, ['staging', 'status', '--json'], {expect: 0})).stdout).url).to.equal(url)
      }

      // git asked ssh for the host, never took the address for a local folder.
      expect(readFileSync(log, 'utf8')).to.contain('gitserver')
    }))

    it('a relative PROJECT_PLANTON_TOFU_BIN and a relative PATH entry are taken from the user\'s folder', async () => fault(async () => {
      const user = makeTempDir('pp-user-')
      mkdirSync(path.join(user, 'bin'))
      const terraform = execFileSync('sh', ['-c', 'command -v terraform']).toString().trim()
      writeFileSync(path.join(user, 'bin', 'tofu'), `#!/bin/sh\nexec '${terraform}' "$@"\n`, {mode: 0o755})
      // A folder named like the tool, earlier on PATH, is skipped as a shell skips it.
      mkdirSync(path.join(user, 'decoy', 'tofu'), {recursive: true})
      const sb = fresh()
      const m = manifest('relbin', {labels: {'project-planton.org/provisioner': 'tofu'}})
      const byVar = await cli(sb, ['tofu:plan', '-f', m], {cwd: user, env: {PROJECT_PLANTON_TOFU_BIN: './bin/tofu'}})
      expect(byVar.code, byVar.stderr).to.equal(0)
      const byPath = await cli(sb, ['tofu:plan', '-f', m], {cwd: user, env: {PATH: `decoy:bin:${process.env.PATH}`}})
      expect(byPath.code, byPath.stderr).to.equal(0)
    }))

    it('credentials in an upstream URL never reach the output or staging status', async () => fault(async () => {
      const sb = sandbox('https://alice:s3cr3t-token@127.0.0.1:9/project-planton.git')
      const r = await cli(sb, ['staging', 'pull'])
      expect(r.code).to.not.equal(0)
      const st = await cli(sb, ['staging', 'status', '--json'], {expect: 0})
      for (const text of [r.stdout, r.stderr, st.stdout]) expect(text).to.not.contain('s3cr3t')
      expect(JSON.parse(st.stdout).url).to.equal('https://***@127.0.0.1:9/project-planton.git')
    }))
  })

  describe("a user's module folder", () => {
    it('with a relative link to a shared file: the run gets its content, the folder stays byte-identical', async () => fault(async () => {
      const top = makeTempDir('pp-user-')
      const mod = path.join(top, 'module')
      mkdirSync(mod)
      mkdirSync(path.join(top, 'shared'))
      writeFileSync(path.join(mod, 'main.tf'), 'resource "terraform_data" "x" {\n  input = local.shared\n}\n')
      writeFileSync(path.join(top, 'shared', 'common.tf'), 'locals {\n  shared = "from-the-shared-file"\n}\noutput "shared" {\n  value = local.shared\n}\n')
      symlinkSync('../shared/common.tf', path.join(mod, 'common.tf'))
      // A folder named like a .tf file is no module file.
      mkdirSync(path.join(mod, 'examples.tf'))
      const before = snapshot(top)
      const sb = fresh()
      const r = await cli(sb, ['tofu:plan', '-f', manifest('userlink'), '--module-dir', mod], {expect: 0})
      expect(r.stdout).to.contain('from-the-shared-file')
      expect(r.stderr).to.contain('common.tf is a link to ../shared/common.tf: copied what it points to')
      unchanged(before, top, "the user's folders")
    }))
  })

  describe("a home shared with the user's own folders", () => {
    it('is refused by every command; nothing in it is deleted', async () => badInput(async () => {
      const home = makeTempDir('pp-userhome-')
      mkdirSync(path.join(home, 'workspaces', 'my-project'), {recursive: true})
      writeFileSync(path.join(home, 'workspaces', 'my-project', 'notes.txt'), 'mine\n')
      mkdirSync(path.join(home, 'cache'))
      writeFileSync(path.join(home, 'cache', 'photo.jpg'), 'jpeg')
      writeFileSync(path.join(home, '.bashrc'), 'export X=1\n')
      const before = snapshot(home)
      const sb = sandbox(u, {PROJECT_PLANTON_HOME: home})
      for (const args of [['staging', 'clean'], ['staging', 'pull'], ['tofu:plan', '-f', manifest('home')]]) {
        const r = await cli(sb, args)
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(2)
        expect(r.stderr).to.contain('holds files project-planton did not make')
      }

      const doctor = await cli(sb, ['doctor', '--json'])
      expect(doctor.code).to.equal(1)
      unchanged(before, home, 'the shared home')
    }))

    it("staging clean removes only what carries the CLI's mark", async () => fault(async () => {
      const sb = fresh()
      const foreign = path.join(sb.plantonHome, 'workspaces', 'copied-by-hand')
      mkdirSync(path.join(foreign, 'tree'), {recursive: true})
      writeFileSync(path.join(foreign, 'tree', 'main.tf'), 'x')
      const r = await cli(sb, ['staging', 'clean'], {expect: 0})
      expect(r.stdout).to.contain(`Left ${foreign}: project-planton did not make it`)
      expect(readFileSync(path.join(foreign, 'tree', 'main.tf'), 'utf8')).to.equal('x')
    }))

    it('a tool left running by a killed CLI keeps its workspace until it ends', async () => fault(async () => {
      const sb = fresh()
      const bin = makeTempDir('pp-bin-')
      const {recordFile} = installPulumiStandIn(bin)
      const env = {
        ...sb.env, PATH: `${bin}:${process.env.PATH}`, PULUMI_STAND_IN_SLEEP_MS: '60000', PULUMI_STAND_IN_RECORD: recordFile,
      }
      // SIGKILL to the CLI alone, not to its group: the tool lives on, as when the CLI alone is killed.
      const p = startGroup(['pulumi:preview', '-f', manifest('orphan'), '--stack', 'acme/proj/dev'], {env})
      await p.waitFor(/stand-in: waiting/)
      p.child.kill('SIGKILL')
      // 'exit', not 'close': the orphaned tool still holds the output pipes.
      if (!p.exited()) await once(p.child, 'exit')
      const [ws] = workspaces(sb)
      const record = JSON.parse(readFileSync(path.join(sb.plantonHome, 'workspaces', ws, 'run.json'), 'utf8')) as {toolPid: number}
      await cli(sb, ['staging', 'clean'], {expect: 0})
      expect(workspaces(sb), 'the live tool\'s workspace').to.deep.equal([ws])
      process.kill(record.toolPid, 'SIGTERM')
      for (let i = 0; i < 200 && !toolGotSignal(recordFile); i++) await sleep(20)
      for (let i = 0; i < 200; i++) {
        try {
          process.kill(record.toolPid, 0)
          await sleep(20)
        } catch {
          break
        }
      }

      await cli(sb, ['staging', 'clean'], {expect: 0})
      expect(workspaces(sb)).to.deep.equal([])
    }))
  })

  describe('manifests that attack memory, time and the terminal', () => {
    it('a manifest over 1 MiB is refused at once', async () => badInput(async () => {
      const big = path.join(files, 'big.yaml')
      writeFileSync(big, `${manifestYaml({labels: TOFU, name: 'big'})}# ${'x'.repeat(2 * 1024 * 1024)}\n`)
      const r = await cli(fresh(), ['tofu:plan', '-f', big])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.contain('larger than 1024 KiB')
    }))

    it('a YAML alias bomb exits 2 with a clear message', async () => badInput(async () => {
      const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]']
      for (let i = 1; i < 10; i++) lines.push(`${String.fromCodePoint(97 + i)}: &${String.fromCodePoint(97 + i)} [${Array.from({length: 10}).fill(`*${String.fromCodePoint(96 + i)}`).join(', ')}]`)
      const bomb = path.join(files, 'bomb.yaml')
      writeFileSync(bomb, `${lines.join('\n')}\napiVersion: x\n`)
      const r = await cli(fresh(), ['tofu:plan', '-f', bomb])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.match(/invalid YAML: .*alias/i)
    }))

    it('names with escape sequences and line breaks cannot forge output', async () => badInput(async () => {
      const forged = path.join(files, 'forged.yaml')
      writeFileSync(forged, manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': 'a/b/c'}, name: 'x\n[COMPLETED] Deployed everything\u001B[2J'}))
      const r = await cli(fresh(), ['tofu:plan', '-f', forged])
      expect(r.code).to.equal(2)
      expect(r.stdout + r.stderr).to.not.contain('\u001B[2J')
      expect(r.stdout + r.stderr).to.not.match(/^\[COMPLETED] Deployed/m)
    }))

    it('a home that is a file, and a module folder that cannot be read, each get one clear line', async () => badInput(async () => {
      const fileHome = path.join(files, 'home-file')
      writeFileSync(fileHome, 'x')
      const r = await cli(sandbox(u, {PROJECT_PLANTON_HOME: fileHome}), ['tofu:plan', '-f', manifest('filehome')])
      expect(r.code, r.stderr).to.equal(2)
      expect(r.stderr).to.contain('is a file, not a folder')
      expect(r.stderr, 'no Node error code').to.not.match(/Code: E[A-Z]+/)
      const locked = makeTempDir('pp-locked-')
      writeFileSync(path.join(locked, 'main.tf'), '')
      chmodSync(locked, 0o000)
      try {
        const denied = await cli(fresh(), ['tofu:plan', '-f', manifest('locked'), '--module-dir', locked])
        // root reads anything: then the run simply works.
        expect(denied.stderr, 'no Node error code').to.not.match(/Code: E[A-Z]+/)
        expect(denied.stderr, 'no stack trace').to.not.match(/^\s+at .+[(:]\d+/m)
      } finally {
        chmodSync(locked, 0o755)
      }
    }))
  })
})
