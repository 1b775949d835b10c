import {readdir, writeFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

import {InvalidInputError} from './errors.js'

export const DEFAULT_REPO_URL = 'https://github.com/plantonhq/project-planton.git'

/** Every path the CLI owns. Nothing outside `home` is ever created or deleted by it. */
export type HomePaths = {
  home: string
  /** staging/: holds the clone, the version record and the lock */
  stagingRoot: string
  /** staging/project-planton: the clone whose work tree users may browse */
  clone: string
  /** staging/.version: the selected ref as typed (compatible with the reference CLI) */
  versionFile: string
  /** staging/state.json: selected ref, resolved SHA, URL, last fetch time */
  stateFile: string
  /** staging/staging.lock: held while staging is cloned, fetched, checked out or removed */
  lockFile: string
  /** staging/lock-owner.json: who holds the lock, for the "waiting for …" message */
  lockOwnerFile: string
  workspaces: string
  tofuState: string
  pluginCache: string
  /** per-commit snapshots of module files */
  cache: string
}

/** Written into the home once it is known to be the CLI's own folder. */
export const HOME_MARK = '.project-planton-home'

/** What the CLI makes in its home (and what a file manager adds by itself). */
const OWN_ENTRIES = new Set(['.DS_Store', 'cache', HOME_MARK, 'staging', 'tofu', 'workspaces'])

/**
 * Refuses a home that holds anything the CLI did not make (PROJECT_PLANTON_HOME=$HOME set by
 * mistake would otherwise let `staging clean` near the user's own folders), unless it is empty or
 * new; marks an accepted one, so that later additions by the user do not lock them out.
 */
export async function checkHome(home: string, opts: {mark?: boolean} = {}): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(home)
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw new InvalidInputError(`the CLI home ${home} is a file, not a folder`, {hint: 'Set PROJECT_PLANTON_HOME to a folder of its own (default ~/.project-planton).'})
    if (code === 'EACCES') throw new InvalidInputError(`the CLI home ${home} cannot be read: permission denied`, {hint: 'Fix its permissions, or set PROJECT_PLANTON_HOME to a folder of your own.'})
    throw error
  }

  if (entries.includes(HOME_MARK)) return
  const foreign = entries.filter(e => !OWN_ENTRIES.has(e))
  if (foreign.length > 0) {
    throw new InvalidInputError(`${home} holds files project-planton did not make (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', …' : ''}), so it is not used as the CLI home`, {
      hint: 'Set PROJECT_PLANTON_HOME to an empty or new folder of its own (default ~/.project-planton).',
    })
  }

  if (opts.mark === false) return
  await writeFile(path.join(home, HOME_MARK), 'This folder is the home of the project-planton CLI; it may delete what it made here.\n').catch((error: NodeJS.ErrnoException) => {
    // A read-only home is refused with a clear message by whatever writes there next.
    if (!['EACCES', 'EPERM', 'EROFS'].includes(error.code ?? '')) throw error
  })
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PROJECT_PLANTON_HOME?.trim()
  if (fromEnv) return path.resolve(fromEnv)
  return path.join(env.HOME?.trim() || homedir(), '.project-planton')
}

export function homePaths(home: string): HomePaths {
  const stagingRoot = path.join(home, 'staging')
  return {
    home,
    stagingRoot,
    clone: path.join(stagingRoot, 'project-planton'),
    versionFile: path.join(stagingRoot, '.version'),
    stateFile: path.join(stagingRoot, 'state.json'),
    lockFile: path.join(stagingRoot, 'staging.lock'),
    lockOwnerFile: path.join(stagingRoot, 'lock-owner.json'),
    workspaces: path.join(home, 'workspaces'),
    tofuState: path.join(home, 'tofu', 'state'),
    pluginCache: path.join(home, 'tofu', 'plugin-cache'),
    cache: path.join(home, 'cache'),
  }
}

/**
 * The upstream to clone. A URL, an scp-like `host:path`, a local path or a git bundle file are all
 * accepted; a relative local path is made absolute so that the recorded remote never depends on
 * the directory the CLI happened to run in.
 */
export function resolveRepoUrl(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  const raw = env.PROJECT_PLANTON_REPO_URL?.trim()
  if (!raw) return DEFAULT_REPO_URL
  if (raw.startsWith('-')) throw new InvalidInputError(`PROJECT_PLANTON_REPO_URL must not start with "-": ${JSON.stringify(raw)}`)
  return isLocalPath(raw) ? path.resolve(cwd, raw) : raw
}

/**
 * git's own rule (connect.c, url_is_local_not_ssh): `scheme://…` is a URL; otherwise a colon
 * before the first slash makes an scp-like `[user@]host:path` (`[host]:path` too: the colon inside
 * the brackets already counts, as it does for git); no colon, or a slash before it, is a local path.
 */
export function isLocalPath(url: string): boolean {
  if (/^[a-z][\w+.-]*:\/\//i.test(url)) return false
  const colon = url.indexOf(':')
  const slash = url.indexOf('/')
  return colon === -1 || (slash !== -1 && slash < colon)
}

/** Where a user's local monorepo checkout is expected for `--local-module`. */
export function localRepoPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PROJECT_PLANTON_GIT_REPO?.trim()
  if (fromEnv) return path.resolve(fromEnv)
  return path.join(env.HOME?.trim() || homedir(), 'scm', 'github.com', 'plantonhq', 'project-planton')
}
