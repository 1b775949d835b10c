// Shell completion (@oclif/plugin-autocomplete) through the built CLI with an empty HOME: the setup
// instructions, the script line users add to their shell, and the completion function it loads,
// which is run here in bash with only its builtins (no bash-completion package needed for that).
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {runCli, sandbox} from '../support/cli.js'
import {removeTempDirs} from '../support/upstream.js'

/** What bash offers after `words` (the last word is the one being completed). */
function complete(setupFile: string, words: string[]): string[] {
  // A bash script: ${...} is bash's array expansion, not a JavaScript template.
  // eslint-disable-next-line no-template-curly-in-string
  const script = 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _project-planton_autocomplete; printf \'%s\\n\' "${COMPREPLY[@]}"'
  const result = spawnSync('bash', ['--norc', '--noprofile', '-c', script, 'bash', setupFile, ...words], {encoding: 'utf8'})
  expect(result.status, result.stderr).to.equal(0)
  return [...new Set(result.stdout.split('\n').filter(Boolean))]
}

describe('autocomplete', () => {
  after(() => removeTempDirs())

  it('`autocomplete bash` and `autocomplete zsh` print setup instructions with an empty HOME', async () => {
    const sb = sandbox()
    const bash = await runCli(['autocomplete', 'bash'], {env: sb.env})
    expect(bash.code, bash.stderr).to.equal(0)
    expect(bash.stdout).to.include('Setup Instructions for PROJECT-PLANTON CLI Autocomplete')
    expect(bash.stdout).to.include('printf "$(project-planton autocomplete script bash)" >> ~/.bashrc; source ~/.bashrc')
    expect(bash.stdout).to.include('project-planton <TAB><TAB>')

    const zsh = await runCli(['autocomplete', 'zsh'], {env: sb.env})
    expect(zsh.code, zsh.stderr).to.equal(0)
    expect(zsh.stdout).to.include('printf "$(project-planton autocomplete script zsh)" >> ~/.zshrc; source ~/.zshrc')
    expect(zsh.stdout).to.include('compaudit -D')

    // The cache is built inside the sandbox HOME, nowhere else.
    expect(existsSync(path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'functions', 'zsh', '_project-planton'))).to.equal(true)
  })

  it('`autocomplete script bash` loads a completion function that knows our commands, topics and flags', async function () {
    const sb = sandbox()
    // As the instructions go: `autocomplete bash` builds the cache, then the script line is added.
    expect((await runCli(['autocomplete', 'bash'], {env: sb.env})).code).to.equal(0)
    const script = await runCli(['autocomplete', 'script', 'bash'], {env: sb.env})
    expect(script.code, script.stderr).to.equal(0)
    // It prints one line to append to ~/.bashrc, pointing into the cache under HOME.
    const setup = path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'bash_setup')
    const variable = '$PROJECT_PLANTON_AC_BASH_SETUP_PATH'
    expect(script.stdout.trim()).to.equal(`PROJECT_PLANTON_AC_BASH_SETUP_PATH=${setup} && test -f ${variable} && source ${variable}; # project-planton autocomplete setup`)
    const functions = readFileSync(path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'functions', 'bash', 'project-planton.bash'), 'utf8')
    for (const id of ['staging:pull', 'staging:checkout', 'staging:status', 'staging:clean', 'tofu:plan', 'pulumi:update', 'doctor']) {
      expect(functions).to.match(new RegExp(`^${id} `, 'm'))
    }

    if (spawnSync('bash', ['--version']).status !== 0) {
      console.log('      (completion run skipped: bash is not installed)')
      this.skip()
    }

    expect(complete(setup, ['project-planton', 'do'])).to.deep.equal(['doctor'])
    expect(complete(setup, ['project-planton', 'staging', 'p'])).to.deep.equal(['pull'])
    expect(complete(setup, ['project-planton', 'staging', 'pull', '--fo'])).to.deep.equal(['--force'])
    expect(complete(setup, ['project-planton', 'staging', 'pull', '--f'])).to.deep.equal(['--force', '--full'])
    expect(complete(setup, ['project-planton', 'tofu', 'plan', '--module-v'])).to.deep.equal(['--module-version'])
    expect(complete(setup, ['project-planton', ''])).to.include.members(['apply', 'doctor', 'staging', 'tofu', 'pulumi'])
  })

  it('`autocomplete script zsh` prints the line for ~/.zshrc, and the zsh function describes our commands', async () => {
    const sb = sandbox()
    const refresh = await runCli(['autocomplete', '--refresh-cache'], {env: sb.env})
    expect(refresh.code, refresh.stderr).to.equal(0)
    expect(refresh.stdout).to.not.include('Setup Instructions')
    const script = await runCli(['autocomplete', 'script', 'zsh'], {env: sb.env})
    expect(script.code, script.stderr).to.equal(0)
    expect(script.stdout).to.include(`PROJECT_PLANTON_AC_ZSH_SETUP_PATH=${path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'zsh_setup')}`)
    const zsh = readFileSync(path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'functions', 'zsh', '_project-planton'), 'utf8')
    expect(zsh).to.include('#compdef project-planton')
    expect(zsh).to.include('Check git, the IaC tools, the home folder')
    expect(zsh).to.include('--module-version')
  })
})
