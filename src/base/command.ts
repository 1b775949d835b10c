/**
 * What every project-planton command shares: where the home and the upstream are, how the
 * staging lock wait is reported, and how core errors become exit codes and messages.
 */
import {Command} from '@oclif/core/command'
import * as Errors from '@oclif/core/errors'
import {readFileSync} from 'node:fs'

import type {HomePaths} from '../core/home.js'
import type {LockOwner} from '../core/lock.js'

import {PlantonError} from '../core/errors.js'

let ownVersion: string | undefined

export abstract class PlantonCommand extends Command {
  /**
   * This package's own version (from its package.json). Inside a host oclif CLI that installed us
   * as a plugin, `this.config.version` is the host's version, not ours.
   */
  protected cliVersion(): string {
    // dist/base/command.js and src/base/command.ts are both two levels below the package root.
    ownVersion ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {version: string}).version
    return ownVersion
  }

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

    // A full or read-only disk while writing under the home: Node's message does not say where or what to do.
    const {code} = error as NodeJS.ErrnoException
    if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS') {
      const {resolveHome} = await import('../core/home.js')
      const what = code === 'EROFS' ? 'the file system is read-only' : 'no space left on the device'
      this.logToStderr(`Error: ${what} while writing under ${resolveHome()} (${error.message})`)
      this.logToStderr(code === 'EROFS'
        ? 'Make that folder writable, or set PROJECT_PLANTON_HOME to a writable folder.'
        : 'Free some space (`project-planton staging clean` removes workspaces left behind), or set PROJECT_PLANTON_HOME to a bigger disk.')
      throw new Errors.ExitError(1)
    }

    return super.catch(error)
  }
}
