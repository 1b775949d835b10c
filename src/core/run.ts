/**
 * One run of a manifest, top to bottom: load the manifest, choose the tool, check every input, have
 * the workspace prepared, hand the terminal to the tool, and have the workspace torn down after
 * success, failure, SIGINT and SIGTERM alike. The exit code is the tool's (128 + n after a signal).
 *
 * What it needs from the terminal and from the CLI around it (progress, questions, the hooks that
 * prepare and tear down workspaces) comes in through `RunUi`, so that nothing here knows oclif.
 */
import type {HomePaths} from './home.js'
import type {LockOwner} from './lock.js'
import type {Manifest} from './manifest.js'
import type {PreparedRun, PrepareRequest} from './prepare.js'

import {type CredentialFiles, loadCredentials, type ProviderConfig} from './credentials.js'
import {InvalidInputError} from './errors.js'
import {executePulumi, executeTofu} from './iac/execute.js'
import {type PulumiFlags, type PulumiOp} from './iac/pulumi.js'
import {checkTofuFlags, type TofuFlags, type TofuOp} from './iac/tofu.js'
import {label, LABELS} from './labels.js'
import {loadManifest} from './manifest.js'
import {providerOf, type Tool} from './modules.js'
import {LATEST, validateRef} from './refs.js'
import {exitCodeForSignal, SignalTrap} from './signals.js'
import {stackFqdn, stackStateDir, tofuStackId} from './stack.js'

/** What a command runs: a fixed tool, or (unified commands) the one the manifest's label names. */
export type RunTarget = {tool?: Tool; pulumi?: PulumiOp; tofu?: TofuOp}

export type RunOptions = {
  target: RunTarget
  /** manifest file, or `-` for stdin */
  manifest: string
  sets: string[]
  module: {dir?: string; local?: boolean; version?: string; fullTree?: boolean}
  /** keep the workspace (`--no-cleanup`) */
  keep: boolean
  kubeContext?: string
  credentials: CredentialFiles
  pulumi: PulumiFlags
  tofu: TofuFlags
  paths: HomePaths
  url: string
  /** this CLI's own version (the first clone selects the matching tag) */
  cliVersion: string
  /** what this process is, for lock and workspace records */
  command: string
  env: NodeJS.ProcessEnv
}

/** A step shown to the user while it runs. */
export type Step = {title(text: string): void; output(line: string): void}

export type RunUi = {
  step<T>(title: string, work: (step: Step) => Promise<T>): Promise<T>
  /** the hand-off line, printed right before the tool starts, and other one-line notices */
  say(line: string): void
  warn(line: string): void
  /** asks at a terminal; undefined when there is none to ask at */
  ask(question: string): Promise<string | undefined>
  onLockWait(owner: LockOwner | undefined): void
  /** prepares the workspace (the `staging:prepare` hook) */
  prepare(request: PrepareRequest): Promise<PreparedRun>
  /** removes the workspace, or keeps it (the `staging:teardown` hook) */
  teardown(workspace: PreparedRun, keep: boolean): Promise<void>
}

type Route = {tool: Tool; binary: 'pulumi' | 'terraform' | 'tofu'; op: PulumiOp | TofuOp}

/** Everything checked before the first side effect. */
type Checked = {route: Route; stackId: string; providers: ProviderConfig[]; stateDir?: string}

export async function runManifest(opts: RunOptions, ui: RunUi): Promise<number> {
  const trap = new SignalTrap().install()
  let prepared: PreparedRun | undefined
  let code = 1
  try {
    const manifest = await ui.step('Load manifest', async step => {
      const loaded = await loadManifest(opts.manifest, opts.sets, {signal: trap.signal})
      step.title(`Loaded ${loaded.manifest.kind} ${loaded.manifest.metadata.name} from ${loaded.source}`)
      return loaded.manifest
    })
    const checked = await check(opts, manifest, ui)
    const from = opts.module.dir ? 'module folder' : (opts.module.local ? 'local checkout' : 'staging')
    prepared = await ui.step(`Prepare workspace (${from})`, async step => {
      const ws = await ui.prepare({
        tool: checked.route.tool,
        manifest,
        stackId: checked.stackId,
        moduleDir: opts.module.dir,
        localModule: opts.module.local,
        moduleVersion: opts.module.version,
        fullTree: opts.module.fullTree,
        paths: opts.paths,
        url: opts.url,
        cliVersion: opts.cliVersion,
        command: opts.command,
        env: opts.env,
        signal: trap.signal,
        onWait: owner => ui.onLockWait(owner),
        report: line => step.output(line),
      })
      step.title(ws.summary)
      return ws
    })
    // A signal that came while files were being written must not start the tool.
    if (trap.received) return exitCodeForSignal(trap.received)
    code = await execute(opts, {
      manifest, checked, workspace: prepared, trap, ui,
    })
  } catch (error) {
    if (!trap.received) throw error
  } finally {
    if (prepared) await ui.teardown(prepared, opts.keep)
    trap.dispose()
  }

  return trap.received ? exitCodeForSignal(trap.received) : code
}

/** Checks every input of the run (tool, stack, version, flags, credential files) before anything is created. */
async function check(opts: RunOptions, manifest: Manifest, ui: RunUi): Promise<Checked> {
  const route = await routeTool(opts.target, manifest, ui)
  if (opts.module.version && opts.module.version !== LATEST) validateRef(opts.module.version, 'module version')
  const providers = await loadCredentials(providerOf(manifest), opts.credentials)
  if (route.tool === 'pulumi') {
    const {fqdn, from} = stackFqdn(manifest, opts.pulumi.stack)
    if (opts.pulumi.stack && from === 'labels' && opts.pulumi.stack !== fqdn) ui.warn(`--stack ${opts.pulumi.stack} ignored: the manifest's labels name the stack ${fqdn}`)
    return {route, stackId: fqdn, providers}
  }

  checkTofuFlags(manifest, opts.tofu)
  const stackId = tofuStackId(manifest)
  return {
    route, stackId, providers, stateDir: await stackStateDir(opts.paths.tofuState, stackId),
  }
}

/** Which tool runs: the command's own, or the manifest's provisioner label for unified commands. */
async function routeTool(target: RunTarget, manifest: Manifest, ui: RunUi): Promise<Route> {
  const provisioner = label(manifest, LABELS.provisioner)?.toLowerCase()
  if (target.tool === 'pulumi') return {tool: 'pulumi', binary: 'pulumi', op: target.pulumi!}
  if (target.tool === 'tofu') return {tool: 'tofu', binary: provisioner === 'terraform' ? 'terraform' : 'tofu', op: target.tofu!}
  const chosen = provisioner ?? (await askProvisioner(manifest, ui))
  switch (chosen) {
  case 'pulumi': {
    return {tool: 'pulumi', binary: 'pulumi', op: target.pulumi!}
  }

  case 'terraform':
  case 'tofu': {
    return {tool: 'tofu', binary: chosen, op: target.tofu!}
  }

  default: {
    throw new InvalidInputError(`unknown provisioner ${JSON.stringify(chosen)} in label ${LABELS.provisioner}`, {hint: 'Use pulumi, tofu or terraform.'})
  }
  }
}

async function askProvisioner(manifest: Manifest, ui: RunUi): Promise<string> {
  const answer = await ui.ask(`${manifest.kind} has no ${LABELS.provisioner} label. Provisioner [pulumi/tofu/terraform] (pulumi): `)
  if (answer === undefined) {
    throw new InvalidInputError(`the manifest has no ${LABELS.provisioner} label, and there is no terminal to ask which tool to use`, {
      hint: `Add the label ${LABELS.provisioner}: pulumi (or tofu, terraform), or run pulumi:… / tofu:… commands.`,
    })
  }

  return answer.trim().toLowerCase() || 'pulumi'
}

async function execute(
  opts: RunOptions,
  {manifest, checked, workspace, trap, ui}: {manifest: Manifest; checked: Checked; workspace: PreparedRun; trap: SignalTrap; ui: RunUi},
): Promise<number> {
  const common = {
    manifest,
    workspace,
    providers: checked.providers,
    kubeContext: opts.kubeContext ?? label(manifest, LABELS.kubeContext),
    env: opts.env,
    trap,
    announce: (line: string) => ui.say(line),
  }
  if (checked.route.tool === 'pulumi') {
    return executePulumi({
      ...common, op: checked.route.op as PulumiOp, fqdn: checked.stackId, flags: opts.pulumi,
    })
  }

  return executeTofu({
    ...common,
    op: checked.route.op as TofuOp,
    binary: checked.route.binary === 'terraform' ? 'terraform' : 'tofu',
    flags: opts.tofu,
    stateDir: checked.stateDir!,
    pluginCacheDir: opts.paths.pluginCache,
  })
}
