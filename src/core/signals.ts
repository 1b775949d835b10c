/**
 * Signals during a run. The first SIGINT/SIGTERM/SIGHUP aborts whatever is being prepared (git is
 * killed through the AbortSignal) and is forwarded to the tool if one is running; the command then
 * unwinds through its cleanup and exits with 128 + n. Nothing here calls process.exit.
 */
import type {ChildProcess} from 'node:child_process'

const TRAPPED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']

export class SignalTrap {
  private readonly controller = new AbortController()
  private child?: ChildProcess
  private readonly handlers = new Map<NodeJS.Signals, () => void>()
  received?: NodeJS.Signals

  get signal(): AbortSignal {
    return this.controller.signal
  }

  install(): this {
    for (const sig of TRAPPED) {
      const handler = () => this.onSignal(sig)
      this.handlers.set(sig, handler)
      process.on(sig, handler)
    }

    return this
  }

  dispose(): void {
    for (const [sig, handler] of this.handlers) process.off(sig, handler)
    this.handlers.clear()
  }

  /** The tool process that signals are forwarded to, while it runs. */
  attach(child?: ChildProcess): void {
    this.child = child
  }

  private onSignal(sig: NodeJS.Signals): void {
    this.received ??= sig
    if (!this.controller.signal.aborted) this.controller.abort(sig)
    const {child} = this
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    // Ctrl-C at a terminal reaches the whole foreground process group, the tool included; sending
    // it again would count as a second Ctrl-C (Pulumi then stops without cleaning up its state).
    // So SIGINT is forwarded only when there is no terminal; SIGTERM and SIGHUP, which are sent to
    // one process, always are.
    if (sig === 'SIGINT' && process.stdin.isTTY) return
    child.kill(sig)
  }
}

export function exitCodeForSignal(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? 143 : (sig === 'SIGHUP' ? 129 : 130)
}
