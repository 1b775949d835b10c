import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {
  chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {InvalidInputError} from '../../src/core/errors.js'
import {
  checkHome, DEFAULT_REPO_URL, HOME_MARK, homePaths, isLocalPath, localRepoPath, resolveHome, resolveRepoUrl,
} from '../../src/core/home.js'
import {rejectsInput} from '../support/expect.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

/**
 * How git itself reads `url` (no scheme): it runs the SSH command for an scp-like `host:path`, says
 * "no path specified" for an scp-like name it cannot split, and opens a local path otherwise.
 */
function gitReadsAsLocal(url: string, dir: string): boolean {
  const record = path.join(dir, 'ssh-called')
  const fakeSsh = path.join(dir, 'fake-ssh')
  writeFileSync(fakeSsh, `#!/bin/sh\ntouch '${record}'\nexit 1\n`, {mode: 0o755})
  rmSync(record, {force: true})
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, HOME: dir, GIT_SSH_COMMAND: fakeSsh, GIT_CONFIG_NOSYSTEM: '1',
  }
  const r = spawnSync('git', ['ls-remote', url], {cwd: dir, env, encoding: 'utf8'})
  expect(r.status, url).to.not.equal(0)
  if (existsSync(record) || /no path specified/.test(r.stderr)) return false
  expect(r.stderr, url).to.match(/does not appear to be a git repository/)
  return true
}

describe('home', () => {
  after(removeTempDirs)

  describe('isLocalPath', () => {
    it('says what git says of a scheme-less upstream: scp-like host:path, or a local path', () => {
      const dir = makeTempDir('pp-url-')
      const urls = [
        'host:path',
        'git@github.com:plantonhq/project-planton.git',
        'a:b/c',
        'C:foo',
        'host:',
        ':x',
        '[::1]:repo',
        '[host]:path',
        'user@[::1]:repo',
        '[x]y:z',
        'x]:y',
        '[x:y',
        'user@[::1]/repo',
        'dir',
        './a:b',
        'a/b:c',
        '/abs/x:y',
        '../up',
        '[a/b]:c',
        'a b',
        '[::1]/repo',
        '[a:b]/c',
        '[::1]/x:y',
      ]
      const differ = urls.filter(u => isLocalPath(u) !== gitReadsAsLocal(u, dir))
      expect(differ).to.deep.equal([])
      // Both kinds are in the list: the comparison can tell them apart.
      expect(urls.filter(u => isLocalPath(u)).length).to.be.within(1, urls.length - 1)
    })

    it('a scheme:// URL is never a local path, whatever follows', () => {
      for (const url of ['https://github.com/plantonhq/project-planton.git', 'file:///srv/repo', 'ssh://git@host:22/repo', 'git+ssh://h/r', 'HTTPS://h/r']) expect(isLocalPath(url), url).to.equal(false)
    })
  })

  describe('resolveRepoUrl', () => {
    const cwd = '/home/u/src'
    const resolve = (url: string) => resolveRepoUrl({PROJECT_PLANTON_REPO_URL: url}, cwd)

    it('is the public monorepo when the variable is unset or blank', () => {
      expect(resolveRepoUrl({}, cwd)).to.equal(DEFAULT_REPO_URL)
      expect(resolveRepoUrl({PROJECT_PLANTON_REPO_URL: '  '}, cwd)).to.equal(DEFAULT_REPO_URL)
    })

    it('makes a local path absolute from the current directory, and leaves URLs as they are', () => {
      expect(resolve('mirror')).to.equal('/home/u/src/mirror')
      expect(resolve(' ../mirror.bundle ')).to.equal('/home/u/mirror.bundle')
      expect(resolve('./a:b')).to.equal('/home/u/src/a:b')
      expect(resolve('/srv/mirror')).to.equal('/srv/mirror')
      expect(resolve('git@github.com:plantonhq/project-planton.git')).to.equal('git@github.com:plantonhq/project-planton.git')
      expect(resolve('file:///srv/mirror')).to.equal('file:///srv/mirror')
    })

    it('refuses a value git would read as an option', () => {
      for (const url of ['--upload-pack=touch /tmp/x', '-u/tmp/x']) {
        expect(() => resolve(url)).to.throw(InvalidInputError, /must not start with "-"/)
      }
    })
  })

  describe('checkHome', () => {
    it('accepts a home that does not exist yet, and makes nothing', async () => {
      const home = path.join(makeTempDir('pp-home-'), 'new')
      await checkHome(home)
      expect(existsSync(home)).to.equal(false)
    })

    it('marks an empty home, or one that holds only what the CLI makes', async () => {
      const empty = makeTempDir('pp-home-')
      await checkHome(empty)
      expect(readdirSync(empty)).to.deep.equal([HOME_MARK])
      const used = makeTempDir('pp-home-')
      for (const d of ['staging', 'workspaces', 'cache', 'tofu']) mkdirSync(path.join(used, d))
      writeFileSync(path.join(used, '.DS_Store'), '')
      await checkHome(used)
      expect(existsSync(path.join(used, HOME_MARK))).to.equal(true)
    })

    it('with mark: false checks without marking', async () => {
      const home = makeTempDir('pp-home-')
      await checkHome(home, {mark: false})
      expect(readdirSync(home)).to.deep.equal([])
    })

    it("refuses a home holding the user's own files, naming some, and changes nothing there", async () => {
      const home = makeTempDir('pp-home-')
      for (const f of ['Documents', 'notes.txt', 'photo.jpg', 'staging', 'z.txt']) writeFileSync(path.join(home, f), '')
      const error = await rejectsInput(checkHome(home))
      expect(error.message).to.equal(`${home} holds files project-planton did not make (Documents, notes.txt, photo.jpg, …), so it is not used as the CLI home`)
      expect(error.exitCode).to.equal(2)
      expect(readdirSync(home).sort()).to.deep.equal(['Documents', 'notes.txt', 'photo.jpg', 'staging', 'z.txt'])
    })

    it('accepts a marked home whatever the user added to it later', async () => {
      const home = makeTempDir('pp-home-')
      await checkHome(home)
      writeFileSync(path.join(home, 'my-notes.txt'), '')
      await checkHome(home)
      expect(readdirSync(home).sort()).to.deep.equal([HOME_MARK, 'my-notes.txt'].sort())
    })

    it('refuses a file in place of the home', async () => {
      const file = path.join(makeTempDir('pp-home-'), 'home')
      writeFileSync(file, 'x')
      expect((await rejectsInput(checkHome(file))).message).to.contain('is a file, not a folder')
    })

    it('refuses a home it cannot read', async function () {
      if (process.getuid?.() === 0) {
        console.log('        skipped: running as root, permission bits do not stop reading')
        this.skip()
      }

      const home = makeTempDir('pp-home-')
      chmodSync(home, 0o000)
      try {
        expect((await rejectsInput(checkHome(home))).message).to.contain('permission denied')
      } finally {
        chmodSync(home, 0o700)
      }
    })
  })

  describe('paths from the environment', () => {
    it('PROJECT_PLANTON_HOME (made absolute) beats HOME', () => {
      expect(resolveHome({PROJECT_PLANTON_HOME: 'rel/home', HOME: '/home/u'})).to.equal(path.resolve('rel/home'))
      expect(resolveHome({PROJECT_PLANTON_HOME: ' ', HOME: '/home/u'})).to.equal('/home/u/.project-planton')
    })

    it('every path the CLI owns lies inside its home', () => {
      const paths = homePaths('/h')
      for (const [name, p] of Object.entries(paths)) {
        if (name !== 'home') expect(p.startsWith('/h/'), name).to.equal(true)
      }

      expect(paths.clone).to.equal('/h/staging/project-planton')
      expect(paths.versionFile).to.equal('/h/staging/.version')
    })

    it('the local checkout for --local-module is PROJECT_PLANTON_GIT_REPO, else under ~/scm', () => {
      expect(localRepoPath({PROJECT_PLANTON_GIT_REPO: '/src/pp', HOME: '/home/u'})).to.equal('/src/pp')
      expect(localRepoPath({HOME: '/home/u'})).to.equal('/home/u/scm/github.com/plantonhq/project-planton')
    })
  })
})
