/**
 * The errors core code raises. Each carries a message a user can act on and the exit code the
 * CLI should end with; commands turn them into oclif errors. Core never calls process.exit.
 */
export class PlantonError extends Error {
  readonly exitCode: number
  /** What to do about it, shown under the message. */
  readonly hint?: string

  constructor(message: string, opts: {cause?: unknown; exitCode?: number; hint?: string} = {}) {
    super(message, opts.cause === undefined ? undefined : {cause: opts.cause})
    this.name = new.target.name
    this.exitCode = opts.exitCode ?? 1
    this.hint = opts.hint
  }
}

/** Input the user gave (a flag, a version, a manifest, a label) is not acceptable. Nothing was changed. */
export class InvalidInputError extends PlantonError {
  constructor(message: string, opts: {cause?: unknown; hint?: string} = {}) {
    super(message, {...opts, exitCode: 2})
  }
}

/** A git operation failed or staging is not in a usable state. */
export class StagingError extends PlantonError {}

/** The upstream could not be reached and what was asked for is not available locally. */
export class OfflineError extends StagingError {}

/** An executable the run needs (git, pulumi, tofu, terraform) is not installed. */
export class MissingToolError extends PlantonError {
  constructor(message: string, hint: string) {
    super(message, {exitCode: 127, hint})
  }
}

/** The run was interrupted by a signal; the exit code follows the shell convention 128 + n. */
export class InterruptedError extends PlantonError {
  readonly signal: NodeJS.Signals

  constructor(signal: NodeJS.Signals) {
    super(`interrupted by ${signal}`, {exitCode: signal === 'SIGTERM' ? 143 : 130})
    this.signal = signal
  }

  /** The error for an aborted AbortSignal whose reason is the signal's name (see SignalTrap). */
  static of(signal: AbortSignal): InterruptedError {
    return new InterruptedError(typeof signal.reason === 'string' ? (signal.reason as NodeJS.Signals) : 'SIGINT')
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
