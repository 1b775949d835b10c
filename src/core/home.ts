import {homedir} from 'node:os'
import path from 'node:path'

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
  if (/^[a-z][\w+.-]*:\/\//i.test(raw) || /^[\w.-]+@[\w.-]+:/.test(raw)) return raw
  return path.resolve(cwd, raw)
}

/** Where a user's local monorepo checkout is expected for `--local-module`. */
export function localRepoPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.PROJECT_PLANTON_GIT_REPO?.trim()
  if (fromEnv) return path.resolve(fromEnv)
  return path.join(env.HOME?.trim() || homedir(), 'scm', 'github.com', 'plantonhq', 'project-planton')
}
