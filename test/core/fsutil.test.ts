import {expect} from 'chai'
import {
  chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {removeInside} from '../../src/core/fsutil.js'
import {hashTree} from '../support/cli.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

/** A folder outside the root whose every byte must survive. */
function outsideFolder(): string {
  const dir = makeTempDir('pp-outside-')
  mkdirSync(path.join(dir, 'sub'))
  writeFileSync(path.join(dir, 'keep.txt'), 'keep')
  writeFileSync(path.join(dir, 'sub', 'keep2.txt'), 'keep2')
  return dir
}

describe('removeInside', () => {
  after(removeTempDirs)

  it('deletes a deep tree but only unlinks the symlinks in it, never what they point at', async () => {
    const root = makeTempDir('pp-root-')
    const outside = outsideFolder()
    const before = hashTree(outside)
    const target = path.join(root, 'ws')
    const deep = path.join(target, 'tree', 'a', 'b', 'c')
    mkdirSync(deep, {recursive: true})
    for (let i = 0; i < 20; i++) writeFileSync(path.join(deep, `f${i}.tf`), `${i}`)
    writeFileSync(path.join(target, 'run.json'), '{}')
    symlinkSync(outside, path.join(deep, 'dir-link'))
    symlinkSync(path.join(outside, 'keep.txt'), path.join(target, 'file-link'))
    symlinkSync('/nonexistent/target', path.join(target, 'dangling'))
    mkdirSync(path.join(target, 'empty'))

    await removeInside(root, target)

    expect(existsSync(target)).to.equal(false)
    expect(readdirSync(root)).to.deep.equal([])
    expect(hashTree(outside)).to.deep.equal(before)
  })

  it('removes a symlink standing where the folder was as a link, leaving its target alone', async () => {
    const root = makeTempDir('pp-root-')
    const outside = outsideFolder()
    const before = hashTree(outside)
    symlinkSync(outside, path.join(root, 'ws'))

    await removeInside(root, path.join(root, 'ws'))

    expect(readdirSync(root)).to.deep.equal([])
    expect(hashTree(outside)).to.deep.equal(before)
  })

  it('removes a plain file, and is quiet when the target is already gone', async () => {
    const root = makeTempDir('pp-root-')
    writeFileSync(path.join(root, 'f'), 'x')
    await removeInside(root, path.join(root, 'f'))
    await removeInside(root, path.join(root, 'never-existed'))
    expect(readdirSync(root)).to.deep.equal([])
  })

  it('still deletes a tree with a read-only folder in it (a tool may leave one)', async () => {
    const root = makeTempDir('pp-root-')
    const ro = path.join(root, 'ws', 'tree', '.terraform', 'locked')
    mkdirSync(ro, {recursive: true})
    writeFileSync(path.join(ro, 'x'), 'x')
    chmodSync(ro, 0o555)

    await removeInside(root, path.join(root, 'ws'))

    expect(readdirSync(root)).to.deep.equal([])
  })

  it('refuses anything that is not strictly inside the root, and deletes nothing', async () => {
    const root = makeTempDir('pp-root-')
    const outside = outsideFolder()
    const before = hashTree(outside)
    for (const target of [root, path.dirname(root), outside, path.join(root, '..', path.basename(outside)), path.join(root, 'x', '..', '..')]) {
      const error = await removeInside(root, target).then(() => null, (error_: Error) => error_)
      expect(error?.message, target).to.match(/refusing to delete/)
    }

    expect(existsSync(root)).to.equal(true)
    expect(hashTree(outside)).to.deep.equal(before)
  })
})
