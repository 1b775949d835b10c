import {expect} from 'chai'
import {
  mkdirSync, readdirSync, renameSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {HandOver} from '../../src/core/blobs.js'
import {GitRepository} from '../../src/core/git.js'
import {computeClosure} from '../../src/core/goclosure.js'
import {copySnapshot} from '../../src/core/materialise.js'
import {
  createSnapshot, pruneSnapshots, readSnapshot, SNAPSHOT_KEEP_DAYS, snapshotKey,
} from '../../src/core/snapshot.js'
import {hashTree} from '../support/cli.js'
import {
  createUpstream, exportTree, makeTempDir, PULUMI_MODULE_REDIS, removeTempDirs, TF_MODULE_REDIS,
} from '../support/upstream.js'

describe('snapshots', () => {
  after(removeTempDirs)

  it('exports a closure once; later copies need no repository and equal a git export', async () => {
    const up = createUpstream()
    const sha = up.sha('v0.2.0')
    const repo = new GitRepository(up.dir)
    const {entries} = await computeClosure(repo, sha, PULUMI_MODULE_REDIS)
    const cache = makeTempDir('pp-snap-cache-')
    const key = snapshotKey([sha, 'pulumi', PULUMI_MODULE_REDIS])
    expect(await readSnapshot(cache, key)).to.equal(undefined)
    const reader = repo.objectReader()
    try {
      await createSnapshot(cache, key, {entries: entries!, reader}, {layout: 'closure', modulePath: PULUMI_MODULE_REDIS})
    } finally {
      await reader.close()
    }

    // The repository is gone: a complete snapshot must not need it.
    renameSync(up.dir, `${up.dir}-gone`)
    const snapshot = (await readSnapshot(cache, key))!
    expect(snapshot.index.modulePath).to.equal(PULUMI_MODULE_REDIS)
    const dest = makeTempDir('pp-snap-dest-')
    const {files} = await copySnapshot(snapshot, dest)
    expect(files).to.equal(entries!.length)
    renameSync(`${up.dir}-gone`, up.dir)

    const reference = makeTempDir('pp-snap-ref-')
    for (const e of entries!) exportTree(up, sha, e.path, reference)
    expect(hashTree(dest)).to.deep.equal(hashTree(reference))
    // No temporary folders are left beside complete snapshots.
    expect(readdirSync(path.join(cache, 'snapshots'))).to.deep.equal([key])
  })

  it('a closure and its snapshot read each blob from git once, and the snapshot equals a git export', async () => {
    const up = createUpstream()
    const sha = up.sha('v0.2.0')
    const repo = new GitRepository(up.dir)
    const reader = repo.objectReader()
    const reads = new Map<string, number>()
    const counting = {
      read(oid: string) {
        reads.set(oid, (reads.get(oid) ?? 0) + 1)
        return reader.read(oid)
      },
    }
    const cache = makeTempDir('pp-snap-cache-')
    try {
      const handOver = new HandOver(counting)
      const {entries} = await computeClosure(repo, sha, PULUMI_MODULE_REDIS, {handOver})
      expect(reads.size).to.be.greaterThan(0)
      const snapshot = await createSnapshot(cache, snapshotKey(['once']), {entries: entries!, reader: handOver}, {layout: 'closure', modulePath: PULUMI_MODULE_REDIS, sha})
      expect([...reads.values()].every(n => n === 1), JSON.stringify([...reads])).to.equal(true)
      expect(reads.size).to.equal(new Set(entries!.map(e => e.oid)).size)
      const dest = makeTempDir('pp-snap-dest-')
      await copySnapshot(snapshot, dest)
      const reference = makeTempDir('pp-snap-ref-')
      for (const e of entries!) exportTree(up, sha, e.path, reference)
      expect(hashTree(dest)).to.deep.equal(hashTree(reference))
    } finally {
      await reader.close()
    }
  })

  it('pruning drops snapshots of other commits unused for a week, and keeps the selected commit and recent ones', async () => {
    const up = createUpstream()
    const [v1, v2] = [up.sha('v0.1.0'), up.sha('v0.2.0')]
    const repo = new GitRepository(up.dir)
    const cache = makeTempDir('pp-snap-cache-')
    const make = async (sha: string | undefined, name: string) => {
      const key = snapshotKey([name])
      const reader = repo.objectReader()
      try {
        const entries = await repo.listTree(v2, TF_MODULE_REDIS)
        await createSnapshot(cache, key, {entries, reader}, {layout: 'module', modulePath: TF_MODULE_REDIS, sha})
      } finally {
        await reader.close()
      }

      return key
    }

    const selectedOld = await make(v2, 'selected, unused for long')
    const otherOld = await make(v1, 'other commit, unused for long')
    const otherRecent = await make(v1, 'other commit, used lately')
    const noShaOld = await make(undefined, 'made by an earlier CLI, unused for long')
    const root = path.join(cache, 'snapshots')
    const old = new Date(Date.now() - ((SNAPSHOT_KEEP_DAYS + 1) * 86_400_000))
    for (const key of [selectedOld, otherOld, noShaOld]) utimesSync(path.join(root, key, 'index.json'), old, old)
    // Leftovers: one of a process that is gone, one of this (live) process.
    mkdirSync(path.join(root, '.trash-999999999-dead'))
    writeFileSync(path.join(root, '.trash-999999999-dead', 'x'), 'x')
    mkdirSync(path.join(root, `.tmp-${process.pid}-live`))

    const {removed, bytes} = await pruneSnapshots(cache, {keepSha: v2})

    expect(removed).to.equal(2)
    expect(bytes).to.be.greaterThan(0)
    expect(readdirSync(root).sort()).to.deep.equal([`.tmp-${process.pid}-live`, selectedOld, otherRecent].sort())
  })

  it('a run marks the snapshot it reads as used, so pruning spares it', async () => {
    const up = createUpstream()
    const sha = up.sha('v0.1.0')
    const repo = new GitRepository(up.dir)
    const cache = makeTempDir('pp-snap-cache-')
    const key = snapshotKey(['used'])
    const reader = repo.objectReader()
    try {
      await createSnapshot(cache, key, {entries: await repo.listTree(sha, TF_MODULE_REDIS), reader}, {layout: 'module', modulePath: TF_MODULE_REDIS, sha})
    } finally {
      await reader.close()
    }

    const indexFile = path.join(cache, 'snapshots', key, 'index.json')
    const old = new Date(Date.now() - ((SNAPSHOT_KEEP_DAYS + 1) * 86_400_000))
    utimesSync(indexFile, old, old)
    expect(await readSnapshot(cache, key)).to.not.equal(undefined)
    expect(Date.now() - statSync(indexFile).mtimeMs).to.be.lessThan(60_000)
    expect((await pruneSnapshots(cache, {keepSha: 'another'})).removed).to.equal(0)
    expect(await readSnapshot(cache, key)).to.not.equal(undefined)
  })

  it('refuses a tofu module whose symlink leaves the module folder, and keeps nothing of it', async () => {
    const up = createUpstream()
    up.git('rm', '-q', `${TF_MODULE_REDIS}/outputs.tf`)
    symlinkSync('../../../../../../../..', path.join(up.dir, TF_MODULE_REDIS, 'outputs.tf'))
    up.git('add', '-A')
    up.git('commit', '-q', '-m', 'escape')
    const bad = up.sha('HEAD')
    const repo = new GitRepository(up.dir)
    const cache = makeTempDir('pp-snap-cache-')
    const key = snapshotKey([bad, 'tofu'])
    const reader = repo.objectReader()
    try {
      const entries = await repo.listTree(bad, TF_MODULE_REDIS)
      await createSnapshot(cache, key, {entries, reader}, {layout: 'module', modulePath: TF_MODULE_REDIS}).then(
        () => expect.fail('the snapshot should be refused'),
        (error: Error) => expect(error.message).to.contain('leads outside the module'),
      )
    } finally {
      await reader.close()
    }

    expect(await readSnapshot(cache, key)).to.equal(undefined)
    expect(readdirSync(path.join(cache, 'snapshots'))).to.deep.equal([])
  })
})
