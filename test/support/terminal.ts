// An interactive bash or zsh in a real pseudo-terminal (tmux), driven as a user would: type a
// partial command line, press Tab, read the screen. Each shell runs in its own tmux server (its own
// socket in a temp folder), started with the sandbox's environment.
import {execFileSync, spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {onPath} from './cli.js'
import {makeTempDir} from './upstream.js'

export type Shell = 'bash' | 'zsh'

const PROMPT = 'PPTEST$ '
const BASH_COMPLETION = '/usr/share/bash-completion/bash_completion'

/** Why `shell` cannot be driven here, or undefined when it can. */
export function unavailable(shell: Shell): string | undefined {
  if (!onPath('tmux')) return 'tmux (to run a shell in a pseudo-terminal) is not installed'
  if (!onPath(shell)) return `${shell} is not installed`
  if (shell === 'bash' && spawnSync('test', ['-f', BASH_COMPLETION]).status !== 0) return `the bash-completion package is not installed (${BASH_COMPLETION})`
  return undefined
}

export type Offer = {
  /** the command line after Tab */
  line: string
  /** what the shell listed below it (first word of each entry), when it listed anything */
  listed: string[]
}

export class TerminalShell {
  private constructor(private readonly socket: string, private readonly shell: Shell) {}

  /** Starts `shell` with `setup` (lines of its rc file) in `cwd`. */
  static async start(shell: Shell, opts: {env: NodeJS.ProcessEnv; cwd: string; setup: string}): Promise<TerminalShell> {
    const dir = makeTempDir('pp-term-')
    // bash: one Tab lists, never asks or pages, and lists in the order given, row by row.
    const rc = shell === 'bash'
      ? [
        `PS1='${PROMPT}'`,
        'unset HISTFILE',
        'set -o emacs',
        `source ${BASH_COMPLETION}`,
        'bind "set show-all-if-ambiguous on"',
        'bind "set completion-query-items 0"',
        'bind "set page-completions off"',
        'bind "set print-completions-horizontally on"',
        'bind "set bell-style none"',
        opts.setup,
      ]
      : [`PS1='${PROMPT}'`, 'unset HISTFILE', 'bindkey -e', 'setopt nobeep', 'LISTMAX=0', opts.setup]
    writeFileSync(path.join(dir, shell === 'bash' ? 'bashrc' : '.zshrc'), `${rc.join('\n')}\n`)
    const command = shell === 'bash' ? `bash --noprofile --rcfile ${path.join(dir, 'bashrc')} -i` : 'zsh -d -i'
    const env = {...opts.env, ZDOTDIR: dir, TERM: 'xterm'}
    const term = new TerminalShell(path.join(dir, 'tmux.sock'), shell)
    execFileSync('tmux', ['-S', term.socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'pp', '-x', '220', '-y', '60', '-c', opts.cwd, command], {env})
    await term.until(screen => screen.trim() === PROMPT.trim(), 'the first prompt')
    return term
  }

  /** Types `text`, presses Tab, and reads what the shell did. */
  async tab(text: string): Promise<Offer> {
    this.keys('-l', text)
    await this.until(screen => this.lastPromptLine(screen) === `${PROMPT}${text}`.trimEnd(), `"${text}" typed`)
    const before = this.screen()
    this.keys('Tab')
    let last = ''
    // The shell is done when the screen changed and then stayed the same over two looks.
    const after = await this.until(screen => {
      const settled = screen !== before && screen === last
      last = screen
      return settled
    }, `an answer to Tab after "${text}"`)
    const lines = after.split('\n').map(l => l.trimEnd()).filter(Boolean)
    const listed = lines.filter(l => !l.startsWith(PROMPT.trimEnd()))
    const offer = {
      line: this.lastPromptLine(after).slice(PROMPT.length),
      listed: listed.flatMap(l => (this.shell === 'zsh' && l.includes(' -- ') ? [l.split(/\s+/)[0]] : l.split(/\s+/))).filter(Boolean),
    }
    // A clean screen for the next one.
    this.keys('C-u')
    this.keys('-l', 'clear')
    this.keys('Enter')
    await this.until(screen => screen.trim() === PROMPT.trim(), 'a cleared screen')
    return offer
  }

  stop(): void {
    spawnSync('tmux', ['-S', this.socket, 'kill-server'])
  }

  private keys(...args: string[]): void {
    execFileSync('tmux', ['-S', this.socket, 'send-keys', '-t', 'pp', ...args])
  }

  private screen(): string {
    return execFileSync('tmux', ['-S', this.socket, 'capture-pane', '-p', '-t', 'pp'], {encoding: 'utf8'}).replace(/\n+$/, '')
  }

  private lastPromptLine(screen: string): string {
    return screen.split('\n').map(l => l.trimEnd()).findLast(l => l.startsWith(PROMPT.trimEnd())) ?? ''
  }

  /** Looks at the screen until `done` says so; fails with the screen after 30 s. */
  private async until(done: (screen: string) => boolean, what: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const screen = this.screen()
      if (done(screen)) return screen
      await sleep(150)
    }

    throw new Error(`${this.shell}: no ${what} on the screen:\n${this.screen()}`)
  }
}
