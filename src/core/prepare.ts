/**
 * Preparing the workspace of one run: find the module (`--module-dir` > `--local-module` > staging),
 * make sure staging has the commit, and put the module's files into a fresh workspace.
 */
import path from 'node:path'

import type {HomePaths} from './home.js'
import type {LockOwner} from './lock.js'
import type {Manifest} from './manifest.js'

import {formatBytes} from './fsutil.js'
import {pulumiClosure} from './goclosure.js'
import {localRepoPath} from './home.js'
import {type Tool, assertModuleDir, fsTree, gitTree, locateModule} from './modules.js'
import {Staging} from './staging.js'
import {type Workspace, copyFolder, createWorkspace, exportEntries, removeWorkspace} from './workspace.js'

export type PrepareRequest = {
  tool: Tool
  manifest: Manifest
  /** validated stack id, used to name the workspace */
  stackId: string
  moduleDir?: string
  localModule?: boolean
  moduleVersion?: string
  /** pulumi: export the whole tree instead of the module's Go import closure */
  fullTree?: boolean
  paths: HomePaths
  url: string
  cliVersion: string
  command: string
  env?: NodeJS.ProcessEnv
  signal?: AbortSignal
  report?: (message: string) => void
  onWait?: (owner: LockOwner | undefined) => void
}

export type PreparedRun = Workspace & {
  source: 'local-module' | 'module-dir' | 'staging'
  /** module-dir: the user's folder is used in place (pulumi) or copied (tofu) */
  layout: 'closure' | 'copy' | 'full-tree' | 'in-place' | 'module'
  ref?: string
  sha?: string
  /** repository-relative module folder */
  modulePath?: string
  summary: string
}

export async function prepareRun(req: PrepareRequest): Promise<PreparedRun> {
  const report = req.report ?? (() => {})
  if (req.moduleDir) return prepareFromFolder(req, path.resolve(req.moduleDir))
  if (req.localModule) {
    const repo = localRepoPath(req.env)
    const modulePath = await locateModule(fsTree(repo), req.manifest, req.tool)
    report(`Using the local checkout ${repo}`)
    return {...(await prepareFromFolder(req, path.join(repo, modulePath))), source: 'local-module', modulePath}
  }

  const staging = new Staging({
    paths: req.paths,
    url: req.url,
    cliVersion: req.cliVersion,
    command: req.command,
    env: req.env,
    signal: req.signal,
    onProgress: report,
    onWait: req.onWait,
  })
  const resolved = await staging.resolveForRun(req.moduleVersion)
  report(`Staging ready at ${resolved.ref}${resolved.tag ? ` (${resolved.tag})` : ''} ${resolved.sha.slice(0, 12)}`)
  const repo = staging.repository
  const modulePath = await locateModule(gitTree(repo, resolved.sha), req.manifest, req.tool)

  const ws = await createWorkspace(req.paths.workspaces, req.stackId, {command: req.command, sha: resolved.sha, source: 'staging'})
  try {
    let layout: PreparedRun['layout'] = 'module'
    let entries
    if (req.tool === 'tofu') {
      entries = await repo.listTree(resolved.sha, modulePath)
    } else if (req.fullTree) {
      layout = 'full-tree'
      entries = await repo.listTree(resolved.sha)
    } else {
      const closure = await pulumiClosure(repo, resolved.sha, modulePath, req.paths.cache)
      if (closure.entries) {
        layout = 'closure'
        entries = closure.entries
      } else {
        report(`Go import closure unavailable (${closure.reason}); using the whole tree`)
        layout = 'full-tree'
        entries = await repo.listTree(resolved.sha)
      }
    }

    const reader = repo.objectReader()
    try {
      const {files, bytes} = await exportEntries(reader, entries, ws.tree)
      Object.assign(ws, {files, bytes, moduleDir: path.join(ws.tree, modulePath)})
    } finally {
      await reader.close()
    }

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
 * A user's folder is never written to: tofu gets a copy (init writes `.terraform` and generated
 * files into the folder it runs in), pulumi runs in place with its stack input kept in the workspace.
 */
async function prepareFromFolder(req: PrepareRequest, dir: string): Promise<PreparedRun> {
  await assertModuleDir(dir, req.tool)
  const ws = await createWorkspace(req.paths.workspaces, req.stackId, {command: req.command, source: dir})
  try {
    if (req.tool === 'tofu') {
      const {files, bytes} = await copyFolder(dir, ws.tree)
      return {...ws, files, bytes, source: 'module-dir', layout: 'copy', summary: `Workspace ready: ${files} files, ${formatBytes(bytes)} copied from ${dir}`}
    }

    return {...ws, moduleDir: dir, source: 'module-dir', layout: 'in-place', summary: `Using ${dir} in place (it is not modified)`}
  } catch (error) {
    await removeWorkspace(req.paths.workspaces, ws)
    throw error
  }
}
