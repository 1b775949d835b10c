import {expect} from 'chai'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import type {Manifest} from '../../src/core/manifest.js'

import {InvalidInputError} from '../../src/core/errors.js'
import {
  stackFqdn, stackSlug, stackStateDir, tofuStackId, validateStackId,
} from '../../src/core/stack.js'
import {rejectsInput} from '../support/expect.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

function throws(fn: () => unknown): InvalidInputError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidInputError)
    expect((error as InvalidInputError).exitCode).to.equal(2)
    return error as InvalidInputError
  }

  return expect.fail('accepted')
}

/** Every segment of up to `length` characters over `chars`, starting with a letter or digit. */
function segments(chars: string[], length: number): string[] {
  let level = chars.filter(c => /[A-Za-z\d]/.test(c))
  const all = [...level]
  for (let n = 2; n <= length; n++) {
    level = level.flatMap(s => chars.map(c => s + c))
    all.push(...level)
  }

  return all.filter(s => !s.includes('..'))
}

/** Every `x/y` of x in `xs` and y in `ys`. */
function joined(xs: string[], ys: string[]): string[] {
  const out: string[] = []
  for (const x of xs) for (const y of ys) out.push(`${x}/${y}`)
  return out
}

function manifestWith(labels: Record<string, string>): Manifest {
  return {
    apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis', metadata: {name: 'redis-demo', labels}, spec: {},
  }
}

/** State folder `name` under `root`, as an earlier version of the CLI left it. */
function legacyState(root: string, name: string): string {
  const dir = path.join(root, name)
  mkdirSync(dir, {recursive: true})
  writeFileSync(path.join(dir, 'terraform.tfstate'), `{"of": "${name}"}`)
  return dir
}

describe('stack ids', () => {
  after(removeTempDirs)

  describe('validateStackId', () => {
    it('accepts up to three segments of letters, digits, ".", "_" and "-"', () => {
      for (const id of ['a', 'dev', 'acme/platform/dev.KubernetesRedis.redis', 'kubernetesredis/redis-demo', 'a_b/c-d', 'A1', `a${'b'.repeat(99)}`]) {
        expect(validateStackId(id), id).to.equal(id)
      }
    })

    it('refuses what could leave a folder or name two paths, naming what it checked', () => {
      const bad = ['', '.', '..', '../x', 'a/../b', 'a/..', '/abs', 'a//b', 'a/', '/', '.hidden', 'a/.b', '-x', '_x', 'a b', 'a\\b', 'a..b', 'a/b/c/d', 'a:b', 'a\nb', 'ü', `a${'b'.repeat(100)}`]
      for (const id of bad) throws(() => validateStackId(id))
      expect(throws(() => validateStackId('../x', 'stack label pulumi.project-planton.org/stack.fqdn')).message)
      .to.equal('invalid stack label pulumi.project-planton.org/stack.fqdn "../x"')
    })
  })

  describe('stackSlug', () => {
    it('writes "/" as "+" and an upper-case letter as "~" and the letter', () => {
      expect(stackSlug('acme/platform/dev.KubernetesRedis.redis')).to.equal('acme+platform+dev.~kubernetes~redis.redis')
      expect(stackSlug('a__b')).to.equal('a__b')
      expect(stackSlug('a/b')).to.equal('a+b')
    })

    it('is one to one even on a case-insensitive file system, where the old "__" names collided', () => {
      const short = segments(['a', 'A', '_', '.', '-', 'b'], 3)
      const tiny = segments(['a', 'A', '_'], 2)
      const ids = [...segments(['a', 'A', '_', '.', '-', 'b'], 4), ...joined(short, short), ...joined(joined(tiny, tiny), tiny)]
      const slugs = new Set(ids.map(id => stackSlug(id).toLowerCase()))
      expect(slugs.size).to.equal(ids.length)
      // The set is one a weaker naming fails on: the old names, and names without the case marks.
      expect(new Set(ids.map(id => id.split('/').join('__'))).size).to.be.lessThan(ids.length)
      expect(new Set(ids.map(id => id.split('/').join('+').toLowerCase())).size).to.be.lessThan(ids.length)
    })

    it('checks the id before making a name of it', () => {
      throws(() => stackSlug('../../etc'))
    })
  })

  describe('stackStateDir', () => {
    it('names the folder by the slug and makes nothing', async () => {
      const root = makeTempDir('pp-state-')
      expect(await stackStateDir(root, 'kubernetesredis/Redis-Demo')).to.equal(path.join(root, 'kubernetesredis+~redis-~demo'))
      expect(readdirSync(root)).to.deep.equal([])
    })

    it("moves the state an earlier version kept under the old name when it can only be this stack's", async () => {
      const root = makeTempDir('pp-state-')
      legacyState(root, 'kubernetesredis__redis-demo')
      const dir = await stackStateDir(root, 'kubernetesredis/redis-demo')
      expect(dir).to.equal(path.join(root, 'kubernetesredis+redis-demo'))
      expect(readdirSync(root)).to.deep.equal(['kubernetesredis+redis-demo'])
      expect(readFileSync(path.join(dir, 'terraform.tfstate'), 'utf8')).to.equal('{"of": "kubernetesredis__redis-demo"}')
    })

    it('uses the new folder when both exist, and leaves the old one alone', async () => {
      const root = makeTempDir('pp-state-')
      const legacy = legacyState(root, 'kubernetesredis__redis-demo')
      const current = legacyState(root, 'kubernetesredis+redis-demo')
      expect(await stackStateDir(root, 'kubernetesredis/redis-demo')).to.equal(current)
      expect(readFileSync(path.join(legacy, 'terraform.tfstate'), 'utf8')).to.equal('{"of": "kubernetesredis__redis-demo"}')
      expect(readFileSync(path.join(current, 'terraform.tfstate'), 'utf8')).to.equal('{"of": "kubernetesredis+redis-demo"}')
    })

    it('a one-segment id is its own old name', async () => {
      const root = makeTempDir('pp-state-')
      const dir = legacyState(root, 'plain')
      expect(await stackStateDir(root, 'plain')).to.equal(dir)
      expect(readdirSync(root)).to.deep.equal(['plain'])
    })

    it('refuses, moving nothing, when the old folder could be another stack’s, and says how to claim it', async () => {
      const cases: Array<[string, string, string]> = [
        // kind/a__b and kind/a/b both had kind__a__b.
        ['kubernetesredis/a__b', 'kubernetesredis__a__b', 'kubernetesredis/a/b'],
        ['acme/platform/dev', 'acme__platform__dev', 'acme/platform__dev'],
      ]
      for (const [id, old, other] of cases) {
        const root = makeTempDir('pp-state-')
        const legacy = legacyState(root, old)
        const error = await rejectsInput(stackStateDir(root, id))
        expect(error.message).to.contain(`may belong to stack ${id} or to ${other}`)
        expect(error.hint).to.equal(`If it is the state of ${id}, move it: mv '${legacy}' '${path.join(root, stackSlug(id))}'`)
        expect(readdirSync(root), id).to.deep.equal([old])
      }
    })

    it('refuses an invalid id before looking at the disk', async () => {
      const root = makeTempDir('pp-state-')
      legacyState(root, '..__x')
      await rejectsInput(stackStateDir(root, '../x'))
      expect(existsSync(path.join(root, '..__x'))).to.equal(true)
    })
  })

  describe('stackFqdn and tofuStackId', () => {
    const ORG = 'pulumi.project-planton.org/organization'
    const PROJECT = 'pulumi.project-planton.org/project'
    const NAME = 'pulumi.project-planton.org/stack.name'
    const FQDN = 'pulumi.project-planton.org/stack.fqdn'

    it('takes the fqdn label, else the three labels, else --stack', () => {
      const three = {[ORG]: 'acme', [PROJECT]: 'platform', [NAME]: 'dev'}
      expect(stackFqdn(manifestWith({...three, [FQDN]: 'o/p/s'}), 'f/p/s')).to.deep.equal({fqdn: 'o/p/s', from: 'labels'})
      expect(stackFqdn(manifestWith(three), 'f/p/s')).to.deep.equal({fqdn: 'acme/platform/dev', from: 'labels'})
      expect(stackFqdn(manifestWith({[ORG]: 'acme', [PROJECT]: 'platform'}), 'f/p/s')).to.deep.equal({fqdn: 'f/p/s', from: 'flag'})
      expect(throws(() => stackFqdn(manifestWith({}))).message).to.contain('no Pulumi stack')
    })

    it('validates the stack wherever it came from, naming the source', () => {
      expect(throws(() => stackFqdn(manifestWith({[FQDN]: '../../x'}))).message).to.contain(`stack label ${FQDN}`)
      expect(throws(() => stackFqdn(manifestWith({[ORG]: 'a', [PROJECT]: '..', [NAME]: 'c'}))).message).to.contain('pulumi.project-planton.org labels')
      expect(throws(() => stackFqdn(manifestWith({}), '/etc/x')).message).to.contain('--stack')
    })

    it('the tofu stack is the lower-case kind and the name, validated', () => {
      expect(tofuStackId(manifestWith({}))).to.equal('kubernetesredis/redis-demo')
      const bad = {...manifestWith({}), metadata: {name: '../../home'}}
      throws(() => tofuStackId(bad))
    })
  })
})
