import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {
  accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {binariesRoot} from '../../src/core/binaries/cache.js'
import {currentPlatform, releaseAssetName} from '../../src/core/binaries/platform.js'
import {binaryProjectName, binaryPulumiYaml} from '../../src/core/binaries/pulumi-yaml.js'
import {type ModuleBinary, type ModuleBinaryRequest, resolveModuleBinary} from '../../src/core/binaries/resolve.js'
import {InvalidInputError} from '../../src/core/errors.js'
import {ROOT, runProgram} from '../support/cli.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  gzipProgram, recordingProgram, type ReleaseServer, sha256, startProxy, startReleaseServer,
} from '../support/release-server.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

const KIND = 'KubernetesPostgres'
const MODULE = 'kubernetespostgres'
const SHA = 'a'.repeat(40)
const platform = currentPlatform()!
const ASSET = releaseAssetName(MODULE, platform)
const assetPath = (tag: string, name = ASSET) => `/releases/download/${tag}/${name}`

type Fixture = {
  root: string
  cacheDir: string
  /** a PATH without go: downloads only, no build fallback */
  noGoPath: string
  runs: string
  lines: string[]
  resolve(over: Partial<ModuleBinaryRequest> & {base?: string}): Promise<ModuleBinary>
}

function fixture(server?: ReleaseServer): Fixture {
  const root = makeTempDir('pp-bin-dl-')
  const noGoPath = path.join(root, 'empty-path')
  mkdirSync(noGoPath)
  const lines: string[] = []
  const cacheDir = path.join(root, 'home', 'cache')
  return {
    root,
    cacheDir,
    noGoPath,
    runs: path.join(root, 'program-runs.txt'),
    lines,
    resolve(over) {
      const {base, ...rest} = over
      return resolveModuleBinary({
        mode: 'auto',
        version: {ref: 'v0.3.26', kind: 'tag', sha: SHA},
        kind: KIND,
        cacheDir,
        env: {PATH: noGoPath, PROJECT_PLANTON_RELEASES_URL: base ?? server?.base},
        report: line => lines.push(line),
        async buildWorkspace() {
          throw new Error('no build expected')
        },
        ...rest,
      })
    },
  }
}

/** Names in the binaries folder other than locks and the Go toolchain record. */
function cacheNames(cacheDir: string): string[] {
  const root = binariesRoot(cacheDir)
  return existsSync(root) ? readdirSync(root).filter(n => n !== '.locks' && n !== '.go-toolchains.json') : []
}

function assetRequests(server: ReleaseServer, tag: string, name = ASSET): number {
  return server.requests.filter(r => r.path === assetPath(tag, name)).length
}

describe('module binaries: downloads', () => {
  describe('over HTTP', () => {
    let server: ReleaseServer

    beforeEach(async () => {
      server = await startReleaseServer()
    })

    afterEach(async () => {
      await server.stop()
    })

    after(removeTempDirs)

    it('a release is downloaded once, then used from the cache with the server stopped, and Pulumi runs it', async () => {
      const f = fixture(server)
      const program = recordingProgram('v0.3.26 program', f.runs)
      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(program)})
      const first = await f.resolve({})
      expect(first).to.include({kind: 'binary', how: 'downloaded'})
      if (first.kind !== 'binary') throw new Error('unreachable')
      expect(first.label).to.match(/^module binary v0\.3\.26, downloaded \(\d+ B\)$/)
      expect(readFileSync(first.path, 'utf8')).to.equal(program)
      accessSync(first.path, constants.X_OK)
      expect(first.record).to.include({
        how: 'downloaded', version: 'v0.3.26', sha: SHA, module: MODULE, size: program.length, sha256: sha256(Buffer.from(program)), checksum: 'not published',
      })
      // One download of the program; the checksum files were looked for (a sidecar, GoReleaser's list) and are not there.
      expect(assetRequests(server, 'v0.3.26')).to.equal(1)
      expect(server.requests.map(r => r.path).sort()).to.deep.equal([
        assetPath('v0.3.26'), assetPath('v0.3.26', `${ASSET}.sha256`), assetPath('v0.3.26', 'cli_0.3.26_checksums.txt'),
      ].sort())
      expect(server.requests[0].headers['user-agent']).to.equal('project-planton')

      await server.stop()
      const second = await f.resolve({})
      expect(second).to.include({
        kind: 'binary', how: 'cached', path: first.path, label: 'module binary v0.3.26, cached',
      })
      expect(cacheNames(f.cacheDir)).to.deep.equal([`v0.3.26_${MODULE}_${platform.os}_${platform.arch}`])

      // The workspace of a binary run: Pulumi's Go runtime runs the program named in Pulumi.yaml.
      const ws = path.join(f.root, 'workspace')
      mkdirSync(ws)
      writeFileSync(path.join(ws, 'Pulumi.yaml'), binaryPulumiYaml({project: binaryProjectName('acme/shop/dev', KIND), binary: first.path, kind: KIND}))
      const pulumi = installPulumiStandIn(path.join(f.root, 'pulumi-bin'))
      const res = await runProgram(pulumi.bin, ['preview', '--stack', 'acme/shop/dev'], {cwd: ws, env: {...process.env, PULUMI_STAND_IN_RECORD: pulumi.recordFile}})
      expect(res.code).to.equal(0)
      const [record] = readRecords(pulumi.recordFile)
      expect(record).to.include({binary: first.path, binaryExit: 0})
      expect(readFileSync(f.runs, 'utf8')).to.equal('v0.3.26 program \n')
    })

    it('`latest` downloads the release it stands for; a component release of the kind has its program', async () => {
      const f = fixture(server)
      const component = `v0.3.26-pulumi.${MODULE}.20260117.0`
      server.asset('v0.3.25', ASSET, {kind: 'file', body: gzipProgram(recordingProgram('latest', f.runs))})
      server.asset(component, ASSET, {kind: 'file', body: gzipProgram(recordingProgram('component', f.runs))})
      // As staging resolves it: a tag, named in `tag`.
      const latest = await f.resolve({
        version: {
          ref: 'latest', kind: 'tag', tag: 'v0.3.25', sha: SHA,
        },
      })
      expect(latest).to.include({kind: 'binary', how: 'downloaded', label: `module binary v0.3.25, downloaded (${recordingProgram('latest', f.runs).length} B)`})
      const comp = await f.resolve({version: {ref: component, kind: 'tag', sha: SHA}})
      expect(comp).to.include({kind: 'binary', how: 'downloaded'})
      expect(assetRequests(server, component)).to.equal(1)
    })

    it('versions without module programs make no request: branches, commits, other components, cli and terraform tags', async () => {
      const f = fixture(server)
      const cases: Array<[ModuleBinaryRequest['version'], RegExp]> = [
        [{ref: 'main', kind: 'branch', sha: SHA}, /main is a branch, not a release/],
        [{ref: SHA, kind: 'commit', sha: SHA}, /is a commit, not a release/],
        [{ref: 'v0.3.26-pulumi.openfgastore.20260117.0', kind: 'tag', sha: SHA}, /a release of the openfgastore module only/],
        [{ref: 'v0.3.26-cli.20260117.0', kind: 'tag', sha: SHA}, /not a release with module programs/],
        [{ref: `v0.3.26-terraform.${MODULE}.20260117.0`, kind: 'tag', sha: SHA}, /not a release with module programs/],
        [{ref: 'v0.3.26-rc1', kind: 'tag', sha: SHA}, /not a release with module programs/],
      ]
      for (const [version, reason] of cases) {
        const r = await f.resolve({version, mode: 'download'})
        expect(r.kind, version.ref).to.equal('source')
        if (r.kind === 'source') expect(r.reason).to.match(reason)
      }

      expect(server.requests).to.deep.equal([])
    })

    it('a release without the program (404) falls back to source with the reason, leaving nothing', async () => {
      const f = fixture(server)
      const r = await f.resolve({})
      expect(r.kind).to.equal('source')
      if (r.kind !== 'source') return
      expect(r.reason).to.contain(`no release binary: not found (HTTP 404, ${server.origin}/releases/download/v0.3.26/${ASSET})`)
      expect(r.reason).to.contain('Go is not installed')
      expect(r.label).to.equal(`from source: ${r.reason}`)
      expect(f.lines.some(l => l.startsWith('No module binary v0.3.26 downloaded: not found (HTTP 404'))).to.equal(true)
      expect(cacheNames(f.cacheDir)).to.deep.equal([])
    })

    it('a server that does not answer, or stops sending, times out; nothing is left', async () => {
      const f = fixture(server)
      server.asset('v0.3.26', ASSET, {kind: 'hang'})
      const hung = await f.resolve({http: {idleTimeoutMs: 300}})
      expect(hung.kind === 'source' && hung.reason).to.contain(`timed out waiting for ${new URL(server.origin).host} to answer`)

      const body = gzipProgram(recordingProgram('x', f.runs).repeat(50))
      server.asset('v0.3.26', ASSET, {kind: 'stall', body, sendBytes: 100})
      const stalled = await f.resolve({http: {idleTimeoutMs: 300}})
      expect(stalled.kind === 'source' && stalled.reason).to.contain('stopped sending data')
      expect(cacheNames(f.cacheDir)).to.deep.equal([])
    })

    it('a truncated download is never installed: cut connection, or gzip data cut short', async () => {
      const f = fixture(server)
      const body = gzipProgram(Buffer.concat([Buffer.from(recordingProgram('x', f.runs)), Buffer.alloc(200_000, 7)]))
      server.asset('v0.3.26', ASSET, {kind: 'truncate', body, sendBytes: Math.floor(body.length / 2)})
      const cut = await f.resolve({})
      expect(cut.kind === 'source' && cut.reason).to.match(/no release binary: damaged: the download ended early/)

      server.asset('v0.3.26', ASSET, {
        kind: 'truncate', body, sendBytes: body.length - 5, chunked: true,
      })
      const short = await f.resolve({})
      expect(short.kind === 'source' && short.reason).to.match(/damaged: the download is not intact gzip data \(unexpected end of file/)
      expect(cacheNames(f.cacheDir)).to.deep.equal([])
    })

    it('checks the checksum a release publishes: a sidecar or GoReleaser\'s list; a mismatch is never installed', async () => {
      const f = fixture(server)
      const body = gzipProgram(recordingProgram('x', f.runs))
      server.asset('v0.3.26', ASSET, {kind: 'file', body})
      server.asset('v0.3.26', `${ASSET}.sha256`, {kind: 'file', body: Buffer.from(`${'0'.repeat(64)}  ${ASSET}\n`)})
      const bad = await f.resolve({})
      expect(bad.kind === 'source' && bad.reason).to.match(/no release binary: checksum mismatch: .* has SHA-256 [\da-f]{16}…, .*\.sha256 says 0{16}…/)
      expect(cacheNames(f.cacheDir)).to.deep.equal([])

      server.asset('v0.3.26', `${ASSET}.sha256`, {kind: 'file', body: Buffer.from(`${sha256(body)}\n`)})
      const good = await f.resolve({})
      expect(good).to.include({kind: 'binary', how: 'downloaded'})
      expect(good.kind === 'binary' && good.record.checksum).to.equal('verified')
      expect(good.label).to.contain('checksum verified')

      // GoReleaser's list of a plain release, when it names the program.
      const g = fixture(server)
      server.asset('v0.3.27', ASSET, {kind: 'file', body})
      server.asset('v0.3.27', 'cli_0.3.27_checksums.txt', {kind: 'file', body: Buffer.from(`${'1'.repeat(64)}  cli_0.3.27_linux_amd64.tar.gz\n${'2'.repeat(64)}  ${ASSET}\n`)})
      const listed = await g.resolve({version: {ref: 'v0.3.27', kind: 'tag', sha: SHA}})
      expect(listed.kind === 'source' && listed.reason).to.match(/checksum mismatch: .*cli_0\.3\.27_checksums\.txt says 2{16}…/)

      server.asset('v0.3.28', ASSET, {kind: 'file', body})
      server.asset('v0.3.28', `${ASSET}.sha256`, {kind: 'file', body: Buffer.from('<html>not found</html>')})
      const garbled = await g.resolve({version: {ref: 'v0.3.28', kind: 'tag', sha: SHA}})
      expect(garbled.kind === 'source' && garbled.reason).to.contain('holds no SHA-256')
      expect(cacheNames(g.cacheDir)).to.deep.equal([])
    })

    it('what is not a program of this platform, not gzip, or too large is refused', async () => {
      const f = fixture(server)
      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram('<!DOCTYPE html><html><body>Sign in to continue</body></html>')})
      const html = await f.resolve({})
      expect(html.kind === 'source' && html.reason).to.contain(`damaged: the download is not a program for ${platform.os}/${platform.arch}: it starts with "<!DOCTYP"`)

      server.asset('v0.3.26', ASSET, {kind: 'file', body: Buffer.from(recordingProgram('x', f.runs))})
      const plain = await f.resolve({})
      expect(plain.kind === 'source' && plain.reason).to.contain('damaged: the download is not intact gzip data (incorrect header check')

      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(Buffer.concat([Buffer.from('#!/bin/sh\n'), Buffer.alloc(50_000)]))})
      const large = await f.resolve({http: {maxBytes: 10_000}})
      expect(large.kind === 'source' && large.reason).to.contain('too large: the program unpacks to more than 9.8 KiB')

      server.asset('v0.3.26', ASSET, {kind: 'status', status: 500})
      const failing = await f.resolve({})
      expect(failing.kind === 'source' && failing.reason).to.contain(`no release binary: HTTP 500 (${server.origin}/releases/download/v0.3.26/${ASSET})`)
      expect(cacheNames(f.cacheDir)).to.deep.equal([])
    })

    it('a real executable of this machine is accepted and runs', async function () {
      const real = ['/usr/bin/true', '/bin/true'].find(p => existsSync(p))
      if (!real) {
        console.log('    (skipped: no /usr/bin/true or /bin/true on this machine)')
        this.skip()
      }

      const f = fixture(server)
      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(readFileSync(real!))})
      const r = await f.resolve({})
      expect(r).to.include({kind: 'binary', how: 'downloaded'})
      const res = await runProgram((r as {path: string}).path, [], {cwd: f.root, env: {}})
      expect(res.code).to.equal(0)
    })

    it('redirects: followed to http only when the base is http, never to other schemes, at most five', async () => {
      const f = fixture(server)
      const other = await startReleaseServer()
      try {
        other.route('/assets/program.gz', {kind: 'file', body: gzipProgram(recordingProgram('redirected', f.runs))})
        server.asset('v0.3.26', ASSET, {kind: 'redirect', to: `${other.origin}/assets/program.gz`})
        const r = await f.resolve({})
        expect(r).to.include({kind: 'binary', how: 'downloaded'})
        expect(other.requests.map(q => q.path)).to.deep.equal(['/assets/program.gz'])

        server.asset('v0.3.27', ASSET, {kind: 'redirect', to: 'file:///etc/passwd'})
        const file = await f.resolve({version: {ref: 'v0.3.27', kind: 'tag', sha: SHA}})
        expect(file.kind === 'source' && file.reason).to.contain('refused a redirect').and.contain('file: is not allowed')

        server.asset('v0.3.28', ASSET, {kind: 'redirect', to: assetPath('v0.3.28')})
        const loop = await f.resolve({version: {ref: 'v0.3.28', kind: 'tag', sha: SHA}})
        expect(loop.kind === 'source' && loop.reason).to.contain('more than 5 redirects')
        expect(assetRequests(server, 'v0.3.28')).to.equal(6)
      } finally {
        await other.stop()
      }
    })

    it('credentials in PROJECT_PLANTON_RELEASES_URL are sent to its origin only and never shown', async () => {
      const f = fixture(server)
      const other = await startReleaseServer()
      try {
        other.route('/assets/program.gz', {kind: 'file', body: gzipProgram(recordingProgram('x', f.runs))})
        server.asset('v0.3.26', ASSET, {kind: 'redirect', to: `${other.origin}/assets/program.gz`})
        const base = server.base.replace('http://', 'http://reader:s3cr%3At@')
        const r = await f.resolve({base})
        expect(r).to.include({kind: 'binary', how: 'downloaded'})
        expect(server.requests[0].headers.authorization).to.equal(`Basic ${Buffer.from('reader:s3cr:t').toString('base64')}`)
        expect(other.requests[0].headers.authorization).to.equal(undefined)
        expect(JSON.stringify(r) + f.lines.join('\n')).not.to.contain('s3cr')

        const missing = await f.resolve({base, version: {ref: 'v0.3.27', kind: 'tag', sha: SHA}})
        expect(missing.kind === 'source' && missing.reason).to.contain('HTTP 404').and.not.contain('s3cr')
      } finally {
        await other.stop()
      }
    })

    it('a bad PROJECT_PLANTON_RELEASES_URL is an input error', async () => {
      const f = fixture(server)
      for (const base of ['ftp://mirror.example/releases', 'not a url', 'file:///srv/releases', 'https://mirror.example/releases?token=x']) {
        let error: unknown
        try {
          await f.resolve({base})
        } catch (error_) {
          error = error_
        }

        expect(error, base).to.be.instanceOf(InvalidInputError)
        expect((error as InvalidInputError).exitCode).to.equal(2)
        expect((error as Error).message).to.contain('PROJECT_PLANTON_RELEASES_URL')
        expect((error as Error).message).not.to.contain('token=x')
      }
    })

    it('offline: a refused connection or a name that does not resolve is a one-line reason', async () => {
      const f = fixture(server)
      const {origin} = server
      await server.stop()
      const refused = await f.resolve({base: `${origin}/releases`})
      expect(refused.kind === 'source' && refused.reason).to.contain(`no release binary: ${new URL(origin).host} refused the connection`)
      const unresolved = await f.resolve({base: 'http://releases.invalid/releases'})
      expect(unresolved.kind === 'source' && unresolved.reason).to.match(/no release binary: offline\? releases\.invalid could not be resolved \((ENOTFOUND|EAI_AGAIN)\)/)
      server = await startReleaseServer()
    })

    it('goes through the proxy of HTTP_PROXY/http_proxy, and not for NO_PROXY hosts; process.env is not read', async () => {
      const f = fixture(server)
      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(recordingProgram('x', f.runs))})
      const proxy = await startProxy()
      const saved = process.env.HTTP_PROXY
      // A proxy in the CLI's own process environment that is not in the run's: it must not be used.
      process.env.HTTP_PROXY = 'http://127.0.0.1:9'
      try {
        const {host} = new URL(server.origin)
        const viaProxy = await f.resolve({
          env: {
          // eslint-disable-next-line camelcase
            PATH: f.noGoPath, PROJECT_PLANTON_RELEASES_URL: server.base, HTTP_PROXY: 'http://127.0.0.1:9', http_proxy: proxy.url,
          },
        })
        expect(viaProxy).to.include({kind: 'binary', how: 'downloaded'})
        expect([...proxy.tunnels, ...proxy.forwarded].some(t => t.includes(host))).to.equal(true)

        const seen = proxy.tunnels.length + proxy.forwarded.length
        const g = fixture(server)
        const direct = await g.resolve({
          env: {
            PATH: g.noGoPath, PROJECT_PLANTON_RELEASES_URL: server.base, HTTP_PROXY: proxy.url, NO_PROXY: 'localhost,127.0.0.1',
          },
        })
        expect(direct).to.include({kind: 'binary', how: 'downloaded'})
        expect(proxy.tunnels.length + proxy.forwarded.length).to.equal(seen)

        const h = fixture(server)
        const noProxy = await h.resolve({env: {PATH: h.noGoPath, PROJECT_PLANTON_RELEASES_URL: server.base}})
        expect(noProxy).to.include({kind: 'binary', how: 'downloaded'})
      } finally {
        if (saved === undefined) delete process.env.HTTP_PROXY
        else process.env.HTTP_PROXY = saved
        await proxy.stop()
      }
    })

    it('a damaged or replaced cached program is never used: it is downloaded again', async () => {
      const f = fixture(server)
      const program = recordingProgram('v0.3.26 program', f.runs)
      server.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(program)})
      const first = await f.resolve({})
      if (first.kind !== 'binary') throw new Error(`expected a binary: ${first.label}`)

      truncateSync(first.path, 10)
      const again = await f.resolve({})
      expect(again).to.include({kind: 'binary', how: 'downloaded', path: first.path})
      expect(f.lines).to.include(`The cached module binary v0.3.26 is not used: the program is 10 bytes, not ${program.length} (truncated or replaced)`)
      expect(readFileSync(first.path, 'utf8')).to.equal(program)
      expect(assetRequests(server, 'v0.3.26')).to.equal(2)

      // The tag now points at another commit: the program of the old one is not this version's.
      const moved = await f.resolve({version: {ref: 'v0.3.26', kind: 'tag', sha: 'b'.repeat(40)}})
      expect(moved).to.include({kind: 'binary', how: 'downloaded'})
      expect(moved.kind === 'binary' && moved.record.sha).to.equal('b'.repeat(40))
      expect(f.lines).to.include(`The cached module binary v0.3.26 is not used: it is of commit ${'a'.repeat(12)}, and v0.3.26 is now ${'b'.repeat(12)}`)
      expect(statSync(first.path).size).to.equal(program.length)
    })
  })

  describe('over HTTPS', () => {
    let tls: {key: string; cert: string; certFile: string} | undefined

    before(function () {
      const dir = makeTempDir('pp-bin-tls-')
      const res = spawnSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ], {encoding: 'utf8'})
      if (res.error || res.status !== 0) {
        console.log(`    (skipped: openssl could not make a test certificate: ${res.error?.message ?? res.stderr})`)
        this.skip()
      }

      tls = {key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), certFile: path.join(dir, 'cert.pem')}
    })

    after(removeTempDirs)

    /** Resolves in a child process, where NODE_EXTRA_CA_CERTS (read at start-up) can trust the test's certificate. */
    async function resolveInChild(f: Fixture, base: string, ref: string): Promise<ModuleBinary> {
      const request = JSON.stringify({
        mode: 'download', version: {ref, kind: 'tag', sha: SHA}, kind: KIND, cacheDir: f.cacheDir, buildDir: f.root,
      })
      const res = await runProgram(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'support', 'resolve-binary-child.ts'), request], {
        cwd: ROOT, env: {
          ...process.env, PATH: f.noGoPath, PROJECT_PLANTON_RELEASES_URL: base, NODE_EXTRA_CA_CERTS: tls!.certFile,
        },
      })
      if (res.code !== 0) throw new Error(`child failed: ${res.stderr}`)
      return JSON.parse(res.stdout) as ModuleBinary
    }

    it('downloads from a server whose certificate the user trusts, refuses one it does not, and never follows a redirect to http', async () => {
      const secure = await startReleaseServer({key: tls!.key, cert: tls!.cert})
      const plain = await startReleaseServer()
      try {
        const f = fixture(secure)
        secure.asset('v0.3.26', ASSET, {kind: 'file', body: gzipProgram(recordingProgram('tls', f.runs))})
        const trusted = await resolveInChild(f, secure.base, 'v0.3.26')
        expect(trusted).to.include({kind: 'binary', how: 'downloaded'})

        const untrusted = await fixture(secure).resolve({})
        expect(untrusted.kind === 'source' && untrusted.reason).to.match(new RegExp(`no release binary: TLS failure with ${new URL(secure.origin).host}: self[- ]signed certificate`))

        plain.route('/p.gz', {kind: 'file', body: gzipProgram(recordingProgram('plain', f.runs))})
        secure.asset('v0.3.27', ASSET, {kind: 'redirect', to: `${plain.origin}/p.gz`})
        const downgraded = await resolveInChild(f, secure.base, 'v0.3.27')
        expect(downgraded.kind === 'source' && downgraded.reason).to.contain(`refused a redirect from ${secure.origin}/releases/download/v0.3.27/${ASSET} to ${plain.origin}/p.gz: it leaves HTTPS`)
        expect(plain.requests).to.deep.equal([])
      } finally {
        await secure.stop()
        await plain.stop()
      }
    })
  })
})
