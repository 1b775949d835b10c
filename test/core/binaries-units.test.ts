import {expect} from 'chai'
import {parse} from 'yaml'

import {moduleBinaryMode} from '../../src/core/binaries/modes.js'
import {
  currentPlatform, moduleName, programFileName, programFormatProblem, releaseAssetName,
} from '../../src/core/binaries/platform.js'
import {binaryProjectName, binaryPulumiYaml} from '../../src/core/binaries/pulumi-yaml.js'
import {
  bareUrl, checksumFor, checksumUrls, DEFAULT_RELEASES_URL, releaseAssetUrl, releasesBase, releaseTagFor,
} from '../../src/core/binaries/releases.js'
import {InvalidInputError} from '../../src/core/errors.js'

const linuxAmd64 = {os: 'linux', arch: 'amd64'}

function elf(machine: number, bigEndian = false): Buffer {
  const b = Buffer.alloc(64)
  b.write('\u007FELF', 0, 'latin1')
  b[4] = 2
  b[5] = bigEndian ? 2 : 1
  if (bigEndian) b.writeUInt16BE(machine, 18)
  else b.writeUInt16LE(machine, 18)
  return b
}

function macho(cpu: number): Buffer {
  const b = Buffer.alloc(64)
  b.writeUInt32LE(0xFE_ED_FA_CF, 0)
  b.writeUInt32LE(cpu, 4)
  return b
}

function catchError(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }

  throw new Error('expected an error')
}

describe('module binaries: names, versions and formats', () => {
  it('names this machine, the assets and the programs as Go and the release workflows do', () => {
    expect(currentPlatform('linux', 'x64')).to.deep.equal(linuxAmd64)
    expect(currentPlatform('darwin', 'arm64')).to.deep.equal({os: 'darwin', arch: 'arm64'})
    expect(currentPlatform('win32', 'x64')).to.deep.equal({os: 'windows', arch: 'amd64'})
    expect(currentPlatform('linux', 'ppc64')).to.deep.equal({os: 'linux', arch: 'ppc64le'})
    expect(currentPlatform('android', 'x64')).to.equal(undefined)
    expect(releaseAssetName('kubernetespostgres', linuxAmd64)).to.equal('pulumi-kubernetespostgres_linux_amd64.gz')
    expect(releaseAssetName('awsecsservice', {os: 'darwin', arch: 'arm64'})).to.equal('pulumi-awsecsservice_darwin_arm64.gz')
    expect(releaseAssetName('awsecsservice', {os: 'windows', arch: 'amd64'})).to.equal('pulumi-awsecsservice_windows_amd64.exe.gz')
    expect(programFileName('awsecsservice', {os: 'windows', arch: 'amd64'})).to.equal('pulumi-awsecsservice.exe')
    expect(moduleName('KubernetesPostgres')).to.equal('kubernetespostgres')
    for (const bad of ['../etc', 'Kubernetes/Postgres', '', 'Kind.With.Dots', 'Kubernetes Postgres', '9Lives']) {
      expect(catchError(() => moduleName(bad)), bad).to.be.instanceOf(InvalidInputError)
    }
  })

  it('knows which versions are releases with module programs (tag names of the real monorepo)', () => {
    const tag = (ref: string) => releaseTagFor({ref, kind: 'tag'}, 'kubernetesnats')
    expect(tag('v0.3.26')).to.deep.equal({tag: 'v0.3.26'})
    expect(tag('v0.3.13-pulumi.kubernetesnats.20260111.0')).to.deep.equal({tag: 'v0.3.13-pulumi.kubernetesnats.20260111.0'})
    expect(tag('v0.3.12-pulumi.kubernetesnats.20260111.0')).to.have.property('tag')
    const other = 'v0.3.16-pulumi.kubernetesgharunnerscalesetcontroller.20260113.0'
    expect(tag(other)).to.deep.equal({reason: `${other} is a release of the kubernetesgharunnerscalesetcontroller module only`})
    for (const other of ['v0.3.13-terraform.kubernetesnats.20260111.0', 'v0.3.5-cli.20260108.0', 'v0.3.5-app.20260108.1', 'v0.3.5-website.20260108.0', 'v0.3.5.20260108.0', 'v0.3.26-rc.1', '0.3.26']) {
      expect(tag(other), other).to.deep.equal({reason: `${other} is not a release with module programs`})
    }

    expect(releaseTagFor({ref: 'latest', kind: 'tag', tag: 'v0.3.26'}, 'x')).to.deep.equal({tag: 'v0.3.26'})
    expect(releaseTagFor({ref: 'main', kind: 'branch'}, 'x')).to.deep.equal({reason: 'main is a branch, not a release'})
    expect(releaseTagFor({ref: '1a2b3c4d', kind: 'commit'}, 'x')).to.deep.equal({reason: '1a2b3c4d is a commit, not a release'})
    // A branch named like a release is a branch.
    expect(releaseTagFor({ref: 'v0.3.26', kind: 'branch'}, 'x')).to.deep.equal({reason: 'v0.3.26 is a branch, not a release'})
  })

  it('downloads from GitHub over https by default; a mirror may be set, also as plain http', () => {
    const base = releasesBase({})
    expect(base).to.deep.equal({url: new URL(DEFAULT_RELEASES_URL), explicit: false})
    expect(releaseAssetUrl(base.url, 'v0.3.26', releaseAssetName('kubernetespostgres', {os: 'darwin', arch: 'arm64'})).href)
    .to.equal('https://github.com/plantonhq/project-planton/releases/download/v0.3.26/pulumi-kubernetespostgres_darwin_arm64.gz')
    const mirror = releasesBase({PROJECT_PLANTON_RELEASES_URL: 'http://mirror.internal:8080/pp/releases/'})
    expect(mirror.explicit).to.equal(true)
    expect(releaseAssetUrl(mirror.url, 'v0.3.26', 'a.gz').href).to.equal('http://mirror.internal:8080/pp/releases/download/v0.3.26/a.gz')
    expect(checksumUrls(base.url, 'v0.3.26', 'a.gz').map(u => u.pathname)).to.deep.equal([
      '/plantonhq/project-planton/releases/download/v0.3.26/a.gz.sha256',
      '/plantonhq/project-planton/releases/download/v0.3.26/cli_0.3.26_checksums.txt',
    ])
    expect(checksumUrls(base.url, 'v0.3.13-pulumi.x.20260111.0', 'a.gz')).to.have.length(1)
    expect(bareUrl(new URL('https://u:secret@h.example/a/b?X-Amz-Signature=s'))).to.equal('https://h.example/a/b')
    expect(catchError(() => releasesBase({PROJECT_PLANTON_RELEASES_URL: 'ssh://x/y'}))).to.be.instanceOf(InvalidInputError)
  })

  it('reads checksum files: sha256sum lines, a bare digest in a sidecar, and nothing else', () => {
    const d1 = 'ab'.repeat(32)
    const d2 = 'CD'.repeat(32)
    expect(checksumFor(`${d1}  cli_0.3.26_linux_amd64.tar.gz\n${d2}  pulumi-x_linux_amd64.gz\n`, 'pulumi-x_linux_amd64.gz', false)).to.equal(d2.toLowerCase())
    expect(checksumFor(`${d1}\n`, 'pulumi-x_linux_amd64.gz', true)).to.equal(d1)
    expect(checksumFor(`${d1} *pulumi-x_linux_amd64.gz\r\n`, 'pulumi-x_linux_amd64.gz', true)).to.equal(d1)
    expect(checksumFor(`${d1}\n`, 'pulumi-x_linux_amd64.gz', false)).to.equal(undefined)
    expect(checksumFor(`${d1}  pulumi-y_linux_amd64.gz\n`, 'pulumi-x_linux_amd64.gz', true)).to.equal(undefined)
    expect(checksumFor('<html>', 'a', true)).to.equal(undefined)
  })

  it('tells a program of this platform from an error page or another platform\'s program', () => {
    expect(programFormatProblem(elf(62), linuxAmd64)).to.equal(undefined)
    expect(programFormatProblem(elf(183), {os: 'linux', arch: 'arm64'})).to.equal(undefined)
    expect(programFormatProblem(elf(183), linuxAmd64)).to.equal('not a program for linux/amd64 (an ELF file for machine 183)')
    expect(programFormatProblem(elf(22, true), {os: 'linux', arch: 's390x'})).to.equal(undefined)
    expect(programFormatProblem(macho(0x01_00_00_0C), {os: 'darwin', arch: 'arm64'})).to.equal(undefined)
    expect(programFormatProblem(macho(0x01_00_00_07), {os: 'darwin', arch: 'arm64'})).to.match(/^not a program for darwin\/arm64 \(a Mach-O file for cpu type/)
    expect(programFormatProblem(macho(0x01_00_00_0C), linuxAmd64)).to.equal('not a program for linux/amd64 (a Mach-O file)')
    expect(programFormatProblem(elf(62), {os: 'darwin', arch: 'amd64'})).to.equal('not a program for darwin/amd64 (an ELF file)')
    const pe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(62)])
    expect(programFormatProblem(pe, {os: 'windows', arch: 'amd64'})).to.equal(undefined)
    expect(programFormatProblem(pe, linuxAmd64)).to.equal('not a program for linux/amd64 (a Windows program)')
    expect(programFormatProblem(Buffer.from('#!/bin/sh\necho hi\n'), linuxAmd64)).to.equal(undefined)
    expect(programFormatProblem(Buffer.from('{"message":"Not Found"}'), linuxAmd64)).to.equal('not a program for linux/amd64: it starts with "{\\"messag"')
    expect(programFormatProblem(Buffer.from('\u007FELF'), linuxAmd64)).to.equal('not a program for linux/amd64 (only 4 bytes)')
  })

  it('--module-binary, else PROJECT_PLANTON_MODULE_BINARY, else auto; anything else is an input error', () => {
    expect(moduleBinaryMode(undefined, {})).to.equal('auto')
    expect(moduleBinaryMode(undefined, {PROJECT_PLANTON_MODULE_BINARY: 'build'})).to.equal('build')
    expect(moduleBinaryMode('never', {PROJECT_PLANTON_MODULE_BINARY: 'build'})).to.equal('never')
    expect(moduleBinaryMode('download', {})).to.equal('download')
    const fromEnv = catchError(() => moduleBinaryMode(undefined, {PROJECT_PLANTON_MODULE_BINARY: 'offline'})) as InvalidInputError
    expect(fromEnv).to.be.instanceOf(InvalidInputError)
    expect(fromEnv.message).to.equal('invalid PROJECT_PLANTON_MODULE_BINARY "offline"')
    expect(fromEnv.hint).to.equal('Use one of auto, download, build, never.')
    expect((catchError(() => moduleBinaryMode('yes', {})) as Error).message).to.equal('invalid --module-binary "yes"')
  })

  it('writes the Pulumi.yaml of a binary run: the reference\'s layout, the stack\'s project, any path quoted safely', () => {
    const binary = '/home/a user/.project-planton: #1/cache/binaries/v0.3.26_x_linux_amd64/pulumi-x'
    const text = binaryPulumiYaml({project: binaryProjectName('acme/shop/dev', 'KubernetesPostgres'), binary, kind: 'KubernetesPostgres'})
    expect(parse(text)).to.deep.equal({
      name: 'shop',
      runtime: {name: 'go', options: {binary}},
      description: 'Auto-generated workspace for KubernetesPostgres binary execution',
    })
    expect(binaryPulumiYaml({project: 'p', binary: '/b/pulumi-x', kind: 'K'})).to.equal([
      'name: p', 'runtime:', '  name: go', '  options:', '    binary: /b/pulumi-x', 'description: Auto-generated workspace for K binary execution', '',
    ].join('\n'))
    expect(binaryProjectName('dev', 'KubernetesPostgres')).to.equal('kubernetespostgres')
    expect(() => binaryPulumiYaml({project: 'p', binary: 'relative/pulumi-x', kind: 'K'})).to.throw(/absolute path/)
  })
})
