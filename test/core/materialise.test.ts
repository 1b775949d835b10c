import {expect} from 'chai'
import {
  existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import type {TreeEntry} from '../../src/core/git.js'

import {InvalidInputError} from '../../src/core/errors.js'
import {
  copyFolder, copySnapshot, exportEntries, isGitName, readInside, resolvesInside, writeGenerated,
} from '../../src/core/materialise.js'
import {createSnapshot, snapshotKey} from '../../src/core/snapshot.js'
import {hashTree} from '../support/cli.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

const links = (m: Record<string, string>) => new Map(Object.entries(m))

/** Blobs in memory, by id: what a git object store would hand over. */
function source(files: Record<string, {content: string; mode?: string}>) {
  const blobs = new Map<string, Buffer>()
  const entries: TreeEntry[] = Object.entries(files).map(([p, f], i) => {
    const oid = i.toString(16).padStart(40, '0')
    blobs.set(oid, Buffer.from(f.content))
    return {
      mode: f.mode ?? '100644', type: 'blob', oid, path: p,
    }
  })
  return {entries, reader: {read: async (oid: string) => blobs.get(oid)!}}
}

/** A complete snapshot of `files`, in a cache of its own. */
async function snapshotOf(files: Record<string, {content: string; mode?: string}>) {
  const {entries, reader} = source(files)
  return createSnapshot(makeTempDir('pp-cache-'), snapshotKey(['test', Object.keys(files).join(',')]), {entries, reader}, {layout: 'closure', modulePath: 'm'})
}

describe('materialise', () => {
  after(removeTempDirs)

  describe('symlinks resolved through the whole tree', () => {
    it('follows chains as the kernel does', () => {
      // d -> . makes d/d/d… the same folder; the text of the link looks inside, the target is not.
      const deep = `${'d/'.repeat(20)}${'../'.repeat(20)}x`
      expect(resolvesInside('m/a', links({'m/d': '.', 'm/a': deep}), 'm')).to.equal(false)
      expect(resolvesInside('m/a', links({'m/d': '.', 'm/a': 'd/d/d/x'}), 'm')).to.equal(true)
      expect(resolvesInside('m/a', links({'m/up': '..', 'm/a': 'up/m/x'}), 'm')).to.equal(true)
      expect(resolvesInside('m/a', links({'m/up': '..', 'm/a': 'up/other/x'}), 'm')).to.equal(false)
      expect(resolvesInside('m/a', links({'m/a': '/etc/passwd'}), 'm')).to.equal(false)
      expect(resolvesInside('m/a', links({'m/a': '../../../etc/passwd'}), '')).to.equal(false)
      // Loops never resolve.
      expect(resolvesInside('m/a', links({'m/a': 'b', 'm/b': 'a'}), 'm')).to.equal(false)
      expect(resolvesInside('a', links({a: 'b/x', b: '.'}), '')).to.equal(true)
    })

    it('refuses an export whose link escapes through a chain, before writing anything', async () => {
      const dest = makeTempDir('pp-mat-')
      const deep = `${'d/'.repeat(20)}${'../'.repeat(20)}etc/passwd`
      const {entries, reader} = source({
        'm/main.tf': {content: 'x'}, 'm/d': {content: '.', mode: '120000'}, 'm/leak.tf': {content: deep, mode: '120000'},
      })
      try {
        await exportEntries(reader, entries, dest, {within: 'm'})
        expect.fail('exported')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
        expect((error as Error).message).to.contain('m/leak.tf')
      }

      expect(existsSync(path.join(dest, 'm'))).to.equal(false)
    })

    it('writes links that stay inside, with their modes, and counts files and links', async () => {
      const dest = makeTempDir('pp-mat-')
      const {entries, reader} = source({
        'm/run.sh': {content: '#!/bin/sh\n', mode: '100755'}, 'm/a.tf': {content: 'a'}, 'm/b.tf': {content: 'a.tf', mode: '120000'},
      })
      const out = await exportEntries(reader, entries, dest, {within: 'm'})
      expect(out).to.deep.include({
        files: 3, bytes: 11, written: ['m/run.sh', 'm/a.tf'], links: [['m/b.tf', 'a.tf']],
      })
      expect(statSync(path.join(dest, 'm/run.sh')).mode % 0o1000).to.equal(0o755)
      expect(readlinkSync(path.join(dest, 'm/b.tf'))).to.equal('a.tf')
    })
  })

  describe('paths that leave the destination', () => {
    it('refuses an entry whose path leaves the destination (or is the destination), writing nothing anywhere', async () => {
      for (const name of ['../escape.txt', 'm/../../escape.txt', '<top>/escape.txt', '.', 'm/..']) {
        const top = makeTempDir('pp-mat-')
        const bad = name.replace('<top>', top)
        const dest = path.join(top, 'dest')
        mkdirSync(dest)
        const {entries, reader} = source({'m/main.tf': {content: 'x'}, [bad]: {content: 'pwned'}})
        try {
          await exportEntries(reader, entries, dest)
          expect.fail(`exported ${bad}`)
        } catch (error) {
          expect(error, bad).to.be.instanceOf(InvalidInputError)
          expect((error as Error).message).to.equal(`refusing ${JSON.stringify(bad)}: its path leaves the workspace`)
        }

        expect(readdirSync(top), bad).to.deep.equal(['dest'])
        expect(readdirSync(dest), bad).to.deep.equal([])
      }
    })

    it('refuses a link placed outside the destination even when its target looks harmless', async () => {
      const top = makeTempDir('pp-mat-')
      const dest = path.join(top, 'dest')
      mkdirSync(dest)
      const {entries, reader} = source({'m/main.tf': {content: 'x'}, '../link': {content: 'dest/m/main.tf', mode: '120000'}})
      try {
        await exportEntries(reader, entries, dest)
        expect.fail('exported')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
      }

      expect(readdirSync(top)).to.deep.equal(['dest'])
      expect(readdirSync(dest)).to.deep.equal([])
    })
  })

  describe('copies of a snapshot', () => {
    it('hold its files with their modes, its links, and every parent folder', async () => {
      const snap = await snapshotOf({
        'go.mod': {content: 'module x\n'},
        'a/b/c/deep.go': {content: 'package c\n'},
        'm/run.sh': {content: '#!/bin/sh\n', mode: '100755'},
        'm/link.go': {content: '../a/b/c/deep.go', mode: '120000'},
        'x/only-a-link': {content: '../go.mod', mode: '120000'},
      })
      // The index lists the folders that hold entries; their parents are made by the copy.
      expect(snap.index.dirs).to.deep.equal(['a/b/c', 'm', 'x'])
      const dest = makeTempDir('pp-dest-')
      const out = await copySnapshot(snap, dest)
      expect(out).to.deep.equal({files: 5, bytes: snap.index.bytes})
      expect(hashTree(dest)).to.deep.equal(hashTree(path.join(snap.dir, 'tree')))
      expect(statSync(path.join(dest, 'm/run.sh')).mode % 0o1000).to.equal(0o755)
      expect(readlinkSync(path.join(dest, 'm/link.go'))).to.equal('../a/b/c/deep.go')
      expect(readFileSync(path.join(dest, 'm/link.go'), 'utf8')).to.equal('package c\n')
    })

    it('go into a workspace tree whose folders partly exist', async () => {
      const snap = await snapshotOf({'m/a/f.tf': {content: 'f'}, 'm/g.tf': {content: 'g'}})
      const dest = makeTempDir('pp-dest-')
      mkdirSync(path.join(dest, 'm'))
      await copySnapshot(snap, dest)
      expect(readFileSync(path.join(dest, 'm/a/f.tf'), 'utf8')).to.equal('f')
    })

    it('are copies, not links: a tool writing into its workspace leaves the snapshot as it was', async () => {
      const snap = await snapshotOf({'m/main.tf': {content: 'original'}})
      const before = hashTree(snap.dir)
      const dest = makeTempDir('pp-dest-')
      await copySnapshot(snap, dest)
      writeFileSync(path.join(dest, 'm/main.tf'), 'changed by a run')
      expect(statSync(path.join(dest, 'm/main.tf')).ino).to.not.equal(statSync(path.join(snap.dir, 'tree/m/main.tf')).ino)
      expect(hashTree(snap.dir)).to.deep.equal(before)
      // A second run gets the original.
      const again = makeTempDir('pp-dest-')
      await copySnapshot(snap, again)
      expect(readFileSync(path.join(again, 'm/main.tf'), 'utf8')).to.equal('original')
    })
  })

  describe('.git entries', () => {
    it('knows every spelling git refuses', () => {
      for (const name of ['.git', '.GIT', '.Git', '.git.', '.git ', 'git~1', '.g\u200Cit', '\uFEFF.git']) expect(isGitName(name), JSON.stringify(name)).to.equal(true)
      for (const name of ['.github', '.gitignore', 'git', '.gitx', 'x.git']) expect(isGitName(name), name).to.equal(false)
    })

    it('never exports one, at any depth, nor a .gitmodules link', async () => {
      const dest = makeTempDir('pp-mat-')
      const notes: string[] = []
      const {entries, reader} = source({
        'm/main.tf': {content: 'x'},
        'm/sub/.git/config': {content: '[core]\n\tfsmonitor = touch /tmp/pwned\n'},
        'm/.GIT/HEAD': {content: 'ref: refs/heads/main\n'},
        'm/.gitmodules': {content: '../../etc/x', mode: '120000'},
        'm/.gitignore': {content: '*.tfstate\n'},
      })
      await exportEntries(reader, entries, dest, {within: 'm', report: l => notes.push(l)})
      expect(existsSync(path.join(dest, 'm/sub/.git'))).to.equal(false)
      expect(existsSync(path.join(dest, 'm/.GIT'))).to.equal(false)
      expect(existsSync(path.join(dest, 'm/.gitmodules'))).to.equal(false)
      expect(readFileSync(path.join(dest, 'm/.gitignore'), 'utf8')).to.equal('*.tfstate\n')
      expect(notes.join('\n')).to.match(/Left out 3 entries named \.git/)
    })
  })

  describe('generated files', () => {
    it('replace a link at their name instead of writing through it', async () => {
      const dir = makeTempDir('pp-mat-')
      const victim = path.join(makeTempDir('pp-victim-'), 'victim.txt')
      writeFileSync(victim, 'precious')
      symlinkSync(victim, path.join(dir, '_project_planton_backend.tf'))
      await writeGenerated(dir, '_project_planton_backend.tf', 'terraform {}\n')
      expect(readFileSync(victim, 'utf8')).to.equal('precious')
      expect(lstatSync(path.join(dir, '_project_planton_backend.tf')).isSymbolicLink()).to.equal(false)
      expect(readFileSync(path.join(dir, '_project_planton_backend.tf'), 'utf8')).to.equal('terraform {}\n')
    })

    it('are written with the mode asked for, and a folder in the way is a clear error', async () => {
      const dir = makeTempDir('pp-mat-')
      const file = await writeGenerated(dir, 'stack-input.yaml', 'x', 0o600)
      expect(statSync(file).mode % 0o1000).to.equal(0o600)
      mkdirSync(path.join(dir, 'Pulumi.yaml'))
      try {
        await writeGenerated(dir, 'Pulumi.yaml', 'x')
        expect.fail('wrote over a folder')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
      }
    })

    it('are read through a link only when it stays inside the workspace', async () => {
      const root = makeTempDir('pp-mat-')
      const outside = path.join(makeTempDir('pp-victim-'), 'Pulumi.yaml')
      writeFileSync(outside, 'name: outside\n')
      mkdirSync(path.join(root, 'm'))
      writeFileSync(path.join(root, 'real.yaml'), 'name: inside\n')
      symlinkSync('../real.yaml', path.join(root, 'm', 'in.yaml'))
      symlinkSync(outside, path.join(root, 'm', 'Pulumi.yaml'))
      expect(await readInside(root, path.join(root, 'm', 'in.yaml'))).to.equal('name: inside\n')
      try {
        await readInside(root, path.join(root, 'm', 'Pulumi.yaml'))
        expect.fail('read outside')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
      }
    })
  })

  describe("a user's folder", () => {
    it('is copied with its links replaced by what they point to, never .git', async () => {
      const top = makeTempDir('pp-user-')
      const mod = path.join(top, 'module')
      mkdirSync(path.join(mod, '.git'), {recursive: true})
      mkdirSync(path.join(top, 'shared', 'lib'), {recursive: true})
      writeFileSync(path.join(mod, 'main.tf'), 'main')
      writeFileSync(path.join(mod, '.git', 'config'), 'x')
      writeFileSync(path.join(top, 'shared', 'common.tf'), 'common')
      writeFileSync(path.join(top, 'shared', 'lib', 'l.tf'), 'lib')
      symlinkSync('../shared/common.tf', path.join(mod, 'common.tf'))
      symlinkSync('../shared/lib', path.join(mod, 'lib'))
      symlinkSync('missing.tf', path.join(mod, 'dangling.tf'))
      // A folder that links to itself is copied once.
      symlinkSync('.', path.join(mod, 'self'))
      const dest = makeTempDir('pp-ws-')
      const notes: string[] = []
      const out = await copyFolder(mod, dest, l => notes.push(l))
      expect(lstatSync(path.join(dest, 'common.tf')).isFile()).to.equal(true)
      expect(readFileSync(path.join(dest, 'common.tf'), 'utf8')).to.equal('common')
      expect(readFileSync(path.join(dest, 'lib', 'l.tf'), 'utf8')).to.equal('lib')
      expect(existsSync(path.join(dest, 'dangling.tf'))).to.equal(false)
      expect(existsSync(path.join(dest, '.git'))).to.equal(false)
      expect(out.files).to.equal(3)
      expect(notes.join('\n')).to.contain('common.tf is a link to ../shared/common.tf: copied what it points to')
      expect(notes.join('\n')).to.contain('dangling.tf is a link to missing.tf, which does not exist: left out')
    })
  })
})
