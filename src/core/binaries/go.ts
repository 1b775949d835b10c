/**
 * The Go toolchain: finding it, its version, building a module's program once, and the settings of
 * a run that leaves compiling to Pulumi.
 */
import {spawn} from 'node:child_process'
import {
  mkdir, realpath, stat,
} from 'node:fs/promises'
import path from 'node:path'

import type {Platform} from './platform.js'

import {InterruptedError} from '../errors.js'
import {readJsonRecord, writeFileAtomic} from '../fsutil.js'
import {debug} from '../log.js'
import {programOutput, which} from '../tools.js'

export type GoToolchain = {bin: string; version: string}

export type GoLookup = {go: GoToolchain; problem?: undefined} | {go?: undefined; problem: string}

const VERSION_TIMEOUT_MS = 30_000
const GO_VERSION = /^(go\d[\w.+-]*|devel\b.*)$/

/**
 * Variables that change what `go build` makes, beyond the source: a program built under other
 * settings is another cache entry. GOOS and GOARCH are not among them: builds are always for the
 * platform the program runs on.
 */
const BUILD_SETTINGS = ['GOFLAGS', 'CGO_ENABLED', 'GOEXPERIMENT', 'GOAMD64', 'GOARM', 'GOARM64', 'GO386', 'GOPPC64', 'GORISCV64', 'GOTOOLCHAIN', 'GOROOT', 'CC', 'CGO_CFLAGS', 'CGO_LDFLAGS'] as const

/** The build settings of `env`, as one string for cache names. */
export function buildSettings(env: NodeJS.ProcessEnv): string {
  return BUILD_SETTINGS.map(k => `${k}=${env[k] ?? ''}`).join('\n')
}

type KnownToolchain = {size: number; mtimeMs: number; ino: number; toolchain: string; version: string}

/**
 * `go` on PATH and its version (`go env GOVERSION`). Asking Go costs a process start, so the answer
 * is kept in `stateDir` against the identity of the go executable (resolved path, size, inode,
 * modification time) and GOTOOLCHAIN: a warm run starts no Go process, and an upgraded Go is asked
 * again. Without `stateDir` Go is always asked (doctor).
 */
export async function findGo(env: NodeJS.ProcessEnv, stateDir?: string): Promise<GoLookup> {
  const found = await which('go', env)
  if (!found) return {problem: 'Go is not installed (no go on PATH)'}
  const bin = await realpath(found)
  const st = await stat(bin)
  const identity = {
    size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, toolchain: env.GOTOOLCHAIN ?? '',
  }
  const stateFile = stateDir ? path.join(stateDir, '.go-toolchains.json') : undefined
  const known = stateFile ? await readKnown(stateFile) : {}
  const k = known[bin]
  if (k && k.size === identity.size && k.mtimeMs === identity.mtimeMs && k.ino === identity.ino && k.toolchain === identity.toolchain) {
    return {go: {bin: found, version: k.version}}
  }

  const version = await goVersion(found, env, stateDir)
  if (!version) return {problem: `${found} did not report its version (\`go env GOVERSION\` failed)`}
  if (stateFile && stateDir) {
    await mkdir(stateDir, {recursive: true})
    await writeFileAtomic(stateFile, JSON.stringify({...known, [bin]: {...identity, version}}))
  }

  return {go: {bin: found, version}}
}

async function readKnown(file: string): Promise<Record<string, KnownToolchain>> {
  try {
    return await readJsonRecord<Record<string, KnownToolchain>>(file)
  } catch (error) {
    debug('no known Go toolchains in %s: %s', file, (error as Error).message)
    return {}
  }
}

/**
 * `go env GOVERSION`, run outside any Go module (in `cwd`, else the root folder) so that a go.mod
 * where the CLI happens to run cannot switch the toolchain. Undefined when Go does not answer.
 */
export async function goVersion(bin: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<string | undefined> {
  if (cwd) await mkdir(cwd, {recursive: true})
  const out = await programOutput(bin, ['env', 'GOVERSION'], {
    env: {...env, GOWORK: 'off'}, cwd: cwd ?? path.parse(process.cwd()).root, timeoutMs: VERSION_TIMEOUT_MS,
  })
  const line = out?.trim().split('\n')[0]?.trim() ?? ''
  return GO_VERSION.test(line) ? line : undefined
}

/** A build that failed; the message is its first error line, the tail of Go's output is kept. */
export class BuildFailure extends Error {
  readonly output: string

  constructor(message: string, output: string) {
    super(message)
    this.name = 'BuildFailure'
    this.output = output
  }
}

const OUTPUT_TAIL = 16 * 1024

/**
 * `go build -trimpath -buildvcs=false -o <out> .` in `dir` (a module folder of a closure
 * workspace), for `platform`, with the user's GOFLAGS and other Go settings. -buildvcs=false: the
 * workspace has no .git, but a home inside a git repository (dotfiles) would make Go stamp, or fail
 * to stamp, that repository's state into the program; the commit is in the cache name instead.
 * Abortable: the signal kills Go, and this resolves only once Go has exited.
 */
export async function goBuild(opts: {go: GoToolchain; dir: string; out: string; env: NodeJS.ProcessEnv; platform: Platform; signal?: AbortSignal}): Promise<void> {
  const args = ['build', '-trimpath', '-buildvcs=false', '-o', opts.out, '.']
  debug('run %s %o in %s', opts.go.bin, args, opts.dir)
  const env = {
    ...opts.env, GOWORK: 'off', GOOS: opts.platform.os, GOARCH: opts.platform.arch,
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(opts.go.bin, args, {
      cwd: opts.dir, env, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal, killSignal: 'SIGTERM',
    })
    let output = ''
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-OUTPUT_TAIL)
    }

    child.stdout.on('data', keep)
    child.stderr.on('data', keep)
    let spawnError: Error | undefined
    child.on('error', error => {
      spawnError = error
    })
    child.on('close', (code, signal) => {
      if (opts.signal?.aborted) {
        reject(InterruptedError.of(opts.signal))
        return
      }

      if (spawnError) {
        reject(new BuildFailure(`go could not be started: ${spawnError.message}`, output))
        return
      }

      if (code === 0) {
        resolve()
        return
      }

      const first = output.split('\n').map(l => l.trim()).find(l => l && !l.startsWith('#')) ?? (signal ? `killed by ${signal}` : `exit code ${code}`)
      reject(new BuildFailure(`go build failed: ${first}`, output))
    })
  })
}

/**
 * The environment of a run where Pulumi compiles the module itself (from source): the user's
 * GOFLAGS with -trimpath added, unless the user already decides about it. Without -trimpath, Go's
 * build cache keys every package on its absolute folder, and every run gets a fresh workspace
 * folder: every package of the closure (MiBs of generated types for the kubernetes modules) would
 * be compiled again on every run. With it, the second run of a commit finds them in the cache and
 * only links. Pulumi 3.246 and later pass -trimpath themselves; for them the flag is a harmless
 * repeat, for older ones it is the difference. Not for a user's own --module-dir: its folder does
 * not move, and the full paths in its stack traces help the one who debugs it.
 */
export function sourceRunEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const flags = (env.GOFLAGS ?? '').trim()
  if (flags.split(/\s+/).some(f => /^--?trimpath(=|$)/.test(f))) return {...env}
  return {...env, GOFLAGS: flags ? `${flags} -trimpath` : '-trimpath'}
}
