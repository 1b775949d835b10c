/**
 * Timing helpers: wall time of a child process or an async function, medians, and the CPU time a
 * child process tree used (from the kernel's accounting of waited-for children).
 */
import {spawn, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {performance} from 'node:perf_hooks'

export type RunOptions = {cwd?: string; env?: NodeJS.ProcessEnv; /** the exit code that counts as success (default 0) */ code?: number}

export function median(samples: number[]): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Runs a command to completion; rejects with its stderr when it fails. Resolves with wall ms. */
export function timeChild(cmd: string, args: string[], opts: RunOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(cmd, args, {cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.on('error', reject)
    child.on('close', code => {
      const ms = performance.now() - start
      if (code === (opts.code ?? 0)) resolve(ms)
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr.slice(-4000)}`))
    })
  })
}

/** Starts `count` copies of a command at once; resolves with the wall ms until the last ends. */
export async function timeParallel(count: number, cmd: string, args: string[], opts: RunOptions = {}): Promise<number> {
  const start = performance.now()
  await Promise.all(Array.from({length: count}, () => timeChild(cmd, args, opts)))
  return performance.now() - start
}

export async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await fn()
  return performance.now() - start
}

/** A command's output (stdout), synchronously; throws when it fails. */
export function output(cmd: string, args: string[], opts: RunOptions = {}): string {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd, env: opts.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
  })
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr || r.error?.message}`)
  return r.stdout
}

/**
 * CPU ms (user + system) of a command and everything it started, read from a wrapper process's
 * `cutime`/`cstime` (Linux only; undefined elsewhere). Resolution is one clock tick (10 ms).
 */
export function childCpuMs(cmd: string, args: string[], opts: RunOptions = {}): number | undefined {
  if (process.platform !== 'linux') return undefined
  const script = `
    const {spawnSync} = require('node:child_process')
    const r = spawnSync(process.argv[1], JSON.parse(process.argv[2]), {stdio: 'ignore'})
    const f = require('node:fs').readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')
    process.stdout.write(JSON.stringify({status: r.status, ticks: Number(f[13]) + Number(f[14])}))
  `
  const r = spawnSync(process.execPath, ['-e', script, cmd, JSON.stringify(args)], {cwd: opts.cwd, env: opts.env, encoding: 'utf8'})
  if (r.status !== 0) return undefined
  const {status, ticks} = JSON.parse(r.stdout) as {status: number; ticks: number}
  if (status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${status}`)
  return ticks * (1000 / clockTicks())
}

function clockTicks(): number {
  try {
    return Number(output('getconf', ['CLK_TCK']).trim()) || 100
  } catch {
    return 100
  }
}

/** The first `model name` of /proc/cpuinfo. */
export function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1].trim() ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** The file system type of the folder `dir` is on (e.g. ext4, tmpfs, overlay). */
export function fsType(dir: string): string {
  try {
    return output('df', ['--output=fstype', dir]).trim().split('\n').pop()!.trim()
  } catch {
    return 'unknown'
  }
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`
  if (ms >= 100) return `${ms.toFixed(0)} ms`
  if (ms >= 10) return `${ms.toFixed(1)} ms`
  return `${ms.toFixed(2)} ms`
}

/** One row of the benchmark table. */
export type BenchRow = {
  id: string
  what: string
  ours: number
  base: number
  /** speed-up: base ÷ ours must reach the goal; cost: ours ÷ base must stay under it */
  kind: 'cost' | 'speedup'
  /** undefined: shown for information, no goal */
  goal?: number
  baseName: string
  /** a yes/no check instead of timings (`goal`: what it must show) */
  check?: {ok: boolean; detail: string; goal?: string}
}
