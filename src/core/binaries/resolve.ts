/**
 * Which program a pulumi run uses: a module's released program (downloaded once), a program built
 * once from the run's commit, or none, when Pulumi compiles the module from source as before.
 *
 * Order, cheapest first: a release's program already in the cache, a program already built from
 * the commit, a download (release versions only), a build (when Go is installed). A warm run starts
 * no process and makes no request. Every way that does not work adds a one-line reason; a run that
 * ends up compiling from source says all of them. Only an interruption, a broken cache folder or a
 * bad PROJECT_PLANTON_RELEASES_URL is an error: the source run is always there to fall back on.
 */
import path from 'node:path'

import type {RefKind} from '../staging.js'

import {formatBytes} from '../fsutil.js'
import {describeOwner} from '../lock.js'
import {debug} from '../log.js'
import {
  binariesRoot, type BinaryRecord, builtName, builtPrefix, type CacheEntry, downloadedName, type EntryExpectation, installEntry, lockEntry, lookupEntry, lookupNewest, pruneBinaries,
} from './cache.js'
import {downloadProgram, publishedChecksum} from './download.js'
import {
  BuildFailure, buildSettings, findGo, goBuild, type GoToolchain,
} from './go.js'
import {FetchFailure, HttpClient} from './http.js'
import {BINARIES_OFF, type ModuleBinaryMode} from './modes.js'
import {
  currentPlatform, moduleName, type Platform, programFileName, releaseAssetName,
} from './platform.js'
import {
  bareUrl, checksumUrls, releaseAssetUrl, releasesBase, releaseTagFor,
} from './releases.js'

export type ModuleBinaryRequest = {
  /**
   * auto: a release's program, else one built once, else source. download: release programs only.
   * build: never download; build once when Go is installed. never: always compile from source.
   */
  mode: ModuleBinaryMode
  /** the run's version, resolved (staging's Resolved fits) */
  version: {ref: string; kind: RefKind; tag?: string; sha: string}
  /** the manifest's kind, e.g. KubernetesPostgres */
  kind: string
  /** the CLI's cache folder (`<home>/cache`); programs go below it, in `binaries/` */
  cacheDir: string
  env: NodeJS.ProcessEnv
  /**
   * Makes a closure workspace of the run's commit (go.mod, go.sum and the module's Go packages)
   * and returns the module's folder in it; called only when a program is built. The caller owns
   * (and removes) that workspace.
   */
  buildWorkspace: () => Promise<string>
  signal?: AbortSignal
  /** progress lines for the user */
  report?: (line: string) => void
  /** who waits, for the lock owner record, e.g. `project-planton pulumi:up` */
  command?: string
  /** the platform to use programs of (default: this machine's) */
  platform?: Platform
  http?: {connectTimeoutMs?: number; idleTimeoutMs?: number; maxBytes?: number; userAgent?: string}
}

export type BinaryHow = 'built' | 'built-cached' | 'cached' | 'downloaded'
export type ModuleProgram = {kind: 'binary'; how: BinaryHow; path: string; label: string; record: BinaryRecord}
export type SourceRun = {kind: 'source'; reason: string; label: string}
export type ModuleBinary = ModuleProgram | SourceRun

const DEFAULT_HTTP = {connectTimeoutMs: 15_000, idleTimeoutMs: 30_000, userAgent: 'project-planton'}

export async function resolveModuleBinary(req: ModuleBinaryRequest): Promise<ModuleBinary> {
  const source = (reason: string): ModuleBinary => ({kind: 'source', reason, label: `from source: ${reason}`})
  if (req.mode === 'never') return source(BINARIES_OFF)
  const platform = req.platform ?? currentPlatform()
  if (!platform) return source(`Go has no name for ${process.platform}/${process.arch}`)
  const ctx: Context = {
    req, root: binariesRoot(req.cacheDir), module: moduleName(req.kind), platform, report: req.report ?? (() => {}),
  }
  const reasons: string[] = []

  const release = req.mode === 'build' ? undefined : releaseOf(ctx, reasons)
  if (release) {
    const hit = await lookupEntry(ctx.root, release.name, release.expect)
    if (hit && 'entry' in hit) return binary(ctx, hit.entry, 'cached')
    if (hit) ctx.report(`The cached module binary ${release.tag} is not used: ${hit.problem}`)
  }

  let builder: Builder | undefined
  let cannotBuild: string | undefined
  if (req.mode !== 'download') {
    const found = await builderOf(ctx)
    if ('entry' in found) return binary(ctx, found.entry, 'built-cached')
    if ('problem' in found) cannotBuild = found.problem
    else builder = found
  }

  if (release) {
    const got = await download(ctx, release)
    if ('entry' in got) return binary(ctx, got.entry, got.how)
    reasons.push(`no release binary: ${got.reason}`)
    ctx.report(`No module binary ${release.tag} downloaded: ${got.reason}`)
  }

  if (cannotBuild) reasons.push(cannotBuild)

  if (builder) {
    const got = await build(ctx, builder)
    if ('entry' in got) return binary(ctx, got.entry, got.how)
    reasons.push(got.reason)
    ctx.report(`No module binary built: ${got.reason}`)
  }

  return source(reasons.join('; '))
}

type Release = {tag: string; name: string; expect: EntryExpectation}
type Builder = {go: GoToolchain; name: string; expect: EntryExpectation}

/** The release whose program this run may download, or undefined (with the reason added). */
function releaseOf(ctx: Context, reasons: string[]): Release | undefined {
  const {module, platform} = ctx
  const found = releaseTagFor(ctx.req.version, module)
  if (found.tag === undefined) {
    reasons.push(found.reason)
    return undefined
  }

  return {
    tag: found.tag,
    name: downloadedName(found.tag, module, platform),
    expect: {
      how: 'downloaded', module, os: platform.os, arch: platform.arch, version: found.tag, sha: ctx.req.version.sha,
    },
  }
}

/**
 * How this run would build the program (Go and the entry name), or the entry of a program
 * already built, or why it cannot build.
 */
async function builderOf(ctx: Context): Promise<Builder | {entry: CacheEntry} | {problem: string}> {
  const {module, platform, req, root} = ctx
  const {sha} = req.version
  const expect: EntryExpectation = {
    how: 'built', module, os: platform.os, arch: platform.arch, sha,
  }
  const lookup = await findGo(req.env, root)
  if (!lookup.go) {
    // Without Go (no longer on PATH, another shell), a program built earlier from this very
    // commit is still its module; a source run could not compile anyway. (Pulumi's Go runtime
    // itself still asks go for its version before it starts a program: pulumi/pulumi#11167.)
    const earlier = await lookupNewest(root, builtPrefix(sha, module, platform), expect)
    if (earlier) return {entry: earlier}
    return {problem: lookup.problem}
  }

  const name = builtName({
    sha, module, platform, goVersion: lookup.go.version, settings: buildSettings(req.env),
  })
  const hit = await lookupEntry(root, name, expect)
  if (hit && 'entry' in hit) return {entry: hit.entry}
  if (hit) ctx.report(`The module binary built for ${sha.slice(0, 12)} is not used: ${hit.problem}`)
  return {go: lookup.go, name, expect}
}

type Context = {req: ModuleBinaryRequest; root: string; module: string; platform: Platform; report: (line: string) => void}

type Outcome = {entry: CacheEntry; how: BinaryHow} | {reason: string}

function lockOptions(ctx: Context) {
  return {
    command: ctx.req.command ?? 'project-planton',
    signal: ctx.req.signal,
    onWait: (owner: Parameters<typeof describeOwner>[0]) => ctx.report(`Waiting for ${describeOwner(owner)}, which is making the same module binary…`),
  }
}

async function download(ctx: Context, release: Release): Promise<Outcome> {
  const {req, root, module, platform} = ctx
  const base = releasesBase(req.env)
  return lockEntry(root, release.name, lockOptions(ctx), async (): Promise<Outcome> => {
    const again = await lookupEntry(root, release.name, release.expect)
    if (again && 'entry' in again) return {entry: again.entry, how: 'cached'}
    const asset = releaseAssetName(module, platform)
    const url = releaseAssetUrl(base.url, release.tag, asset)
    const client = await HttpClient.open({
      env: req.env,
      signal: req.signal,
      allowHttp: base.explicit && base.url.protocol === 'http:',
      auth: base.url.username ? {origin: base.url.origin, header: basicAuth(base.url)} : undefined,
      connectTimeoutMs: req.http?.connectTimeoutMs ?? DEFAULT_HTTP.connectTimeoutMs,
      idleTimeoutMs: req.http?.idleTimeoutMs ?? DEFAULT_HTTP.idleTimeoutMs,
      userAgent: req.http?.userAgent ?? DEFAULT_HTTP.userAgent,
    })
    try {
      ctx.report(`Downloading the module binary ${release.tag} from ${bareUrl(url)}`)
      const checksum = await publishedChecksum(client, checksumUrls(base.url, release.tag, asset), asset)
      const entry = await installEntry(root, release.name, async tmp => {
        const file = programFileName(module, platform)
        await downloadProgram({
          client, url, dest: path.join(tmp, file), platform, checksum, maxBytes: req.http?.maxBytes, signal: req.signal,
        })
        return {
          how: 'downloaded', module, os: platform.os, arch: platform.arch, file, version: release.tag, sha: req.version.sha, source: bareUrl(url), checksum: checksum ? 'verified' : 'not published',
        }
      })
      await pruneOthers(ctx)
      return {entry, how: 'downloaded'}
    } catch (error) {
      if (error instanceof FetchFailure) return {reason: error.message}
      throw error
    } finally {
      await client.close()
    }
  })
}

async function build(ctx: Context, built: Builder): Promise<Outcome> {
  const {req, root, module, platform} = ctx
  const {go} = built
  return lockEntry(root, built.name, lockOptions(ctx), async (): Promise<Outcome> => {
    const again = await lookupEntry(root, built.name, built.expect)
    if (again && 'entry' in again) return {entry: again.entry, how: 'built-cached'}
    ctx.report(`Building the module binary once for ${refLabel(req.version)} with ${go.version}…`)
    const dir = await req.buildWorkspace()
    try {
      const entry = await installEntry(root, built.name, async tmp => {
        const file = programFileName(module, platform)
        await goBuild({
          go, dir, out: path.join(tmp, file), env: req.env, platform, signal: req.signal,
        })
        return {
          how: 'built', module, os: platform.os, arch: platform.arch, file, sha: req.version.sha, goVersion: go.version,
        }
      })
      await pruneOthers(ctx)
      return {entry, how: 'built'}
    } catch (error) {
      if (error instanceof BuildFailure) {
        debug('go build output:\n%s', error.output)
        return {reason: error.message}
      }

      // go build succeeded but wrote nothing where it was told to.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {reason: 'go build made no program'}
      throw error
    }
  })
}

/** After a new program: drop those of other commits and versions that no run used lately. */
async function pruneOthers(ctx: Context): Promise<void> {
  try {
    const {removed, bytes} = await pruneBinaries(ctx.req.cacheDir, {keepSha: ctx.req.version.sha})
    if (removed > 0) ctx.report(`Removed ${removed} module binary(ies) unused for a while (${formatBytes(bytes)})`)
  } catch (error) {
    debug('pruning module binaries failed: %s', (error as Error).message)
  }
}

function binary(ctx: Context, entry: CacheEntry, how: BinaryHow): ModuleBinary {
  return {
    kind: 'binary', how, path: entry.path, record: entry.record, label: describeBinary(ctx.req.version, entry.record, how),
  }
}

function refLabel(version: ModuleBinaryRequest['version']): string {
  const short = version.sha.slice(0, 12)
  return version.kind === 'commit' ? short : `${version.ref} ${short}`
}

/** The line that says which way the run went, e.g. "module binary v0.3.26, cached". */
export function describeBinary(version: ModuleBinaryRequest['version'], record: BinaryRecord, how: BinaryHow): string {
  switch (how) {
  case 'built': {
    return `module binary built once for ${refLabel(version)} (${record.goVersion})`
  }

  case 'built-cached': {
    return `module binary built once for ${refLabel(version)}, cached`
  }

  case 'cached': {
    return `module binary ${record.version}, cached`
  }

  case 'downloaded': {
    return `module binary ${record.version}, downloaded (${formatBytes(record.size)}${record.checksum === 'verified' ? ', checksum verified' : ''})`
  }
  }
}

function basicAuth(url: URL): string {
  return `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`
}
