// Disk trouble: a workspaces folder that cannot be written, and file systems that fill up while a
// workspace, a module snapshot or the first clone is written. Each: a clear error, a non-zero exit,
// staging intact, and nothing half-written left behind.
//
// Tests run as root here, where `chmod 555` does not stop writes; read-only and full file systems
// are real tmpfs mounts (read-only, or a few hundred KiB) when this machine allows mounting.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {
  chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {installPulumiStandIn} from '../support/pulumi-stand-in.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, TF_MODULE_POSTGRES, type Upstream,
} from '../support/upstream.js'
import {
  cli, copyHome, listDir, status,
} from './sandbox.js'
import {addBulk} from './slow.js'
import {fault} from './tally.js'
import {
  actualTree, expectedTree, snapshot, snapshotDiff, treeDiff, workTreeDiff,
} from './trees.js'

/** Whether permission bits stop this process from writing (they do not for root). */
function chmodProtects(dir: string): boolean {
  const probe = path.join(dir, 'chmod-probe')
  mkdirSync(probe)
  chmodSync(probe, 0o555)
  try {
    writeFileSync(path.join(probe, 'x'), 'x')
    return false
  } catch {
    return true
  } finally {
    chmodSync(probe, 0o755)
    rmSync(probe, {force: true, recursive: true})
  }
}

/** Whether `mount -t tmpfs` works here (root in a container may or may not be allowed to mount). */
function canMount(probeDir: string): boolean {
  mkdirSync(probeDir, {recursive: true})
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probeDir]).status === 0
  if (ok) spawnSync('umount', [probeDir])
  return ok
}

/** What a full disk under the home must say: what happened, where, and what to do. */
const FULL = /no space left on the device while writing under .*\n.*staging clean/

function expectClearFailure(r: {code: number | null; stderr: string}, message: RegExp): void {
  expect(r.code, r.stderr).to.not.equal(0)
  expect(r.code, r.stderr).to.not.equal(null)
  expect(r.stderr).to.match(message)
  expect(r.stderr, 'no stack trace').to.not.match(/^\s+at .+[(:]\d+/m)
}

describe('faults: disk trouble', () => {
  let u: Upstream
  let warm: Sandbox
  let manifests: Record<'big' | 'small' | 'pulumi', string>
  let mounted: string[] = []
  let mountable = false
  let protects = false
  let binDir: string

  before(async function () {
    this.timeout(180_000)
    u = createUpstream()
    addBulk(u)
    warm = sandbox(u)
    await cli(warm, ['staging', 'pull'], {expect: 0})
    await cli(warm, ['staging', 'checkout', 'main'], {expect: 0})
    const dir = makeTempDir('pp-manifests-')
    manifests = {big: path.join(dir, 'big.yaml'), pulumi: path.join(dir, 'pulumi.yaml'), small: path.join(dir, 'small.yaml')}
    writeFileSync(manifests.big, manifestYaml({kind: 'KubernetesPostgres', labels: {'project-planton.org/provisioner': 'terraform'}, name: 'pg'}))
    writeFileSync(manifests.small, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}}))
    writeFileSync(manifests.pulumi, manifestYaml({labels: {'pulumi.project-planton.org/stack.fqdn': 'acme/kubernetes-redis/dev'}}))
    binDir = makeTempDir('pp-bin-')
    installPulumiStandIn(binDir)
    const probes = makeTempDir('pp-probe-')
    mountable = canMount(path.join(probes, 'mnt'))
    if (!mountable) console.log('      (disk-full and read-only-mount cases skipped: this user cannot mount a tmpfs)')
    protects = chmodProtects(probes)
  })

  afterEach(() => {
    for (const dir of mounted) spawnSync('umount', ['-l', dir])
    mounted = []
  })

  after(() => removeTempDirs())

  function tmpfs(dir: string, options: string): void {
    mkdirSync(dir, {recursive: true})
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`mount -t tmpfs ${dir}: ${r.stderr}`)
    mounted.push(dir)
  }

  function unmount(dir: string): void {
    spawnSync('umount', ['-l', dir])
    mounted = mounted.filter(d => d !== dir)
  }

  function fresh(): Sandbox {
    const sb = sandbox(u)
    copyHome(warm, sb)
    return sb
  }

  /** Staging unchanged (files and records) and consistent. */
  async function stagingIntact(sb: Sandbox, before: Map<string, string>): Promise<void> {
    expect(snapshotDiff(before, snapshot(sb.clone)), 'staging changed').to.deep.equal([])
    const st = await status(sb)
    expect(st.ref).to.equal('main')
    expect(st.headMatches && st.clean).to.equal(true)
  }

  it('a read-only workspaces folder: clear error, staging intact, no partial workspace', async function () {
    if (protects) {
      // An unprivileged user: permission bits are enough.
      await fault(async () => {
        const sb = fresh()
        const ws = path.join(sb.plantonHome, 'workspaces')
        mkdirSync(ws, {recursive: true})
        chmodSync(ws, 0o555)
        const before = snapshot(sb.clone)
        try {
          expectClearFailure(await cli(sb, ['tofu:plan', '-f', manifests.small]), /permission denied|EACCES/i)
        } finally {
          chmodSync(ws, 0o755)
        }

        expect(listDir(ws)).to.deep.equal([])
        await stagingIntact(sb, before)
      })
      return
    }

    if (!mountable) this.skip()
    await fault(async () => {
      const sb = fresh()
      const ws = path.join(sb.plantonHome, 'workspaces')
      tmpfs(ws, 'ro,size=1m')
      const before = snapshot(sb.clone)
      const r = await cli(sb, ['tofu:plan', '-f', manifests.small])
      expectClearFailure(r, /the file system is read-only while writing under .*\n.*writable/)
      expect(r.stderr).to.include(ws)
      expect(listDir(ws)).to.deep.equal([])
      await stagingIntact(sb, before)
    })
  })

  it('a workspaces "folder" that is a file: clear error, the file untouched, staging intact', async () => fault(async () => {
    const sb = fresh()
    const ws = path.join(sb.plantonHome, 'workspaces')
    writeFileSync(ws, 'not a folder\n')
    const before = snapshot(sb.clone)
    expectClearFailure(await cli(sb, ['tofu:plan', '-f', manifests.small]), /workspaces/)
    expect(readFileSync(ws, 'utf8')).to.equal('not a folder\n')
    await stagingIntact(sb, before)
  }))

  describe('a file system that fills up', () => {
    before(function () {
      if (!mountable) this.skip()
    })

    it('while a workspace is filled (tofu, big module): clear error, workspace removed, a later run gets the whole module', async () => fault(async () => {
      const sb = fresh()
      const ws = path.join(sb.plantonHome, 'workspaces')
      tmpfs(ws, 'size=512k')
      const before = snapshot(sb.clone)
      expectClearFailure(await cli(sb, ['tofu:plan', '-f', manifests.big]), FULL)
      expect(listDir(ws), 'no partial workspace').to.deep.equal([])
      await stagingIntact(sb, before)
      unmount(ws)
      const again = await cli(sb, ['tofu:plan', '-f', manifests.big, '--no-cleanup'], {expect: 0})
      expect(again.stdout).to.include('module_version = "main-3"')
      const [kept] = listDir(ws)
      const generated = (rel: string) => rel.startsWith(`${TF_MODULE_POSTGRES}/.terraform`) || rel === `${TF_MODULE_POSTGRES}/_project_planton_backend.tf`
      expect(treeDiff(actualTree(path.join(ws, kept, 'tree'), generated), expectedTree(u, 'main', TF_MODULE_POSTGRES)).slice(0, 5)).to.deep.equal([])
    }))

    it('while a workspace is filled (pulumi --full-tree): clear error, workspace removed', async () => fault(async () => {
      const sb = fresh()
      const ws = path.join(sb.plantonHome, 'workspaces')
      tmpfs(ws, 'size=512k')
      const before = snapshot(sb.clone)
      const env = {PATH: `${binDir}${path.delimiter}${sb.env.PATH}`}
      expectClearFailure(await cli(sb, ['pulumi:preview', '-f', manifests.pulumi, '--full-tree'], {env}), FULL)
      expect(listDir(ws), 'no partial workspace').to.deep.equal([])
      await stagingIntact(sb, before)
    }))

    it('when it is already full as the run starts: clear error, no empty workspace left', async () => fault(async () => {
      const sb = fresh()
      const ws = path.join(sb.plantonHome, 'workspaces')
      tmpfs(ws, 'size=64k')
      // Fill it to the last byte.
      const filler = path.join(ws, 'filler')
      const chunk = Buffer.alloc(4096, 1)
      try {
        for (;;) writeFileSync(filler, chunk, {flag: 'a'})
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).to.equal('ENOSPC')
      }

      expectClearFailure(await cli(sb, ['tofu:plan', '-f', manifests.small]), FULL)
      expect(listDir(ws), 'only the filler').to.deep.equal(['filler'])
    }))

    it('while the module snapshot is written: the run exports straight into its workspace, no half snapshot is left', async () => fault(async () => {
      const sb = fresh()
      const cache = path.join(sb.plantonHome, 'cache')
      tmpfs(cache, 'size=512k')
      // A snapshot and a copy need twice the module's room; the module alone fits.
      const r = await cli(sb, ['tofu:plan', '-f', manifests.big], {expect: 0})
      expect(r.stderr).to.contain('No room for a snapshot of this module: exporting into the workspace only')
      expect(r.stdout).to.include('module_version = "main-3"')
      expect(listDir(path.join(cache, 'snapshots')).filter(n => n.startsWith('.tmp')), 'half snapshot').to.deep.equal([])
      expect(listDir(path.join(sb.plantonHome, 'workspaces')), 'no workspace left').to.deep.equal([])
      unmount(cache)
      await cli(sb, ['tofu:plan', '-f', manifests.big, '--no-cleanup'], {expect: 0})
      const [kept] = listDir(path.join(sb.plantonHome, 'workspaces'))
      const generated = (rel: string) => rel.startsWith(`${TF_MODULE_POSTGRES}/.terraform`) || rel === `${TF_MODULE_POSTGRES}/_project_planton_backend.tf`
      expect(treeDiff(actualTree(path.join(sb.plantonHome, 'workspaces', kept, 'tree'), generated), expectedTree(u, 'main', TF_MODULE_POSTGRES)).slice(0, 5)).to.deep.equal([])
    }))

    it('during the first clone (the whole home on a small disk): clear error, no half clone; a later pull on room completes', async () => fault(async () => {
      const sb = sandbox(u)
      tmpfs(sb.plantonHome, 'size=2m')
      const r = await cli(sb, ['staging', 'pull'])
      expectClearFailure(r, /could not clone .*No space left on device/)
      expect(listDir(path.join(sb.plantonHome, 'staging')).filter(n => n.startsWith('.tmp-') || n === 'project-planton'), 'half clone').to.deep.equal([])
      unmount(sb.plantonHome)
      tmpfs(sb.plantonHome, 'size=64m')
      await cli(sb, ['staging', 'pull'], {expect: 0})
      const st = await status(sb)
      expect(st.headMatches && st.clean).to.equal(true)
      expect(workTreeDiff(sb, u, st.ref!)).to.deep.equal([])
    }))
  })
})
