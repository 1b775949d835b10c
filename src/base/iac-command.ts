import type {PulumiOp} from '../core/iac/pulumi.js'
import type {TofuOp} from '../core/iac/tofu.js'
/**
 * The base of every IaC command (`pulumi:*`, `tofu:*` and the unified ones). It adds the shared
 * flags, loads the manifest, prepares the workspace through the `staging:prepare` hook, hands the
 * terminal to the tool, and tears the workspace down through `staging:teardown`: after success,
 * failure, SIGINT and SIGTERM alike. The exit code is the tool's (128 + n after a signal).
 */
import type {Manifest} from '../core/manifest.js'
import type {PreparedRun} from '../core/prepare.js'

import {PlantonCommand} from './command.js'
import {sharedFlags} from './flags.js'

export type IacTarget = {
  /** fixed tool, or undefined to route by the manifest's provisioner label */
  tool?: 'pulumi' | 'tofu'
  pulumi?: PulumiOp
  tofu?: TofuOp
}

type AnyFlags = Record<string, unknown>

export abstract class IacCommand extends PlantonCommand {
  static baseFlags = sharedFlags
  /** what the command does; set by each subclass */
  static target: IacTarget

  async run(): Promise<void> {
    const ctor = this.constructor as typeof IacCommand
    const {flags} = await this.parse(ctor)
    const code = await this.runIac(ctor.target, flags as AnyFlags)
    if (code !== 0) this.exit(code)
  }

  private async runIac(target: IacTarget, flags: AnyFlags): Promise<number> {
    const [{SignalTrap, exitCodeForSignal}, {loadManifest}, {runTasks}] = await Promise.all([
      import('../core/signals.js'),
      import('../core/manifest.js'),
      import('./progress.js'),
    ])
    const {paths, url} = await this.home()
    const trap = new SignalTrap().install()
    let prepared: PreparedRun | undefined
    let code = 1
    try {
      const ctx = await runTasks<{manifest?: Manifest; prepared?: PreparedRun}>([
        {
          title: 'Load manifest',
          async task(c, task) {
            const {manifest, source} = await loadManifest(flags.manifest as string, (flags.set as string[]) ?? [])
            c.manifest = manifest
            task.title = `Loaded ${manifest.kind} ${manifest.metadata.name} from ${source}`
          },
        },
      ])
      const manifest = ctx.manifest!
      const route = await this.route(target, manifest)
      const request = await this.prepareRequest(route.tool, manifest, flags, paths, url, trap.signal)
      await runTasks([
        {
          title: `Prepare workspace (${request.moduleDir ? 'module folder' : (request.localModule ? 'local checkout' : 'staging')})`,
          task: async (_c, task) => {
            prepared = await this.prepareThroughHook(request, line => {
              task.output = line
            })
            task.title = prepared.summary
          },
        },
      ])
      // A signal that came while files were being written must not start the tool.
      if (trap.received) return exitCodeForSignal(trap.received)
      code = await this.execute(route, manifest, flags, prepared!, trap, paths)
    } catch (error) {
      if (!trap.received) throw error
    } finally {
      if (prepared) await this.teardown(prepared, flags['no-cleanup'] === true, paths.workspaces)
      trap.dispose()
    }

    return trap.received ? exitCodeForSignal(trap.received) : code
  }

  /** Which tool runs: the command's own, or the manifest's provisioner label for unified commands. */
  private async route(target: IacTarget, manifest: Manifest): Promise<{tool: 'pulumi' | 'tofu'; binary: 'pulumi' | 'terraform' | 'tofu'; op: string}> {
    const {label, LABELS} = await import('../core/manifest.js')
    const provisioner = label(manifest, LABELS.provisioner)?.toLowerCase()
    if (target.tool === 'pulumi') return {tool: 'pulumi', binary: 'pulumi', op: target.pulumi!}
    if (target.tool === 'tofu') return {tool: 'tofu', binary: provisioner === 'terraform' ? 'terraform' : 'tofu', op: target.tofu!}
    const chosen = provisioner ?? (await this.askProvisioner(manifest))
    switch (chosen) {
    case 'pulumi': {
      return {tool: 'pulumi', binary: 'pulumi', op: target.pulumi!}
    }

    case 'terraform':
    case 'tofu': {
      return {tool: 'tofu', binary: chosen, op: target.tofu!}
    }

    default: {
      const {InvalidInputError} = await import('../core/errors.js')
      throw new InvalidInputError(`unknown provisioner ${JSON.stringify(chosen)} in label ${LABELS.provisioner}`, {hint: 'Use pulumi, tofu or terraform.'})
    }
    }
  }

  private async askProvisioner(manifest: Manifest): Promise<string> {
    const {LABELS} = await import('../core/manifest.js')
    if (!process.stdin.isTTY || !process.stderr.isTTY || process.env.CI === 'true') {
      const {InvalidInputError} = await import('../core/errors.js')
      throw new InvalidInputError(`the manifest has no ${LABELS.provisioner} label, and there is no terminal to ask which tool to use`, {
        hint: `Add the label ${LABELS.provisioner}: pulumi (or tofu, terraform), or run pulumi:… / tofu:… commands.`,
      })
    }

    const {createInterface} = await import('node:readline/promises')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = (await rl.question(`${manifest.kind} has no ${LABELS.provisioner} label. Provisioner [pulumi/tofu/terraform] (pulumi): `)).trim().toLowerCase()
      return answer || 'pulumi'
    } finally {
      rl.close()
    }
  }

  private async prepareRequest(tool: 'pulumi' | 'tofu', manifest: Manifest, flags: AnyFlags, paths: PreparedRunPaths, url: string, signal: AbortSignal) {
    const {stackFqdn} = await import('../core/iac/pulumi.js')
    const {tofuStackId} = await import('../core/iac/tofu.js')
    const {validateStackId} = await import('../core/workspace.js')
    const stackId = tool === 'pulumi' ? stackFqdn(manifest, flags.stack as string | undefined).fqdn : validateStackId(tofuStackId(manifest), 'manifest kind/name')
    return {
      tool,
      manifest,
      stackId,
      moduleDir: flags['module-dir'] as string | undefined,
      localModule: flags['local-module'] === true,
      moduleVersion: flags['module-version'] as string | undefined,
      fullTree: flags['full-tree'] === true,
      paths,
      url,
      cliVersion: this.config.version,
      command: this.commandLine(),
      env: process.env,
      signal,
      onWait: (owner: Parameters<PlantonCommand['onLockWait']>[0]) => {
        this.onLockWait(owner).catch(() => {})
      },
    }
  }

  /** Runs `staging:prepare`; a failing handler (ours or another plugin's) stops the run. */
  private async prepareThroughHook(request: Awaited<ReturnType<IacCommand['prepareRequest']>>, report: (line: string) => void): Promise<PreparedRun> {
    const result = await this.config.runHook('staging:prepare', {request: {...request, report}})
    const prepared = result.successes.map(s => s.result).find((r): r is PreparedRun => Boolean(r && typeof r === 'object' && 'moduleDir' in r && 'root' in r))
    if (result.failures.length > 0) {
      if (prepared) await this.teardown(prepared, false, request.paths.workspaces)
      throw result.failures[0].error
    }

    if (!prepared) {
      const {PlantonError} = await import('../core/errors.js')
      throw new PlantonError('no staging:prepare hook produced a workspace', {hint: 'Is the project-planton plugin installed correctly? Try reinstalling it.'})
    }

    return prepared
  }

  private async teardown(prepared: PreparedRun, keep: boolean, workspacesRoot: string): Promise<void> {
    const result = await this.config.runHook('staging:teardown', {workspace: prepared, keep, workspacesRoot})
    for (const failure of result.failures) this.warn(`cleanup failed: ${failure.error.message}`)
    if (keep) this.logToStderr(`Kept workspace: ${prepared.root}`)
  }

  private async execute(
    route: {tool: 'pulumi' | 'tofu'; binary: 'pulumi' | 'terraform' | 'tofu'; op: string},
    manifest: Manifest,
    flags: AnyFlags,
    prepared: PreparedRun,
    trap: import('../core/signals.js').SignalTrap,
    paths: PreparedRunPaths,
  ): Promise<number> {
    const [{label, LABELS}, {loadCredentials, PROVIDERS}, {providerOf}, execute] = await Promise.all([
      import('../core/manifest.js'),
      import('../core/credentials.js'),
      import('../core/modules.js'),
      import('../core/iac/execute.js'),
    ])
    const providers = await loadCredentials(
      providerOf(manifest),
      flags['provider-config'] as string | undefined,
      Object.fromEntries(PROVIDERS.map(p => [p, flags[`${p}-provider-config`] as string | undefined])),
    )
    const common = {
      manifest,
      workspace: prepared,
      providers,
      kubeContext: (flags['kube-context'] as string | undefined) ?? label(manifest, LABELS.kubeContext),
      env: process.env,
      trap,
      announce: (line: string) => this.logToStderr(line),
    }
    if (route.tool === 'pulumi') {
      const {stackFqdn} = await import('../core/iac/pulumi.js')
      const {fqdn, from} = stackFqdn(manifest, flags.stack as string | undefined)
      if (flags.stack && from === 'labels' && flags.stack !== fqdn) this.warn(`--stack ${flags.stack as string} ignored: the manifest's labels name the stack ${fqdn}`)
      return execute.executePulumi({
        ...common,
        op: route.op as PulumiOp,
        fqdn,
        flags: {yes: flags.yes === true, diff: flags.diff === true, force: flags.force === true},
      })
    }

    const {stackSlug} = await import('../core/workspace.js')
    const {tofuStackId} = await import('../core/iac/tofu.js')
    return execute.executeTofu({
      ...common,
      op: route.op as TofuOp,
      binary: route.binary === 'terraform' ? 'terraform' : 'tofu',
      flags: {
        autoApprove: flags['auto-approve'] === true || flags.yes === true,
        destroy: flags.destroy === true,
        backendType: flags['backend-type'] as string | undefined,
        backendConfig: flags['backend-config'] as string[] | undefined,
      },
      stateDir: `${paths.tofuState}/${stackSlug(tofuStackId(manifest))}`,
      pluginCacheDir: paths.pluginCache,
    })
  }
}

type PreparedRunPaths = import('../core/home.js').HomePaths
