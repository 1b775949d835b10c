import {expect} from 'chai'
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  cleanWorkspaces, createWorkspace, listWorkspaces, markKept, recordToolPid, removeWorkspace, type RunRecord,
} from '../../src/core/workspace.js'
import {hashTree} from '../support/cli.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

/** A pid no process has any more. */
function deadPid(): number {
  return spawnSync('true').pid!
}

/** A folder under `root` as a run of some process left it. */
function leftover(root: string, name: string, entries: {record?: Partial<RunRecord> | string; dirs?: string[]; files?: string[]}): string {
  const dir = path.join(root, name)
  mkdirSync(dir, {recursive: true})
  if (entries.record !== undefined) writeFileSync(path.join(dir, 'run.json'), typeof entries.record === 'string' ? entries.record : JSON.stringify(entries.record))
  for (const d of entries.dirs ?? []) mkdirSync(path.join(dir, d))
  for (const f of entries.files ?? []) writeFileSync(path.join(dir, f), 'user data')
  return dir
}

const record = (pid: number, more: Partial<RunRecord> = {}): Partial<RunRecord> => ({
  by: 'project-planton', pid, command: 'apply', stack: 'kubernetesredis/redis', startedAt: '2026-01-01T00:00:00.000Z', ...more,
})

describe('workspaces', () => {
  const children: ChildProcess[] = []
  /** A process of someone else that is alive while the test runs. */
  const livePid = () => {
    const child = spawn('sleep', ['600'], {stdio: 'ignore'})
    children.push(child)
    return child.pid!
  }

  after(() => {
    for (const c of children) c.kill('SIGKILL')
    removeTempDirs()
  })

  it('createWorkspace makes a marked folder named after the stack, with a private folder, under its final name only', async () => {
    const root = path.join(makeTempDir('pp-ws-'), 'workspaces')
    const ws = await createWorkspace(root, 'acme/platform/Dev', {command: 'pulumi:update', sha: 'a'.repeat(40)})
    expect(path.basename(ws.root)).to.match(new RegExp(`^acme\\+platform\\+~dev-[\\da-z]+-${process.pid}-[\\da-f]{6}$`))
    expect(readdirSync(root)).to.deep.equal([path.basename(ws.root)])
    expect(readdirSync(ws.root).sort()).to.deep.equal(['private', 'run.json', 'tree'])
    expect(statSync(ws.privateDir).mode % 0o1000).to.equal(0o700)
    expect(JSON.parse(readFileSync(path.join(ws.root, 'run.json'), 'utf8'))).to.deep.include({
      by: 'project-planton', pid: process.pid, stack: 'acme/platform/Dev', command: 'pulumi:update', sha: 'a'.repeat(40),
    })
  })

  describe('listWorkspaces', () => {
    it('is empty without a workspaces folder, or with a file in its place', async () => {
      const top = makeTempDir('pp-ws-')
      expect(await listWorkspaces(path.join(top, 'none'))).to.deep.equal([])
      writeFileSync(path.join(top, 'file'), '')
      expect(await listWorkspaces(path.join(top, 'file'))).to.deep.equal([])
    })

    it("knows a run is going while its CLI or the tool it started lives; this process's own runs do not count", async () => {
      const root = makeTempDir('pp-ws-')
      leftover(root, 'a-live', {record: record(livePid())})
      leftover(root, 'b-dead', {record: record(deadPid())})
      leftover(root, 'c-tool-alive', {record: record(deadPid(), {toolPid: livePid()})})
      leftover(root, 'd-tool-dead', {record: record(deadPid(), {toolPid: deadPid()})})
      leftover(root, 'e-mine', {record: record(process.pid)})
      leftover(root, 'f-kept', {record: record(livePid(), {kept: true})})
      const list = await listWorkspaces(root)
      expect(list.map(w => [w.name, w.running, w.kept, w.ours])).to.deep.equal([
        ['a-live', true, false, true],
        ['b-dead', false, false, true],
        ['c-tool-alive', true, false, true],
        ['d-tool-dead', false, false, true],
        ['e-mine', false, false, true],
        ['f-kept', false, true, true],
      ])
      expect(list[0].path).to.equal(path.join(root, 'a-live'))
    })

    it('a record of an earlier version (pid and start time, no mark) is the CLI’s; anything else is not', async () => {
      const root = makeTempDir('pp-ws-')
      const pid = deadPid()
      leftover(root, 'legacy', {record: {pid, startedAt: '2025-01-01T00:00:00Z', command: 'apply'}})
      leftover(root, 'no-pid', {record: {startedAt: '2025-01-01T00:00:00Z'}})
      leftover(root, 'pid-as-text', {record: {pid: String(pid) as never, startedAt: 'x'}})
      leftover(root, 'not-json', {record: '{"pid": 1,'})
      leftover(root, 'record-is-folder', {dirs: ['run.json']})
      leftover(root, 'users-own-folder', {files: ['notes.txt']})
      writeFileSync(path.join(root, 'a-file'), '')
      const list = await listWorkspaces(root)
      expect(list.map(w => [w.name, w.ours])).to.deep.equal([
        ['legacy', true], ['no-pid', false], ['not-json', false], ['pid-as-text', false], ['record-is-folder', false], ['users-own-folder', false],
      ])
      expect(list[0].record).to.deep.include({by: 'project-planton', pid})
    })

    it('a workspace cut short while being made (.new-…) is the CLI’s while it holds only what is made first', async () => {
      const root = makeTempDir('pp-ws-')
      const dead = deadPid()
      const live = livePid()
      leftover(root, `.new-lz1x2y-${dead}-abc123`, {record: '', dirs: ['tree']})
      leftover(root, `.new-lz1x2y-${live}-abc124`, {dirs: ['tree', 'private']})
      leftover(root, `.new-lz1x2y-${dead}-abc125`, {files: ['precious.txt']})
      // Versions before the temporary name: a crash could leave the final name with an empty record.
      leftover(root, `stack-lz1x2y-${dead}-abc126`, {record: '', dirs: ['tree', 'private']})
      leftover(root, `stack-lz1x2y-${dead}-abc127`, {dirs: ['tree', 'src']})
      const list = await listWorkspaces(root)
      expect(Object.fromEntries(list.map(w => [w.name, {ours: w.ours, running: w.running}]))).to.deep.equal({
        [`.new-lz1x2y-${dead}-abc123`]: {ours: true, running: false},
        [`.new-lz1x2y-${live}-abc124`]: {ours: true, running: true},
        [`.new-lz1x2y-${dead}-abc125`]: {ours: false, running: false},
        [`stack-lz1x2y-${dead}-abc126`]: {ours: true, running: false},
        [`stack-lz1x2y-${dead}-abc127`]: {ours: false, running: false},
      })
    })
  })

  describe('cleanWorkspaces', () => {
    it('removes the CLI’s finished and kept workspaces, and spares running ones and folders without its mark', async () => {
      const root = makeTempDir('pp-ws-')
      leftover(root, 'done', {record: record(deadPid()), dirs: ['tree', 'private']})
      leftover(root, 'kept', {record: record(livePid(), {kept: true}), dirs: ['tree']})
      leftover(root, 'running', {record: record(livePid()), dirs: ['tree']})
      leftover(root, 'tool-running', {record: record(deadPid(), {toolPid: livePid()})})
      const cutShort = `.new-lz1x2y-${deadPid()}-abc123`
      leftover(root, cutShort, {dirs: ['tree']})
      const foreign = leftover(root, 'mine', {files: ['notes.txt'], dirs: ['tree']})
      const before = hashTree(foreign)
      const result = await cleanWorkspaces(root)
      expect(result.removed.map(w => w.name)).to.deep.equal([cutShort, 'done', 'kept'])
      expect(result.running.map(w => w.name)).to.deep.equal(['running', 'tool-running'])
      expect(result.foreign.map(w => w.name)).to.deep.equal(['mine'])
      expect(readdirSync(root).sort()).to.deep.equal(['mine', 'running', 'tool-running'])
      expect(hashTree(foreign)).to.deep.equal(before)
    })

    it('the lifecycle of a run: its own workspace is spared while its tool runs, and removed once it ends', async () => {
      const root = path.join(makeTempDir('pp-ws-'), 'workspaces')
      const ws = await createWorkspace(root, 'kubernetesredis/redis', {command: 'tofu:apply'})
      writeFileSync(path.join(ws.tree, 'main.tf'), '')
      // Seen by another CLI process: the run record names this process, which that one sees alive.
      const tool = spawn('sleep', ['600'], {stdio: 'ignore'})
      children.push(tool)
      await recordToolPid(ws, tool.pid!)
      expect((await cleanWorkspaces(root)).running.map(w => w.path)).to.deep.equal([ws.root])
      tool.kill('SIGKILL')
      await new Promise(resolve => {
        tool.on('close', resolve)
      })
      await markKept(ws)
      const listed = await listWorkspaces(root)
      expect(listed.map(w => [w.kept, w.running])).to.deep.equal([[true, false]])
      await removeWorkspace(root, ws)
      expect(existsSync(ws.root)).to.equal(false)
      expect(existsSync(root)).to.equal(true)
    })
  })
})
