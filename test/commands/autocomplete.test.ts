// Shell completion through the built CLI with an empty HOME: the setup instructions of
// @oclif/plugin-autocomplete, the completion functions it leaves (ours), and the `__complete` answers
// those functions read. test/e2e/completion.test.ts types into real bash and zsh.
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {runCli, type Sandbox, sandbox} from '../support/cli.js'
import {createUpstream, removeTempDirs} from '../support/upstream.js'

/** The `__complete` answer: its directives and candidate values. */
async function complete(sb: Sandbox, ...words: string[]): Promise<{directives: string[]; values: string[]}> {
  const r = await runCli(['__complete', ...words], {env: sb.env})
  expect(r.code, r.stderr).to.equal(0)
  expect(r.stderr).to.equal('')
  const [first, ...rest] = r.stdout.replace(/\n$/, '').split('\n')
  return {directives: first.split(' ').filter(Boolean), values: rest.map(l => l.split('\t')[0])}
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
  })

  it('the completion functions it leaves in the cache under HOME are ours: they ask `__complete`', async () => {
    const sb = sandbox()
    expect((await runCli(['autocomplete', '--refresh-cache'], {env: sb.env})).code).to.equal(0)
    const script = await runCli(['autocomplete', 'script', 'bash'], {env: sb.env})
    const setup = path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'bash_setup')
    const variable = '$PROJECT_PLANTON_AC_BASH_SETUP_PATH'
    expect(script.stdout.trim()).to.equal(`PROJECT_PLANTON_AC_BASH_SETUP_PATH=${setup} && test -f ${variable} && source ${variable}; # project-planton autocomplete setup`)
    const functions = path.join(sb.home, '.cache', 'project-planton', 'autocomplete', 'functions')
    const bash = readFileSync(path.join(functions, 'bash', 'project-planton.bash'), 'utf8')
    expect(bash).to.include('__complete')
    expect(bash).to.include('complete -F _project-planton project-planton')
    const zsh = readFileSync(path.join(functions, 'zsh', '_project-planton'), 'utf8')
    expect(zsh).to.match(/^#compdef project-planton\n/)
    expect(zsh).to.include('__complete')
    expect(existsSync(setup)).to.equal(true)
  })

  it('`__complete` answers commands, flags and values, and reads versions from staging without the network', async () => {
    const up = createUpstream()
    const sb = sandbox(up)
    // Before staging exists: latest only, and nothing is created.
    expect(await complete(sb, 'staging', 'checkout', '')).to.deep.equal({directives: ['nosort'], values: ['latest']})
    expect(existsSync(sb.plantonHome)).to.equal(false)
    expect((await runCli(['staging', 'pull', '--json'], {env: sb.env})).code).to.equal(0)
    // The upstream is gone: the versions still come, from the clone.
    const offline = {...sb, env: {...sb.env, PROJECT_PLANTON_REPO_URL: 'file:///nonexistent/upstream.git'}}
    const versions = await complete(offline, 'checkout', 'v')
    expect(versions.values.slice(0, 2)).to.deep.equal(['v0.2.0', 'v0.1.0'])
    expect(versions.values.every(v => v.startsWith('v'))).to.equal(true)

    expect((await complete(sb, 'staging', '')).values).to.have.members(['checkout', 'clean', 'pull', 'status'])
    // Flags already given are not offered again, repeatable ones are; hidden ones never.
    const flags = await complete(sb, 'tofu', 'plan', '-f', 'x.yaml', '--set', 'a=1', '--')
    expect(flags.values).to.include.members(['--set', '--module-dir', '--backend-type'])
    expect(flags.values).to.not.include.members(['--manifest', '--full-tree'])
    expect(flags.values.filter(f => /^--aws-provider-config$/.test(f))).to.deep.equal([])
    expect(await complete(sb, 'tofu', 'plan', '--module-dir', '')).to.deep.equal({directives: ['dirs'], values: []})
    expect(await complete(sb, 'plan', '--provider-config', 'g')).to.deep.equal({directives: ['files', 'nospace'], values: ['gcp=']})
    expect((await complete(sb, 'pulumi', 'up', '--stack=x', '-')).values).to.include('-f')
    // After `--` nothing is a flag of ours.
    expect((await complete(sb, 'tofu', 'plan', '--', '--')).values).to.deep.equal([])
  })
})
