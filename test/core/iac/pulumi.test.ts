import {expect} from 'chai'
import {
  mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

import type {Manifest} from '../../../src/core/manifest.js'

import {InvalidInputError} from '../../../src/core/errors.js'
import {
  alignProjectName, isAlreadyExists, pulumiArgs, type PulumiOp, writeStackInput,
} from '../../../src/core/iac/pulumi.js'
import {makeTempDir, removeTempDirs} from '../../support/upstream.js'

const FQDN = 'acme/platform/dev.KubernetesRedis.redis'

const manifest: Manifest = {
  apiVersion: 'kubernetes.project-planton.org/v1',
  kind: 'KubernetesRedis',
  metadata: {name: 'redis', labels: {'project-planton.org/provisioner': 'pulumi'}},
  spec: {container: {replicas: 2}},
}

function moduleWith(pulumiYaml: string): {root: string; moduleDir: string} {
  const root = makeTempDir('pp-pulumi-ws-')
  const moduleDir = path.join(root, 'm')
  mkdirSync(moduleDir)
  writeFileSync(path.join(moduleDir, 'Pulumi.yaml'), pulumiYaml)
  return {root, moduleDir}
}

describe('iac/pulumi', () => {
  after(removeTempDirs)

  describe('pulumiArgs', () => {
    it('maps each operation to its pulumi command line, the stack always named', () => {
      expect(pulumiArgs('update', FQDN, {})).to.deep.equal(['up', '--stack', FQDN])
      expect(pulumiArgs('preview', FQDN, {})).to.deep.equal(['preview', '--stack', FQDN])
      expect(pulumiArgs('refresh', FQDN, {})).to.deep.equal(['refresh', '--stack', FQDN])
      expect(pulumiArgs('destroy', FQDN, {})).to.deep.equal(['destroy', '--stack', FQDN])
      expect(pulumiArgs('init', FQDN, {})).to.deep.equal(['stack', 'init', FQDN])
      expect(pulumiArgs('cancel', FQDN, {})).to.deep.equal(['cancel', '--stack', FQDN, '--yes'])
      expect(pulumiArgs('delete', FQDN, {})).to.deep.equal(['stack', 'rm', '--stack', FQDN, '--yes'])
    })

    it('--yes skips the confirmation of the changing operations, and never reaches preview', () => {
      for (const op of ['update', 'refresh', 'destroy'] as const) {
        const verb = op === 'update' ? 'up' : op
        expect(pulumiArgs(op, FQDN, {yes: true}), op).to.deep.equal([verb, '--stack', FQDN, '--yes', '--skip-preview'])
      }

      // A preview changes nothing and asks nothing: there is no confirmation to skip.
      expect(pulumiArgs('preview', FQDN, {yes: true})).to.deep.equal(['preview', '--stack', FQDN])
    })

    it('--diff is passed to the operations that show changes, after --yes', () => {
      expect(pulumiArgs('update', FQDN, {yes: true, diff: true})).to.deep.equal(['up', '--stack', FQDN, '--yes', '--skip-preview', '--diff'])
      expect(pulumiArgs('preview', FQDN, {diff: true})).to.deep.equal(['preview', '--stack', FQDN, '--diff'])
    })

    it('--force only reaches `stack rm`; flags of other operations do not leak into init, cancel or delete', () => {
      expect(pulumiArgs('delete', FQDN, {force: true})).to.deep.equal(['stack', 'rm', '--stack', FQDN, '--yes', '--force'])
      const all = {
        yes: true, diff: true, force: true, stack: 'other/project/stack',
      }
      expect(pulumiArgs('init', FQDN, all)).to.deep.equal(['stack', 'init', FQDN])
      expect(pulumiArgs('cancel', FQDN, all)).to.deep.equal(['cancel', '--stack', FQDN, '--yes'])
      expect(pulumiArgs('update', FQDN, {force: true})).to.deep.equal(['up', '--stack', FQDN])
    })

    it('takes the stack from its argument, never from the --stack flag it was resolved from', () => {
      const ops: PulumiOp[] = ['cancel', 'delete', 'destroy', 'init', 'preview', 'refresh', 'update']
      for (const op of ops) expect(pulumiArgs(op, FQDN, {stack: 'flag/project/stack'}), op).to.not.include('flag/project/stack')
    })
  })

  it('an existing stack is recognised in what `pulumi stack init` says', () => {
    expect(isAlreadyExists("error: stack 'acme/platform/dev' already exists")).to.equal(true)
    expect(isAlreadyExists('error: Stack Already Exists')).to.equal(true)
    expect(isAlreadyExists('error: could not create stack: permission denied')).to.equal(false)
  })

  describe('writeStackInput', () => {
    it('writes {target, provider_config} readable by the owner only', async () => {
      const dir = makeTempDir('pp-pulumi-')
      const file = await writeStackInput(dir, manifest, {provider: 'kubernetes', values: {kubeconfig: 'secret'}, file: 'creds.yaml'})
      expect(file).to.equal(path.join(dir, 'stack-input.yaml'))
      expect(statSync(file).mode % 0o1000).to.equal(0o600)
      // eslint-disable-next-line camelcase
      expect(parse(readFileSync(file, 'utf8'))).to.deep.equal({target: manifest, provider_config: {kubeconfig: 'secret'}})
    })

    it('has no provider_config without credentials', async () => {
      const file = await writeStackInput(makeTempDir('pp-pulumi-'), manifest)
      expect(parse(readFileSync(file, 'utf8'))).to.deep.equal({target: manifest})
    })
  })

  describe('alignProjectName', () => {
    it("renames the project to the stack's project and keeps the rest of the file", async () => {
      const {root, moduleDir} = moduleWith('# the module\nname: kubernetes-redis\nruntime: go\ndescription: x\n')
      await alignProjectName(root, moduleDir, FQDN)
      const text = readFileSync(path.join(moduleDir, 'Pulumi.yaml'), 'utf8')
      expect(parse(text)).to.deep.equal({name: 'platform', runtime: 'go', description: 'x'})
      expect(text).to.contain('# the module')
    })

    it('leaves the file alone when the name matches or the stack is not org/project/stack', async () => {
      for (const fqdn of ['acme/kubernetes-redis/dev', 'dev', 'acme/dev']) {
        const original = 'name:   kubernetes-redis   # spacing kept when nothing changes\nruntime: go\n'
        const {root, moduleDir} = moduleWith(original)
        await alignProjectName(root, moduleDir, fqdn)
        expect(readFileSync(path.join(moduleDir, 'Pulumi.yaml'), 'utf8'), fqdn).to.equal(original)
      }
    })

    it('refuses a Pulumi.yaml that links outside the workspace, and leaves its target alone', async () => {
      const root = makeTempDir('pp-pulumi-ws-')
      const outside = path.join(makeTempDir('pp-victim-'), 'Pulumi.yaml')
      writeFileSync(outside, 'name: outside\nruntime: go\n')
      mkdirSync(path.join(root, 'm'))
      symlinkSync(outside, path.join(root, 'm', 'Pulumi.yaml'))
      try {
        await alignProjectName(root, path.join(root, 'm'), FQDN)
        expect.fail('rewrote a file outside the workspace')
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
      }

      expect(readFileSync(outside, 'utf8')).to.equal('name: outside\nruntime: go\n')
    })
  })
})
