/**
 * `doctor`: checks what a run depends on (git, the IaC tools, a writable home with room, a healthy
 * staging clone) and says, for each problem, what to do about it. It reads and never repairs: the
 * staging commands repair, and a diagnosis must not change what it diagnoses.
 */
import {constants} from 'node:fs'
import {access, stat, statfs} from 'node:fs/promises'
import path from 'node:path'

import {binariesRoot, binaryCacheStats} from './binaries/cache.js'
import {findGo} from './binaries/go.js'
import {MODULE_BINARY_VARIABLE, moduleBinaryMode} from './binaries/modes.js'
import {bareUrl, releasesBase} from './binaries/releases.js'
import {redactUrl} from './display.js'
import {errorMessage, InvalidInputError, MissingToolError} from './errors.js'
import {formatBytes} from './fsutil.js'
import {gitVersion} from './git.js'
import {checkHome as checkHomeContents, type HomePaths} from './home.js'
import {Staging, type StagingStatus} from './staging.js'
import {
  findBinary, installHint, overrideVariable, type ToolBinary, toolVersion, which,
} from './tools.js'
import {listWorkspaces} from './workspace.js'

export type CheckStatus = 'error' | 'ok' | 'warn'

export type DoctorCheck = {
  /** stable name for scripts: node, git, pulumi, tofu, terraform, iac-tools, go, module-binaries, home, disk, staging, staging.upstream, staging.version, staging.worktree, workspaces */
  id: string
  status: CheckStatus
  /** what was found, one line */
  message: string
  /** what to do about it; absent when there is nothing to do */
  fix?: string
  details?: Record<string, unknown>
}

export type DoctorReport = {
  /** true when no check is an error (warnings are advice) */
  ok: boolean
  errors: number
  warnings: number
  home: string
  url: string
  checks: DoctorCheck[]
}

export type DoctorOptions = {
  paths: HomePaths
  url: string
  cliVersion: string
  /** the command name used in advice, e.g. `project-planton` */
  bin: string
  env?: NodeJS.ProcessEnv
  /** free space below these is an error / a warning */
  freeSpace?: {errorBelow: number; warnBelow: number}
}

/**
 * git 2.45.1 (May 2024) fixed CVE-2024-32002, -32004, -32020, -32021 and -32465, through which
 * cloning a crafted repository can run code. Distributions backport such fixes into older version
 * numbers, so an older version is a warning to check, not an error.
 */
export const GIT_SAFE_VERSION: readonly [number, number, number] = [2, 45, 1]
const NODE_MIN_VERSION: readonly [number, number, number] = [20, 19, 0]
const MIB = 1024 * 1024
/** Staging is ~100 MiB of work tree and ~50 MiB of pack; providers and workspaces come on top. */
const DEFAULT_FREE_SPACE = {errorBelow: 256 * MIB, warnBelow: 1024 * MIB}
const INSTALL_ANY_TOOL = [
  'Install OpenTofu (https://opentofu.org/docs/intro/install/) or Terraform (https://developer.hashicorp.com/terraform/install) for tf modules,',
  'and Pulumi (https://www.pulumi.com/docs/install/) for pulumi modules.',
].join(' ')

function check(id: string, status: CheckStatus, message: string, more: {fix?: string; details?: Record<string, unknown>} = {}): DoctorCheck {
  return {
    id, status, message, ...more,
  }
}

export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const env = opts.env ?? process.env
  const [node, git, tools, go, binaries, home, disk, staging, workspaces] = await Promise.all([
    checkNode(),
    checkGit(env),
    checkTools(env),
    checkGo(env),
    checkModuleBinaries(opts.paths, env),
    checkHome(opts.paths.home),
    checkDisk(opts.paths.home, opts.freeSpace ?? DEFAULT_FREE_SPACE),
    checkStaging(opts, env),
    checkWorkspaces(opts.paths, opts.bin),
  ])
  const checks = [node, git, ...tools, go, binaries, home, disk, ...staging, ...(workspaces ? [workspaces] : [])]
  const errors = checks.filter(c => c.status === 'error').length
  const warnings = checks.filter(c => c.status === 'warn').length
  return {
    ok: errors === 0, errors, warnings, home: opts.paths.home, url: redactUrl(opts.url), checks,
  }
}

/** The report as lines for a terminal; `paint` may colour the status word. */
export function formatReport(report: DoctorReport, paint: (status: CheckStatus, text: string) => string = (_s, t) => t): string[] {
  const lines = [`Home:      ${report.home}`, `Upstream:  ${report.url}`, '']
  const width = Math.max(...report.checks.map(c => c.id.length))
  for (const c of report.checks) {
    const word = {error: 'error', ok: 'ok', warn: 'warn'}[c.status]
    lines.push(`${paint(c.status, word.padEnd(5))}  ${c.id.padEnd(width)}  ${c.message}`)
    if (c.fix) lines.push(`${' '.repeat(width + 9)}→ ${c.fix}`)
  }

  const counts = `${report.errors} error(s), ${report.warnings} warning(s)`
  lines.push('', report.ok ? `${counts}: ready to run.` : `${counts}: fix the errors above before running.`)
  return lines
}

export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0)
    if (d !== 0) return d
  }

  return 0
}

async function checkNode(): Promise<DoctorCheck> {
  const version = process.versions.node
  const min = NODE_MIN_VERSION.join('.')
  if (compareVersions(version.split('.').map(Number), NODE_MIN_VERSION) >= 0) return check('node', 'ok', `Node.js ${version}`, {details: {version}})
  return check('node', 'error', `Node.js ${version} is older than the supported ${min}`, {fix: `Install Node.js ${min} or newer (https://nodejs.org/en/download).`, details: {version}})
}

async function checkGit(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const [bin, version] = await Promise.all([which('git', env), gitVersion(env)])
  if (!bin || !version) {
    const message = bin ? `git at ${bin} does not answer \`git --version\`` : 'git is not installed (not found on PATH)'
    return check('git', 'error', message, {fix: `Install git ${GIT_SAFE_VERSION.join('.')} or newer (https://git-scm.com/downloads): staging is a git clone.`, details: {path: bin}})
  }

  const text = version.join('.')
  const safe = GIT_SAFE_VERSION.join('.')
  const details = {path: bin, version: text}
  if (compareVersions(version, GIT_SAFE_VERSION) >= 0) return check('git', 'ok', `git ${text} (${bin})`, {details})
  return check('git', 'warn', `git ${text} (${bin}) is older than ${safe}, which fixed CVE-2024-32002 and related flaws (code execution on clone)`, {
    fix: `Upgrade git to ${safe} or newer, or confirm your distribution backported the fixes into ${text}.`,
    details,
  })
}

type ToolProbe = {path?: string; version?: string; override: boolean; error?: string}

async function checkTools(env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const tools: ToolBinary[] = ['pulumi', 'tofu', 'terraform']
  const probes = await Promise.all(tools.map(async tool => probeTool(tool, env)))
  const probe = Object.fromEntries(tools.map((t, i) => [t, probes[i]])) as Record<ToolBinary, ToolProbe>
  const checks = tools.map((tool): DoctorCheck => {
    const p = probe[tool]
    const details = {path: p.path, version: p.version, override: p.override}
    if (p.error) return check(tool, 'error', p.error, {fix: installHint(tool), details})
    if (!p.path) {
      const consequence = tool === 'tofu' && probe.terraform.path ? 'manifests labelled tofu run terraform instead' : `manifests labelled ${tool} cannot run`
      return check(tool, 'warn', `${tool} is not installed (not found on PATH): ${consequence}`, {fix: installHint(tool), details})
    }

    if (!p.version) {
      return check(tool, 'warn', `${tool} at ${p.path} did not answer \`${tool} version\``, {fix: `Check that ${p.path} runs, or set ${overrideVariable(tool)} to a working binary.`, details})
    }

    return check(tool, 'ok', `${p.version} (${p.path}${p.override ? `, from ${overrideVariable(tool)}` : ''})`, {details})
  })
  if (tools.every(t => !probe[t].path)) {
    checks.push(check('iac-tools', 'error', 'none of pulumi, tofu or terraform is installed: no manifest can be deployed', {
      fix: INSTALL_ANY_TOOL,
    }))
  }

  return checks
}

async function probeTool(tool: ToolBinary, env: NodeJS.ProcessEnv): Promise<ToolProbe> {
  const override = Boolean(env[overrideVariable(tool)]?.trim())
  let bin: string
  try {
    bin = await findBinary(tool, env)
  } catch (error) {
    if (!(error instanceof MissingToolError)) throw error
    // An override that points nowhere is a broken setting; a tool that is merely absent is not.
    return override ? {override, error: error.message} : {override}
  }

  return {path: bin, version: await toolVersion(bin, env), override}
}

/**
 * Go builds module binaries once per commit, and Pulumi's Go runtime needs it on every run: to
 * compile a module from source, and even with a module binary, where it still asks go for its
 * version before starting the program (https://github.com/pulumi/pulumi/issues/11167).
 */
async function checkGo(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const {go, problem} = await findGo(env)
  const fix = 'Install Go (https://go.dev/dl/): Pulumi\'s Go runtime needs it for every pulumi run, also with a module binary, and module binaries of branches and commits are built with it.'
  if (!go) return check('go', 'warn', `${problem}: pulumi runs cannot start (tofu runs do not need Go)`, {fix})
  return check('go', 'ok', `${go.version} (${go.bin}): module binaries are built once per commit`, {details: {path: go.bin, version: go.version}})
}

/** The mode runs use by default, where releases come from, and what the binary cache holds. */
async function checkModuleBinaries(paths: HomePaths, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  let mode
  let base
  try {
    mode = moduleBinaryMode(undefined, env)
    base = releasesBase(env)
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    return check('module-binaries', 'error', error.message, {fix: error.hint ?? `Fix or unset ${MODULE_BINARY_VARIABLE} and PROJECT_PLANTON_RELEASES_URL.`})
  }

  const stats = await binaryCacheStats(paths.cache)
  const details = {
    mode, releases: bareUrl(base.url), cache: binariesRoot(paths.cache), ...stats,
  }
  const held = `${stats.binaries} in the cache (${stats.built} built, ${stats.downloaded} downloaded, ${formatBytes(stats.bytes)})`
  if (mode === 'never') return check('module-binaries', 'ok', `off (${MODULE_BINARY_VARIABLE}=never): pulumi compiles every module from source; ${held}`, {details})
  return check('module-binaries', 'ok', `mode ${mode}, releases from ${bareUrl(base.url)}; ${held}`, {details})
}

async function checkHome(home: string): Promise<DoctorCheck> {
  const existing = await nearestExisting(home)
  const created = existing !== home
  const details = {path: home, exists: !created}
  const where = created ? `${existing} (where ${home} would be created)` : home
  if (!(await stat(existing)).isDirectory()) {
    return check('home', 'error', `${where} is not a directory`, {fix: 'Set PROJECT_PLANTON_HOME to a folder of your own, or move the file out of the way.', details})
  }

  try {
    await access(existing, constants.W_OK)
    await access(existing, constants.X_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? errorMessage(error)
    return check('home', 'error', `${where} is not writable (${code})`, {fix: `Make it writable (chmod u+wx ${existing}) or set PROJECT_PLANTON_HOME to a writable folder.`, details})
  }

  try {
    await checkHomeContents(home, {mark: false})
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error
    return check('home', 'error', error.message, {fix: error.hint, details})
  }

  return check('home', 'ok', created ? `${home} does not exist yet; it will be created (${existing} is writable)` : `${home} is writable`, {details})
}

async function checkDisk(home: string, limits: {errorBelow: number; warnBelow: number}): Promise<DoctorCheck> {
  const on = await nearestExisting(home)
  const fs = await statfs(on)
  const free = fs.bavail * fs.bsize
  const details = {path: on, freeBytes: free, totalBytes: fs.blocks * fs.bsize}
  const message = `${formatBytes(free)} free on the file system of ${on}`
  if (free < limits.errorBelow) {
    return check('disk', 'error', message, {fix: `Free at least ${formatBytes(limits.errorBelow)} (staging alone needs ~150 MiB), or set PROJECT_PLANTON_HOME to a larger file system.`, details})
  }

  if (free < limits.warnBelow) {
    return check('disk', 'warn', message, {fix: `Keep at least ${formatBytes(limits.warnBelow)} free: provider downloads and workspaces need room beside staging.`, details})
  }

  return check('disk', 'ok', message, {details})
}

async function checkStaging(opts: DoctorOptions, env: NodeJS.ProcessEnv): Promise<DoctorCheck[]> {
  const {bin} = opts
  const staging = new Staging({
    paths: opts.paths, url: opts.url, cliVersion: opts.cliVersion, command: `${bin} doctor`, env,
  })
  const reclone = `\`${bin} staging clean --all --yes && ${bin} staging pull\``
  let status: StagingStatus
  try {
    status = await staging.status()
  } catch (error) {
    return [check('staging', 'error', `staging at ${opts.paths.clone} cannot be read: ${errorMessage(error)}`, {fix: `Re-clone it: ${reclone}.`})]
  }

  if (!status.exists) {
    return [check('staging', 'warn', `staging is not cloned yet (${status.path})`, {
      fix: `Clone it now with \`${bin} staging pull\` (the first apply or plan also clones it).`,
      details: {path: status.path, exists: false},
    })]
  }

  if (!status.headSha) {
    return [check('staging', 'warn', `${status.path} is not a usable git clone (no HEAD)`, {
      fix: `The next staging command clones it again; to do it now: \`${bin} staging pull\`.`,
      details: {path: status.path, exists: true},
    })]
  }

  const checks = [check('staging', 'ok', `${status.path}: ${formatBytes(status.sizeBytes)} in ${status.files} files, last fetch ${status.fetchedAt ?? 'never'}`, {
    details: {
      path: status.path, exists: true, sizeBytes: status.sizeBytes, files: status.files, fetchedAt: status.fetchedAt,
    },
  })]

  const urls = {url: status.url, recordedUrl: status.recordedUrl}
  const upstream = status.urlMismatch
    ? check('staging.upstream', 'error', `staging was cloned from ${status.recordedUrl}, but PROJECT_PLANTON_REPO_URL is now ${status.url}`, {
      fix: `Re-clone from the new upstream with ${reclone}, or set PROJECT_PLANTON_REPO_URL back to ${status.recordedUrl}.`,
      details: urls,
    })
    : check('staging.upstream', 'ok', `cloned from ${status.recordedUrl ?? status.url}`, {details: urls})
  return [...checks, upstream, versionCheck(status, bin), worktreeCheck(status, bin)]
}

/** Local edits in the staging work tree: pull and checkout refuse to overwrite them. */
function worktreeCheck(status: StagingStatus, bin: string): DoctorCheck {
  const changed = status.changedFiles
  if (status.workTree === 'none') {
    const local = status.localFiles ? ` (${status.localFiles.local} of ${status.localFiles.total} files of the selected version local)` : ''
    return check('staging.worktree', 'ok', `lean staging: no work tree, files fetched as runs need them${local}; \`${bin} staging pull --full\` makes every module work offline`, {
      details: {changedFiles: [], mode: 'lean', localFiles: status.localFiles},
    })
  }

  if (status.clean) return check('staging.worktree', 'ok', 'no local changes', {details: {changedFiles: []}})
  const some = `${changed.slice(0, 3).join(', ')}${changed.length > 3 ? ', …' : ''}`
  return check('staging.worktree', 'warn', `${changed.length} file(s) changed locally (${some}); pull and checkout will not overwrite them`, {
    fix: `Copy what you want to keep elsewhere, then discard them with \`${bin} staging pull --force\`.`,
    details: {changedFiles: changed},
  })
}

/** Does the work tree hold the commit that staging recorded as selected? */
function versionCheck(status: StagingStatus, bin: string): DoctorCheck {
  const details = {
    ref: status.ref, kind: status.kind, sha: status.sha, headSha: status.headSha, pending: status.pending?.ref,
  }
  if (status.pending) {
    return check('staging.version', 'warn', `a checkout of ${status.pending.ref} was interrupted`, {fix: `The next staging command finishes it, e.g. \`${bin} staging pull\`.`, details})
  }

  if (!status.ref || !status.sha) {
    return check('staging.version', 'warn', 'no selected version is recorded', {fix: `Select one with \`${bin} staging checkout latest\` (or a tag, branch or commit).`, details})
  }

  const sha = status.sha.slice(0, 12)
  if (status.headMatches) return check('staging.version', 'ok', `${status.ref} (${status.kind}) at ${sha}; the work tree is at that commit`, {details})
  return check('staging.version', 'warn', `the work tree is at ${status.headSha?.slice(0, 12)}, not at the selected ${status.ref} (${sha}); runs still use ${sha}`, {
    fix: `Move the work tree back with \`git -C ${status.path} checkout --detach ${status.sha}\`, or select what it holds with \`${bin} staging checkout ${status.headSha}\`.`,
    details,
  })
}

async function checkWorkspaces(paths: HomePaths, bin: string): Promise<DoctorCheck | undefined> {
  const all = await listWorkspaces(paths.workspaces).catch(() => [])
  if (all.length === 0) return undefined
  const running = all.filter(w => w.running)
  const kept = all.filter(w => !w.running && w.kept)
  const abandoned = all.filter(w => !w.running && !w.kept)
  const details = {running: running.map(w => w.path), kept: kept.map(w => w.path), abandoned: abandoned.map(w => w.path)}
  const message = `${running.length} running, ${kept.length} kept with --no-cleanup, ${abandoned.length} left by interrupted runs (${paths.workspaces})`
  if (abandoned.length === 0) return check('workspaces', 'ok', message, {details})
  return check('workspaces', 'warn', message, {fix: `Remove them with \`${bin} staging clean\` (workspaces of running runs are left alone).`, details})
}

async function nearestExisting(p: string): Promise<string> {
  let current = path.resolve(p)
  for (;;) {
    try {
      await stat(current)
      return current
    } catch {
      const parent = path.dirname(current)
      if (parent === current) return current
      current = parent
    }
  }
}
