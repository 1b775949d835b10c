// The npm package: `npm pack` (prepack builds and writes oclif.manifest.json, postpack removes it),
// then the tarball installed into an empty folder and run with npx, as a user would.
//
// The pack runs in a copy of the project's sources (node_modules linked): prepack rebuilds dist/ from
// scratch, and doing that in the working copy would pull dist/ away from anything else running it.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  ROOT, runProgram, type Sandbox, sandbox,
} from '../support/cli.js'
import {createHost, hostEnv} from '../support/host.js'
import {createUpstream, makeTempDir, removeTempDirs} from '../support/upstream.js'

type PackJson = Array<{filename: string; files: Array<{path: string}>; version: string; name: string}>

const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {files: string[]; name: string; version: string}

function copyTree(from: string, to: string): void {
  mkdirSync(to, {recursive: true})
  for (const entry of readdirSync(from, {withFileTypes: true})) {
    if (entry.isDirectory()) copyTree(path.join(from, entry.name), path.join(to, entry.name))
    else copyFileSync(path.join(from, entry.name), path.join(to, entry.name))
  }
}

/** The project as a fresh clone has it (sources, no dist/), with this checkout's node_modules. */
function projectCopy(): string {
  const dir = makeTempDir('pp-pack-src-')
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'README.md', 'LICENSE']) {
    if (existsSync(path.join(ROOT, file))) copyFileSync(path.join(ROOT, file), path.join(dir, file))
  }

  for (const folder of ['bin', 'src', 'examples']) copyTree(path.join(ROOT, folder), path.join(dir, folder))
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir')
  return dir
}

function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, OCLIF_SKIP_NEW_VERSION_CHECK: 'true', NPM_CONFIG_UPDATE_NOTIFIER: 'false'}
  delete env.NODE_ENV
  return env
}

describe('e2e: npm pack, install the tarball, run it', function () {
  this.timeout(180_000)
  let source: string
  let tarball: string
  let packed: PackJson[number]

  before(async () => {
    source = projectCopy()
    const pack = await runProgram('npm', ['pack', '--json', '--prefer-offline', '--loglevel=error'], {cwd: source, env: npmEnv()})
    expect(pack.code, pack.stderr).to.equal(0)
    // Lifecycle scripts print to stdout too; the JSON document is the last thing npm writes.
    packed = (JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[\n') + 1)) as PackJson)[0]
    tarball = path.join(source, packed.filename)
  })

  after(() => removeTempDirs())

  it('packs bin, dist, the generated oclif.manifest.json and the examples, and nothing else of the sources', () => {
    expect(PACKAGE.files).to.include.members(['/bin/run.js', '/dist', '/oclif.manifest.json'])
    const files = packed.files.map(f => f.path)
    expect(files).to.include.members([
      'package.json',
      'bin/run.js',
      'bin/standalone.js',
      'dist/hooks/standalone/not-found.js',
      'oclif.manifest.json',
      'dist/commands/doctor.js',
      'dist/commands/staging/status.js',
      'dist/commands/tofu/plan.js',
      'dist/hooks/staging-prepare.js',
      'dist/hooks/staging-teardown.js',
      'dist/core/staging.js',
      'examples/redis.yaml',
    ])
    expect(files.filter(f => /^(src|test|node_modules|coverage)\//.test(f) || f.endsWith('.tsbuildinfo') || f === 'bin/dev.js'), 'no sources, tests, build info or dev entry').to.deep.equal([])
    expect(existsSync(tarball)).to.equal(true)
  })

  it('postpack removes oclif.manifest.json; the one in the tarball lists every command', () => {
    expect(existsSync(path.join(source, 'oclif.manifest.json')), 'left in the packed folder').to.equal(false)
    expect(existsSync(path.join(ROOT, 'oclif.manifest.json')), 'in the working copy').to.equal(false)
    const manifest = JSON.parse(execFileSync('tar', ['-xzf', tarball, '-O', 'package/oclif.manifest.json'], {encoding: 'utf8'})) as {commands: Record<string, unknown>; version: string}
    expect(manifest.version).to.equal(PACKAGE.version)
    expect(Object.keys(manifest.commands)).to.include.members(['doctor', 'staging:pull', 'staging:checkout', 'staging:status', 'staging:clean', 'apply', 'tofu:plan', 'pulumi:update'])
  })

  it('installs into an empty folder and runs with npx: --version, staging status --json, staging pull', async function () {
    const consumer = makeTempDir('pp-consumer-')
    writeFileSync(path.join(consumer, 'package.json'), '{"name": "consumer", "version": "1.0.0", "private": true}\n')
    const install = await runProgram('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: consumer, env: npmEnv()})
    if (install.code !== 0 && /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN/.test(install.stderr)) {
      console.log(`      skipped: the registry is unreachable and the npm cache lacks a dependency:\n${install.stderr}`)
      this.skip()
    }

    expect(install.code, install.stderr).to.equal(0)
    expect(existsSync(path.join(consumer, 'node_modules', PACKAGE.name, 'dist', 'commands', 'doctor.js'))).to.equal(true)

    const upstream = createUpstream()
    const sb: Sandbox = sandbox(upstream)
    const env = {...sb.env}
    delete env.NODE_ENV
    // `--` keeps npx from reading the CLI's own flags (--version) as its own.
    const npx = (args: string[]) => runProgram('npx', ['--no', '--', PACKAGE.name, ...args], {cwd: consumer, env})

    const version = await npx(['--version'])
    expect(version.code, version.stderr).to.equal(0)
    expect(version.stdout).to.include(`${PACKAGE.name}/${PACKAGE.version}`)

    const status = await npx(['staging', 'status', '--json'])
    expect(status.code, status.stderr).to.equal(0)
    expect(JSON.parse(status.stdout)).to.include({exists: false, url: upstream.url, path: sb.clone})

    const pull = await npx(['staging', 'pull', '--json'])
    expect(pull.code, pull.stderr).to.equal(0)
    expect(JSON.parse(pull.stdout)).to.include({action: 'cloned'})
    expect(existsSync(path.join(sb.clone, '.git'))).to.equal(true)

    // Shell completion as installed answers from the oclif manifests, without loading oclif.
    const bin = path.join(consumer, 'node_modules', '.bin', PACKAGE.name)
    const complete = await runProgram(bin, ['__complete', 'staging', 'checkout', 'v0.'], {cwd: consumer, env: {...env, DEBUG: 'project-planton'}})
    expect(complete.code, complete.stderr).to.equal(0)
    expect(complete.stderr).to.include('completion: commands from the oclif manifests')
    expect(complete.stdout).to.match(/^nosort\nv0.2.0\nv0.1.0\nv0.2.0-terraform/)
    const commands = await runProgram(bin, ['__complete', ''], {cwd: consumer, env})
    expect(commands.stdout.split('\n').map(l => l.split('\t')[0])).to.include.members(['staging', 'tofu', 'apply', 'autocomplete', 'version', 'help'])
  })

  it('installs silently into a host CLI with `plugins install`, and its commands run there', async function () {
    const host = await createHost()
    if (!host) this.skip()
    const upstream = createUpstream()
    const sb = sandbox(upstream)
    const env = hostEnv(sb, path.join(sb.home, 'hooks.jsonl'))
    const install = await host.run(['plugins', 'install', `file:${tarball}`], env)
    expect(install.code, install.stderr).to.equal(0)
    // plugin-plugins checks every `files` entry of package.json as a path: a "!" entry warned
    // "the prepare script did not produce all the expected files".
    expect(install.stderr).to.not.match(/warn/i)
    const status = await host.run(['staging', 'status', '--json'], env)
    expect(status.code, status.stderr).to.equal(0)
    expect(JSON.parse(status.stdout)).to.include({exists: false, url: upstream.url})
  })
})
