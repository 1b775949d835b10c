/**
 * The cross-process lock around staging mutations (clone, fetch, checkout, remove). The locking
 * itself is proper-lockfile's (an atomic mkdir whose mtime the holder refreshes); a holder that dies
 * stops refreshing, and its lock is taken over once it is older than STALE_MS. Beside the lock we
 * record who holds it, so that a waiting command can say whom it waits for.
 */
import {
  mkdir, readFile, rm, writeFile,
} from 'node:fs/promises'

import type {HomePaths} from './home.js'

import {InterruptedError, StagingError} from './errors.js'
import {debug} from './log.js'
import {isAlive} from './process.js'

const STALE_MS = 5000

export type LockOwner = {pid: number; command: string; since: string; hostname?: string}

export type LockOptions = {
  /** what the holder is doing, shown to waiters, e.g. `project-planton staging:pull` */
  command: string
  signal?: AbortSignal
  /** called once when the lock is busy, before waiting */
  onWait?: (owner: LockOwner | undefined) => void
}

export async function readLockOwner(paths: HomePaths): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(paths.lockOwnerFile, 'utf8')) as LockOwner
  } catch {
    return undefined
  }
}

export function describeOwner(owner: LockOwner | undefined): string {
  if (!owner) return 'another project-planton process'
  const alive = isAlive(owner.pid)
  return `pid ${owner.pid} (\`${owner.command}\`${alive ? '' : ', no longer running: its lock is being recovered'})`
}

/** Runs `fn` while holding the staging lock; waits (abortably) while another process holds it. */
export async function withStagingLock<T>(paths: HomePaths, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lockfile = await import('proper-lockfile')
  await mkdir(paths.stagingRoot, {recursive: true})
  let compromised: Error | undefined
  const options = {
    realpath: false,
    stale: STALE_MS,
    lockfilePath: paths.lockFile,
    onCompromised(error: Error) {
      // Another process decided our lock was stale (we were stopped for longer than STALE_MS).
      compromised = error
    },
  }

  let release: () => Promise<void>
  try {
    release = await lockfile.lock(paths.stagingRoot, {...options, retries: 0})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw lockError(error)
    opts.onWait?.(await readLockOwner(paths))
    release = await waitForLock(lockfile.lock(paths.stagingRoot, {
      ...options, retries: {
        forever: true, minTimeout: 50, maxTimeout: 500, factor: 1.3,
      },
    }), opts.signal)
  }

  try {
    await writeFile(paths.lockOwnerFile, JSON.stringify({pid: process.pid, command: opts.command, since: new Date().toISOString()} satisfies LockOwner))
    debug('staging lock taken for %s', opts.command)
    const result = await fn()
    if (compromised) throw new StagingError('the staging lock was taken over while this command held it; run the command again', {cause: compromised})
    return result
  } finally {
    await rm(paths.lockOwnerFile, {force: true})
    await release().catch(() => {})
    debug('staging lock released')
  }
}

function lockError(error: unknown): StagingError {
  return new StagingError(`could not lock staging: ${(error as Error).message}`, {cause: error})
}

async function waitForLock(pending: Promise<() => Promise<void>>, signal?: AbortSignal): Promise<() => Promise<void>> {
  if (!signal) return pending
  if (signal.aborted) {
    pending.then(release => release()).catch(() => {})
    throw new InterruptedError((signal.reason as NodeJS.Signals) ?? 'SIGINT')
  }

  return new Promise((resolve, reject) => {
    const onAbort = () => {
      // If the lock is granted after we gave up, hand it straight back.
      pending.then(release => release()).catch(() => {})
      reject(new InterruptedError(typeof signal.reason === 'string' ? (signal.reason as NodeJS.Signals) : 'SIGINT'))
    }

    signal.addEventListener('abort', onAbort, {once: true})
    pending.then(
      release => {
        signal.removeEventListener('abort', onAbort)
        resolve(release)
      },
      error => {
        signal.removeEventListener('abort', onAbort)
        reject(lockError(error))
      },
    )
  })
}
