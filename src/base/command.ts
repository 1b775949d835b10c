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

  /** The CLI's home (refused when it holds what the CLI did not make) and the upstream URL. */
  protected async home(opts: {check?: boolean} = {}): Promise<{paths: HomePaths; url: string}> {
    const {checkHome, homePaths, resolveHome, resolveRepoUrl} = await import('../core/home.js')
    const home = resolveHome()
    // doctor reports a home it would refuse instead of refusing it.
    if (opts.check !== false) await checkHome(home)
    return {paths: homePaths(home), url: resolveRepoUrl()}
  }

  /** The message shown while the staging lock is busy. */
  protected async onLockWait(owner: LockOwner | undefined): Promise<void> {
    const {describeOwner} = await import('../core/lock.js')
    this.logToStderr(`Waiting for the staging lock held by ${describeOwner(owner)}…`)
  }

  /**
   * Ends the command with `code`, the message (if any) already printed. In a host CLI, the oclif
   * core these commands import can be another copy than the host's (a linked plugin, or
   * versions npm did not dedupe): the host's error handler would not recognise our ExitError and
   * would print "EEXIT: 2" after our message. skipOclifErrorHandling keeps it quiet in any copy.
   */
  exit(code = 0): never {
    const error = new Errors.ExitError(code)
    error.skipOclifErrorHandling = true
    throw error
  }

  protected commandLine(): string {
    return `${this.config.bin} ${this.id ?? ''}`.trim()
  }

  async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // --json (oclif's enableJsonFlag): the error is one JSON document on stdout too.
    if (this.jsonEnabled() && !(error instanceof Errors.ExitError)) {
      await this.logErrorJson(error)
      return
    }

    if (isParseError(error)) return this.exitOnParseError(error)
    if (error instanceof PlantonError) return this.exitOnPlantonError(error)
    // A file-system error Node reports with its code: one line with the path and what to do.
    const {code} = error as NodeJS.ErrnoException
    const fsProblem = code ? FS_PROBLEMS[code] : undefined
    if (fsProblem) return this.exitOnFsProblem(error as NodeJS.ErrnoException, fsProblem)
    return super.catch(error)
  }

  private async logErrorJson(error: Error): Promise<void> {
    const {oneLine} = await import('../core/display.js')
    const planton = error instanceof PlantonError ? error : undefined
    process.exitCode = planton?.exitCode ?? (error as {oclif?: {exit?: number}}).oclif?.exit ?? 1
    this.logJson({
      error: {
        name: error.name, message: oneLine(error.message), hint: planton?.hint, exitCode: process.exitCode,
      },
    })
  }

  private async exitOnParseError(error: ParseError): Promise<never> {
    // oclif's own handler would print the whole help after the error: the error gets lost in it.
    const {toConfiguredId} = await import('@oclif/core/util/ids')
    const message = await this.parseErrorMessage(error)
    const help = `See \`${`${this.config.bin} ${toConfiguredId(this.id ?? '', this.config)}`.trim()} --help\`.`
    this.logToStderr(`Error: ${message}${message.includes('\n') ? '\n' : ' '}${help}`)
    this.exit(error.oclif?.exit ?? 2)
  }

  private async exitOnPlantonError(error: PlantonError): Promise<never> {
    const {lines} = await import('../core/display.js')
    const hint = error.hint ? `\n${error.hint}` : ''
    this.logToStderr(lines(`Error: ${error.message}${hint}`))
    this.exit(error.exitCode)
  }

  private async exitOnFsProblem(error: NodeJS.ErrnoException, fsProblem: {what: string; fix: string}): Promise<never> {
    const {resolveHome} = await import('../core/home.js')
    const {oneLine} = await import('../core/display.js')
    const {code, path: where} = error
    const home = resolveHome()
    const at = where ? ` (${where})` : ''
    const writing = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS'
    this.logToStderr(oneLine(`Error: ${fsProblem.what}${writing ? ` while writing under ${home}` : ''}${writing ? ` (${error.message})` : at}`))
    this.logToStderr(fsProblem.fix)
    this.exit(1)
  }

  /** The parser's message without its "See more help" line; for an unknown flag, the closest one. */
  private async parseErrorMessage(error: ParseError): Promise<string> {
    // oclif wraps some (exactlyOne, exclusive) in "The following error occurred:" on a line of its own.
    const message = error.message.replace(/\n?See more help with --help$/, '').replace(/^The following errors? occurred:\s*/, '').trim()
    const unknown = error.flags?.filter(f => f.startsWith('--')) ?? []
    if (unknown.length === 0) return /[.?!:]$/.test(message) ? message : `${message}.`
    const {closest} = await import('../core/suggest.js')
    const ctor = this.constructor as typeof Command
    const known = Object.entries({...ctor.baseFlags, ...ctor.flags})
    .filter(([, flag]) => !flag.hidden)
    .flatMap(([name, flag]) => [name, ...(flag.aliases ?? [])].map(n => `--${n}`))
    const suggestions = unknown.map(f => closest(f.split('=')[0], known)).filter(Boolean)
    return `${message}.${suggestions.length > 0 ? ` Did you mean ${suggestions.join(', ')}?` : ''}`
  }
}

/** The parser's errors (not exported by @oclif/core's subpaths): a CLIError with the parse output. */
type ParseError = Errors.CLIError & {parse: unknown; showHelp: boolean; flags?: string[]}

function isParseError(error: Error): error is ParseError {
  return error instanceof Errors.CLIError && 'parse' in error && 'showHelp' in error
}

/** File-system errors as users can act on them (the rest keeps oclif's report). */
const FS_PROBLEMS: Record<string, {what: string; fix: string}> = {
  EACCES: {what: 'permission denied', fix: 'Check the permissions of that path, or set PROJECT_PLANTON_HOME to a folder of your own.'},
  EPERM: {what: 'operation not permitted', fix: 'Check the permissions of that path, or set PROJECT_PLANTON_HOME to a folder of your own.'},
  ENOTDIR: {what: 'a file stands where a folder is expected', fix: 'Move that file out of the way, or set PROJECT_PLANTON_HOME to a folder of its own.'},
  EISDIR: {what: 'a folder stands where a file is expected', fix: 'Move that folder out of the way.'},
  EEXIST: {what: 'something already exists where the CLI makes a folder', fix: 'Move it out of the way, or set PROJECT_PLANTON_HOME to a folder of its own.'},
  ENOSPC: {what: 'no space left on the device', fix: 'Free some space (`project-planton staging clean` removes workspaces left behind), or set PROJECT_PLANTON_HOME to a bigger disk.'},
  EDQUOT: {what: 'no space left on the device', fix: 'Free some space (`project-planton staging clean` removes workspaces left behind), or set PROJECT_PLANTON_HOME to a bigger disk.'},
  EROFS: {what: 'the file system is read-only', fix: 'Make that folder writable, or set PROJECT_PLANTON_HOME to a writable folder.'},
}
