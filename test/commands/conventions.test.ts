// Command-line conventions, through the built CLI: --json prints exactly one document on stdout and
// no progress; NO_COLOR removes colour from our output and the tool's; DEBUG=project-planton* shows
// the git commands on stderr and leaves stdout alone.
import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  onPath, runCli, sandbox, workspacesOf,
} from '../support/cli.js'
import {
  createUpstream, manifestYaml, removeTempDirs, type Upstream,
} from '../support/upstream.js'

// eslint-disable-next-line no-control-regex
const ESC = /\u001B\[/

/** The sandbox environment as a colour terminal would have it, with or without NO_COLOR. */
function colourEnv(env: NodeJS.ProcessEnv, noColor: boolean): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {...env, FORCE_COLOR: '1'}
  delete out.NO_COLOR
  if (noColor) out.NO_COLOR = '1'
  return out
}

describe('conventions: --json, NO_COLOR, DEBUG', () => {
  let upstream: Upstream

  before(() => {
    upstream = createUpstream()
  })

  after(() => removeTempDirs())

  it('--json on staging pull, checkout, status, clean and doctor prints one JSON document and no progress', async () => {
    const sb = sandbox(upstream)
    const runs: Array<[string[], (doc: Record<string, unknown>) => void]> = [
      [['staging', 'pull', '--json'], doc => expect(doc).to.include({action: 'cloned'})],
      [['staging', 'checkout', 'v0.2.0', '--json'], doc => expect(doc).to.include({action: 'switched', ref: 'v0.2.0', sha: upstream.sha('v0.2.0')})],
      [['staging', 'status', '--json'], doc => expect(doc).to.include({
        exists: true, ref: 'v0.2.0', headMatches: true, clean: true,
      })],
      [['staging', 'clean', '--json'], doc => expect(doc).to.deep.include({removed: [], stagingRemoved: false})],
      [['doctor', '--json'], doc => expect(doc).to.include({home: sb.plantonHome, url: upstream.url})],
      [['staging', 'clean', '--all', '--yes', '--json'], doc => expect(doc).to.include({stagingRemoved: true})],
    ]
    for (const [args, check] of runs) {
      const result = await runCli(args, {env: sb.env})
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).to.be.oneOf([0, 1])
      if (args[0] !== 'doctor') expect(result.code, args.join(' ')).to.equal(0)
      let doc: Record<string, unknown> = {}
      expect(() => {
        doc = JSON.parse(result.stdout) as Record<string, unknown>
      }, `${args.join(' ')} stdout is one JSON document:\n${result.stdout}`).to.not.throw()
      check(doc)
      expect(result.stderr, `${args.join(' ')} prints no progress`).to.not.match(/\[(STARTED|COMPLETED|OUTPUT)\]|Cloning|Fetching/)
    }
  })

  it('NO_COLOR removes the colour that a colour terminal gets, in doctor and in the progress list', async () => {
    const sb = sandbox(upstream)
    const coloured = await runCli(['doctor'], {env: colourEnv(sb.env, false)})
    expect(coloured.stdout, 'doctor colours its status words').to.match(ESC)
    const plain = await runCli(['doctor'], {env: colourEnv(sb.env, true)})
    expect(plain.stdout).to.not.match(ESC)
    expect(plain.stdout).to.match(/^warn\s+staging\s+staging is not cloned yet/m)

    const pullColoured = await runCli(['staging', 'pull'], {env: colourEnv(sb.env, false)})
    expect(pullColoured.code).to.equal(0)
    expect(pullColoured.stderr, 'the progress list is coloured').to.match(ESC)
    const pullPlain = await runCli(['staging', 'pull'], {env: colourEnv(sb.env, true)})
    expect(pullPlain.code).to.equal(0)
    expect(pullPlain.stderr).to.include('Staging up to date')
    expect(pullPlain.stdout + pullPlain.stderr).to.not.match(ESC)
  })

  it('NO_COLOR reaches terraform/tofu, which colour their output otherwise', async function () {
    if (!onPath('terraform') && !onPath('tofu')) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const sb = sandbox(upstream)
    const manifest = path.join(sb.home, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({labels: {'project-planton.org/provisioner': onPath('terraform') ? 'terraform' : 'tofu'}}))
    const env = {...sb.env, CHECKPOINT_DISABLE: '1'}
    const coloured = await runCli(['tofu', 'plan', '-f', manifest, '--module-version', 'v0.2.0'], {env: colourEnv(env, false)})
    expect(coloured.code, coloured.stderr).to.equal(0)
    expect(coloured.stdout, 'the tool colours its plan').to.match(ESC)
    const plain = await runCli(['tofu', 'plan', '-f', manifest, '--module-version', 'v0.2.0'], {env: colourEnv(env, true)})
    expect(plain.code, plain.stderr).to.equal(0)
    expect(plain.stdout).to.match(/module_version\s+=\s+"v0\.2\.0"/)
    expect(plain.stdout + plain.stderr).to.not.match(ESC)
    expect(workspacesOf(sb)).to.deep.equal([])
  })

  it('DEBUG=project-planton* prints the git commands on stderr; stdout stays one JSON document', async () => {
    const sb = sandbox(upstream)
    const debugEnv = {...sb.env, DEBUG: 'project-planton*'}
    const pull = await runCli(['staging', 'pull', '--json'], {env: debugEnv})
    expect(pull.code, pull.stderr).to.equal(0)
    expect(pull.stderr).to.match(new RegExp(`project-planton git clone ${upstream.url.replaceAll('/', String.raw`\/`)} `))
    expect(JSON.parse(pull.stdout)).to.include({action: 'cloned'})

    const again = await runCli(['staging', 'pull', '--json'], {env: debugEnv})
    expect(again.stderr).to.match(/project-planton git -C \S+staging\/project-planton fetch origin/)
    expect(again.stderr).to.match(/project-planton staging lock taken/)

    const quiet = await runCli(['staging', 'pull', '--json'], {env: sb.env})
    expect(quiet.code).to.equal(0)
    expect(quiet.stderr).to.not.match(/project-planton git/)
  })
})
