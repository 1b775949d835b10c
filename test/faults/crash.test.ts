// Crash and interruption: the CLI (with git and the tool) is SIGKILLed at chosen moments of a
// clone, a fetch, a checkout and a workspace preparation; the next command must recover and never
// hand out a half tree. SIGINT/SIGTERM during a run: the tool gets the signal, the workspace goes,
// the exit code is 128 + n. A stale index.lock left in staging does not block the next command.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, TF_MODULE_POSTGRES, type Upstream,
} from '../support/upstream.js'
import {
  actualTree, addBulk, ageLock, BULK_FILES, bulkFile, cli, copyHome, crash, expectedTree, type GroupCli, initialRef, listDir,
  receivingPackSize, signalGroup, startGroup, status, stopWhen, tmpClone, treeDiff, workTreeDiff,
} from './helpers.js'
import {fault} from './tally.js'

type Point = {name: string; when: (sb: Sandbox, p: GroupCli) => boolean}

function packBytes(u: Upstream): number {
  const dir = path.join(u.dir, '.git', 'objects', 'pack')
  return readdirSync(dir).filter(n => n.endsWith('.pack')).reduce((sum, n) => sum + readFileSync(path.join(dir, n)).length, 0)
}

function packIndexes(gitDir: string): number {
  return listDir(path.join(gitDir, 'objects', 'pack')).filter(n => n.endsWith('.idx')).length
}

function stateOf(sb: Sandbox): {pending?: {ref: string}; ref?: string; sha?: string} {
  try {
    return JSON.parse(readFileSync(path.join(sb.plantonHome, 'staging', 'state.json'), 'utf8'))
  } catch {
    return {}
  }
}

function workspaceDirs(sb: Sandbox): string[] {
  return listDir(path.join(sb.plantonHome, 'workspaces')).map(n => path.join(sb.plantonHome, 'workspaces', n))
}

/** The first file of the workspace tree at repo path `rel`, in any workspace. */
function inWorkspace(sb: Sandbox, rel: string): boolean {
  return workspaceDirs(sb).some(w => existsSync(path.join(w, 'tree', rel)))
}

function tmpGit(sb: Sandbox): string | undefined {
  const tmp = tmpClone(sb)
  return tmp ? path.join(tmp, '.git') : undefined
}

function removingClone(sb: Sandbox): boolean {
  return listDir(path.join(sb.plantonHome, 'staging')).some(n => n.startsWith('.tmp-remove-'))
}

function gitDir(sb: Sandbox): string {
  return path.join(sb.clone, '.git')
}

/** A file at repo path `rel` in a snapshot that is still being exported. */
function inSnapshot(sb: Sandbox, rel: string): boolean {
  const root = path.join(sb.plantonHome, 'cache', 'snapshots')
  return listDir(root).some(n => n.startsWith('.tmp-') && existsSync(path.join(root, n, 'tree', rel)))
}

async function expectConsistent(sb: Sandbox, u: Upstream, ref: string): Promise<void> {
  const st = await status(sb)
  expect(st.ref, 'selected ref').to.equal(ref)
  expect(st.sha, 'recorded commit').to.equal(u.sha(ref))
  expect(st.headMatches, 'work tree HEAD is the recorded commit').to.equal(true)
  expect(st.clean, `work tree clean (changed: ${st.changedFiles.join(', ')})`).to.equal(true)
  expect(st.pending, 'no unfinished checkout').to.equal(undefined)
  expect(workTreeDiff(sb, u, ref).slice(0, 5), 'work tree = upstream files of the selected version').to.deep.equal([])
  expect(listDir(path.join(sb.plantonHome, 'staging')).filter(n => n.startsWith('.tmp-')), 'temporary clones left').to.deep.equal([])
}

/** Starts `args`, stops the group at `point` and SIGKILLs it; fails when the command finished first. */
async function crashAt(sb: Sandbox, args: string[], point: Point, env: NodeJS.ProcessEnv = {}): Promise<void> {
  const p = startGroup(args, {env: {...sb.env, ...env}})
  const hit = await stopWhen(p, () => point.when(sb, p))
  const result = await crash(p)
  expect(hit, `the command ended before "${point.name}":\n${result.stdout}${result.stderr}`).to.equal(true)
  expect(result.signal).to.equal('SIGKILL')
  ageLock(sb)
}

describe('faults: crash and interruption', () => {
  let u: Upstream
  let upstreamPack: number
  /** staging cloned and on branch main before the bulk commit existed upstream */
  let behind: Sandbox
  /** staging pinned at v0.1.0, knowing the bulk commit */
  let pinned: Sandbox
  /** staging at main = the bulk commit */
  let atBulk: Sandbox
  let manifests: string
  let bin: {bin: string; recordFile: string}
  let binDir: string

  before(async function () {
    this.timeout(240_000)
    u = createUpstream()
    behind = sandbox(u)
    await cli(behind, ['staging', 'pull'], {expect: 0})
    await cli(behind, ['staging', 'checkout', 'main'], {expect: 0})
    addBulk(u)
    upstreamPack = packBytes(u)
    pinned = sandbox(u)
    await cli(pinned, ['staging', 'pull'], {expect: 0})
    await cli(pinned, ['staging', 'checkout', 'v0.1.0'], {expect: 0})
    atBulk = sandbox(u)
    copyHome(pinned, atBulk)
    await cli(atBulk, ['staging', 'checkout', 'main'], {expect: 0})
    manifests = makeTempDir('pp-manifests-')
    writeFileSync(path.join(manifests, 'postgres.yaml'), manifestYaml({
      kind: 'KubernetesPostgres',
      labels: {'project-planton.org/provisioner': 'terraform', 'pulumi.project-planton.org/stack.fqdn': 'acme/kubernetes-postgres/dev'},
      name: 'pg-demo',
    }))
    writeFileSync(path.join(manifests, 'redis.yaml'), manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': 'acme/kubernetes-redis/dev'}}))
    binDir = makeTempDir('pp-bin-')
    bin = installPulumiStandIn(binDir)
  })

  after(() => removeTempDirs())

  function withStandIn(sb: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    return {PATH: `${binDir}${path.delimiter}${sb.env.PATH}`, PULUMI_STAND_IN_RECORD: bin.recordFile, ...extra}
  }

  describe('SIGKILL during the first clone (staging pull on an empty home), then the next command', () => {
    const points: Array<Point & {run?: true}> = [
      {name: 'the temporary clone folder appears', when: sb => tmpClone(sb) !== undefined},
      {name: 'a progress line reports half of the pack received', run: true, when: (_sb, p) => /receiving objects ([5-9]\d|100)%/i.test(p.output())},
      {name: 'the pack is complete and indexed', when: sb => packIndexes(tmpGit(sb) ?? '/nonexistent') > 0},
      {name: 'the selected version is checked out in the temporary clone', run: true, when: sb => existsSync(path.join(tmpClone(sb) ?? '/nonexistent', 'VERSION'))},
      {name: 'the clone was renamed into place', when: sb => existsSync(path.join(sb.clone, '.git'))},
    ]

    for (const point of points) {
      it(`recovers after a kill when ${point.name} (next: ${point.run ? 'tofu:plan' : 'staging pull'})`, async () => fault(async () => {
        const sb = sandbox(u)
        await crashAt(sb, ['staging', 'pull'], point)
        if (point.run) {
          const plan = await cli(sb, ['tofu:plan', '-f', path.join(manifests, 'postgres.yaml')], {expect: 0})
          expect(plan.stdout).to.match(/module_version = "(v0\.\d\.\d|main-3)"/)
        } else {
          const again = await cli(sb, ['staging', 'pull'], {expect: 0})
          expect(again.stderr).to.match(/Cloned staging at|Staging up to date at|Staging updated/)
        }

        await expectConsistent(sb, u, initialRef(u))
      }))
    }
  })

  describe('SIGKILL during a fetch (staging pull with new upstream commits), then staging pull', () => {
    const points: Point[] = [
      {name: 'half of the new objects have arrived', when: sb => receivingPackSize(gitDir(sb)) >= upstreamPack / 2},
      {name: 'the new pack is complete', when: sb => packIndexes(gitDir(sb)) > 1},
      {name: 'the fast-forward checkout is recorded as pending', when: sb => stateOf(sb).pending !== undefined},
      {name: 'git holds index.lock during the checkout', when: sb => existsSync(path.join(gitDir(sb), 'index.lock'))},
      {name: 'half of the new files are in the work tree', when: sb => existsSync(path.join(sb.clone, bulkFile(BULK_FILES / 2)))},
    ]

    for (const point of points) {
      it(`recovers after a kill when ${point.name}`, async () => fault(async () => {
        const sb = sandbox(u)
        copyHome(behind, sb)
        await crashAt(sb, ['staging', 'pull'], point)
        await cli(sb, ['staging', 'pull'], {expect: 0})
        await expectConsistent(sb, u, 'main')
      }))
    }
  })

  describe('SIGKILL during staging checkout, then the next command', () => {
    const points: Array<Point & {next: string[]; ref: string}> = [
      {
        name: 'the checkout is recorded as pending', next: ['staging', 'checkout', 'main'], ref: 'main', when: sb => stateOf(sb).pending !== undefined,
      },
      {
        name: 'git holds index.lock', next: ['staging', 'checkout', 'v0.2.0'], ref: 'v0.2.0', when: sb => existsSync(path.join(gitDir(sb), 'index.lock')),
      },
      {
        name: '10% of the files are written', next: ['staging', 'checkout', 'main'], ref: 'main', when: sb => existsSync(path.join(sb.clone, bulkFile(BULK_FILES / 10))),
      },
      {
        name: 'half of the files are written', next: ['staging', 'pull'], ref: 'main', when: sb => existsSync(path.join(sb.clone, bulkFile(BULK_FILES / 2))),
      },
      {
        name: 'the last new file is written', next: ['staging', 'checkout', 'main'], ref: 'main', when: sb => existsSync(path.join(sb.clone, bulkFile(BULK_FILES - 1))),
      },
    ]

    for (const point of points) {
      it(`recovers after a kill when ${point.name} (next: ${point.next.join(' ')})`, async () => fault(async () => {
        const sb = sandbox(u)
        copyHome(pinned, sb)
        await crashAt(sb, ['staging', 'checkout', 'main'], point)
        const st = await status(sb)
        if (st.pending === undefined) expect(st.headMatches, 'status without a pending checkout: HEAD matches the record').to.equal(true)
        await cli(sb, point.next, {expect: 0})
        await expectConsistent(sb, u, point.ref)
      }))
    }

    it('tofu:plan after a killed checkout finishes the checkout and plans the selected version', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(pinned, sb)
      await crashAt(sb, ['staging', 'checkout', 'main'], {name: '30% of the files are written', when: s => existsSync(path.join(s.clone, bulkFile((BULK_FILES * 3) / 10)))})
      const plan = await cli(sb, ['tofu:plan', '-f', path.join(manifests, 'postgres.yaml')], {expect: 0})
      expect(plan.stdout).to.include('module_version = "main-3"')
      await expectConsistent(sb, u, 'main')
    }))
  })

  it('SIGKILL during `staging clean --all` (staging half deleted), then staging pull clones again', async () => fault(async () => {
    const sb = sandbox(u)
    copyHome(atBulk, sb)
    await crashAt(sb, ['staging', 'clean', '--all', '--yes'], {name: 'the clone is being deleted', when: removingClone})
    const st = await status(sb)
    expect(st.exists && !st.headMatches, 'a half-deleted clone never passes for staging').to.equal(false)
    await cli(sb, ['staging', 'pull'], {expect: 0})
    await expectConsistent(sb, u, initialRef(u))
  }))

  describe('SIGKILL during workspace preparation, then the next run', () => {
    const tofuPoints: Point[] = [
      {name: 'the workspace folder appears', when: sb => workspaceDirs(sb).length > 0},
      {name: 'the module snapshot is half written', when: sb => inSnapshot(sb, bulkFile(BULK_FILES / 2))},
      {name: '60% of the module files are copied into the workspace', when: sb => inWorkspace(sb, bulkFile((BULK_FILES * 6) / 10))},
      {name: 'the variables file is written, just before terraform starts', when: sb => workspaceDirs(sb).some(w => existsSync(path.join(w, 'private', 'terraform.tfvars.json')))},
    ]

    for (const point of tofuPoints) {
      it(`tofu:plan (big module): recovers after a kill when ${point.name}`, async () => fault(async () => {
        const sb = sandbox(u)
        copyHome(atBulk, sb)
        const manifest = path.join(manifests, 'postgres.yaml')
        await crashAt(sb, ['tofu:plan', '-f', manifest], point)
        const dead = workspaceDirs(sb)
        const plan = await cli(sb, ['tofu:plan', '-f', manifest, '--no-cleanup'], {expect: 0})
        expect(plan.stdout).to.include('module_version = "main-3"')
        const st = await status(sb)
        expect(st.workspaces.filter(w => w.running), 'a killed run does not count as running').to.deep.equal([])
        expect(st.workspaces, 'the dead and the kept workspace are listed').to.have.length(dead.length + 1)
        expect(st.headMatches && st.clean, 'staging untouched').to.equal(true)
        const fresh = workspaceDirs(sb).filter(w => !dead.includes(w))
        expect(fresh).to.have.length(1)
        const generated = (rel: string) => rel.startsWith(`${TF_MODULE_POSTGRES}/.terraform`) || rel === `${TF_MODULE_POSTGRES}/_project_planton_backend.tf`
        const got = actualTree(path.join(fresh[0], 'tree'), generated)
        expect(treeDiff(got, expectedTree(u, 'main', TF_MODULE_POSTGRES)).slice(0, 5), 'the new run got the whole module of one commit').to.deep.equal([])
        expect(listDir(path.join(sb.plantonHome, 'cache', 'snapshots')).filter(n => n.startsWith('.tmp-')), 'half snapshots left').to.deep.equal([])
        await cli(sb, ['staging', 'clean'], {expect: 0})
        expect(workspaceDirs(sb), 'staging clean removes the dead and the kept workspace').to.deep.equal([])
      }))
    }

    it('a workspace whose run record a crash cut short counts as dead: status says so and `staging clean` removes it', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(atBulk, sb)
      // What a run killed between creating its folder and writing run.json leaves: the folder named
      // after its (now dead) pid, and an empty run.json.
      const dead = spawnSync(process.execPath, ['-e', '0']).pid
      const ws = path.join(sb.plantonHome, 'workspaces', `kubernetespostgres__pg-demo-${Date.now().toString(36)}-${dead}-0a1b2c`)
      mkdirSync(path.join(ws, 'tree'), {recursive: true})
      writeFileSync(path.join(ws, 'run.json'), '')
      const st = await status(sb)
      expect(st.workspaces.map(w => w.running)).to.deep.equal([false])
      const clean = await cli(sb, ['staging', 'clean'], {expect: 0})
      expect(clean.stdout).to.match(/Removed 1 workspace/)
      expect(workspaceDirs(sb)).to.deep.equal([])
    }))

    const pulumiPoints: Point[] = [
      {name: 'half of the whole tree is exported', when: sb => inWorkspace(sb, bulkFile(BULK_FILES / 2))},
      {name: 'the stack input is written, just before pulumi starts', when: sb => workspaceDirs(sb).some(w => existsSync(path.join(w, 'private', 'stack-input.yaml')))},
    ]

    for (const point of pulumiPoints) {
      it(`pulumi:preview --full-tree: recovers after a kill when ${point.name}`, async () => fault(async () => {
        const sb = sandbox(u)
        copyHome(atBulk, sb)
        const manifest = path.join(manifests, 'redis.yaml')
        const env = withStandIn(sb, {PULUMI_STAND_IN_RECORD: path.join(makeTempDir('pp-rec-'), 'records.jsonl')})
        await crashAt(sb, ['pulumi:preview', '-f', manifest, '--full-tree'], point, env)
        const dead = workspaceDirs(sb)
        await cli(sb, ['pulumi:preview', '-f', manifest, '--full-tree', '--no-cleanup'], {env, expect: 0})
        const records = readRecords(env.PULUMI_STAND_IN_RECORD!)
        expect(records, 'pulumi ran once, in the new run').to.have.length(1)
        const fresh = workspaceDirs(sb).filter(w => !dead.includes(w))
        expect(fresh).to.have.length(1)
        expect(treeDiff(actualTree(path.join(fresh[0], 'tree')), expectedTree(u, 'main')).slice(0, 5), 'the new run got the whole tree of one commit').to.deep.equal([])
        await cli(sb, ['staging', 'clean'], {expect: 0})
        expect(workspaceDirs(sb)).to.deep.equal([])
      }))
    }
  })

  describe('SIGINT and SIGTERM during a run, a clone and a checkout', () => {
    for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      it(`${sig} while pulumi runs: pulumi gets it, the workspace is removed, exit ${code}`, async () => fault(async () => {
        const sb = sandbox(u)
        copyHome(pinned, sb)
        const env = withStandIn(sb, {PULUMI_STAND_IN_RECORD: path.join(makeTempDir('pp-rec-'), 'records.jsonl'), PULUMI_STAND_IN_SLEEP_MS: '120000'})
        const p = startGroup(['pulumi:preview', '-f', path.join(manifests, 'redis.yaml')], {env: {...sb.env, ...env}})
        try {
          await p.waitFor(/stand-in: waiting/)
          expect(workspaceDirs(sb)).to.have.length(1)
          process.kill(p.pid, sig)
          const result = await p.done
          expect(result.code, result.stderr).to.equal(code)
          const records = readRecords(env.PULUMI_STAND_IN_RECORD!)
          expect(records.map(r => r.signal ?? 'started')).to.deep.equal(['started', sig])
          expect(workspaceDirs(sb), 'workspace removed').to.deep.equal([])
        } finally {
          signalGroup(p, 'SIGKILL')
        }
      }))
    }

    it('SIGINT while the workspace is being prepared: exit 130, no workspace left, staging intact', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(atBulk, sb)
      const env = withStandIn(sb, {PULUMI_STAND_IN_RECORD: path.join(makeTempDir('pp-rec-'), 'records.jsonl')})
      const p = startGroup(['pulumi:preview', '-f', path.join(manifests, 'redis.yaml'), '--full-tree'], {env: {...sb.env, ...env}})
      try {
        expect(await stopWhen(p, () => inWorkspace(sb, bulkFile(BULK_FILES / 4))), 'stopped during the export').to.equal(true)
        process.kill(p.pid, 'SIGINT')
        signalGroup(p, 'SIGCONT')
        const result = await p.done
        expect(result.code, result.stderr).to.equal(130)
        expect(readRecords(env.PULUMI_STAND_IN_RECORD!), 'pulumi never started').to.deep.equal([])
        expect(workspaceDirs(sb), 'workspace removed').to.deep.equal([])
        await expectConsistent(sb, u, 'main')
      } finally {
        signalGroup(p, 'SIGKILL')
      }
    }))

    it('SIGINT during the first clone: exit 130, no temporary clone left, the next pull clones', async () => fault(async () => {
      const sb = sandbox(u)
      const p = startGroup(['staging', 'pull'], {env: sb.env})
      try {
        expect(await stopWhen(p, () => receivingPackSize(tmpGit(sb) ?? '/nonexistent') >= 0), 'stopped while receiving').to.equal(true)
        process.kill(p.pid, 'SIGINT')
        signalGroup(p, 'SIGCONT')
        const result = await p.done
        expect(result.code, result.stderr).to.equal(130)
        expect(tmpClone(sb), 'temporary clone removed').to.equal(undefined)
        expect(existsSync(sb.clone), 'no staging').to.equal(false)
      } finally {
        signalGroup(p, 'SIGKILL')
      }

      await cli(sb, ['staging', 'pull'], {expect: 0})
      await expectConsistent(sb, u, initialRef(u))
    }))

    it('SIGTERM during staging checkout: exit 143, and the next command completes the checkout', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(pinned, sb)
      const p = startGroup(['staging', 'checkout', 'main'], {env: sb.env})
      try {
        expect(await stopWhen(p, () => existsSync(path.join(sb.clone, bulkFile(BULK_FILES / 5)))), 'stopped during the checkout').to.equal(true)
        process.kill(p.pid, 'SIGTERM')
        signalGroup(p, 'SIGCONT')
        const result = await p.done
        expect(result.code, result.stderr).to.equal(143)
      } finally {
        signalGroup(p, 'SIGKILL')
      }

      const st = await status(sb)
      if (st.pending === undefined) expect(st.headMatches, 'without a pending checkout, HEAD matches the record').to.equal(true)
      await cli(sb, ['staging', 'checkout', 'main'], {expect: 0})
      await expectConsistent(sb, u, 'main')
    }))
  })

  describe('stale git lock files in staging', () => {
    it('a stale index.lock does not block staging checkout', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(pinned, sb)
      writeFileSync(path.join(sb.clone, '.git', 'index.lock'), '')
      await cli(sb, ['staging', 'checkout', 'v0.2.0'], {expect: 0})
      await expectConsistent(sb, u, 'v0.2.0')
      expect(existsSync(path.join(sb.clone, '.git', 'index.lock'))).to.equal(false)
    }))

    it('stale index.lock and HEAD.lock do not block a run or a pull', async () => fault(async () => {
      const sb = sandbox(u)
      copyHome(behind, sb)
      writeFileSync(path.join(sb.clone, '.git', 'index.lock'), '')
      writeFileSync(path.join(sb.clone, '.git', 'HEAD.lock'), '')
      const plan = await cli(sb, ['tofu:plan', '-f', path.join(manifests, 'postgres.yaml')], {expect: 0})
      expect(plan.stdout).to.include('module_version = "main-3"')
      await cli(sb, ['staging', 'pull'], {expect: 0})
      await expectConsistent(sb, u, 'main')
    }))
  })
})
