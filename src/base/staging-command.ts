/**
 * The base of the `staging:*` commands: builds the Staging object for this home and upstream, and
 * runs its work inside a task list (silent with `--json`, which prints one document on stdout).
 */
import type {StagingMode} from '../core/staging-mode.js'
import type {Staging} from '../core/staging.js'

import {PlantonCommand} from './command.js'

export abstract class StagingCommand extends PlantonCommand {
  // --json prints one document on stdout (errors too) and no progress.
  static enableJsonFlag = true
  /** lines for after the progress list (which a terminal clears), printed as warnings */
  private readonly notices: string[] = []

  protected async staging(signal?: AbortSignal, onProgress?: (line: string) => void, cloneMode?: StagingMode): Promise<Staging> {
    const {Staging} = await import('../core/staging.js')
    const {paths, url} = await this.home()
    return new Staging({
      paths,
      url,
      cliVersion: this.cliVersion(),
      command: this.commandLine(),
      signal,
      onProgress,
      cloneMode,
      onNotice: line => {
        this.notices.push(line)
      },
      onWait: owner => {
        this.onLockWait(owner).catch(() => {})
      },
    })
  }

  /** Runs `work` as one task titled `title`; its progress lines become the task's output. */
  protected async withProgress<T>(title: string, work: (staging: Staging, setTitle: (t: string) => void) => Promise<T>, cloneMode?: StagingMode): Promise<T> {
    const {runTasks} = await import('./progress.js')
    const {SignalTrap, exitCodeForSignal} = await import('../core/signals.js')
    const {oneLine} = await import('../core/display.js')
    const trap = new SignalTrap().install()
    let result: T | undefined
    try {
      await runTasks(
        [
          {
            title,
            task: async (_ctx, task) => {
              // Refs, URLs and git's messages in these lines come from the upstream.
              const staging = await this.staging(trap.signal, line => {
                task.output = oneLine(line)
              }, cloneMode)
              result = await work(staging, t => {
                task.title = oneLine(t)
              })
            },
          },
        ],
        {silent: this.jsonEnabled()},
      )
    } catch (error) {
      if (trap.received) this.exit(exitCodeForSignal(trap.received))
      throw error
    } finally {
      trap.dispose()
      for (const line of this.notices.splice(0)) this.logToStderr(`Warning: ${oneLine(line)}`)
    }

    return result as T
  }
}
