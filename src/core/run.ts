/**
 * One run of a manifest, top to bottom: load the manifest, choose the tool, check every input, have
 * the workspace prepared, hand the terminal to the tool, and have the workspace torn down after
 * success, failure, SIGINT and SIGTERM alike. The exit code is the tool's (128 + n after a signal).
 *
 * What it needs from the terminal and from the CLI around it (progress, questions, the hooks that
 * prepare and tear down workspaces) comes in through `RunUi`, so that nothing here knows oclif.
 */
import path from 'node:path'

import type {HomePaths} from './home.js'
import type {PlanRecord} from './iac/saved-plan.js'
import type {LockOwner} from './lock.js'
import type {SetOverride} from './overrides.js'

import {BINARIES_OFF, type ModuleBinaryMode, moduleBinaryMode} from './binaries/modes.js'
import {type CredentialFiles, loadCredentials, type ProviderConfig} from './credentials.js'
import {InvalidInputError} from './errors.js'
import {gitEnvironment, GitRepository} from './git.js'
import {executePulumi, executeTofu, type ToolInputs} from './iac/execute.js'
import {type PulumiFlags, type PulumiOp} from './iac/pulumi.js'
import {checkTofuFlags, type TofuFlags, type TofuOp} from './iac/tofu.js'
import {label, LABELS} from './labels.js'
import {checkAgainstSchema, problemLine, type SchemaOrigin} from './manifest-check.js'
import {downloadTimeouts} from './manifest-source.js'
import {
  type LoadedManifest, loadManifest, loadStackInput, type Manifest,
} from './manifest.js'
import {
  fsTree, gitTree, isModuleDir, locateModule, providerOf, type Tool, type TreeReader,
} from './modules.js'
import {readSetFlags} from './overrides.js'
import {
  type ModuleSource, type PreparedRun, type PrepareRequest, prepareRun, resolveModule, stagingPrefetch,
} from './prepare.js'
import {LATEST, validateRef} from './refs.js'
import {exitCodeForSignal, SignalTrap} from './signals.js'
import {stackFqdn, stackStateDir, tofuStackId} from './stack.js'
import {removeWorkspace} from './workspace.js'

/** Saved plans serve `tofu plan --out` and `tofu apply --plan` only: loaded when those are given. */
const savedPlans = () => import('./iac/saved-plan.js')

/** What a command runs: a fixed tool, or (unified commands) the one the manifest's label names. */
export type RunTarget = {tool?: Tool; pulumi?: PulumiOp; tofu?: TofuOp}

export type RunOptions = {
  target: RunTarget
  /** manifest file, `-` for stdin, or an https URL */
  manifest?: string
  /** a full stack input (`-i`): the manifest as its target, and its provider config */
  stackInput?: string
  /** `--set` flags as given */
  sets: string[]
  /**
   * `--module-dir`, `--local-module`, `--module-version`; `staging`: never take the current
   * directory as the module (`--staging`)
   */
  module: {dir?: string; local?: boolean; version?: string; fullTree?: boolean; staging?: boolean; lean?: boolean}
  /** pulumi `--module-binary` (auto, download, build, never); undefined: PROJECT_PLANTON_MODULE_BINARY, else auto */
  moduleBinary?: string
  /** `validate: false`: skip the buf.validate rules (`--no-validate`); `strict`: refuse a run whose schema cannot be built */
  schema: {validate: boolean; strict: boolean}
  /** arguments after `--`, passed to the tool's operation unchanged */
  extraArgs: string[]
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
  /** the user's directory: a module there is used as with --module-dir */
  cwd: string
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
type Checked = {
  route: Route
  stackId: string
  providers: ProviderConfig[]
  stateDir?: string
  /** `--module-dir`, or the current directory when it is a module for the tool */
  moduleDir?: string
  /** tofu: the flags with their paths made absolute, and the arguments after `--` */
  tofu?: TofuFlags
  /** tofu apply --plan: what the saved plan was made from */
  savedPlan?: PlanRecord
  /** pulumi: how the module program is had (`--module-binary`) */
  binaryMode?: ModuleBinaryMode
}

/** The pulumi operations that run the module's program (the others only talk to the backend). */
const PROGRAM_OPS = new Set<PulumiOp>(['destroy', 'preview', 'refresh', 'update'])

/**
 * The module program of a pulumi run from staging: a release binary (downloaded once), one built
 * once per commit, or none (Pulumi compiles from source, as the line says). Building needs the
 * module's Go import closure: it is prepared in a workspace of its own and removed afterwards.
 */
async function chooseProgram(
  opts: RunOptions,
  {request, resolved, mode, stack}: {request: PrepareRequest; resolved: Extract<ModuleSource, {kind: 'staging'}>; mode: ModuleBinaryMode; stack: string},
  step: Step,
): Promise<PrepareRequest['program']> {
  // Mode never needs no resolver (its downloads, cache and Go probing): say so and go on.
  if (mode === 'never') {
    step.title(`Module program: from source: ${BINARIES_OFF}`)
    return undefined
  }

  const {resolveModuleBinary} = await import('./binaries/resolve.js')
  let build: PreparedRun | undefined
  try {
    const program = await resolveModuleBinary({
      mode,
      version: resolved.resolved,
      kind: request.manifest.kind,
      cacheDir: opts.paths.cache,
      env: opts.env,
      signal: request.signal,
      report: line => step.output(line),
      command: opts.command,
      http: {userAgent: `project-planton/${opts.cliVersion}`},
      async buildWorkspace() {
        build = await prepareRun({...request, program: undefined, report: line => step.output(line)})
        return build.moduleDir
      },
    })
    step.title(`Module program: ${program.label}`)
    if (program.kind !== 'binary') return undefined
    const {binaryProjectName} = await import('./binaries/pulumi-yaml.js')
    return {path: program.path, project: binaryProjectName(stack, request.manifest.kind)}
  } finally {
    if (build) await removeWorkspace(opts.paths.workspaces, build)
  }
}

export async function runManifest(opts: RunOptions, ui: RunUi): Promise<number> {
  const trap = new SignalTrap().install()
  let prepared: PreparedRun | undefined
  let code = 1
  try {
    const sets = readSetFlags(opts.sets)
    const loaded = await ui.step('Load manifest', async step => {
      const reading = {signal: trap.signal, timeouts: downloadTimeouts(opts.env), warn: (line: string) => ui.warn(line)}
      const result = opts.stackInput ? await loadStackInput(opts.stackInput, sets, reading) : await loadManifest(opts.manifest ?? '-', sets, reading)
      step.title(`Loaded ${result.manifest.kind} ${result.manifest.metadata.name} from ${result.source}`)
      return result
    })
    const {manifest} = loaded
    const providerConfig = 'providerConfig' in loaded ? (loaded.providerConfig as Record<string, unknown> | undefined) : undefined
    const inline = providerConfig ? {values: providerConfig, from: loaded.source} : undefined
    const checked = await check({...opts, credentials: {...opts.credentials, inline}}, manifest, ui, trap.signal)
    const request: PrepareRequest = {
      tool: checked.route.tool,
      manifest,
      stackId: checked.stackId,
      moduleDir: checked.moduleDir,
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
      onNotice: line => ui.warn(line),
      cloneMode: opts.module.lean ? 'lean' : undefined,
    }
    const from = checked.moduleDir ? 'module folder' : (opts.module.local ? 'local checkout' : 'staging')
    request.module = await ui.step(`Resolve the module (${from})`, async step => resolveModule({...request, report: line => step.output(line)}))
    if (checked.savedPlan) (await savedPlans()).checkPlanFits(checked.tofu!.planFile!, checked.savedPlan, {stack: checked.stackId, module: request.module})
    const inputs = await ui.step('Check the manifest against its schema', async step => checkInputs(opts, {
      loaded, sets, module: request.module!, tool: checked.route.tool, request: {...request, report: line => step.output(line)},
    }, step, ui))
    if (checked.binaryMode && request.module.kind === 'staging' && PROGRAM_OPS.has(checked.route.op as PulumiOp) && !opts.module.fullTree) {
      request.program = await ui.step('Module program', async step => chooseProgram(opts, {
        request, resolved: request.module as Extract<ModuleSource, {kind: 'staging'}>, mode: checked.binaryMode!, stack: checked.stackId,
      }, step))
    }

    prepared = await ui.step('Prepare workspace', async step => {
      const ws = await ui.prepare({...request, report: line => step.output(line)})
      step.title(ws.summary)
      return ws
    })
    // A signal that came while files were being written must not start the tool.
    if (trap.received) return exitCodeForSignal(trap.received)
    code = await execute(opts, {
      manifest, inputs, checked, module: request.module, workspace: prepared, trap, ui,
    })
  } catch (error) {
    if (!trap.received) throw error
  } finally {
    if (prepared) await ui.teardown(prepared, opts.keep)
    trap.dispose()
  }

  return trap.received ? exitCodeForSignal(trap.received) : code
}

/** Refuses a checked manifest whose name or labels differ from those the run was routed by. */
function assertSameIdentity(manifest: Manifest, target: Record<string, unknown>): void {
  const typed = (target.metadata ?? {}) as {name?: string; labels?: Record<string, string>}
  const labels = (l?: Record<string, string>) => JSON.stringify(Object.entries(l ?? {}).sort(([a], [b]) => a.localeCompare(b)))
  if ((typed.name ?? '') === manifest.metadata.name && labels(typed.labels) === labels(manifest.metadata.labels)) return
  const what = (typed.name ?? '') === manifest.metadata.name ? 'metadata.labels' : `metadata.name (${JSON.stringify(manifest.metadata.name)} or ${JSON.stringify(typed.name ?? '')})`
  throw new InvalidInputError(`--set changes ${what} in a way the run and the kind's schema read differently`, {
    hint: 'Write the path as the manifest names the field (metadata.name, metadata.labels."<key>"), and the value without YAML comments or quotes.',
  })
}

/** The tree the module is located in: the resolved commit, or the monorepo checkout of a folder. */
function moduleTree(module: ModuleSource, origin: SchemaOrigin): TreeReader {
  return 'commit' in origin ? gitTree(origin.commit.repo, origin.commit.sha) : fsTree(module.kind === 'local-module' ? module.repo : origin.folder)
}

type CheckContext = {loaded: LoadedManifest; sets: SetOverride[]; module: ModuleSource; tool: Tool; request: PrepareRequest}

/**
 * The manifest checked against the protos of the module source (the Go CLI's checks), and what the
 * tools get from it. When no schema can be built (an old or broken commit, a folder outside the
 * monorepo), the run goes on with the checks it always made, said in one line, unless `--strict`.
 */
async function checkInputs(opts: RunOptions, {loaded, sets, module, tool, request: prepareRequest}: CheckContext, step: Step, ui: RunUi): Promise<ToolInputs> {
  let origin: SchemaOrigin
  if (module.kind === 'staging') {
    // A lean staging fetches the protos of the kind level by level as they are read.
    const prefetch = stagingPrefetch(prepareRequest, module.resolved.sha)
    origin = {
      commit: {
        repo: new GitRepository(opts.paths.clone, {env: gitEnvironment(opts.env)}),
        sha: module.resolved.sha,
        prefetch: entries => prefetch(entries, `the protos of ${loaded.manifest.kind}`),
      },
    }
  } else {
    origin = {folder: module.kind === 'module-dir' ? module.dir : path.join(module.repo, module.modulePath)}
  }

  const request = {
    origin, data: loaded.data, text: loaded.text, sets, validate: opts.schema.validate, cacheDir: opts.paths.cache, signal: prepareRequest.signal,
  }
  let outcome = await checkAgainstSchema(request)
  if (outcome.status === 'unavailable' && outcome.reason === 'no-api-proto' && module.kind !== 'module-dir') {
    // The kind is not where its apiVersion says: check it against the schema of the module the
    // run would use (found as the run finds it, or refused with the closest kinds).
    const kindDir = path.posix.dirname(path.posix.dirname(await locateModule(moduleTree(module, origin), loaded.manifest, tool)))
    outcome = await checkAgainstSchema({...request, kindDir})
  }

  if (outcome.status === 'unavailable') {
    if (opts.schema.strict) {
      throw new InvalidInputError(`cannot check ${loaded.manifest.kind} against its schema: ${outcome.message}`, {
        hint: 'Without --strict the run goes on with the basic checks (apiVersion, kind, metadata.name).',
      })
    }

    step.title('Manifest not checked against its schema')
    ui.warn(`the manifest was not checked against its schema (${outcome.message}); going on with the basic checks (--strict refuses instead)`)
    return {manifest: loaded.manifest}
  }

  if (!outcome.valid) {
    const lines = outcome.problems.map(p => `  ${problemLine(p)}`)
    throw new InvalidInputError(`${loaded.source}: ${outcome.problems.length} problem(s) against the schema of ${loaded.manifest.kind} (${outcome.schema}):\n${lines.join('\n')}`, {
      hint: 'Nothing was run. `validate -f <manifest>` checks a manifest without running anything.',
    })
  }

  // Stack, labels and routing were read from the manifest before its schema was known: the typed
  // reading of --set must agree with them, or one stack could change another's resources.
  if (outcome.target) assertSameIdentity(loaded.manifest, outcome.target)
  if (!opts.schema.validate) ui.warn('--no-validate: the buf.validate rules were not checked')
  step.title(`Manifest valid against the protos of ${outcome.schema}${outcome.cached ? ' (checked before)' : ''}`)
  return {manifest: loaded.manifest, target: outcome.target, variables: outcome.variables}
}

/** Checks every input of the run (tool, stack, version, flags, credential files) before anything is created. */
async function check(opts: RunOptions, manifest: Manifest, ui: RunUi, signal?: AbortSignal): Promise<Checked> {
  const route = await routeTool(opts.target, manifest, ui)
  if (opts.module.version && opts.module.version !== LATEST) validateRef(opts.module.version, 'module version')
  const providers = await loadCredentials(providerOf(manifest), opts.credentials, signal)
  const moduleDir = opts.module.dir ?? (await moduleHere(opts, {tool: route.tool, manifest}, ui))
  if (route.tool === 'pulumi') {
    const {fqdn, from} = stackFqdn(manifest, opts.pulumi.stack)
    if (opts.pulumi.stack && from === 'labels' && opts.pulumi.stack !== fqdn) ui.warn(`--stack ${opts.pulumi.stack} ignored: the manifest's labels name the stack ${fqdn}`)
    return {
      route, stackId: fqdn, providers, moduleDir, binaryMode: moduleBinaryMode(opts.moduleBinary, opts.env),
    }
  }

  checkTofuFlags(manifest, opts.tofu)
  const stackId = tofuStackId(manifest)
  const out = opts.tofu.out ? path.resolve(opts.cwd, opts.tofu.out) : undefined
  if (out) await (await savedPlans()).checkPlanOut(out, opts.paths.home)
  const planFile = opts.tofu.planFile ? path.resolve(opts.cwd, opts.tofu.planFile) : undefined
  return {
    route,
    stackId,
    providers,
    moduleDir,
    stateDir: await stackStateDir(opts.paths.tofuState, stackId),
    tofu: {
      ...opts.tofu, out, planFile, extraArgs: opts.extraArgs,
    },
    savedPlan: planFile ? await (await savedPlans()).readPlanRecord(planFile) : undefined,
  }
}

/**
 * As in the Go CLI, whose --module-dir defaults to the working directory: run inside a module
 * folder of the chosen tool, and that folder is used (never modified). Said in one line;
 * `--staging`, `--local-module` or `--module-version` use staging (or the checkout) instead.
 */
async function moduleHere(opts: RunOptions, {tool, manifest}: {tool: Tool; manifest: Manifest}, ui: RunUi): Promise<string | undefined> {
  if (opts.module.staging || opts.module.local || opts.module.version) return undefined
  if (!(await isModuleDir(opts.cwd, tool))) return undefined
  // Inside a monorepo checkout the folder says whose module it is: never another kind's.
  const owner = /\/provider\/[^/]+\/([^/]+)\/v1\/iac\/(?:pulumi|tf)$/.exec(opts.cwd.replace(/\/+$/, ''))?.[1]
  if (owner && owner !== manifest.kind.toLowerCase()) {
    throw new InvalidInputError(`the current directory is the module of ${owner}, not of ${manifest.kind}`, {
      hint: 'Run from another folder, or say which module to use: --staging, --module-dir <dir> or --local-module.',
    })
  }

  ui.say(`Using the ${tool === 'pulumi' ? 'Pulumi' : 'OpenTofu/Terraform'} module in the current directory (${opts.cwd}); pass --staging to use staging's instead`)
  return opts.cwd
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
  {
    manifest, inputs, checked, module, workspace, trap, ui,
  }: {manifest: Manifest; inputs: ToolInputs; checked: Checked; module: ModuleSource; workspace: PreparedRun; trap: SignalTrap; ui: RunUi},
): Promise<number> {
  const common = {
    manifest,
    inputs,
    workspace,
    providers: checked.providers,
    kubeContext: opts.kubeContext ?? label(manifest, LABELS.kubeContext),
    env: opts.env,
    trap,
    announce: (line: string) => ui.say(line),
  }
  if (checked.route.tool === 'pulumi') {
    return executePulumi({
      ...common, op: checked.route.op as PulumiOp, fqdn: checked.stackId, flags: opts.pulumi, extraArgs: opts.extraArgs,
    })
  }

  return executeTofu({
    ...common,
    op: checked.route.op as TofuOp,
    binary: checked.route.binary === 'terraform' ? 'terraform' : 'tofu',
    flags: checked.tofu!,
    planOrigin: checked.tofu!.out ? {...(await savedPlans()).planOrigin(module), stack: checked.stackId} : undefined,
    savedVariables: checked.savedPlan?.variables,
    stateDir: checked.stateDir!,
    pluginCacheDir: opts.paths.pluginCache,
  })
}
