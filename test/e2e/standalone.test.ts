// The standalone `project-planton` command (bin/run.js), beyond what a host CLI gets from us: help and
// version flags, the `version` command, the not-found suggestion, the standalone plugins.
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  onPath, ROOT, runCli, sandbox, startCli,
} from '../support/cli.js'
import {manifestYaml, removeTempDirs} from '../support/upstream.js'

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}
const USER_AGENT = `${PACKAGE.name}/${PACKAGE.version} ${process.platform}-${process.arch} node-${process.version}`

function count(text: string, part: string): number {
  return text.split(part).length - 1
}

describe('e2e: the standalone CLI', () => {
  after(() => removeTempDirs())

  it('-v, --version and `version` (also --json) print our version', async () => {
    const {env} = sandbox()
    for (const flag of ['-v', '--version']) {
      const r = await runCli([flag], {env})
      expect(r.code, r.stderr).to.equal(0)
      expect(r.stdout.trim()).to.equal(USER_AGENT)
    }

    const plain = await runCli(['version'], {env})
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout.trim()).to.equal(USER_AGENT)
    const json = await runCli(['version', '--json'], {env})
    expect(json.code, json.stderr).to.equal(0)
    expect(JSON.parse(json.stdout)).to.include({cliVersion: `${PACKAGE.name}/${PACKAGE.version}`, nodeVersion: `node-${process.version}`})
  })

  it('-h shows help, at the root and on every command, wherever it stands', async () => {
    const {env} = sandbox()
    const root = await runCli(['-h'], {env})
    expect(root.code, root.stderr).to.equal(0)
    expect(root.stdout).to.include('USAGE\n  $ project-planton [COMMAND]')
    // The standalone CLI's own plugins: help, completion setup, version.
    expect(root.stdout).to.match(/^ {2}autocomplete /m)
    expect(root.stdout).to.match(/^ {2}help /m)
    expect(root.stdout).to.match(/^ {2}version/m)
    for (const [args, usage] of [
      [['staging', 'pull', '-h'], '$ project-planton staging pull'],
      [['staging:checkout', '-h'], '$ project-planton staging checkout VERSION'],
      [['tofu', 'plan', '-f', 'x.yaml', '-h'], '$ project-planton tofu plan'],
      [['apply', '-h', '-f', 'x.yaml'], '$ project-planton apply'],
      [['doctor', '-h'], '$ project-planton doctor'],
    ] as const) {
      const r = await runCli([...args], {env})
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
      expect(r.stdout, args.join(' ')).to.include(usage)
    }
  })

  it('a mistyped command without a terminal: the closest command on the error line, exit 127', async () => {
    const {env} = sandbox()
    const typo = await runCli(['stagin', 'pull'], {env})
    expect(typo.code).to.equal(127)
    expect(typo.stderr.trim()).to.equal('Error: "stagin pull" is not a project-planton command. Did you mean "project-planton staging pull"? See `project-planton --help` for the list.')
    const alias = await runCli(['chekout', 'v1'], {env})
    expect(alias.stderr).to.include('Did you mean "project-planton checkout v1"?')
    const topic = await runCli(['stagin'], {env})
    expect(topic.stderr).to.include('Did you mean "project-planton staging"?')
    // Nothing close: no guess.
    const far = await runCli(['foo'], {env})
    expect(far.code).to.equal(127)
    expect(far.stderr.trim()).to.equal('Error: "foo" is not a project-planton command. See `project-planton --help` for the list.')
  })

  it('a mistyped command at a terminal: asks whether the closest command was meant', async function () {
    if (!onPath('script')) {
      console.log('      skipped: util-linux `script` (to make a pseudo-terminal) is not on PATH')
      this.skip()
    }

    const {env} = sandbox()
    const cli = startCli(['stagin', 'status'], {env, terminal: true})
    await cli.waitFor(/Did you mean .*staging status/)
    cli.child.stdin!.write('n\r')
    const r = await cli.done
    expect(r.code).to.equal(127)
  })

  it('a bad flag or argument: the error in one place, the closest flag, where to get help; no help page', async () => {
    const {env} = sandbox()
    const typo = await runCli(['tofu', 'destroy', '-f', 'x.yaml', '--auto-aprove'], {env})
    expect(typo.code).to.equal(2)
    expect(typo.stdout).to.equal('')
    expect(typo.stderr).to.equal('Error: Nonexistent flag: --auto-aprove. Did you mean --auto-approve? See `project-planton tofu destroy --help`.\n')
    const two = await runCli(['plan', '--modul-version=v1', '-f', 'x.yaml', '--xyz'], {env})
    expect(two.stderr).to.equal('Error: Nonexistent flags: --modul-version=v1, --xyz. Did you mean --module-version? See `project-planton plan --help`.\n')
    const missing = await runCli(['tofu', 'plan'], {env})
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.equal('Error: Exactly one of the following must be provided: --manifest, --stack-input. See `project-planton tofu plan --help`.\n')
    expect(missing.stderr).to.match(/See `project-planton tofu plan --help`\.\n$/)
    const choice = await runCli(['tofu', 'init', '-f', 'x.yaml', '--backend-type', 'ftp'], {env})
    expect(choice.code).to.equal(2)
    expect(choice.stderr).to.equal('Error: Expected --backend-type=ftp to be one of: local, s3, gcs, azurerm. See `project-planton tofu init --help`.\n')
    for (const r of [typo, two, missing, choice]) expect(r.stderr + r.stdout).to.not.match(/USAGE|FLAGS|See more help/)
  })

  it('plain output (no terminal): a failed step is marked, and its error printed once', async () => {
    const {env, home} = sandbox('file:///nonexistent/upstream.git')
    const pull = await runCli(['staging', 'pull'], {env})
    expect(pull.code).to.equal(1)
    expect(pull.stderr).to.include('[FAILED] Pull staging\n')
    expect(count(pull.stderr, 'does not appear to be a git repository'), pull.stderr).to.equal(1)
    expect(pull.stderr).to.include('Error: could not clone file:///nonexistent/upstream.git')

    const manifest = path.join(home, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({labels: {'project-planton.org/provisioner': 'tofu'}}))
    const plan = await runCli(['tofu', 'plan', '-f', manifest], {env})
    expect(plan.code).to.equal(1)
    expect(plan.stderr).to.match(/\[FAILED\] Resolve the module \(staging\)\n/)
    expect(count(plan.stderr, 'does not appear to be a git repository'), plan.stderr).to.equal(1)
  })
})
