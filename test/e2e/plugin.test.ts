// project-planton as a plugin of another oclif CLI. A minimal host CLI with @oclif/plugin-plugins is
// built in a temp folder; this package is added to it with `plugins link` (the development flow),
// then declared in the host's own oclif.plugins (the way an installed dependency loads, from dist/).
// Commands and the staging:prepare / staging:teardown hooks must work through the host, and a hook
// of the host itself must see both events.
import {expect} from 'chai'
import {
  existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, onPath, ROOT, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {
  createHost, type Host, HOST_VERSION, hostEnv, PACKAGE,
} from '../support/host.js'
import {
  createUpstream, manifestYaml, removeTempDirs, type Upstream,
} from '../support/upstream.js'

type HookRecord = {event: string; stackId?: string; root?: string; keep?: boolean}

function hookRecords(file: string): HookRecord[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l) as HookRecord) : []
}

describe('e2e: project-planton as a plugin of another oclif CLI', function () {
  this.timeout(180_000)
  let host: Host
  let upstream: Upstream
  const tfBinary = onPath('terraform') ?? onPath('tofu')

  before(async function () {
    upstream = createUpstream()
    const built = await createHost()
    if (!built) this.skip()
    host = built
  })

  after(() => removeTempDirs())

  function pphost(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    return host.run(args, env)
  }

  /** Adds us to the host's dependencies and oclif.plugins (loaded from dist/, as an installed dependency). */
  function declareUs(): void {
    host.declare(true)
    const link = path.join(host.dir, 'node_modules', PACKAGE.name)
    // What `npm install` does for a file: dependency on a folder: a symlink.
    if (!existsSync(link)) symlinkSync(ROOT, link, 'dir')
  }

  /** What the host does on its own: oclif's answers, not those of our standalone plugins. */
  async function expectHostBehaviour(env: NodeJS.ProcessEnv): Promise<void> {
    const foo = await pphost(['foo'], env)
    expect(foo.code, foo.stderr).to.equal(2)
    expect(foo.stderr).to.include('command foo not found')
    expect(foo.stderr).to.not.include('is not a pphost command')
    const autocomplete = await pphost(['autocomplete'], env)
    expect(autocomplete.code, 'the host has no autocomplete command').to.equal(2)
    expect(autocomplete.stderr).to.include('command autocomplete not found')
    const version = await pphost(['version'], env)
    expect(version.code, 'the host has no version command').to.equal(2)
    const help = await pphost(['--help'], env)
    expect(help.code).to.equal(0)
    expect(help.stdout).to.not.match(/^ {2}(autocomplete|help|version) /m)
  }

  async function planThroughHost(sb: Sandbox, env: NodeJS.ProcessEnv, hookLog: string): Promise<void> {
    const manifest = path.join(sb.home, 'redis.yaml')
    writeFileSync(manifest, manifestYaml({name: 'redis-host', labels: {'project-planton.org/provisioner': path.basename(tfBinary!)}}))
    const plan = await pphost(['tofu', 'plan', '-f', manifest, '--module-version', 'v0.2.0'], env)
    expect(plan.code, `${plan.stderr}\n${plan.stdout}`).to.equal(0)
    expect(plan.stderr).to.match(/Workspace ready: \d+ files/)
    expect(plan.stderr).to.match(/Handing off to (terraform|tofu)/)
    expect(plan.stdout).to.match(/module_version\s+=\s+"v0\.2\.0"/)
    // staging:prepare made a workspace and staging:teardown removed it.
    expect(existsSync(path.join(sb.plantonHome, 'workspaces')), 'a workspace was prepared').to.equal(true)
    expect(workspacesOf(sb)).to.deep.equal([])
    const records = hookRecords(hookLog)
    expect(records.map(r => r.event)).to.deep.equal(['staging:prepare', 'staging:teardown'])
    expect(records[0].stackId).to.equal('kubernetesredis/redis-host')
    expect(records[1]).to.include({keep: false})
    expect(records[1].root!.startsWith(path.join(sb.plantonHome, 'workspaces'))).to.equal(true)

    // --no-cleanup through the host: the teardown hook keeps it, and the host's `staging clean` removes it.
    const kept = await pphost(['tofu', 'plan', '-f', manifest, '--no-cleanup'], env)
    expect(kept.code, kept.stderr).to.equal(0)
    const keptPath = /Kept workspace: (\S+)/.exec(kept.stderr)?.[1]
    expect(keptPath && existsSync(keptPath), kept.stderr).to.equal(true)
    expect(hookRecords(hookLog).at(-1)).to.include({event: 'staging:teardown', keep: true, root: keptPath})
    const clean = await pphost(['staging', 'clean', '--json'], env)
    expect(clean.code, clean.stderr).to.equal(0)
    expect((JSON.parse(clean.stdout) as {removed: string[]}).removed).to.deep.equal([keptPath])
    expect(readdirSync(path.join(sb.plantonHome, 'workspaces'))).to.deep.equal([])
  }

  it('`plugins link` adds our commands and hooks to the host: staging status and tofu plan run through it', async function () {
    const sb = sandbox(upstream)
    const hookLog = path.join(sb.home, 'hooks.jsonl')
    const env = hostEnv(sb, hookLog)
    await expectHostBehaviour(env)
    const link = await pphost(['plugins', 'link', ROOT, '--no-install'], env)
    expect(link.code, link.stderr).to.equal(0)
    // No "… is a linked ESM module and cannot be auto-transpiled" (that was a plugin of ours, linked along).
    expect(link.stderr).to.not.match(/warning/i)
    const list = await pphost(['plugins'], env)
    expect(list.stdout).to.include(`${PACKAGE.name} ${PACKAGE.version} (link) ${ROOT}`)
    // The link is recorded in the host's data folder under the sandbox HOME, and nowhere in this project.
    expect(readFileSync(path.join(sb.home, '.local', 'share', 'pp-host', 'package.json'), 'utf8')).to.include(ROOT)

    const status = await pphost(['staging', 'status', '--json'], env)
    expect(status.code, status.stderr).to.equal(0)
    expect(JSON.parse(status.stdout)).to.include({exists: false, url: upstream.url})
    expect(status.stderr, 'nothing but the JSON document').to.equal('')
    const colon = await pphost(['staging:status', '--json'], env)
    expect(colon.code, colon.stderr).to.equal(0)
    // Our commands answer a bad flag in one line, in the host's words.
    const typo = await pphost(['staging', 'pull', '--forse'], env)
    expect(typo.code).to.equal(2)
    expect(typo.stderr).to.equal('Error: Nonexistent flag: --forse. Did you mean --force? See `pphost staging pull --help`.\n')
    // Only our commands and hooks joined the host: the rest behaves as before.
    await expectHostBehaviour(env)

    if (!tfBinary) {
      console.log('      (tofu plan part skipped: neither terraform nor tofu is on PATH)')
      this.skip()
    }

    await planThroughHost(sb, env, hookLog)
  })

  it('declared in the host\'s oclif.plugins (loaded from dist/ like an installed dependency): tofu plan with hooks', async function () {
    if (!tfBinary) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    declareUs()
    const sb = sandbox(upstream)
    const hookLog = path.join(sb.home, 'hooks.jsonl')
    const env = hostEnv(sb, hookLog)
    const core = await pphost(['plugins', '--core'], env)
    expect(core.stdout).to.match(new RegExp(`${PACKAGE.name} ${PACKAGE.version.replaceAll('.', String.raw`\.`)}`))
    await expectHostBehaviour(env)
    await planThroughHost(sb, env, hookLog)
  })

  it('the first clone through the host selects the tag of our version, not the host\'s', async () => {
    const up = createUpstream()
    const ours = `v${PACKAGE.version}`
    up.tag(ours, 'v0.1.0')
    up.tag(`v${HOST_VERSION}`, 'v0.2.0')
    expect(ours, 'the test needs two different versions').to.not.equal(`v${HOST_VERSION}`)
    declareUs()
    const sb = sandbox(up)
    const env = hostEnv(sb, path.join(sb.home, 'hooks.jsonl'))
    const pull = await pphost(['staging', 'pull', '--json'], env)
    expect(pull.code, pull.stderr).to.equal(0)
    expect(JSON.parse(pull.stdout)).to.include({action: 'cloned', ref: ours, sha: up.sha('v0.1.0')})
  })
})
