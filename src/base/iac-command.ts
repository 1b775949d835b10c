/**
 * The base of every IaC command (`pulumi:*`, `tofu:*` and the unified ones): the shared flags,
 * turned into the typed options of one run (src/core/run.ts), the run's progress shown with listr2,
 * its workspace prepared and torn down through the `staging:prepare` / `staging:teardown` hooks (so
 * that a host CLI or another plugin can join a run), and the tool's exit code as the command's.
 */
import type {Interfaces} from '@oclif/core'

import type {LockOwner} from '../core/lock.js'
import type {PreparedRun, PrepareRequest} from '../core/prepare.js'
import type {RunOptions, RunTarget, RunUi} from '../core/run.js'

import {oneLine} from '../core/display.js'
import {PlantonCommand} from './command.js'
import {sharedFlags} from './flags.js'

export type IacTarget = RunTarget

type Flags = Interfaces.InferredFlags<typeof IacCommand.baseFlags> & {
  stack?: string
  'full-tree'?: boolean
  yes?: boolean
  diff?: boolean
  force?: boolean
  'auto-approve'?: boolean
  destroy?: boolean
  'backend-type'?: string
  'backend-config'?: string[]
  out?: string
  plan?: string
  'module-binary'?: string
}

export abstract class IacCommand extends PlantonCommand {
  static baseFlags = sharedFlags
  /** what the command does; set by each subclass */
  static target: IacTarget
  /** the arguments after `--`, for the tool */
  private toolArgs: string[] = []

  async run(): Promise<void> {
    const ctor = this.constructor as typeof IacCommand
    // Everything after `--` is the tool's: oclif parses what comes before.
    const dash = this.argv.indexOf('--')
    if (dash !== -1) {
      this.toolArgs = this.argv.slice(dash + 1)
      this.argv = this.argv.slice(0, dash)
    }

    const {flags} = await this.parse(ctor)
    const [{runManifest}, options] = await Promise.all([import('../core/run.js'), this.options(ctor.target, flags as Flags)])
    const code = await runManifest(options, this.ui(options))
    if (code !== 0) this.exit(code)
  }

  /**
   * With `-- -detailed-exitcode` the tool's 2 means "the plan has changes"; the CLI's own input
   * errors (also 2 elsewhere) then exit with 64 (EX_USAGE), so a script cannot take one for the other.
   */
  async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    const {InvalidInputError} = await import('../core/errors.js')
    const detailed = this.toolArgs.some(a => a === '-detailed-exitcode' || a === '--detailed-exitcode')
    if (detailed && error instanceof InvalidInputError) Object.defineProperty(error, 'exitCode', {value: 64})
    return super.catch(error)
  }

  private async options(target: RunTarget, flags: Flags): Promise<RunOptions> {
    const [{parseCredentialFlags, PROVIDERS}, {paths, url}] = await Promise.all([import('../core/credentials.js'), this.home()])
    const legacy = Object.fromEntries(PROVIDERS.map(p => [p, flags[`${p}-provider-config`]]).filter(([, file]) => file))
    return {
      target,
      manifest: flags.manifest,
      stackInput: flags['stack-input'],
      moduleBinary: flags['module-binary'],
      sets: flags.set ?? [],
      extraArgs: this.toolArgs,
      module: {
        dir: flags['module-dir'],
        local: flags['local-module'] === true,
        version: flags['module-version'],
        fullTree: flags['full-tree'] === true,
        staging: flags.staging === true,
        lean: flags.lean === true,
      },
      schema: {validate: flags.validate !== false, strict: flags.strict === true},
      keep: flags['no-cleanup'] === true,
      kubeContext: flags['kube-context'],
      credentials: parseCredentialFlags(flags['provider-config'] ?? [], legacy),
      pulumi: {
        stack: flags.stack, yes: flags.yes === true, diff: flags.diff === true, force: flags.force === true,
      },
      tofu: {
        autoApprove: flags['auto-approve'] === true || flags.yes === true,
        destroy: flags.destroy === true,
        backendType: flags['backend-type'],
        backendConfig: flags['backend-config'],
        out: flags.out,
        planFile: flags.plan,
      },
      paths,
      url,
      cliVersion: this.cliVersion(),
      command: this.commandLine(),
      env: process.env,
      cwd: process.cwd(),
    }
  }

  /** The run's terminal side: listr2 steps on stderr, questions at a terminal, and the hooks. */
  private ui(options: RunOptions): RunUi {
    return {
      async step(title, work) {
        const {runTasks} = await import('./progress.js')
        let result: Awaited<ReturnType<typeof work>> | undefined
        await runTasks([{
          title: oneLine(title),
          async task(_ctx, task) {
            result = await work({
              // Names, refs and URLs in these lines come from manifests and upstreams.
              title(text) {
                task.title = oneLine(text)
              },
              output(line) {
                task.output = oneLine(line)
              },
            })
          },
        }])
        return result!
      },
      say: line => this.logToStderr(oneLine(line)),
      // One line, unwrapped (oclif's warn folds long lines): what a CI log should show.
      warn: line => this.logToStderr(`Warning: ${oneLine(line)}`),
      ask: question => this.ask(question),
      onLockWait: (owner: LockOwner | undefined) => {
        this.onLockWait(owner).catch(() => {})
      },
      prepare: request => this.prepareThroughHook(request, options.paths.workspaces),
      teardown: (workspace, keep) => this.teardown(workspace, keep, options.paths.workspaces),
    }
  }

  private async ask(question: string): Promise<string | undefined> {
    if (!process.stdin.isTTY || !process.stderr.isTTY || process.env.CI === 'true') return undefined
    const {createInterface} = await import('node:readline/promises')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      return await rl.question(question)
    } finally {
      rl.close()
    }
  }

  /** Runs `staging:prepare`; a failing handler (ours or another plugin's) stops the run. */
  private async prepareThroughHook(request: PrepareRequest, workspacesRoot: string): Promise<PreparedRun> {
    const result = await this.config.runHook('staging:prepare', {request})
    const prepared = result.successes.map(s => s.result).find((r): r is PreparedRun => Boolean(r && typeof r === 'object' && 'moduleDir' in r && 'root' in r))
    if (result.failures.length > 0) {
      if (prepared) await this.teardown(prepared, false, workspacesRoot)
      throw result.failures[0].error
    }

    if (!prepared) {
      const {PlantonError} = await import('../core/errors.js')
      throw new PlantonError('no staging:prepare hook produced a workspace', {hint: 'Is the project-planton plugin installed correctly? Try reinstalling it.'})
    }

    return prepared
  }

  private async teardown(workspace: PreparedRun, keep: boolean, workspacesRoot: string): Promise<void> {
    const result = await this.config.runHook('staging:teardown', {workspace, keep, workspacesRoot})
    for (const failure of result.failures) this.warn(`cleanup failed: ${failure.error.message}`)
    if (keep) this.logToStderr(`Kept workspace: ${workspace.root}`)
  }
}
