/**
 * What every project-planton command shares: where the home and the upstream are, how the
 * staging lock wait is reported, and how core errors become exit codes and messages.
 */
import {Command, Errors} from '@oclif/core'

import type {HomePaths} from '../core/home.js'
import type {LockOwner} from '../core/lock.js'

import {PlantonError} from '../core/errors.js'

export abstract class PlantonCommand extends Command {
  protected async home(): Promise<{paths: HomePaths; url: string}> {
    const {homePaths, resolveHome, resolveRepoUrl} = await import('../core/home.js')
    return {paths: homePaths(resolveHome()), url: resolveRepoUrl()}
  }

  /** The message shown while the staging lock is busy. */
  protected async onLockWait(owner: LockOwner | undefined): Promise<void> {
    const {describeOwner} = await import('../core/lock.js')
    this.logToStderr(`Waiting for the staging lock held by ${describeOwner(owner)}…`)
  }

  protected commandLine(): string {
    return `${this.config.bin} ${this.id ?? ''}`.trim()
  }

  async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof PlantonError) {
      const hint = error.hint ? `\n${error.hint}` : ''
      this.logToStderr(`Error: ${error.message}${hint}`)
      throw new Errors.ExitError(error.exitCode)
    }

    return super.catch(error)
  }
}
