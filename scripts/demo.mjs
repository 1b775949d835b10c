#!/usr/bin/env node
// The offline demo (`npm run demo`): builds a small upstream monorepo with two releases from
// examples/demo-monorepo, points a throw-away CLI home at it, and runs the built CLI through a
// first (cloning) and later (cached) apply, a version switch, a plan of another version, a kept
// workspace, status and destroy. Needs Node.js, git, and terraform or tofu on PATH; no network.
//
// Why the upstream comes from a folder of plain files and not from the generator of the tests
// (test/support/upstream.ts): it is what a newcomer reads, and may change to see what a run does
// with it; it ships in the package; and this script runs with plain node, without the TypeScript
// loader of the tests. test/support/monorepo.test.ts checks that it keeps the monorepo's shape.
//
//   node scripts/demo.mjs [--keep]     --keep leaves the temporary folder in place
import {execFileSync, spawn} from 'node:child_process'
import {
  accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync,
} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const RUN_JS = path.join(ROOT, 'bin', 'run.js')
const SOURCE = path.join(ROOT, 'examples', 'demo-monorepo')
const MANIFEST = path.join(ROOT, 'examples', 'redis.yaml')
const TF_MODULE = 'apis/org/project_planton/provider/kubernetes/kubernetesredis/v1/iac/tf'
const RELEASES = ['v0.1.0', 'v0.2.0']
const keep = process.argv.includes('--keep')

const heading = text => console.log(`\n${'='.repeat(78)}\n${text}\n${'='.repeat(78)}`)
const note = text => console.log(`  ${text}`)
const seconds = ms => `${(ms / 1000).toFixed(1)} s`

function which(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {}
  }
}

/** Builds dist/ when it is missing (a fresh clone after `npm ci`); `npm run demo` builds first anyway. */
function ensureBuilt() {
  if (existsSync(path.join(ROOT, 'dist', 'commands'))) return
  heading('Building the CLI (dist/ is missing)')
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b'], {cwd: ROOT, stdio: 'inherit'})
}

/** The environment for the demo's own git commands: no user or system config, fixed identity. */
function gitEnv(home) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v
  return {
    ...env,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Demo',
    GIT_AUTHOR_EMAIL: 'demo@project-planton.invalid',
    GIT_COMMITTER_NAME: 'Demo',
    GIT_COMMITTER_EMAIL: 'demo@project-planton.invalid',
  }
}

function copyTree(from, to) {
  mkdirSync(to, {recursive: true})
  for (const entry of readdirSync(from, {withFileTypes: true})) {
    if (entry.isDirectory()) copyTree(path.join(from, entry.name), path.join(to, entry.name))
    else copyFileSync(path.join(from, entry.name), path.join(to, entry.name))
  }
}

/** A git repository from examples/demo-monorepo with one commit and tag per release. */
function buildUpstream(dir, home) {
  copyTree(SOURCE, dir)
  const git = (...args) => execFileSync('git', ['-c', 'commit.gpgsign=false', '-c', 'tag.gpgsign=false', ...args], {cwd: dir, env: gitEnv(home), stdio: ['ignore', 'pipe', 'pipe']})
  git('init', '-q', '-b', 'main')
  for (const release of RELEASES) {
    writeFileSync(path.join(dir, 'VERSION'), `${release}\n`)
    writeFileSync(path.join(dir, TF_MODULE, 'version.tf'), `locals {\n  module_version = "${release}"\n}\n`)
    git('add', '-A')
    git('commit', '-q', '-m', `release ${release}`)
    git('tag', release)
  }
}

/** Runs the built CLI with the terminal's output shown and kept; resolves with code, output and time. */
function cli(args, env) {
  console.log(`\n$ project-planton ${args.join(' ')}`)
  const started = process.hrtime.bigint()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN_JS, ...args], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', chunk => {
      output += chunk
      process.stdout.write(chunk)
    })
    child.stderr.on('data', chunk => {
      output += chunk
      process.stderr.write(chunk)
    })
    child.on('error', reject)
    child.on('close', code => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      resolve({code: code ?? 1, output, ms})
    })
  })
}

async function step(title, explain, args, env) {
  heading(title)
  for (const line of explain) note(line)
  const result = await cli(args, env)
  note(`(exit code ${result.code}, ${seconds(result.ms)})`)
  if (result.code !== 0) throw new Error(`\`project-planton ${args.join(' ')}\` failed with exit code ${result.code}`)
  return result
}

async function main() {
  ensureBuilt()
  const tmp = realpathSync(mkdtempSync(path.join(tmpdir(), 'project-planton-demo-')))
  const upstream = path.join(tmp, 'upstream')
  const home = path.join(tmp, 'home')
  const plantonHome = path.join(home, '.project-planton')
  mkdirSync(home, {recursive: true})
  try {
    return await story({
      tmp, upstream, home, plantonHome,
    })
  } finally {
    if (keep) {
      console.log(`\nKept ${tmp} (remove it with: rm -rf ${tmp})`)
    } else {
      rmSync(tmp, {recursive: true, force: true})
      console.log(`\nRemoved the demo folder ${tmp} (pass --keep to keep it).`)
    }
  }
}

async function story({tmp, upstream, home, plantonHome}) {
  heading('Setting up: a local upstream with two releases, and an empty CLI home')
  buildUpstream(upstream, home)
  note(`upstream    file://${upstream}  (tags ${RELEASES.join(', ')}; the tf module outputs module_version)`)
  note(`CLI home    ${plantonHome}  (PROJECT_PLANTON_HOME, empty)`)
  const env = {
    ...process.env,
    PROJECT_PLANTON_HOME: plantonHome,
    PROJECT_PLANTON_REPO_URL: `file://${upstream}`,
    CHECKPOINT_DISABLE: '1',
    TF_IN_AUTOMATION: '1',
    OCLIF_SKIP_NEW_VERSION_CHECK: 'true',
  }
  delete env.TF_CLI_ARGS
  delete env.TF_DATA_DIR
  // A TF_CLI_CONFIG_FILE that names a missing file only makes terraform print a warning per command.
  if (env.TF_CLI_CONFIG_FILE && !existsSync(env.TF_CLI_CONFIG_FILE)) delete env.TF_CLI_CONFIG_FILE

  const tofu = which('tofu')
  const terraform = which('terraform')
  let manifest = MANIFEST
  if (!terraform && tofu) {
    // The example manifest asks for terraform; with only OpenTofu installed, ask for tofu instead.
    manifest = path.join(tmp, 'redis.yaml')
    writeFileSync(manifest, readFileSync(MANIFEST, 'utf8').replace('provisioner: terraform', 'provisioner: tofu'))
  }

  if (!terraform && !tofu) {
    await step('Staging without a tool: clone and inspect', ['Neither tofu nor terraform is on PATH, so only the staging part can be shown.'], ['staging', 'pull'], env)
    await step('Status', [], ['staging', 'status'], env)
    console.error('\nThe deploy part of the demo needs OpenTofu or Terraform on PATH:')
    console.error('  OpenTofu:  https://opentofu.org/docs/intro/install/')
    console.error('  Terraform: https://developer.hashicorp.com/terraform/install')
    console.error('Then run `npm run demo` again. `project-planton doctor` checks the setup.')
    return 127
  }

  const rel = path.relative(ROOT, manifest).startsWith('..') ? manifest : path.relative(ROOT, manifest)
  note(`tool        ${manifest === MANIFEST ? terraform : tofu}`)
  note(`manifest    ${rel}`)

  const first = await step('1. First apply: staging is cloned, then terraform runs', [
    'Staging is empty, so this run clones the upstream once. The first clone selects the release',
    "equal to the CLI's own version if the upstream has it, else the default branch.",
  ], ['apply', '-f', rel, '--yes'], env)
  const selected = /Staging ready at (\S+)/.exec(first.output)?.[1]
  if (selected) note(`the first clone selected ${selected}`)

  const second = await step('2. Second apply: no clone, the workspace comes from staging', [
    'Staging is already there: no network, only the module folder is exported into a fresh workspace.',
  ], ['apply', '-f', rel, '--yes'], env)

  await step('3. Select a version: staging checkout v0.1.0', [
    'The choice sticks for every later run until you change it. A tag that is already local needs no network.',
    selected === 'v0.1.0'
      ? '(The first clone already selected v0.1.0, so this says so and changes nothing.)'
      : `(It was ${selected ?? 'the default branch'}: the work tree of staging now moves to v0.1.0.)`,
  ], ['staging', 'checkout', 'v0.1.0'], env)

  const kept = await step('4. Apply the selected version and keep the workspace: apply --no-cleanup', [
    'Runs v0.1.0, the selected version. The workspace is kept and its path printed;',
    '`staging status` lists it and `staging clean` removes it.',
  ], ['apply', '-f', rel, '--yes', '--no-cleanup'], env)
  const keptPath = /Kept workspace: (.+)/.exec(kept.output)?.[1]?.trim()
  if (keptPath) note(`kept workspace: ${keptPath}`)

  const plan = await step('5. Try another version for one run: plan --module-version v0.2.0', [
    'Plans v0.2.0 for this run only; staging stays at v0.1.0. Look for module_version "v0.1.0" -> "v0.2.0".',
  ], ['plan', '-f', rel, '--module-version', 'v0.2.0'], env)

  await step('6. staging status', ['Where staging is, which version it holds, and what runs left behind.'], ['staging', 'status'], env)

  await step('7. Destroy', ['The local state lives under the CLI home, outside the workspaces, so destroy finds it.'], ['destroy', '-f', rel, '--yes'], env)

  const markers = RELEASES.filter(r => new RegExp(`module_version\\s*=.*"${r.replaceAll('.', '\\.')}"`).test(first.output + second.output + plan.output + kept.output))
  heading('Summary')
  note(`module versions seen in the outputs: ${markers.join(', ') || 'none'}`)
  if (keptPath) note(`workspace kept by --no-cleanup: ${keptPath}`)
  note(`Timings: first apply (clones staging) ${seconds(first.ms)}; second apply (from staging) ${seconds(second.ms)}; apply --no-cleanup ${seconds(kept.ms)}`)
  note('Against the real monorepo (~7,400 files, ~50 MiB pack) the clone dominates the first run; later runs stay fast and work offline.')
  return 0
}

try {
  process.exitCode = await main()
} catch (error) {
  console.error(`\ndemo failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
