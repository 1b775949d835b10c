/**
 * Preparing the workspace of one run: find the module (`--module-dir` > `--local-module` > staging),
 * make sure staging has the commit, and put the module's files into a fresh workspace.
 */
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import type {Prefetch} from './blob-fetch.js'
import type {GitRepository, TreeEntry} from './git.js'
import type {Manifest} from './manifest.js'

import {HandOver} from './blobs.js'
import {formatBytes, removeInside} from './fsutil.js'
import {CLOSURE_VERSION, computeClosure} from './goclosure.js'
import {localRepoPath} from './home.js'
import {
  copyFolder, copySnapshot, exportEntries, writeGenerated,
} from './materialise.js'
import {
  assertModuleDir, fsTree, gitTree, locateModule, type Tool,
} from './modules.js'
import {
  createSnapshot, discardSnapshot, readSnapshot, type Snapshot, snapshotKey,
} from './snapshot.js'
import {type Resolved, Staging, type StagingOptions} from './staging.js'
import {createWorkspace, removeWorkspace, type Workspace} from './workspace.js'

export type PrepareRequest = Omit<StagingOptions, 'onProgress'> & {
  tool: Tool
  manifest: Manifest
  /** validated stack id, used to name the workspace */
  stackId: string
  moduleDir?: string
  localModule?: boolean
  moduleVersion?: string
  /** pulumi: export the whole tree instead of the module's Go import closure */
  fullTree?: boolean
  /** the module, when the run already resolved it (see resolveModule) */
  module?: ModuleSource
  /** pulumi from staging: the module's program, built or downloaded (see binaries/); the workspace then holds only a Pulumi.yaml */
  program?: {path: string; project: string}
  /** progress lines for the user */
  report?: (message: string) => void
}

/** Where a run's module comes from, once resolved: a commit of staging, or a folder on disk. */
export type ModuleSource = {kind: 'local-module'; repo: string; modulePath: string} | {kind: 'module-dir'; dir: string} | {kind: 'staging'; resolved: Resolved}

/**
 * Resolves where the module comes from: `--module-dir` > `--local-module` > staging (cloned on
 * first use; the network only when the version is not local). Nothing is written for a folder.
 */
export async function resolveModule(req: PrepareRequest): Promise<ModuleSource> {
  const report = req.report ?? (() => {})
  if (req.moduleDir) return {kind: 'module-dir', dir: path.resolve(req.moduleDir)}
  if (req.localModule) {
    const repo = localRepoPath(req.env)
    const modulePath = await locateModule(fsTree(repo), req.manifest, req.tool)
    report(`Using the local checkout ${repo}`)
    return {kind: 'local-module', repo, modulePath}
  }

  const staging = stagingOf(req)
  const resolved = await staging.resolveForRun(req.moduleVersion)
  const at = `${resolved.ref}${resolved.tag ? ` (${resolved.tag})` : ''} ${resolved.sha.slice(0, 12)}`
  if (req.moduleVersion) {
    const selected = await staging.readState()
    report(`This run uses ${at}; staging stays at ${selected ? `${selected.ref} ${selected.sha.slice(0, 12)}` : 'its selected version'}`)
  } else {
    report(`Staging ready at ${at}`)
  }

  return {kind: 'staging', resolved}
}

function stagingOf(req: PrepareRequest): Staging {
  return new Staging({
    paths: req.paths,
    url: req.url,
    cliVersion: req.cliVersion,
    command: req.command,
    env: req.env,
    signal: req.signal,
    onProgress: req.report,
    onWait: req.onWait,
    onNotice: req.onNotice,
    cloneMode: req.cloneMode,
  })
}

/**
 * What a run reads from commit `sha` of staging, announced before it is read: a lean staging fetches
 * the missing files then, in one request per call; a full one does nothing.
 */
export function stagingPrefetch(req: PrepareRequest, sha: string): Prefetch {
  const fetcher = stagingOf(req).blobFetcher()
  return (entries: TreeEntry[], what: string) => fetcher.ensure(sha, entries, what)
}

export type PreparedRun = Workspace & {
  source: 'local-module' | 'module-dir' | 'staging'
  /** module-dir: the user's folder is used in place (pulumi) or copied (tofu) */
  layout: 'binary' | 'closure' | 'copy' | 'full-tree' | 'in-place' | 'module'
  ref?: string
  sha?: string
  /** repository-relative module folder */
  modulePath?: string
  summary: string
}

export async function prepareRun(req: PrepareRequest): Promise<PreparedRun> {
  const report = req.report ?? (() => {})
  const module = req.module ?? (await resolveModule(req))
  if (module.kind === 'module-dir') return prepareFromFolder(req, module.dir)
  if (module.kind === 'local-module') {
    return {...(await prepareFromFolder(req, path.join(module.repo, module.modulePath))), source: 'local-module', modulePath: module.modulePath}
  }

  const {resolved} = module
  if (req.program) return prepareForProgram(req, resolved, req.program)
  const staging = stagingOf(req)
  const repo = staging.repository
  // A commit's module folder (tofu) or Go import closure (pulumi) never changes: after the first run
  // it is copied from a snapshot, and a warm run starts no git process at all.
  const key = req.tool === 'tofu' || !req.fullTree ? snapshotKey([resolved.sha, req.tool, CLOSURE_VERSION, req.manifest.apiVersion, req.manifest.kind]) : undefined
  const snapshot = key ? await readSnapshot(req.paths.cache, key) : undefined
  const modulePath = snapshot?.index.modulePath ?? (await locateModule(gitTree(repo, resolved.sha), req.manifest, req.tool))
  report(`Module ${modulePath}${snapshot ? ' (from the snapshot of this commit)' : ''}`)

  const ws = await createWorkspace(req.paths.workspaces, req.stackId, {command: req.command, sha: resolved.sha, source: 'staging'})
  try {
    const {files, bytes, layout} = await fillTree(req, {
      repo, sha: resolved.sha, modulePath, key, snapshot, prefetch: stagingPrefetch(req, resolved.sha),
    }, ws.tree, report)
    Object.assign(ws, {files, bytes, moduleDir: path.join(ws.tree, modulePath)})
    const what = {module: 'module folder', closure: 'Go import closure', 'full-tree': 'whole tree'}[layout as 'closure' | 'full-tree' | 'module']
    return {
      ...ws,
      source: 'staging',
      layout,
      ref: resolved.ref,
      sha: resolved.sha,
      modulePath,
      summary: `Workspace ready: ${ws.files} files, ${formatBytes(ws.bytes)} (${what} of ${resolved.ref} ${resolved.sha.slice(0, 12)})`,
    }
  } catch (error) {
    await removeWorkspace(req.paths.workspaces, ws)
    throw error
  }
}

/**
 * A pulumi run of a module program: the workspace holds a Pulumi.yaml that points Pulumi's Go
 * runtime at the program, and nothing to compile.
 */
async function prepareForProgram(req: PrepareRequest, resolved: Resolved, program: {path: string; project: string}): Promise<PreparedRun> {
  const ws = await createWorkspace(req.paths.workspaces, req.stackId, {command: req.command, sha: resolved.sha, source: 'staging'})
  try {
    const {binaryPulumiYaml} = await import('./binaries/pulumi-yaml.js')
    const yaml = binaryPulumiYaml({project: program.project, binary: program.path, kind: req.manifest.kind})
    await writeGenerated(ws.tree, 'Pulumi.yaml', yaml)
    return {
      ...ws,
      files: 1,
      bytes: Buffer.byteLength(yaml),
      source: 'staging',
      layout: 'binary',
      ref: resolved.ref,
      sha: resolved.sha,
      summary: `Workspace ready: Pulumi.yaml for the module program of ${resolved.ref} ${resolved.sha.slice(0, 12)}`,
    }
  } catch (error) {
    await removeWorkspace(req.paths.workspaces, ws)
    throw error
  }
}

type TreeSource = {repo: GitRepository; sha: string; modulePath: string; key?: string; snapshot?: Snapshot; prefetch: Prefetch}

/** Puts the run's files into `tree`: copied from the snapshot, else exported from git (and snapshotted). */
async function fillTree(req: PrepareRequest, src: TreeSource, tree: string, report: (message: string) => void): Promise<{files: number; bytes: number; layout: PreparedRun['layout']}> {
  if (src.snapshot) {
    try {
      return {...(await copySnapshot(src.snapshot, tree)), layout: src.snapshot.index.layout}
    } catch (error) {
      // Pruned (or damaged) after its index was read: the commit's objects have the same files.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
      report('The snapshot of this commit is gone or damaged; exporting from staging instead')
      await discardSnapshot(src.snapshot)
      await removeInside(req.paths.workspaces, tree)
      await mkdir(tree)
      return fillTree(req, {...src, snapshot: undefined}, tree, report)
    }
  }

  const reader = src.repo.objectReader()
  try {
    // The closure's Go files are read once: the snapshot export gets the same bytes.
    const handOver = new HandOver(reader)
    let entries: TreeEntry[] | undefined
    if (req.tool === 'tofu') {
      entries = await src.repo.listTree(src.sha, src.modulePath)
      await src.prefetch(entries, `the module ${src.modulePath}`)
    } else if (!req.fullTree) {
      const closure = await computeClosure(src.repo, src.sha, src.modulePath, {handOver, prefetch: src.prefetch})
      entries = closure.entries
      if (!entries) report(`Go import closure unavailable (${closure.reason}); using the whole tree`)
    }

    if (src.key && entries) {
      const layout = req.tool === 'tofu' ? 'module' : 'closure'
      const within = layout === 'module' ? src.modulePath : ''
      const snapshot = await createSnapshot(req.paths.cache, src.key, {entries, reader: handOver, report}, {layout, modulePath: src.modulePath, sha: src.sha}).catch((error: NodeJS.ErrnoException) => {
        // A snapshot and a copy need twice the module's room: on a nearly full disk, the run gets
        // its files straight from git instead (the snapshot removed what it had written).
        if (!['EDQUOT', 'ENOSPC'].includes(error.code ?? '')) throw error
        report('No room for a snapshot of this module: exporting into the workspace only')
      })
      if (snapshot) return {...(await copySnapshot(snapshot, tree)), layout}
      const {files, bytes} = await exportEntries(handOver, entries, tree, {within, report})
      return {files, bytes, layout}
    }

    const all = await src.repo.listTree(src.sha)
    await src.prefetch(all, 'the whole tree')
    const {files, bytes} = await exportEntries(reader, all, tree, {report})
    return {files, bytes, layout: 'full-tree'}
  } finally {
    await reader.close()
  }
}

/**
 * A user's folder is never written to: tofu gets a copy (init writes `.terraform` and generated
 * files into the folder it runs in), pulumi runs in place with its stack input kept in the workspace.
 */
async function prepareFromFolder(req: PrepareRequest, dir: string): Promise<PreparedRun> {
  await assertModuleDir(dir, req.tool)
  const ws = await createWorkspace(req.paths.workspaces, req.stackId, {command: req.command, source: dir})
  try {
    if (req.tool === 'tofu') {
      const {files, bytes} = await copyFolder(dir, ws.tree, req.report)
      return {
        ...ws, files, bytes, source: 'module-dir', layout: 'copy', summary: `Workspace ready: ${files} files, ${formatBytes(bytes)} copied from ${dir}`,
      }
    }

    return {
      ...ws, moduleDir: dir, source: 'module-dir', layout: 'in-place', summary: `Using ${dir} in place (it is not modified)`,
    }
  } catch (error) {
    await removeWorkspace(req.paths.workspaces, ws)
    throw error
  }
}
