/**
 * Cross-process locks: the one around staging mutations (clone, fetch, checkout, remove), and
 * the same mechanism for any other path (module binaries are built or downloaded under one). The locking
 * itself is proper-lockfile's (an atomic mkdir whose mtime the holder refreshes); a holder that dies
 * stops refreshing, and its lock is taken over once it is older than STALE_MS. Beside the lock we
 * record who holds it, so that a waiting command can say whom it waits for.
 */
import {mkdir, rm, writeFile} from 'node:fs/promises'

import type {HomePaths} from './home.js'

import {InterruptedError, StagingError} from './errors.js'
import {readJsonRecord} from './fsutil.js'
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
  return readOwnerFile(paths.lockOwnerFile)
}

async function readOwnerFile(file: string): Promise<LockOwner | undefined> {
  try {
    return await readJsonRecord<LockOwner>(file)
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
  await mkdir(paths.stagingRoot, {recursive: true})
  return withPathLock({
    ...opts,
    lockfilePath: paths.lockFile,
    ownerFile: paths.lockOwnerFile,
    what: 'staging',
    compromised: error => new StagingError('the staging lock was taken over while this command held it; run the command again', {cause: error}),
  }, fn)
}

export type PathLockOptions = LockOptions & {
  /** the lock itself: a folder proper-lockfile creates and removes; its parent must exist */
  lockfilePath: string
  /** where the holder is recorded while it holds the lock */
  ownerFile: string
  /** what is locked, for debug output and errors */
  what: string
  /**
   * The error to end with when another process took the lock over while `fn` ran (we were stopped
   * for longer than STALE_MS). Without it, `fn`'s result stands: for work whose result is put in
   * place atomically, a second holder only means the work was done twice.
   */
  compromised?: (error: Error) => Error
}

/** Runs `fn` while holding the lock at `lockfilePath`; waits (abortably) while another process holds it. */
export async function withPathLock<T>(opts: PathLockOptions, fn: () => Promise<T>): Promise<T> {
  const lockfile = await import('proper-lockfile')
  let compromised: Error | undefined
  const options = {
    realpath: false,
    stale: STALE_MS,
    lockfilePath: opts.lockfilePath,
    onCompromised(error: Error) {
      compromised = error
    },
  }

  let release: () => Promise<void>
  try {
    release = await lockfile.lock(opts.lockfilePath, {...options, retries: 0})
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw lockError(opts.what, error)
    opts.onWait?.(await readOwnerFile(opts.ownerFile))
    release = await waitForLock(lockfile.lock(opts.lockfilePath, {
      ...options, retries: {
        forever: true, minTimeout: 50, maxTimeout: 500, factor: 1.3,
      },
    }), opts.what, opts.signal)
  }

  try {
    await writeFile(opts.ownerFile, JSON.stringify({pid: process.pid, command: opts.command, since: new Date().toISOString()} satisfies LockOwner))
    debug('%s lock taken for %s', opts.what, opts.command)
    const result = await fn()
    if (compromised && opts.compromised) throw opts.compromised(compromised)
    return result
  } finally {
    await rm(opts.ownerFile, {force: true})
    await release().catch(() => {})
    debug('%s lock released', opts.what)
  }
}

function lockError(what: string, error: unknown): StagingError {
  return new StagingError(`could not lock ${what}: ${(error as Error).message}`, {cause: error})
}

async function waitForLock(pending: Promise<() => Promise<void>>, what: string, signal?: AbortSignal): Promise<() => Promise<void>> {
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
        reject(lockError(what, error))
      },
    )
  })
}
