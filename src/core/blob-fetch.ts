/**
 * Files on demand for a lean staging (a partial clone: commits and trees, no file contents). Before
 * a run reads files of a commit, it names them here; those that are not local yet are fetched from
 * the upstream in one request (one round trip, whatever their number), under the staging lock for
 * as long as git fetches. What was fetched stays, so the next run of the same files is offline.
 *
 * In a full staging every file is local and this does nothing (one `git config` read per run that
 * reads from git at all; a warm run reads nothing from git).
 */
import type {HomePaths} from './home.js'

import {redactUrl} from './display.js'
import {OfflineError, StagingError} from './errors.js'
import {removeGitLeftovers} from './git-leftovers.js'
import {type GitRepository, type TreeEntry} from './git.js'
import {type LockOwner, withStagingLock} from './lock.js'

/**
 * Told which files of a commit are about to be read, before they are read: a lean staging fetches
 * the missing ones then, in one request. `what` names them for messages.
 */
export type Prefetch = (entries: TreeEntry[], what: string) => Promise<void>

export type BlobFetcherOptions = {
  repo: GitRepository
  paths: HomePaths
  /** the upstream, for messages */
  url: string
  /** what this process is, for the lock owner record */
  command: string
  signal?: AbortSignal
  onWait?: (owner: LockOwner | undefined) => void
  /** a line for the user when files are fetched */
  report?: (line: string) => void
}

const LEAN_HINT = 'Staging is lean: it fetches the files of a module the first time a run needs them.'

/** Above this many paths, the whole commit is checked in one walk instead of path by path. */
const WHOLE_COMMIT_ABOVE = 2000

export class BlobFetcher {
  private lean?: Promise<boolean>

  constructor(private readonly opts: BlobFetcherOptions) {}

  /** Whether staging is lean (asked once per fetcher). */
  isLean(): Promise<boolean> {
    this.lean ??= this.opts.repo.isPartial()
    return this.lean
  }

  /**
   * Makes the blobs of `entries` (entries of commit `sha`) local. `what` names them for messages
   * ("the module apis/…/iac/tf", "the protos of KubernetesRedis"). Offline with files missing:
   * OfflineError saying what is missing and how to get it.
   */
  async ensure(sha: string, entries: TreeEntry[], what: string): Promise<void> {
    const blobs = entries.filter(e => e.type === 'blob')
    if (blobs.length === 0 || !(await this.isLean())) return
    if ((await this.missing(sha, blobs)).length === 0) return
    await withStagingLock(this.opts.paths, {command: this.opts.command, signal: this.opts.signal, onWait: this.opts.onWait}, async () => {
      // Another run may have fetched them while this one waited for the lock.
      const missing = await this.missing(sha, blobs)
      if (missing.length === 0) return
      await removeGitLeftovers(this.opts.paths.clone, this.opts.report)
      const oids = [...new Set(missing.map(e => e.oid))]
      this.opts.report?.(`Fetching ${files(oids.length)} of ${what} (lean staging)`)
      try {
        await this.opts.repo.fetchObjects(oids)
      } catch (error) {
        if (!(error instanceof OfflineError)) throw error
        const some = `${missing.slice(0, 3).map(e => e.path).join(', ')}${missing.length > 3 ? ', …' : ''}`
        const are = oids.length === 1 ? 'is' : 'are'
        throw new OfflineError(`${files(oids.length)} of ${what} ${are} not in staging yet (${some}), and the upstream ${redactUrl(this.opts.url)} is unreachable`, {
          cause: error,
          hint: `${LEAN_HINT} Run again once the upstream is reachable, or make staging full beforehand with \`project-planton staging pull --full\` (then every module works offline).`,
        })
      }

      const still = await this.missing(sha, missing)
      if (still.length > 0) {
        throw new StagingError(`the upstream did not send ${files(still.length)} of ${what} (${still.slice(0, 3).map(e => e.path).join(', ')})`, {
          hint: 'Check that the upstream still has this version (`project-planton staging pull`), or use a full staging: `project-planton staging pull --full`.',
        })
      }
    })
  }

  private async missing(sha: string, blobs: TreeEntry[]): Promise<TreeEntry[]> {
    const paths = blobs.length > WHOLE_COMMIT_ABOVE ? undefined : [...new Set(blobs.map(e => e.path))]
    const missing = await this.opts.repo.missingBlobs(sha, paths)
    return blobs.filter(e => missing.has(e.oid))
  }
}

function files(n: number): string {
  return `${n} file${n === 1 ? '' : 's'}`
}
