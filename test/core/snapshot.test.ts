import {expect} from 'chai'
import {readdirSync, renameSync, symlinkSync} from 'node:fs'
import path from 'node:path'

import {GitRepository} from '../../src/core/git.js'
import {computeClosure} from '../../src/core/goclosure.js'
import {
  copySnapshot, createSnapshot, readSnapshot, snapshotKey,
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
        (error: Error) => expect(error.message).to.contain('outside the workspace'),
      )
    } finally {
      await reader.close()
    }

    expect(await readSnapshot(cache, key)).to.equal(undefined)
    expect(readdirSync(path.join(cache, 'snapshots'))).to.deep.equal([])
  })
})
