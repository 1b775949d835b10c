import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {
  accessSync, chmodSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {binariesRoot, binaryCacheStats, pruneBinaries} from '../../src/core/binaries/cache.js'
import {sourceRunEnv} from '../../src/core/binaries/go.js'
import {currentPlatform, releaseAssetName} from '../../src/core/binaries/platform.js'
import {binaryProjectName, binaryPulumiYaml} from '../../src/core/binaries/pulumi-yaml.js'
import {type ModuleBinary, type ModuleBinaryRequest, resolveModuleBinary} from '../../src/core/binaries/resolve.js'
import {homePaths} from '../../src/core/home.js'
import {prepareRun} from '../../src/core/prepare.js'
import {isAlive} from '../../src/core/process.js'
import {removeWorkspace} from '../../src/core/workspace.js'
import {
  type CliResult, collect, ROOT, runProgram,
} from '../support/cli.js'
import {
  goBuilds, installGoStandIn, readGoRecords, readProgramRuns,
} from '../support/go-stand-in.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  gzipProgram, recordingProgram, type ReleaseServer, startReleaseServer,
} from '../support/release-server.js'
import {
  createUpstream, makeTempDir, PULUMI_MODULE_REDIS, removeTempDirs,
} from '../support/upstream.js'

const KIND = 'KubernetesPostgres'
const MODULE = 'kubernetespostgres'
const SHA_A = 'a'.repeat(40)
const SHA_B = 'b'.repeat(40)
const platform = currentPlatform()!
const CHILD = path.join(ROOT, 'test', 'support', 'resolve-binary-child.ts')

type Fixture = {
  root: string
  cacheDir: string
  binDir: string
  go: ReturnType<typeof installGoStandIn>
  /** the module folder of a closure workspace, handed to go build */
  buildDir: string
  env: NodeJS.ProcessEnv
  lines: string[]
  resolve(over?: Partial<ModuleBinaryRequest>): Promise<ModuleBinary>
  /** the request as JSON for resolve-binary-child.ts */
  childRequest(over?: Record<string, unknown>): string
}

function fixture(): Fixture {
  const root = makeTempDir('pp-bin-build-')
  const binDir = path.join(root, 'bin')
  const go = installGoStandIn(binDir)
  const closure = path.join(root, 'closure')
  const buildDir = path.join(closure, 'apis', 'org', 'project_planton', 'provider', 'kubernetes', MODULE, 'v1', 'iac', 'pulumi')
  mkdirSync(buildDir, {recursive: true})
  writeFileSync(path.join(closure, 'go.mod'), 'module github.com/plantonhq/project-planton\n\ngo 1.25\n')
  writeFileSync(path.join(buildDir, 'main.go'), 'package main\n\nfunc main() {}\n')
  const cacheDir = path.join(root, 'home', 'cache')
  // /usr/bin and /bin for the stand-in's sh; the stand-in is first, so no Go of the machine is used.
  const env: NodeJS.ProcessEnv = {PATH: `${binDir}:/usr/bin:/bin`, GOFLAGS: '-mod=mod -tags=netgo', HOME: root}
  const lines: string[] = []
  const base = {
    mode: 'auto' as const, version: {ref: 'main', kind: 'branch' as const, sha: SHA_A}, kind: KIND, cacheDir,
  }
  return {
    root,
    cacheDir,
    binDir,
    go,
    buildDir,
    env,
    lines,
    resolve(over = {}) {
      return resolveModuleBinary({
        ...base,
        env,
        report: line => lines.push(line),
        async buildWorkspace() {
          return buildDir
        },
        ...over,
      })
    },
    childRequest(over = {}) {
      return JSON.stringify({...base, buildDir, ...over})
    },
  }
}

function entries(cacheDir: string): string[] {
  const root = binariesRoot(cacheDir)
  return existsSync(root) ? readdirSync(root).filter(n => !n.startsWith('.')) : []
}

function leftovers(cacheDir: string): string[] {
  const root = binariesRoot(cacheDir)
  return existsSync(root) ? readdirSync(root).filter(n => /^\.(tmp|trash)-/.test(n)) : []
}

function asBinary(r: ModuleBinary): Extract<ModuleBinary, {kind: 'binary'}> {
  if (r.kind !== 'binary') throw new Error(`expected a module binary, got: ${r.label}`)
  return r
}

function startChild(request: string, env: NodeJS.ProcessEnv): {pid: number; done: Promise<CliResult>; stderr: () => string} {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, request], {cwd: ROOT, env: {...process.env, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
  const out = collect(child)
  return {pid: child.pid!, done: out.done, stderr: out.stderr}
}

async function resultOf(done: Promise<CliResult>): Promise<ModuleBinary> {
  const res = await done
  if (res.code !== 0) throw new Error(`child failed (${res.code ?? res.signal}): ${res.stderr}`)
  return JSON.parse(res.stdout) as ModuleBinary
}

function runChild(request: string, env: NodeJS.ProcessEnv): Promise<ModuleBinary> {
  return resultOf(startChild(request, env).done)
}

/** Waits for a condition that another process brings about (no timing is asserted). */
async function until(what: string, cond: () => boolean, limitMs = 30_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`)
    await new Promise(r => {
      setTimeout(r, 20)
    })
  }
}

describe('module binaries: built once', () => {
  describe('building', () => {
    after(removeTempDirs)

    it('a branch builds once with -trimpath and the user\'s GOFLAGS; later resolutions start no go at all', async () => {
      const f = fixture()
      const first = asBinary(await f.resolve())
      expect(first.how).to.equal('built')
      expect(first.label).to.equal(`module binary built once for main ${SHA_A.slice(0, 12)} (go1.25.1)`)
      expect(f.lines).to.include(`Building the module binary once for main ${SHA_A.slice(0, 12)} with go1.25.1…`)
      const records = readGoRecords(f.go.recordFile)
      expect(records.map(r => r.argv.slice(0, 2))).to.deep.equal([['env', 'GOVERSION'], ['build', '-trimpath']])
      const [build] = goBuilds(f.go.recordFile)
      expect(build.argv).to.have.length(6)
      expect(build.argv.slice(0, 4)).to.deep.equal(['build', '-trimpath', '-buildvcs=false', '-o'])
      expect(build.argv[5]).to.equal('.')
      // Built into a temporary folder of the cache, then moved into place.
      expect(path.dirname(build.argv[4])).to.match(new RegExp(`^${binariesRoot(f.cacheDir)}/\\.tmp-${process.pid}-`))
      expect(build.cwd).to.equal(f.buildDir)
      expect(build.env).to.deep.equal({
        GOFLAGS: '-mod=mod -tags=netgo', GOWORK: 'off', GOOS: platform.os, GOARCH: platform.arch,
      })
      accessSync(first.path, constants.X_OK)
      expect(first.record).to.include({
        how: 'built', sha: SHA_A, goVersion: 'go1.25.1', module: MODULE,
      })
      expect(leftovers(f.cacheDir)).to.deep.equal([])

      const second = asBinary(await f.resolve())
      expect(second).to.include({how: 'built-cached', path: first.path, label: `module binary built once for main ${SHA_A.slice(0, 12)}, cached`})
      expect(readGoRecords(f.go.recordFile)).to.have.length(2)

      // Pulumi runs the built program from a workspace holding only Pulumi.yaml.
      const ws = path.join(f.root, 'ws')
      mkdirSync(ws)
      writeFileSync(path.join(ws, 'Pulumi.yaml'), binaryPulumiYaml({project: binaryProjectName('acme/shop/dev', KIND), binary: second.path, kind: KIND}))
      const stackInput = path.join(f.root, 'stack-input.yaml')
      writeFileSync(stackInput, 'target: {}\n')
      const pulumi = installPulumiStandIn(path.join(f.root, 'pulumi-bin'))
      const res = await runProgram(pulumi.bin, ['up', '--stack', 'acme/shop/dev', '--yes'], {cwd: ws, env: {...process.env, STACK_INPUT_YAML_FILE: stackInput}})
      expect(res.code).to.equal(0)
      expect(readRecords(pulumi.recordFile)[0]).to.include({binary: second.path, binaryExit: 0})
      expect(readProgramRuns(f.go.programRuns)).to.deep.equal([{
        build: 1, builtIn: f.buildDir, args: '', stackInput, cwd: ws,
      }])
    })

    it('8 processes resolving one commit at once build it once; warm, 8 more start no go; a new commit builds again', async () => {
      const f = fixture()
      // The first build is held until the 7 others have found the entry's lock taken and wait.
      const hold = path.join(f.root, 'release-the-build')
      const children = Array.from({length: 8}, () => startChild(f.childRequest(), {...f.env, GO_STAND_IN_HOLD_UNTIL: hold}))
      const waiting = () => children.filter(c => c.stderr().includes('which is making the same module binary')).length
      await until('7 processes waiting for the one that builds', () => waiting() === 7)
      writeFileSync(hold, '')
      const cold = await Promise.all(children.map(c => resultOf(c.done)))
      const hows = cold.map(r => asBinary(r).how).sort()
      expect(hows).to.deep.equal(['built', ...Array.from({length: 7}, () => 'built-cached')])
      expect(new Set(cold.map(r => asBinary(r).path)).size).to.equal(1)
      expect(goBuilds(f.go.recordFile)).to.have.length(1)
      expect(entries(f.cacheDir)).to.have.length(1)

      const goCalls = readGoRecords(f.go.recordFile).length
      const warm = await Promise.all(Array.from({length: 8}, () => runChild(f.childRequest(), f.env)))
      expect(warm.map(r => asBinary(r).how)).to.deep.equal(Array.from({length: 8}, () => 'built-cached'))
      expect(readGoRecords(f.go.recordFile)).to.have.length(goCalls)

      const next = asBinary(await f.resolve({version: {ref: 'main', kind: 'branch', sha: SHA_B}}))
      expect(next.how).to.equal('built')
      expect(next.path).not.to.equal(asBinary(cold[0]).path)
      expect(goBuilds(f.go.recordFile)).to.have.length(2)
      expect(entries(f.cacheDir)).to.have.length(2)
    })

    it('another Go version or other build settings build again; the Go version is asked only when go changed', async () => {
      const f = fixture()
      const first = asBinary(await f.resolve())
      installGoStandIn(f.binDir, 'go1.26.0')
      const upgraded = asBinary(await f.resolve())
      expect(upgraded).to.include({how: 'built', label: `module binary built once for main ${SHA_A.slice(0, 12)} (go1.26.0)`})
      expect(upgraded.path).not.to.equal(first.path)
      const settings = asBinary(await f.resolve({env: {...f.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0'}}))
      expect(settings.how).to.equal('built')
      expect(goBuilds(f.go.recordFile)).to.have.length(3)
      expect(readGoRecords(f.go.recordFile).filter(r => r.argv[0] === 'env')).to.have.length(2)
      expect(asBinary(await f.resolve()).how).to.equal('built-cached')
    })

    it('a release version builds when its download fails, and mode build never downloads', async () => {
      const f = fixture()
      const server: ReleaseServer = await startReleaseServer()
      try {
        const env = {...f.env, PROJECT_PLANTON_RELEASES_URL: server.base}
        const release = {ref: 'v0.3.26', kind: 'tag' as const, sha: SHA_A}
        const fallback = asBinary(await f.resolve({env, version: release}))
        expect(fallback.how).to.equal('built')
        expect(f.lines).to.include(`No module binary v0.3.26 downloaded: not found (HTTP 404, ${server.base}/download/v0.3.26/${releaseAssetName(MODULE, platform)})`)
        expect(fallback.label).to.equal(`module binary built once for v0.3.26 ${SHA_A.slice(0, 12)} (go1.25.1)`)
        // Next time the program built from the commit is used: no request.
        const seen = server.requests.length
        expect(asBinary(await f.resolve({env, version: release})).how).to.equal('built-cached')
        expect(server.requests).to.have.length(seen)

        server.asset('v0.3.27', releaseAssetName(MODULE, platform), {kind: 'file', body: gzipProgram(recordingProgram('x', path.join(f.root, 'runs')))})
        const built = asBinary(await f.resolve({env, mode: 'build', version: {ref: 'v0.3.27', kind: 'tag', sha: SHA_B}}))
        expect(built.how).to.equal('built')
        expect(server.requests).to.have.length(seen)
      } finally {
        await server.stop()
      }
    })

    it('mode never starts nothing; without Go (and nothing built) runs go from source, with GOFLAGS -trimpath added', async () => {
      const f = fixture()
      const server = await startReleaseServer()
      try {
        const never = await f.resolve({mode: 'never', env: {...f.env, PROJECT_PLANTON_RELEASES_URL: server.base}, version: {ref: 'v0.3.26', kind: 'tag', sha: SHA_A}})
        expect(never).to.deep.equal({kind: 'source', reason: 'module binaries are off (mode never)', label: 'from source: module binaries are off (mode never)'})
        expect(readGoRecords(f.go.recordFile)).to.deep.equal([])
        expect(server.requests).to.deep.equal([])
      } finally {
        await server.stop()
      }

      const empty = path.join(f.root, 'empty')
      mkdirSync(empty)
      const noGo = await f.resolve({env: {PATH: empty}})
      const reason = 'main is a branch, not a release; Go is not installed (no go on PATH)'
      expect(noGo).to.deep.equal({kind: 'source', reason, label: `from source: ${reason}`})

      // The source run: Pulumi compiles with the user's GOFLAGS plus -trimpath.
      const env = sourceRunEnv({
        ...process.env, PATH: `${f.binDir}:${process.env.PATH}`, GOFLAGS: '-mod=mod -tags=netgo', PULUMI_STAND_IN_GO_BUILD: '1',
      })
      expect(env.GOFLAGS).to.equal('-mod=mod -tags=netgo -trimpath')
      const pulumi = installPulumiStandIn(path.join(f.root, 'pulumi-bin'))
      const res = await runProgram(pulumi.bin, ['preview', '--stack', 'acme/shop/dev'], {cwd: f.buildDir, env})
      expect(res.code).to.equal(0)
      expect(readRecords(pulumi.recordFile)[0]).to.include({goBuildExit: 0})
      expect(goBuilds(f.go.recordFile).map(r => r.env.GOFLAGS)).to.deep.equal(['-mod=mod -tags=netgo -trimpath'])
      expect(sourceRunEnv({GOFLAGS: '-trimpath=false -mod=mod'}).GOFLAGS).to.equal('-trimpath=false -mod=mod')
      expect(sourceRunEnv({}).GOFLAGS).to.equal('-trimpath')
    })

    it('without Go, a program built earlier from the same commit is still used', async () => {
      const f = fixture()
      const built = asBinary(await f.resolve())
      const empty = path.join(f.root, 'empty')
      mkdirSync(empty)
      const later = asBinary(await f.resolve({env: {PATH: empty}}))
      expect(later).to.include({how: 'built-cached', path: built.path})
      const other = await f.resolve({env: {PATH: empty}, version: {ref: 'main', kind: 'branch', sha: SHA_B}})
      expect(other.kind).to.equal('source')
    })

    it('a failed build falls back to source with Go\'s first error line and leaves nothing', async () => {
      const f = fixture()
      const failed = await f.resolve({env: {...f.env, GO_STAND_IN_FAIL: './main.go:3:2: undefined: stackInput'}})
      expect(failed.kind === 'source' && failed.reason).to.equal('main is a branch, not a release; go build failed: ./main.go:3:2: undefined: stackInput')
      const none = await f.resolve({env: {...f.env, GO_STAND_IN_NO_OUTPUT: '1'}})
      expect(none.kind === 'source' && none.reason).to.contain('go build made no program')
      expect(entries(f.cacheDir)).to.deep.equal([])
      expect(leftovers(f.cacheDir)).to.deep.equal([])
    })

    it('a damaged program is never run: truncated, changed, not executable or without record, it is built again', async () => {
      const f = fixture()
      const first = asBinary(await f.resolve())
      const good = readFileSync(first.path, 'utf8')
      const damage: Array<[string, () => void, RegExp]> = [
        ['truncated', () => truncateSync(first.path, 5), /the program is 5 bytes, not \d+ \(truncated or replaced\)/],
        ['same size, other bytes, old times', () => {
          const st = statSync(first.path)
          writeFileSync(first.path, good.replace('build 1 in', 'build X in'))
          utimesSync(first.path, st.atime, st.mtime)
        }, /the program's SHA-256 is [\da-f]{16}…, not [\da-f]{16}… as recorded/],
        ['not executable', () => chmodSync(first.path, 0o644), /the program is not executable/],
        ['missing', () => rmSync(first.path), /the program is missing/],
      ]
      let builds = 1
      for (const [what, harm, reason] of damage) {
        harm()
        const again = asBinary(await f.resolve())
        builds++
        expect(again.how, what).to.equal('built')
        expect(goBuilds(f.go.recordFile), what).to.have.length(builds)
        expect(f.lines.some(l => l.startsWith('The module binary built for aaaaaaaaaaaa is not used: ') && reason.test(l)), what).to.equal(true)
        expect(readFileSync(again.path, 'utf8'), what).to.equal(good.replaceAll('build 1 in', `build ${builds} in`).replaceAll('"build":1,', `"build":${builds},`))
      }

      // A record lost (a folder without one is not an entry): the entry is made again, and used from then on.
      rmSync(path.join(path.dirname(first.path), 'record.json'))
      expect(asBinary(await f.resolve()).how).to.equal('built')
      expect(asBinary(await f.resolve()).how).to.equal('built-cached')
      expect(leftovers(f.cacheDir)).to.deep.equal([])
    })

    it('builds from a real closure workspace of a staging commit', async () => {
      const up = createUpstream()
      const f = fixture()
      const paths = homePaths(path.join(f.root, 'home'))
      const sha = up.sha('v0.2.0')
      let workspaceRoot: string | undefined
      let prepared: Awaited<ReturnType<typeof prepareRun>> | undefined
      try {
        const r = asBinary(await f.resolve({
          cacheDir: paths.cache,
          kind: 'KubernetesRedis',
          version: {ref: 'v0.2.0', kind: 'tag', sha},
          mode: 'build',
          async buildWorkspace() {
            prepared = await prepareRun({
              paths, url: up.url, cliVersion: '0.0.0', command: 'test', env: f.env, tool: 'pulumi', stackId: 'acme/shop/dev', moduleVersion: 'v0.2.0',
              manifest: {apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis', metadata: {name: 'redis'}},
            })
            workspaceRoot = prepared.root
            return prepared.moduleDir
          },
        }))
        expect(r.how).to.equal('built')
        const [build] = goBuilds(f.go.recordFile)
        expect(build.cwd).to.equal(path.join(prepared!.tree, PULUMI_MODULE_REDIS))
        expect(existsSync(path.join(prepared!.tree, 'go.mod'))).to.equal(true)
        expect(r.record.sha).to.equal(sha)
      } finally {
        if (prepared && workspaceRoot) await removeWorkspace(paths.workspaces, prepared)
      }
    })

    it('stats count the programs; prune drops those unused for days, keeping the selected commit and version', async () => {
      const f = fixture()
      const server = await startReleaseServer()
      try {
        server.asset('v0.3.26', releaseAssetName(MODULE, platform), {kind: 'file', body: gzipProgram(recordingProgram('x', path.join(f.root, 'runs')))})
        const env = {...f.env, PROJECT_PLANTON_RELEASES_URL: server.base}
        const a = asBinary(await f.resolve())
        const b = asBinary(await f.resolve({version: {ref: 'main', kind: 'branch', sha: SHA_B}}))
        const d = asBinary(await f.resolve({env, version: {ref: 'v0.3.26', kind: 'tag', sha: 'c'.repeat(40)}}))
        expect(d.how).to.equal('downloaded')
        expect(await binaryCacheStats(f.cacheDir)).to.deep.equal({
          binaries: 3, bytes: a.record.size + b.record.size + d.record.size, built: 2, downloaded: 1,
        })

        const root = binariesRoot(f.cacheDir)
        const dead = path.join(root, '.tmp-999999999-dead')
        const alive = path.join(root, `.tmp-${process.pid}-mine`)
        const foreign = path.join(root, 'not-an-entry')
        for (const dir of [dead, alive, foreign]) mkdirSync(dir)
        expect(await pruneBinaries(f.cacheDir, {})).to.deep.equal({removed: 0, bytes: 0})
        expect(existsSync(dead)).to.equal(false)
        expect(existsSync(alive)).to.equal(true)

        const later = Date.now() + (8 * 86_400_000)
        expect(await pruneBinaries(f.cacheDir, {keepSha: SHA_A, keepVersion: 'v0.3.26', now: later})).to.deep.equal({removed: 1, bytes: b.record.size})
        expect(existsSync(b.path)).to.equal(false)
        expect(await pruneBinaries(f.cacheDir, {now: later})).to.deep.equal({removed: 2, bytes: a.record.size + d.record.size})
        expect(entries(f.cacheDir)).to.deep.equal(['not-an-entry'])
        expect(await binaryCacheStats(f.cacheDir)).to.deep.equal({
          binaries: 0, bytes: 0, built: 0, downloaded: 0,
        })
      } finally {
        await server.stop()
      }
    })
  })

  describe('interrupted', () => {
    after(removeTempDirs)

    for (const signal of ['SIGINT', 'SIGKILL'] as const) {
      it(`${signal} during a download leaves no program; the next resolution downloads it`, async () => {
        const f = fixture()
        const server = await startReleaseServer()
        try {
          const asset = releaseAssetName(MODULE, platform)
          const body = gzipProgram(Buffer.concat([Buffer.from(recordingProgram('x', path.join(f.root, 'runs'))), Buffer.alloc(300_000, 1)]))
          server.asset('v0.3.26', asset, {kind: 'stall', body, sendBytes: 64 * 1024})
          const env = {...f.env, PATH: path.join(f.root, 'no-go'), PROJECT_PLANTON_RELEASES_URL: server.base}
          const request = f.childRequest({version: {ref: 'v0.3.26', kind: 'tag', sha: SHA_A}})
          const arrived = server.waitFor(`/releases/download/v0.3.26/${asset}`)
          const child = startChild(request, env)
          await arrived
          // The first bytes are being written to a temporary file of the cache.
          await until('the temporary download', () => leftovers(f.cacheDir).length > 0)
          process.kill(child.pid, signal)
          const res = await child.done
          if (signal === 'SIGINT') {
            expect(res.code, res.stderr).to.equal(130)
            expect(res.stderr).to.contain('error: interrupted by SIGINT')
            expect(leftovers(f.cacheDir)).to.deep.equal([])
          } else {
            expect(res.signal).to.equal('SIGKILL')
            expect(leftovers(f.cacheDir)).to.have.length(1)
          }

          expect(entries(f.cacheDir)).to.deep.equal([])
          server.asset('v0.3.26', asset, {kind: 'file', body})
          const next = asBinary(await runChild(request, env))
          expect(next.how).to.equal('downloaded')
          expect(statSync(next.path).size).to.equal(next.record.size)
          // A killed process's temporary file is removed by the next one.
          expect(leftovers(f.cacheDir)).to.deep.equal([])
        } finally {
          await server.stop()
        }
      })

      it(`${signal} during a build leaves no program; the next resolution builds it`, async () => {
        const f = fixture()
        const request = f.childRequest()
        const child = startChild(request, {...f.env, GO_STAND_IN_SLEEP_MS: '60000'})
        await until('go build to start', () => existsSync(f.go.buildingFile))
        const goPid = Number(readFileSync(f.go.buildingFile, 'utf8'))
        try {
          process.kill(child.pid, signal)
          const res = await child.done
          if (signal === 'SIGINT') {
            expect(res.code, res.stderr).to.equal(130)
            // Go was stopped, and the half-written program removed with its folder.
            expect(isAlive(goPid)).to.equal(false)
            expect(leftovers(f.cacheDir)).to.deep.equal([])
          } else {
            expect(res.signal).to.equal('SIGKILL')
            expect(leftovers(f.cacheDir)).to.have.length(1)
          }

          expect(entries(f.cacheDir)).to.deep.equal([])
          rmSync(f.go.buildingFile)
          const next = asBinary(await runChild(request, f.env))
          expect(next.how).to.equal('built')
          expect(readFileSync(next.path, 'utf8')).to.contain('#!/bin/sh')
          expect(leftovers(f.cacheDir)).to.deep.equal([])
        } finally {
        // After SIGKILL the go stand-in the killed process started is an orphan: stop it.
          if (isAlive(goPid)) process.kill(goPid, 'SIGTERM')
        }
      })
    }
  })
})
