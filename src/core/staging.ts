/**
 * The staging clone: one git clone of the monorepo under the CLI's home, at the version the user
 * selected. It is "what git knows" (the object store every workspace is exported from) plus a work
 * tree users may browse. Mutations happen under the staging lock; reads do not need it, because
 * runs export from immutable commits named by full SHAs.
 *
 * Crash safety: a clone is made in a temporary sibling and renamed into place when complete, so a
 * killed clone never counts as staging; a checkout is recorded as pending before it starts, so a
 * killed checkout is finished by the next command; stale git lock files are removed under our lock.
 *
 * A lean staging (see staging-mode.ts) is a partial clone without a work tree: selecting a version
 * only moves HEAD, and runs have the files they read fetched first (blob-fetch.ts).
 */
import {randomBytes} from 'node:crypto'
import {
  mkdir, readdir, rename, rm,
} from 'node:fs/promises'
import path from 'node:path'

import type {HomePaths} from './home.js'

import {BlobFetcher} from './blob-fetch.js'
import {redactUrl} from './display.js'
import {InvalidInputError, OfflineError, StagingError} from './errors.js'
import {
  exists, formatBytes, readJsonRecordIfAny, removeInside, treeSize, writeFileAtomic,
} from './fsutil.js'
import {removeGitLeftovers} from './git-leftovers.js'
import {
  CheckoutRefusedError, cloneRepository, gitEnvironment, type GitProgress, GitRepository,
} from './git.js'
import {type LockOwner, withStagingLock} from './lock.js'
import {debug} from './log.js'
import {
  FULL_SHA, LATEST, latestRelease, newerReleases, SHA_LIKE, validateRef,
} from './refs.js'
import {pruneSnapshots, SNAPSHOT_KEEP_DAYS} from './snapshot.js'
import {chooseStagingMode, type ModeChoice, type StagingMode} from './staging-mode.js'

const UPSTREAM_PHASE = 'upstream preparing objects'

/** simple-git's name of a git progress phase (the first word of git's line) → what the user reads. */
const GIT_PHASES: Record<string, string> = {
  remote: UPSTREAM_PHASE,
  receiving: 'receiving objects',
  resolving: 'resolving deltas',
  updating: 'updating files',
  checking: 'checking out files',
}

export type RefKind = 'branch' | 'commit' | 'tag'

export type Resolved = {
  /** the ref as the user typed it (`latest`, `v0.2.0`, `main`, `1a2b3c4`) */
  ref: string
  kind: RefKind
  /** for `latest`: the release tag it stood for */
  tag?: string
  sha: string
}

export type StagingState = Resolved & {
  url: string
  clonedAt: string
  fetchedAt?: string
  /** a checkout that was started and may not have finished */
  pending?: Resolved
}

export type StagingEvents = {
  /** a line of progress for the user ("Cloning … 42%") */
  onProgress?: (message: string) => void
  /** the staging lock is busy */
  onWait?: (owner: LockOwner | undefined) => void
  /** a line that must stay on screen once the progress is gone (default: onProgress) */
  onNotice?: (message: string) => void
}

export type StagingOptions = StagingEvents & {
  paths: HomePaths
  url: string
  /** the CLI's own version: on first clone, the tag `v<version>` is selected if it exists */
  cliVersion: string
  /** what this process is, for the lock owner record */
  command: string
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  /**
   * `--lean` / `--full`: how staging is cloned if it has to be (else chooseStagingMode's rule);
   * `full` also has `pull` turn a lean staging into a full one.
   */
  cloneMode?: StagingMode
}

export type PullResult = {
  action: 'cloned' | 'updated' | 'up-to-date'
  state: StagingState
  previousSha?: string
  /** release tags newer than a pinned release, highest first */
  newerReleases: string[]
  mode: StagingMode
  /** a lean staging was made full (`pull --full`) */
  converted: boolean
}

export type CheckoutResult = {action: 'already-selected' | 'switched'; state: StagingState; previous?: Resolved; fetched: boolean}

export type StagingStatus = {
  path: string
  exists: boolean
  url: string
  recordedUrl?: string
  urlMismatch: boolean
  ref?: string
  kind?: RefKind
  tag?: string
  sha?: string
  headSha?: string
  headMatches: boolean
  clean?: boolean
  changedFiles: string[]
  sizeBytes: number
  files: number
  clonedAt?: string
  fetchedAt?: string
  pending?: Resolved
  /** full: every file local and checked out; lean: files fetched as runs need them, no work tree */
  mode?: StagingMode
  workTree?: 'checked-out' | 'none'
  /** lean: how many files of the selected commit are local */
  localFiles?: {local: number; total: number}
  /** not cloned yet: how the first clone will be made, and why */
  nextClone?: ModeChoice
}

export class Staging {
  private readonly paths: HomePaths
  private readonly git: GitRepository
  private readonly env: NodeJS.ProcessEnv

  constructor(private readonly opts: StagingOptions) {
    this.paths = opts.paths
    this.env = gitEnvironment(opts.env ?? process.env)
    this.git = new GitRepository(this.paths.clone, {env: this.env, signal: opts.signal})
  }

  get repository(): GitRepository {
    return this.git
  }

  /** The record of staging: undefined when there is none, or it is not one (cut short, damaged). */
  async readState(): Promise<StagingState | undefined> {
    return readJsonRecordIfAny<StagingState>(this.paths.stateFile)
  }

  /** Staging is complete when the clone was renamed into place and a version was recorded. */
  async isReady(): Promise<StagingState | undefined> {
    const state = await this.readState()
    if (!state || state.pending) return undefined
    if (!(await exists(path.join(this.paths.clone, '.git', 'HEAD')))) return undefined
    this.assertSameUrl(state.url)
    return state
  }

  /** Makes sure staging exists and is healthy; clones on first use. No network when it is ready. */
  async ensure(): Promise<StagingState> {
    // A mistyped PROJECT_PLANTON_STAGING is refused on every run, not only on the one that clones.
    this.cloneChoice()
    const ready = await this.isReady()
    if (ready) return ready
    return this.locked(async () => (await this.repairOrClone()).state)
  }

  /** `staging:pull`: clone if missing; else fetch and move a branch (or a moved tag) forward. */
  async pull(force = false): Promise<PullResult> {
    this.cloneChoice()
    return this.locked(async () => {
      const {state: repaired, cloned} = await this.repairOrClone()
      const lean = await this.git.isPartial()
      if (cloned) {
        return {
          action: 'cloned', state: repaired, newerReleases: await this.newerThan(repaired), mode: lean ? 'lean' : 'full', converted: false,
        }
      }

      let current = repaired
      const converted = lean && this.opts.cloneMode === 'full'
      if (converted) {
        current = await this.makeFull(repaired)
      } else {
        if (lean && this.opts.cloneMode !== 'lean') this.opts.onProgress?.('Staging is lean: files are fetched as runs need them; `staging pull --full` makes it a full clone')
        if (!lean && this.opts.cloneMode === 'lean') this.opts.onProgress?.('Staging is a full clone: --lean applies only when staging is cloned (`staging clean --all`, then `staging pull --lean`)')
        await this.fetch()
      }

      const mode: StagingMode = lean && !converted ? 'lean' : 'full'
      let state: StagingState = {...current, fetchedAt: new Date().toISOString()}
      if (current.kind !== 'commit') {
        const next = await this.resolveLocal(current.ref)
        if (!next) {
          throw new StagingError(`the selected version ${current.ref} no longer exists upstream; staging stays at ${current.sha.slice(0, 12)}`, {
            hint: 'Select another version with `project-planton staging checkout <version>`.',
          })
        }

        if (next.sha !== current.sha) {
          state = await this.switchTo(next, state, force)
          await this.pruneSnapshots(state.sha)
          return {
            action: 'updated', state, previousSha: current.sha, newerReleases: await this.newerThan(state), mode, converted,
          }
        }
      }

      await this.writeState(state)
      return {
        action: 'up-to-date', state, newerReleases: await this.newerThan(state), mode, converted,
      }
    })
  }

  /**
   * Files on demand for runs of this staging: does nothing in a full staging. `report` gets a line
   * when files are fetched (default: this staging's progress).
   */
  blobFetcher(report = this.opts.onProgress): BlobFetcher {
    return new BlobFetcher({
      repo: this.git, paths: this.paths, url: this.opts.url, command: this.opts.command, signal: this.opts.signal, onWait: this.opts.onWait, report,
    })
  }

  /** `staging:checkout`: selects a version; no network when it is already local. */
  async checkout(ref: string, force = false): Promise<CheckoutResult> {
    if (ref !== LATEST) validateRef(ref)
    this.cloneChoice()
    const ready = await this.isReady()
    if (ready && ready.ref === ref && ref !== LATEST) return {action: 'already-selected', state: ready, fetched: false}

    return this.locked(async () => {
      const {state: current} = await this.repairOrClone()
      if (current.ref === ref && ref !== LATEST) return {action: 'already-selected', state: current, fetched: false}
      let fetched = false
      let target: Resolved | undefined
      if (ref === LATEST) {
        // `latest` is a moving target: ask upstream, but fall back to what is known offline.
        try {
          await this.fetch()
          fetched = true
        } catch (error) {
          if (!(error instanceof OfflineError)) throw error
          this.opts.onProgress?.('upstream unreachable: using the release tags already in staging')
        }
      }

      target = await this.resolveLocal(ref)
      if (!target && !fetched) {
        await this.fetchForMissing(ref)
        fetched = true
        target = await this.resolveLocal(ref)
      }

      if (!target) throw notFound(ref)
      let state: StagingState = {...current, ...(fetched ? {fetchedAt: new Date().toISOString()} : {})}
      state = await this.switchTo(target, state, force)
      await this.pruneSnapshots(state.sha)
      return {
        action: 'switched', state, previous: current, fetched,
      }
    })
  }

  /**
   * The commit a run uses: `--module-version` if given (resolved locally, fetched only if it is not
   * local, never selected), else the selected version.
   */
  async resolveForRun(moduleVersion?: string): Promise<Resolved> {
    const state = await this.ensure()
    if (!moduleVersion) return {
      ref: state.ref, kind: state.kind, sha: state.sha, tag: state.tag,
    }
    if (moduleVersion !== LATEST) validateRef(moduleVersion, 'module version')
    const local = await this.resolveLocal(moduleVersion)
    if (local) return local
    return this.locked(async () => {
      await this.fetchForMissing(moduleVersion)
      const fetched = await this.resolveLocal(moduleVersion)
      if (!fetched) throw notFound(moduleVersion)
      return fetched
    })
  }

  async status(): Promise<StagingStatus> {
    const state = await this.readState()
    const cloneExists = await exists(path.join(this.paths.clone, '.git'))
    const recordedUrl = cloneExists ? await this.git.remoteUrl() : undefined
    const headSha = cloneExists ? await this.git.headSha() : undefined
    const tree = headSha ? await this.treeFacts(state?.sha ?? headSha) : {changedFiles: []}
    const size = cloneExists ? await treeSize(this.paths.clone) : {bytes: 0, files: 0}
    return {
      path: this.paths.clone,
      exists: cloneExists,
      // Shown to users and scripts: never with the credentials a URL may hold.
      url: redactUrl(this.opts.url),
      recordedUrl: recordedUrl === undefined ? undefined : redactUrl(recordedUrl),
      urlMismatch: recordedUrl !== undefined && recordedUrl !== this.opts.url,
      ref: state?.ref,
      kind: state?.kind,
      tag: state?.tag,
      sha: state?.sha,
      headSha,
      headMatches: state !== undefined && headSha === state.sha,
      ...tree,
      sizeBytes: size.bytes,
      files: size.files,
      clonedAt: state?.clonedAt,
      fetchedAt: state?.fetchedAt,
      pending: state?.pending,
      nextClone: cloneExists ? undefined : this.cloneChoice(),
    }
  }

  /** Of a usable clone: its mode, and what its work tree holds (a lean one has none). */
  private async treeFacts(selected: string): Promise<Pick<StagingStatus, 'changedFiles' | 'clean' | 'localFiles' | 'mode' | 'workTree'>> {
    // No work tree, so nothing in it can be changed (git status would take every file for deleted).
    if (await this.git.isPartial()) return {
      mode: 'lean', workTree: 'none', changedFiles: [], localFiles: await this.localFiles(selected),
    }
    const changedFiles = await this.git.changedFiles()
    return {
      mode: 'full', workTree: 'checked-out', changedFiles, clean: changedFiles.length === 0,
    }
  }

  /** How many files of commit `sha` a lean staging has (each blob once, as git stores it). */
  private async localFiles(sha: string): Promise<{local: number; total: number}> {
    const blobs = new Set((await this.git.listTree(sha)).filter(e => e.type === 'blob').map(e => e.oid))
    const missing = await this.git.missingBlobs(sha)
    return {local: [...blobs].filter(oid => !missing.has(oid)).length, total: blobs.size}
  }

  /** How a clone made now would be made (`--lean`/`--full`, PROJECT_PLANTON_STAGING, CI). Throws for a bad variable. */
  private cloneChoice(): ModeChoice {
    return chooseStagingMode(this.opts.cloneMode, this.opts.env ?? process.env)
  }

  /** Deletes the clone and its records (under the lock, so no clone or checkout is cut in half). */
  async remove(): Promise<boolean> {
    return this.locked(async () => {
      const had = await exists(this.paths.clone)
      await this.removeClone()
      return had
    })
  }

  /** Resolves a validated ref against what staging already has; no network. */
  async resolveLocal(ref: string): Promise<Resolved | undefined> {
    if (ref === LATEST) return this.resolveLatest()
    // A full object name is a commit id, never a name: an upstream tag named like the SHA of
    // another commit must not redirect a pin.
    if (FULL_SHA.test(ref)) {
      const sha = await this.git.resolveCommit(ref.toLowerCase())
      return sha ? {ref, kind: 'commit', sha} : undefined
    }

    // A tag wins over a branch of the same name (releases are what users pin); `tags/<name>` and
    // `origin/<name>` say which one explicitly.
    const tagName = ref.startsWith('tags/') ? ref.slice('tags/'.length) : ref
    const branchName = ref.startsWith('origin/') ? ref.slice('origin/'.length) : ref
    const tag = ref.startsWith('origin/') ? undefined : await this.git.resolveCommit(`refs/tags/${tagName}`)
    const branch = ref.startsWith('tags/') ? undefined : await this.git.resolveCommit(`refs/remotes/origin/${branchName}`)
    const commit = SHA_LIKE.test(ref) ? await this.commitByPrefix(ref, {tag, branch}) : undefined
    if (commit) return {ref, kind: 'commit', sha: commit}
    if (tag) return {ref, kind: 'tag', sha: tag}
    if (branch) return {ref, kind: 'branch', sha: branch}
    return undefined
  }

  /** `latest`: the newest release tag staging has. */
  private async resolveLatest(): Promise<Resolved | undefined> {
    const tag = latestRelease(await this.git.tags())
    if (!tag) return undefined
    const sha = await this.git.resolveCommit(`refs/tags/${tag}`)
    return sha
      ? {
        ref: LATEST, kind: 'tag', tag, sha,
      }
      : undefined
  }

  /**
   * The commit an abbreviated SHA `ref` names, when no tag or branch of that name exists. Throws
   * when `ref` could name more than one thing (a tag or branch and a commit, or two commits).
   */
  private async commitByPrefix(ref: string, named: {tag?: string; branch?: string}): Promise<string | undefined> {
    const {tag, branch} = named
    const commits = await this.git.commitsWithPrefix(ref.toLowerCase())
    const names = [...(tag ? [`tag ${ref} (${tag.slice(0, 12)})`] : []), ...(branch ? [`branch ${ref} (${branch.slice(0, 12)})`] : [])]
    const candidates = [...names, ...commits.map(c => `commit ${c.slice(0, 12)}`)]
    if ((commits.length > 0 && names.length > 0) || commits.length > 1) {
      throw new InvalidInputError(`${JSON.stringify(ref)} is ambiguous: it could be ${candidates.join(', or ')}`, {
        hint: `Say which: tags/${ref} for the tag, origin/${ref} for the branch, or more digits of the commit SHA.`,
      })
    }

    return commits.length === 1 && !tag && !branch ? commits[0] : undefined
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    return withStagingLock(this.paths, {command: this.opts.command, signal: this.opts.signal, onWait: this.opts.onWait}, fn)
  }

  private assertSameUrl(recorded: string | undefined): void {
    if (recorded && recorded !== this.opts.url) {
      throw new StagingError(`staging was cloned from ${redactUrl(recorded)}, but the upstream is now ${redactUrl(this.opts.url)}`, {
        hint: 'Re-clone with `project-planton staging clean --all --yes && project-planton staging pull`, or set PROJECT_PLANTON_REPO_URL back.',
      })
    }
  }

  /**
   * After the selection moved: drops the snapshots of other commits that no run used lately. Only a
   * cache, so a failure here is logged and never fails the pull or checkout that got this far.
   */
  private async pruneSnapshots(keepSha: string): Promise<void> {
    try {
      const {removed, bytes} = await pruneSnapshots(this.paths.cache, {keepSha})
      if (removed > 0) this.opts.onProgress?.(`Removed ${removed} snapshot(s) of other commits unused for ${SNAPSHOT_KEEP_DAYS} days (${formatBytes(bytes)})`)
      // The schemas and checked manifests of those commits go with them.
      const [{pruneSchemas}, {pruneOutcomes}, {pruneBinaries}, state] = await Promise.all([
        import('./schema/cache.js'), import('./manifest-check.js'), import('./binaries/cache.js'), this.readState(),
      ])
      await pruneSchemas(this.paths.cache, {keepSha})
      await pruneOutcomes(this.paths.cache, {keepSha})
      await pruneBinaries(this.paths.cache, {keepSha, keepVersion: state?.tag ?? (state?.kind === 'tag' ? state.ref : undefined)})
    } catch (error) {
      debug('pruning snapshots failed: %s', (error as Error).message)
    }
  }

  private async fetch(): Promise<void> {
    this.opts.onProgress?.(`Fetching ${redactUrl(this.opts.url)}`)
    await this.git.withOptions({onProgress: this.progress('Fetching')}).fetch()
  }

  private async fetchForMissing(ref: string): Promise<void> {
    try {
      await this.fetch()
    } catch (error) {
      if (error instanceof OfflineError) {
        throw new OfflineError(`version ${ref} is not in staging and the upstream is unreachable (offline?)`, {
          cause: error,
          hint: 'Versions already in staging work offline: see `project-planton staging status`.',
        })
      }

      throw error
    }
  }

  private progress(verb: string): (p: GitProgress) => void {
    // git goes through phases, each from 0 to 100%: the upstream counts, then compresses objects
    // (both "remote" to simple-git, so they cannot be told apart), then we receive objects and
    // resolve deltas. One bare figure went backwards (2% → 48% → 2%); each phase is named instead,
    // the upstream's without a figure, and a figure never goes back within its phase. One line per
    // phase and per 10%: enough to see progress, few enough for a CI log.
    const shown = new Map<string, number>()
    const say = (what: string) => this.opts.onProgress?.(`${verb} ${redactUrl(this.opts.url)}: ${what}`)
    return ({stage, percent}) => {
      const phase = GIT_PHASES[stage.replace(/:$/, '')] ?? stage
      if (phase === UPSTREAM_PHASE) {
        if (!shown.has(phase)) say(phase)
        shown.set(phase, 0)
        return
      }

      const step = Math.floor(percent / 10) * 10
      if (step <= (shown.get(phase) ?? -1)) return
      shown.set(phase, step)
      say(`${phase} ${step}%`)
    }
  }

  /** Under the lock: finish interrupted work, or clone when there is no usable clone. */
  private async repairOrClone(): Promise<{cloned: boolean; state: StagingState}> {
    await this.removeLeftoverClones()
    const state = await this.readState()
    if (await exists(path.join(this.paths.clone, '.git'))) {
      if (await this.git.headSha()) {
        this.assertSameUrl(await this.git.remoteUrl())
        await removeGitLeftovers(this.paths.clone, this.opts.onProgress)
        if (state?.pending) return {cloned: false, state: await this.finishPending(state, state.pending)}

        if (state) return {cloned: false, state}
        // The clone was renamed into place but its record was not written: select as on first clone.
        const selected = await this.initialSelection()
        const repaired = await this.switchTo(selected, {...selected, url: this.opts.url, clonedAt: new Date().toISOString()}, true)
        return {cloned: false, state: repaired}
      }

      this.opts.onProgress?.('Staging is not a usable clone (no HEAD): cloning again')
      await this.removeClone()
    }

    return {cloned: true, state: await this.cloneFresh()}
  }

  /**
   * A checkout that a crash cut short: finish it (the user asked for it and git may have written
   * part of it), or, when git refuses to, abandon it and put the work tree back at the selected
   * commit, so that no later command keeps failing on it.
   */
  private async finishPending(state: StagingState, pending: Resolved): Promise<StagingState> {
    this.opts.onProgress?.(`Finishing an interrupted checkout of ${pending.ref}`)
    try {
      // Forced: the files in the way are the ones the interrupted checkout wrote (a checkout git
      // refuses never leaves anything pending, so a user's files never got this far).
      await this.select(pending.sha, true)
      const finished: StagingState = {...state, ...pending, pending: undefined}
      await this.writeState(finished)
      return finished
    } catch (error) {
      if (!(error instanceof CheckoutRefusedError)) throw error
      this.opts.onProgress?.(`The interrupted checkout of ${pending.ref} cannot be finished (${error.message}); staging stays at ${state.ref} (${state.sha.slice(0, 12)})`)
      const kept: StagingState = {...state, pending: undefined}
      await this.writeState(kept)
      return kept
    }
  }

  private async cloneFresh(): Promise<StagingState> {
    const choice = this.cloneChoice()
    const lean = choice.mode === 'lean'
    const tmp = path.join(this.paths.stagingRoot, `.tmp-clone-${process.pid}-${randomBytes(4).toString('hex')}`)
    await mkdir(this.paths.stagingRoot, {recursive: true})
    this.opts.onProgress?.(`Cloning ${redactUrl(this.opts.url)}${lean ? ` lean (${choice.because}): commits and trees now, files as runs need them` : ''}`)
    try {
      const {filtered} = await cloneRepository(this.opts.url, tmp, {
        env: this.env, signal: this.opts.signal, onProgress: this.progress('Cloning'), lean,
      })
      const git = new GitRepository(tmp, {env: this.env, signal: this.opts.signal})
      if (lean && !filtered) {
        // git marks the clone partial even when the upstream sent everything.
        const notice = this.opts.onNotice ?? this.opts.onProgress
        notice?.('the upstream does not allow lean clones (uploadpack.allowFilter is off): staging is a full clone')
        await git.leavePartial()
      }

      const selected = await this.initialSelection(git)
      await (lean && filtered ? git.pointHead(selected.sha) : git.checkout(selected.sha, true));
      // Staging keeps no local branches: branches are read from origin/*, so none can go stale.
      for (const ref of await git.localBranches()) await git.deleteRef(ref)
      await rename(tmp, this.paths.clone)
      const now = new Date().toISOString()
      const state: StagingState = {
        ...selected, url: this.opts.url, clonedAt: now, fetchedAt: now,
      }
      await this.writeState(state)
      return state
    } catch (error) {
      await removeInside(this.paths.stagingRoot, tmp)
      throw error
    }
  }

  /** On first clone: the tag equal to the CLI's version if upstream has it, else the default branch. */
  private async initialSelection(git = this.git): Promise<Resolved> {
    const versionTag = `v${this.opts.cliVersion.replace(/^v/, '')}`
    const tagSha = await git.resolveCommit(`refs/tags/${versionTag}`)
    if (tagSha) return {ref: versionTag, kind: 'tag', sha: tagSha}
    const branch = await git.defaultBranch()
    const sha = branch ? await git.resolveCommit(`refs/remotes/origin/${branch}`) : undefined
    if (!branch || !sha) throw new StagingError(`the upstream ${redactUrl(this.opts.url)} has no default branch to start from`)
    return {ref: branch, kind: 'branch', sha}
  }

  private async switchTo(target: Resolved, base: StagingState, force: boolean): Promise<StagingState> {
    const head = await this.git.headSha()
    if (head !== target.sha) {
      // A lean staging has no work tree whose changes could be lost.
      if (!force && !(await this.git.isPartial())) {
        const changed = await this.git.changedFiles()
        if (changed.length > 0) {
          throw new StagingError(`staging has local changes in ${changed.length} file(s) (${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''}); not overwriting them`, {
            hint: 'Keep them elsewhere, or pass --force to discard them.',
          })
        }
      }

      // Pending means "interrupted": recorded before git starts, so that a crash is finished by
      // the next command. A checkout git refuses changes nothing, and leaves nothing pending.
      await this.writeState({...base, pending: target})
      this.opts.onProgress?.(`Checking out ${target.ref} (${target.sha.slice(0, 12)})`)
      try {
        await this.select(target.sha, force)
      } catch (error) {
        if (!(error instanceof CheckoutRefusedError)) throw error
        await this.writeState({...base, pending: undefined})
        throw new StagingError(`cannot switch staging to ${target.ref} (${target.sha.slice(0, 12)}): ${error.message}; staging stays at ${base.ref} (${base.sha.slice(0, 12)})`, {
          cause: error,
          hint: error.reason.startsWith('the commit holds')
            ? `Runs can still use it without selecting it: --module-version ${target.ref} (paths named .git are never exported).`
            : 'Move those files out of the staging work tree, or pass --force to overwrite them.',
        })
      }
    }

    const state: StagingState = {
      ...base, ...target, tag: target.tag, pending: undefined,
    }
    await this.writeState(state)
    return state
  }

  /** Makes `sha` the commit of staging: checked out in a full staging, HEAD moved in a lean one. */
  private async select(sha: string, force: boolean): Promise<void> {
    await ((await this.git.isPartial()) ? this.git.pointHead(sha) : this.git.checkout(sha, force));
  }

  /**
   * `pull --full` on a lean staging: fetch everything, then check the selected version out. The
   * checkout is recorded as pending before git is told the clone is complete, so a crash before
   * that leaves a lean staging (`pull --full` again finishes the job), and a crash after it leaves
   * a checkout the next command finishes, as any interrupted checkout.
   */
  private async makeFull(state: StagingState): Promise<StagingState> {
    this.opts.onProgress?.(`Fetching every file of ${redactUrl(this.opts.url)} (staging becomes a full clone)`)
    await this.git.withOptions({onProgress: this.progress('Fetching')}).fetchEverything()
    // The selected commit may be one that no branch or tag reaches any more: its files come by id.
    const missing = await this.git.missingBlobs(state.sha)
    if (missing.size > 0) await this.git.fetchObjects([...missing])
    const selected: Resolved = {
      ref: state.ref, kind: state.kind, tag: state.tag, sha: state.sha,
    }
    const fetchedAt = new Date().toISOString()
    await this.writeState({...state, fetchedAt, pending: selected})
    await this.git.leavePartial()
    this.opts.onProgress?.(`Checking out ${state.ref} (${state.sha.slice(0, 12)})`)
    await this.git.checkout(state.sha, true)
    const full: StagingState = {...state, fetchedAt, pending: undefined}
    await this.writeState(full)
    return full
  }

  private async writeState(state: StagingState): Promise<void> {
    // JSON drops the keys that are undefined (a finished `pending`).
    // It records the upstream URL, token included when the URL carries one: the owner's only.
    await writeFileAtomic(this.paths.stateFile, `${JSON.stringify(state, null, 2)}\n`, 0o600)
    await writeFileAtomic(this.paths.versionFile, `${state.ref}\n`)
  }

  private async newerThan(state: StagingState): Promise<string[]> {
    if (state.kind !== 'tag') return []
    return newerReleases(await this.git.tags(), state.tag ?? state.ref)
  }

  private async removeClone(): Promise<void> {
    // Move aside first: a half-deleted clone must never look like staging.
    if (await exists(this.paths.clone)) {
      const doomed = path.join(this.paths.stagingRoot, `.tmp-remove-${process.pid}-${randomBytes(4).toString('hex')}`)
      await rename(this.paths.clone, doomed)
      await removeInside(this.paths.stagingRoot, doomed)
    }

    await rm(this.paths.stateFile, {force: true})
    await rm(this.paths.versionFile, {force: true})
  }

  /** Temporary clones left by a killed process. Only called under the lock. */
  private async removeLeftoverClones(): Promise<void> {
    const entries = await readdir(this.paths.stagingRoot).catch(() => [] as string[])
    for (const name of entries) {
      if (name.startsWith('.tmp-clone-') || name.startsWith('.tmp-remove-')) {
        debug('removing leftover %s', name)
        await removeInside(this.paths.stagingRoot, path.join(this.paths.stagingRoot, name))
      }
    }
  }
}

function notFound(ref: string): InvalidInputError {
  const kind = ref === LATEST ? 'no release tag vX.Y.Z' : `no tag, branch or commit named ${JSON.stringify(ref)}`
  return new InvalidInputError(`${kind} exists upstream`, {
    hint: FULL_SHA.test(ref) ? 'Check the commit SHA.' : 'See the tags with `git -C ~/.project-planton/staging/project-planton tag`.',
  })
}
