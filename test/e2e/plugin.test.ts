// project-planton as a plugin of another oclif CLI. A minimal host CLI with @oclif/plugin-plugins is
// built in a temp folder; this package is added to it with `plugins link` (the development flow),
// then declared in the host's own oclif.plugins (the way an installed dependency loads, from dist/).
// Commands and the staging:prepare / staging:teardown hooks must work through the host, and a hook
// of the host itself must see both events.
import {expect} from 'chai'
import {
  existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, onPath, ROOT, runProgram, type Sandbox, sandbox, workspacesOf,
} from '../support/cli.js'
import {
  createUpstream, makeTempDir, manifestYaml, removeTempDirs, type Upstream,
} from '../support/upstream.js'

const PLUGINS_VERSION = '5.5.2'
const CORE_VERSION = '4.14.0'
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}

/** The host's package.json; `withUs` declares this package as a dependency and core plugin of the host. */
function hostPackageJson(withUs: boolean): string {
  return `${JSON.stringify({
    name: 'pp-host',
    version: '1.0.0',
    private: true,
    type: 'module',
    bin: {pphost: './bin/run.js'},
    dependencies: {
      '@oclif/core': CORE_VERSION,
      '@oclif/plugin-plugins': PLUGINS_VERSION,
      // oclif loads a core plugin only when it is also a dependency.
      ...(withUs ? {[PACKAGE.name]: `file:${ROOT}`} : {}),
    },
    oclif: {
      bin: 'pphost',
      dirname: 'pp-host',
      topicSeparator: ' ',
      plugins: ['@oclif/plugin-plugins', ...(withUs ? [PACKAGE.name] : [])],
      hooks: {'staging:prepare': './hooks/observe.js', 'staging:teardown': './hooks/observe.js'},
    },
  }, null, 2)}\n`
}

/** A hook of the host CLI: records what it saw of our events. */
const OBSERVER = `import {appendFileSync} from 'node:fs'

export default async function observe(opts) {
  const line = opts.request
    ? {event: 'staging:prepare', stackId: opts.request.stackId}
    : {event: 'staging:teardown', root: opts.workspace.root, keep: opts.keep}
  if (process.env.HOOK_LOG) appendFileSync(process.env.HOOK_LOG, JSON.stringify(line) + '\\n')
}
`

type HookRecord = {event: string; stackId?: string; root?: string; keep?: boolean}

function hostEnv(sb: Sandbox, hookLog: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...sb.env, HOOK_LOG: hookLog, CHECKPOINT_DISABLE: '1'}
  // NODE_ENV=test or development would make oclif load TypeScript sources instead of dist/.
  for (const key of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'NODE_ENV']) delete env[key]
  return env
}

function hookRecords(file: string): HookRecord[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map(l => JSON.parse(l) as HookRecord) : []
}

describe('e2e: project-planton as a plugin of another oclif CLI', function () {
  this.timeout(180_000)
  let host: string
  let upstream: Upstream
  const tfBinary = onPath('terraform') ?? onPath('tofu')

  before(async function () {
    upstream = createUpstream()
    host = makeTempDir('pp-host-')
    mkdirSync(path.join(host, 'bin'))
    mkdirSync(path.join(host, 'hooks'))
    writeFileSync(path.join(host, 'package.json'), hostPackageJson(false))
    writeFileSync(path.join(host, 'bin', 'run.js'), "#!/usr/bin/env node\nimport {execute} from '@oclif/core'\n\nawait execute({dir: import.meta.url})\n")
    writeFileSync(path.join(host, 'hooks', 'observe.js'), OBSERVER)
    const npm = await runProgram('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: host, env: process.env})
    if (npm.code !== 0) {
      console.log(`      skipped: npm could not install @oclif/plugin-plugins@${PLUGINS_VERSION} into the host (offline with an empty npm cache?):\n${npm.stderr}`)
      this.skip()
    }
  })

  after(() => removeTempDirs())

  function pphost(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
    return runProgram(process.execPath, [path.join(host, 'bin', 'run.js'), ...args], {cwd: host, env})
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
    const link = await pphost(['plugins', 'link', ROOT, '--no-install'], env)
    expect(link.code, link.stderr).to.equal(0)
    const list = await pphost(['plugins'], env)
    expect(list.stdout).to.include(`${PACKAGE.name} ${PACKAGE.version} (link) ${ROOT}`)
    // The link is recorded in the host's data folder under the sandbox HOME, and nowhere in this project.
    expect(readFileSync(path.join(sb.home, '.local', 'share', 'pp-host', 'package.json'), 'utf8')).to.include(ROOT)

    const status = await pphost(['staging', 'status', '--json'], env)
    expect(status.code, status.stderr).to.equal(0)
    expect(JSON.parse(status.stdout)).to.include({exists: false, url: upstream.url})
    const colon = await pphost(['staging:status', '--json'], env)
    expect(colon.code, colon.stderr).to.equal(0)

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

    writeFileSync(path.join(host, 'package.json'), hostPackageJson(true))
    const link = path.join(host, 'node_modules', PACKAGE.name)
    // What `npm install` does for a file: dependency on a folder: a symlink.
    if (!existsSync(link)) symlinkSync(ROOT, link, 'dir')
    const sb = sandbox(upstream)
    const hookLog = path.join(sb.home, 'hooks.jsonl')
    const env = hostEnv(sb, hookLog)
    const core = await pphost(['plugins', '--core'], env)
    expect(core.stdout).to.match(new RegExp(`${PACKAGE.name} ${PACKAGE.version.replaceAll('.', String.raw`\.`)}`))
    await planThroughHost(sb, env, hookLog)
  })
})
