import {expect} from 'chai'

import {InvalidInputError} from '../../src/core/errors.js'
import {latestRelease, newerReleases, validateRef} from '../../src/core/refs.js'

describe('refs', () => {
  describe('validateRef', () => {
    const rejected = [
      '',
      '-f',
      '--orphan=x',
      '--upload-pack=touch /tmp/x',
      '-u/tmp/x',
      '-cprotocol.ext.allow=always',
      'ext::sh -c x',
      '..',
      'a..b',
      'x@{1}',
      'x.lock',
      'refs/x.lock/y',
      'a\u0001b',
      'a\tb',
      'a b',
      'a\\b',
      'a:b',
      'a~1',
      'a^',
      'a?',
      'a*',
      'a[',
      '/abs',
      'trailing/',
      'a//b',
      '.hidden',
      'a/.b',
      'end.',
      '@',
      'x'.repeat(256),
    ]
    for (const ref of rejected) {
      it(`rejects ${JSON.stringify(ref).slice(0, 40)}`, () => {
        expect(() => validateRef(ref)).to.throw(InvalidInputError)
      })
    }

    for (const ref of ['v0.2.1', 'main', 'feature/x', 'origin/main', '1a2b3c4', 'a'.repeat(40), 'v0.3.26-terraform.x.20260117.0', 'release-1.2']) {
      it(`accepts ${ref.slice(0, 40)}`, () => {
        expect(validateRef(ref)).to.equal(ref)
      })
    }

    it('explains what a version may be', () => {
      try {
        validateRef('--upload-pack=x')
        expect.fail('should have thrown')
      } catch (error) {
        expect((error as InvalidInputError).message).to.contain('must not start with "-"')
        expect((error as InvalidInputError).hint).to.contain('release tag')
        expect((error as InvalidInputError).exitCode).to.equal(2)
      }
    })
  })

  describe('latestRelease', () => {
    it('picks the highest plain vX.Y.Z by semantic version, ignoring component tags', () => {
      const tags = ['v0.2.0', 'v0.10.0', 'v0.9.1', 'v0.3.26-terraform.x.20260117.0', 'v1.0.0-cli.20260115.1', 'v0.11.0-pulumi.awss3bucket.20260120.0', 'latest', 'v2']
      expect(latestRelease(tags)).to.equal('v0.10.0')
    })

    it('is undefined without release tags', () => {
      expect(latestRelease(['v1.0.0-app.1', 'main'])).to.equal(undefined)
    })
  })

  it('lists newer releases highest first', () => {
    expect(newerReleases(['v0.1.0', 'v0.3.0', 'v0.2.0', 'v0.4.0-cli.1'], 'v0.1.0')).to.deep.equal(['v0.3.0', 'v0.2.0'])
    expect(newerReleases(['v0.1.0'], 'main')).to.deep.equal([])
  })
})
