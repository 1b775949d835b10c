import {expect} from 'chai'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {MissingToolError} from '../../src/core/errors.js'
import {
  findBinary, installHint, overrideVariable, which,
} from '../../src/core/tools.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

function executable(dir: string, name: string): string {
  mkdirSync(dir, {recursive: true})
  const file = path.join(dir, name)
  writeFileSync(file, '#!/bin/sh\nexit 0\n', {mode: 0o755})
  return file
}

async function missing(promise: Promise<unknown>): Promise<MissingToolError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(MissingToolError)
    expect((error as MissingToolError).exitCode).to.equal(127)
    return error as MissingToolError
  }

  return expect.fail('found a binary')
}

describe('tools', () => {
  after(removeTempDirs)

  describe('which', () => {
    it('finds the first executable file on PATH, as a shell does', async () => {
      const top = makeTempDir('pp-which-')
      const first = executable(path.join(top, 'a'), 'pulumi')
      executable(path.join(top, 'b'), 'pulumi')
      const PATH = [path.join(top, 'empty'), path.join(top, 'a'), path.join(top, 'b')].join(path.delimiter)
      expect(await which('pulumi', {PATH}, '/')).to.equal(first)
    })

    it('skips a folder of that name and a file that is not executable', async () => {
      const top = makeTempDir('pp-which-')
      mkdirSync(path.join(top, 'a', 'pulumi'), {recursive: true})
      mkdirSync(path.join(top, 'b'))
      writeFileSync(path.join(top, 'b', 'pulumi'), '#!/bin/sh\n', {mode: 0o644})
      const real = executable(path.join(top, 'c'), 'pulumi')
      const PATH = ['a', 'b', 'c'].map(d => path.join(top, d)).join(path.delimiter)
      expect(await which('pulumi', {PATH}, '/')).to.equal(real)
      expect(await which('pulumi', {PATH: [path.join(top, 'a'), path.join(top, 'b')].join(path.delimiter)}, '/')).to.equal(undefined)
    })

    it('takes a relative PATH entry from the given directory, and skips empty entries', async () => {
      const top = makeTempDir('pp-which-')
      const bin = executable(path.join(top, 'tools', 'bin'), 'tofu')
      // An empty entry means "the current directory" to some shells; the CLI never searches it.
      executable(top, 'tofu')
      expect(await which('tofu', {PATH: `${path.delimiter}tools/bin`}, top)).to.equal(bin)
      expect(await which('tofu', {PATH: path.delimiter}, top)).to.equal(undefined)
      expect(await which('tofu', {}, top)).to.equal(undefined)
    })
  })

  describe('findBinary', () => {
    it('the override variable beats PATH; a relative one is taken from the given directory', async () => {
      const top = makeTempDir('pp-find-')
      executable(path.join(top, 'bin'), 'pulumi')
      const own = executable(path.join(top, 'own'), 'my-pulumi')
      const env = {PATH: path.join(top, 'bin'), PROJECT_PLANTON_PULUMI_BIN: ' own/my-pulumi '}
      expect(await findBinary('pulumi', env, top)).to.equal(own)
      expect(await findBinary('pulumi', {PATH: path.join(top, 'bin')}, top)).to.equal(path.join(top, 'bin', 'pulumi'))
    })

    it('each tool has its own variable', async () => {
      const top = makeTempDir('pp-find-')
      const tofu = executable(top, 'tofu-bin')
      const terraform = executable(top, 'terraform-bin')
      const env = {PATH: '', PROJECT_PLANTON_TOFU_BIN: tofu, PROJECT_PLANTON_TERRAFORM_BIN: terraform}
      expect(await findBinary('tofu', env, top)).to.equal(tofu)
      expect(await findBinary('terraform', env, top)).to.equal(terraform)
      await missing(findBinary('pulumi', env, top))
      expect(overrideVariable('tofu')).to.equal('PROJECT_PLANTON_TOFU_BIN')
    })

    it('an override that is not an executable file is an error naming the variable, not a fall back to PATH', async () => {
      const top = makeTempDir('pp-find-')
      executable(path.join(top, 'bin'), 'terraform')
      mkdirSync(path.join(top, 'folder'))
      writeFileSync(path.join(top, 'plain'), 'x', {mode: 0o644})
      for (const value of ['folder', 'plain', 'nowhere']) {
        const error = await missing(findBinary('terraform', {PATH: path.join(top, 'bin'), PROJECT_PLANTON_TERRAFORM_BIN: value}, top))
        expect(error.message).to.equal(`PROJECT_PLANTON_TERRAFORM_BIN=${value} is not an executable file`)
        expect(error.hint).to.equal(installHint('terraform'))
      }
    })

    it('a tool on no PATH entry is an error that says how to install it', async () => {
      const error = await missing(findBinary('tofu', {PATH: makeTempDir('pp-find-')}, '/'))
      expect(error.message).to.equal('tofu is not installed (not found on PATH)')
      expect(error.hint).to.contain('https://opentofu.org/docs/intro/install/')
    })
  })
})
