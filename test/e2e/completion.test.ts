// Shell completion as a user gets it: `project-planton autocomplete <shell>`, the line it says to add
// to the shell's rc file, then an interactive bash (with Debian's bash-completion) and zsh in a
// pseudo-terminal, where a partial command line and Tab show what the shell offers.
import {expect} from 'chai'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  RUN_JS, runCli, type Sandbox, sandbox,
} from '../support/cli.js'
import {type Shell, TerminalShell, unavailable} from '../support/terminal.js'
import {
  COMPONENT_TAGS, createUpstream, FEATURE_BRANCH, makeTempDir, removeTempDirs, type Upstream,
} from '../support/upstream.js'

for (const shell of ['bash', 'zsh'] as const) {
  describe(`e2e: completion in an interactive ${shell}`, function () {
    this.timeout(180_000)
    let up: Upstream
    let sb: Sandbox
    let term: TerminalShell | undefined
    let cwd: string

    before(async function () {
      const missing = unavailable(shell)
      if (missing) {
        console.log(`      skipped: ${missing}`)
        this.skip()
      }

      up = createUpstream()
      const bin = makeTempDir('pp-bin-')
      symlinkSync(RUN_JS, path.join(bin, 'project-planton'))
      sb = sandbox(up, {PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`})
      expect((await runCli(['staging', 'pull', '--json'], {env: sb.env})).code).to.equal(0)
      term = await TerminalShell.start(shell, {env: sb.env, cwd: workFolder(), setup: await setupLine(shell, sb)})
    })

    after(() => {
      term?.stop()
      removeTempDirs()
    })

    /** A folder with a manifest, credentials and a module folder to complete. */
    function workFolder(): string {
      cwd = makeTempDir('pp-work-')
      writeFileSync(path.join(cwd, 'redis-manifest.yaml'), 'kind: KubernetesRedis\n')
      writeFileSync(path.join(cwd, 'creds-aws.yaml'), 'accessKeyId: x\n')
      // A folder and a file of the same start: after --module-dir only the folder may come.
      mkdirSync(path.join(cwd, 'modules-here'))
      writeFileSync(path.join(cwd, 'modules.txt'), '')
      return cwd
    }

    it('commands and topics, in the space and colon forms', async () => {
      expect(await term!.tab('project-planton sta')).to.deep.include({line: 'project-planton staging'})
      const staging = await term!.tab('project-planton staging ')
      expect(staging.listed).to.have.members(['checkout', 'clean', 'pull', 'status'])
      expect((await term!.tab('project-planton staging:ch')).line).to.equal('project-planton staging:checkout')
      const top = await term!.tab('project-planton ')
      expect(top.listed).to.include.members(['apply', 'destroy', 'doctor', 'plan', 'pulumi', 'staging', 'tofu', 'autocomplete'])
      // Aliases are not listed, but complete once typed.
      expect(top.listed).to.not.include.members(['checkout', 'preview'])
      expect((await term!.tab('project-planton chec')).line).to.equal('project-planton checkout')
    })

    it('file names after -f/--manifest and --provider-config, folder names after --module-dir', async () => {
      expect((await term!.tab('project-planton tofu plan -f redis-m')).line).to.equal('project-planton tofu plan -f redis-manifest.yaml')
      expect((await term!.tab('project-planton apply --manifest=redis-m')).line).to.equal('project-planton apply --manifest=redis-manifest.yaml')
      const dirs = await term!.tab('project-planton tofu plan -f redis-manifest.yaml --module-dir modu')
      expect(dirs.line).to.equal('project-planton tofu plan -f redis-manifest.yaml --module-dir modules-here/')
      expect((await term!.tab('project-planton plan -f redis-manifest.yaml --provider-config cred')).line).to.equal('project-planton plan -f redis-manifest.yaml --provider-config creds-aws.yaml')
      expect((await term!.tab('project-planton plan -f x --provider-config aws=cred')).line).to.equal('project-planton plan -f x --provider-config aws=creds-aws.yaml')
    })

    it('flags anywhere on the line, not only after the command words', async () => {
      const after = await term!.tab('project-planton tofu plan -f redis-manifest.yaml --set a=1 --module-')
      expect(after.listed).to.have.members(['--module-dir', '--module-version'])
      expect((await term!.tab('project-planton tofu apply --no-cleanup --auto-a')).line).to.equal('project-planton tofu apply --no-cleanup --auto-approve')
      // Pulumi's --full-tree is not a tofu flag.
      expect((await term!.tab('project-planton pulumi up -f x --full')).line).to.equal('project-planton pulumi up -f x --full-tree')
    })

    it('values: --backend-type choices, and the versions staging has for checkout and --module-version', async () => {
      const backends = await term!.tab('project-planton tofu init -f x --backend-type ')
      expect(backends.listed).to.have.members(['local', 's3', 'gcs', 'azurerm'])
      expect((await term!.tab('project-planton tofu init -f x --backend-type=g')).line).to.equal('project-planton tofu init -f x --backend-type=gcs')

      const versions = await term!.tab('project-planton staging checkout ')
      // Release tags newest first, then the other tags, the branches, and latest.
      expect(versions.listed.slice(0, 2)).to.deep.equal(['v0.2.0', 'v0.1.0'])
      expect(versions.listed).to.include.members([...COMPONENT_TAGS, 'main', FEATURE_BRANCH, 'latest'])
      expect(versions.listed.indexOf(COMPONENT_TAGS[0])).to.be.lessThan(versions.listed.indexOf('main'))
      expect(versions.listed.at(-1)).to.equal('latest')
      expect((await term!.tab('project-planton checkout v0.1')).line).to.equal('project-planton checkout v0.1.0')
      expect((await term!.tab('project-planton plan -f redis-manifest.yaml --module-version v0.2')).line).to.equal('project-planton plan -f redis-manifest.yaml --module-version v0.2.0')
      expect((await term!.tab('project-planton apply --module-version=feat')).line).to.equal(`project-planton apply --module-version=${FEATURE_BRANCH}`)
    })
  })
}

/** What the setup instructions of `autocomplete <shell>` say to add to the rc file. */
async function setupLine(shell: Shell, sb: Sandbox): Promise<string> {
  const instructions = await runCli(['autocomplete', shell], {env: sb.env})
  expect(instructions.code, instructions.stderr).to.equal(0)
  expect(instructions.stdout).to.include(`printf "$(project-planton autocomplete script ${shell})" >> ~/.${shell}rc`)
  const script = await runCli(['autocomplete', 'script', shell], {env: sb.env})
  expect(script.code, script.stderr).to.equal(0)
  return script.stdout.trim()
}
