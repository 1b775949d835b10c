import {expect} from 'chai'
import {
  chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {
  runCli, type Sandbox, sandbox, startCli,
} from '../support/cli.js'
import {
  createUpstream, FEATURE_BRANCH, makeTempDir, markerFiles, removeTempDirs, type Upstream,
} from '../support/upstream.js'

type Status = {exists: boolean; ref?: string; kind?: string; tag?: string; sha?: string; headSha?: string; headMatches: boolean; clean?: boolean; url: string; fetchedAt?: string}

async function cli(sb: Sandbox, ...args: string[]) {
  return runCli(args, {env: sb.env})
}

async function ok(sb: Sandbox, ...args: string[]) {
  const r = await cli(sb, ...args)
  expect(r.code, `${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`).to.equal(0)
  return r
}

async function status(sb: Sandbox): Promise<Status> {
  return JSON.parse((await ok(sb, 'staging:status', '--json')).stdout) as Status
}

function workTreeVersion(sb: Sandbox): string {
  return readFileSync(path.join(sb.clone, 'VERSION'), 'utf8').trim()
}

describe('staging commands', () => {
  let up: Upstream

  beforeEach(() => {
    up = createUpstream()
  })

  after(removeTempDirs)

  it('first pull clones, selects the default branch, and status reports the SHA', async () => {
    const sb = sandbox(up)
    expect((await status(sb)).exists).to.equal(false)
    const r = await ok(sb, 'staging:pull')
    expect(r.stderr).to.match(/Cloned staging at main \([\da-f]{12}\)/)
    const s = await status(sb)
    expect(s).to.include({
      exists: true, ref: 'main', kind: 'branch', sha: up.sha('main'), headSha: up.sha('main'), headMatches: true, clean: true, url: up.url,
    })
    expect(readFileSync(path.join(sb.plantonHome, 'staging', '.version'), 'utf8').trim()).to.equal('main')
    expect(workTreeVersion(sb)).to.equal('main-3')
    // No local branch is kept: branches are read from origin/* and cannot go stale.
    expect(up.git('-C', sb.clone, 'for-each-ref', 'refs/heads')).to.equal('')
  })

  it('with --json, success and failure are each one JSON document on stdout, with the exit code', async () => {
    const sb = sandbox(up)
    const pulled = await ok(sb, 'staging', 'pull', '--json')
    expect(JSON.parse(pulled.stdout)).to.include({action: 'cloned'})
    expect(pulled.stderr, 'no progress with --json').to.not.contain('[STARTED]')
    const bad = await cli(sb, 'staging', 'checkout', 'no-such-version', '--json')
    expect(bad.code).to.equal(2)
    const error = JSON.parse(bad.stdout) as {error: {name: string; message: string; exitCode: number}}
    expect(error.error).to.include({name: 'InvalidInputError', exitCode: 2})
    expect(error.error.message).to.contain('no-such-version')
  })

  it('the space form and the alias run the same command', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging', 'pull')
    const r = await ok(sb, 'pull', '--json')
    expect(JSON.parse(r.stdout)).to.include({action: 'up-to-date', ref: 'main'})
    const legacy = await ok(sb, 'modules-version', '--json')
    expect(JSON.parse(legacy.stdout).sha).to.equal(up.sha('main'))
  })

  it('checks out a tag, a branch, a short SHA and latest (ignoring component tags)', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'v0.1.0')
    expect(await status(sb)).to.include({ref: 'v0.1.0', kind: 'tag', sha: up.sha('v0.1.0')})
    expect(workTreeVersion(sb)).to.equal('v0.1.0')

    await ok(sb, 'checkout', FEATURE_BRANCH)
    expect(await status(sb)).to.include({ref: FEATURE_BRANCH, kind: 'branch', sha: up.sha(FEATURE_BRANCH)})
    expect(workTreeVersion(sb)).to.equal('feature-x')

    const short = up.sha('v0.1.0').slice(0, 7)
    await ok(sb, 'staging:checkout', short)
    expect(await status(sb)).to.include({ref: short, kind: 'commit', sha: up.sha('v0.1.0')})

    const r = await ok(sb, 'staging:checkout', 'latest', '--json')
    expect(JSON.parse(r.stdout)).to.include({ref: 'latest', tag: 'v0.2.0', sha: up.sha('v0.2.0')})
    expect(workTreeVersion(sb)).to.equal('v0.2.0')
  })

  it('a tag wins over a branch of the same name; origin/<name> selects the branch', async () => {
    up.branch('v0.1.0', FEATURE_BRANCH)
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'v0.1.0')
    expect((await status(sb)).sha).to.equal(up.sha('refs/tags/v0.1.0'))
    await ok(sb, 'staging:checkout', 'origin/v0.1.0')
    expect(await status(sb)).to.include({kind: 'branch', sha: up.sha(FEATURE_BRANCH)})
  })

  it('the selected version sticks across pulls and runs', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'v0.1.0')
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:status')
    // A run reads staging; it must not move it either.
    const manifest = path.join(sb.home, 'redis.yaml')
    writeFileSync(manifest, 'apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\nmetadata: {name: r}\n')
    await cli(sb, 'tofu:init', '-f', manifest)
    expect(await status(sb)).to.include({ref: 'v0.1.0', sha: up.sha('v0.1.0'), headMatches: true})
    expect(workTreeVersion(sb)).to.equal('v0.1.0')
  })

  it('pull moves a branch forward, keeps a pinned tag and says a newer release exists', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const next = up.commit(markerFiles('main-4'), 'main moves on')
    const moved = await ok(sb, 'staging:pull', '--json')
    expect(JSON.parse(moved.stdout)).to.include({action: 'updated', sha: next, previousSha: up.sha('HEAD~1')})
    expect(workTreeVersion(sb)).to.equal('main-4')

    await ok(sb, 'staging:checkout', 'v0.1.0')
    up.tag('v0.3.0')
    const pinned = await ok(sb, 'staging:pull')
    expect(pinned.stderr).to.contain('Staging up to date at v0.1.0')
    expect(pinned.stdout).to.contain('A newer release exists: v0.3.0')
    expect(await status(sb)).to.include({ref: 'v0.1.0', sha: up.sha('v0.1.0')})
  })

  it('pull follows a tag that was moved upstream', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'v0.2.0')
    const fixed = up.commit(markerFiles('v0.2.0-fixed'), 'fix the release')
    up.tag('v0.2.0', fixed)
    await ok(sb, 'staging:pull')
    expect(await status(sb)).to.include({ref: 'v0.2.0', sha: fixed})
    expect(workTreeVersion(sb)).to.equal('v0.2.0-fixed')
  })

  it('checking out the selected version again, or any local version, needs no network', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'v0.2.0')
    const {fetchedAt} = await status(sb)
    renameSync(up.dir, `${up.dir}-gone`)
    try {
      const again = await ok(sb, 'staging:checkout', 'v0.2.0', '--json')
      expect(JSON.parse(again.stdout).action).to.equal('already-selected')
      await ok(sb, 'staging:checkout', 'v0.1.0')
      expect(await status(sb)).to.include({ref: 'v0.1.0', fetchedAt})
      const missing = await cli(sb, 'staging:checkout', 'v9.9.9')
      expect(missing.code).to.not.equal(0)
      expect(missing.stderr).to.match(/v9\.9\.9 is not in staging and the upstream is unreachable \(offline\?\)/)
      expect(await status(sb)).to.include({ref: 'v0.1.0', headMatches: true})
    } finally {
      renameSync(`${up.dir}-gone`, up.dir)
    }
  })

  it('a version that exists nowhere is a clear error that changes nothing', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const r = await cli(sb, 'staging:checkout', 'v7.7.7')
    expect(r.code).to.equal(2)
    expect(r.stderr).to.contain('no tag, branch or commit named "v7.7.7" exists upstream')
    expect(await status(sb)).to.include({ref: 'main', headMatches: true})
  })

  it('never overwrites local changes in staging; --force discards them', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    writeFileSync(path.join(sb.clone, 'VERSION'), 'my local edit\n')
    const r = await cli(sb, 'staging:checkout', 'v0.1.0')
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.contain('staging has local changes in 1 file(s) (VERSION)')
    expect(r.stderr).to.contain('--force')
    expect(readFileSync(path.join(sb.clone, 'VERSION'), 'utf8')).to.equal('my local edit\n')
    expect((await status(sb)).ref).to.equal('main')

    up.commit(markerFiles('main-4'), 'main moves on')
    const pull = await cli(sb, 'staging:pull')
    expect(pull.code).to.not.equal(0)
    expect(readFileSync(path.join(sb.clone, 'VERSION'), 'utf8')).to.equal('my local edit\n')

    await ok(sb, 'staging:checkout', 'v0.1.0', '--force')
    expect(workTreeVersion(sb)).to.equal('v0.1.0')
  })

  it('a network failure on pull is a clear error and leaves staging as it was', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const before = await status(sb)
    renameSync(up.dir, `${up.dir}-gone`)
    try {
      const r = await cli(sb, 'staging:pull')
      expect(r.code).to.not.equal(0)
      expect(r.stderr).to.match(/unreachable/)
      expect(await status(sb)).to.deep.include({
        sha: before.sha, ref: before.ref, fetchedAt: before.fetchedAt, headMatches: true,
      })
    } finally {
      renameSync(`${up.dir}-gone`, up.dir)
    }
  })

  it('a leftover temporary clone and a clone without HEAD never count as staging', async () => {
    const sb = sandbox(up)
    const stagingRoot = path.join(sb.plantonHome, 'staging')
    mkdirSync(path.join(stagingRoot, '.tmp-clone-999-dead', '.git'), {recursive: true})
    mkdirSync(path.join(sb.clone, '.git'), {recursive: true})
    writeFileSync(path.join(sb.clone, '.git', 'config'), '[core]\n')
    const r = await ok(sb, 'staging:pull')
    expect(r.stderr).to.contain('not a usable clone')
    expect(existsSync(path.join(stagingRoot, '.tmp-clone-999-dead'))).to.equal(false)
    expect(await status(sb)).to.include({
      ref: 'main', sha: up.sha('main'), headMatches: true, clean: true,
    })
  })

  it('two cold pulls at once both succeed with one clone', async () => {
    const sb = sandbox(up)
    const [a, b] = await Promise.all([cli(sb, 'staging:pull', '--json'), cli(sb, 'staging:pull', '--json')])
    expect(a.code, a.stderr).to.equal(0)
    expect(b.code, b.stderr).to.equal(0)
    const actions = [JSON.parse(a.stdout).action, JSON.parse(b.stdout).action].sort()
    expect(actions).to.deep.equal(['cloned', 'up-to-date'])
    expect(await status(sb)).to.include({sha: up.sha('main'), headMatches: true, clean: true})
  })

  it('tells who holds the staging lock while waiting for it', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    // Hold the lock from a process of ours with the CLI's own lock module.
    const holderScript = path.join(sb.home, 'hold.mjs')
    writeFileSync(
      holderScript,
      `import {withStagingLock} from ${JSON.stringify(path.resolve('dist/core/lock.js'))}
import {homePaths} from ${JSON.stringify(path.resolve('dist/core/home.js'))}
await withStagingLock(homePaths(process.env.PROJECT_PLANTON_HOME), {command: 'holder-for-test'}, async () => {
  console.log('holding')
  // Hold the lock until the test closes our stdin.
  process.stdin.resume()
  await new Promise((r) => process.stdin.on('end', r))
})
`,
    )
    const {spawn} = await import('node:child_process')
    const h = spawn(process.execPath, [holderScript], {env: sb.env, stdio: ['pipe', 'pipe', 'inherit']})
    await new Promise<void>(resolve => {
      h.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve())
    })
    const waiting = startCli(['staging:checkout', 'v0.1.0'], {env: sb.env})
    await waiting.waitFor(new RegExp(`Waiting for the staging lock held by pid ${h.pid} \\(\`holder-for-test\`\\)`))
    // Still waiting: nothing changed while the lock was held.
    expect((await status(sb)).ref).to.equal('main')
    h.stdin!.end()
    const r = await waiting.done
    expect(r.code, r.stderr).to.equal(0)
    expect((await status(sb)).ref).to.equal('v0.1.0')
  })

  it('rejects malicious versions before git sees them', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const marker = path.join(makeTempDir('pp-marker-'), 'pwned')
    const versions = [
      `--upload-pack=touch ${marker}`,
      `-u${marker}`,
      '-cprotocol.ext.allow=always',
      `ext::sh -c touch% ${marker}`,
      '..',
      'x.lock',
      'a\u0007b',
      'v0.1.0@{0}',
    ]
    for (const v of versions) {
      const r = await cli(sb, 'staging:checkout', '--', v)
      expect(r.code, v).to.equal(2)
      expect(r.stderr, v).to.contain('invalid version')
    }

    expect(existsSync(marker)).to.equal(false)
    expect(await status(sb)).to.include({ref: 'main', headMatches: true})
  })

  it('never runs hooks planted in staging', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const marker = path.join(sb.home, 'hook-ran')
    for (const hook of ['post-checkout', 'reference-transaction', 'pre-auto-gc']) {
      const file = path.join(sb.clone, '.git', 'hooks', hook)
      writeFileSync(file, `#!/bin/sh\ntouch ${marker}\n`)
      chmodSync(file, 0o755)
    }

    up.commit(markerFiles('main-4'), 'more')
    await ok(sb, 'staging:checkout', 'v0.1.0')
    await ok(sb, 'staging:checkout', 'main')
    await ok(sb, 'staging:pull')
    expect(existsSync(marker)).to.equal(false)
  })

  it('notices when the upstream URL changed and says how to re-clone', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const other = createUpstream()
    const r = await runCli(['staging:pull'], {env: {...sb.env, PROJECT_PLANTON_REPO_URL: other.url}})
    expect(r.code).to.not.equal(0)
    expect(r.stderr).to.contain(`staging was cloned from ${up.url}, but the upstream is now ${other.url}`)
    expect(r.stderr).to.contain('staging clean --all --yes')
  })

  it("passes the user's SSH command to git, and git never prompts", async () => {
    const sb = sandbox('ssh://git@example.invalid/plantonhq/project-planton.git')
    const marker = path.join(sb.home, 'ssh-called')
    const fakeSsh = path.join(sb.home, 'fake-ssh')
    writeFileSync(fakeSsh, `#!/bin/sh\necho "$@" > ${marker}\nexit 255\n`)
    chmodSync(fakeSsh, 0o755)
    const r = await runCli(['staging:pull'], {env: {...sb.env, GIT_SSH_COMMAND: fakeSsh}})
    expect(r.code).to.not.equal(0)
    expect(readFileSync(marker, 'utf8')).to.contain('example.invalid')
    expect(r.stderr).to.match(/could not clone/)
    expect(existsSync(sb.clone)).to.equal(false)
  })

  it('a git bundle works as the upstream (air-gapped seeding)', async () => {
    const bundle = path.join(makeTempDir('pp-bundle-'), 'project-planton.bundle')
    up.git('bundle', 'create', bundle, '--all')
    const sb = sandbox(bundle)
    await ok(sb, 'staging:pull')
    await ok(sb, 'staging:checkout', 'latest')
    expect(await status(sb)).to.include({tag: 'v0.2.0', sha: up.sha('v0.2.0')})
  })

  it('clean removes leftover workspaces and, with --all --yes, staging; without a terminal --all needs --yes', async () => {
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    const leftover = path.join(sb.plantonHome, 'workspaces', 'old-run')
    mkdirSync(leftover, {recursive: true})
    writeFileSync(path.join(leftover, 'run.json'), JSON.stringify({
      pid: 999_999_999, command: 'x', stack: 'x', startedAt: '2026-01-01T00:00:00Z',
    }))
    const refused = await cli(sb, 'staging:clean', '--all')
    expect(refused.code).to.not.equal(0)
    expect(refused.stderr).to.contain('--yes')
    expect(existsSync(sb.clone)).to.equal(true)
    expect(existsSync(leftover)).to.equal(true)

    // A snapshot as the CLI makes them (a key and an index), and a folder it did not make.
    const snapshotDir = path.join(sb.plantonHome, 'cache', 'snapshots', '0123456789abcdef0123456789abcdef')
    mkdirSync(path.join(snapshotDir, 'tree'), {recursive: true})
    writeFileSync(path.join(snapshotDir, 'tree', 'main.tf'), 'x'.repeat(100))
    writeFileSync(path.join(snapshotDir, 'index.json'), JSON.stringify({
      modulePath: 'm', layout: 'module', dirs: [], files: ['main.tf'], links: [], bytes: 100,
    }))
    const notOurs = path.join(sb.plantonHome, 'cache', 'snapshots', 'notes')
    mkdirSync(notOurs)
    const cleaned = await ok(sb, 'staging:clean', '--json')
    expect(JSON.parse(cleaned.stdout)).to.deep.include({removed: [leftover], cacheBytesFreed: 100})
    expect(existsSync(snapshotDir)).to.equal(false)
    expect(existsSync(notOurs)).to.equal(true)
    const all = await ok(sb, 'staging:clean', '--all', '--yes')
    expect(all.stdout).to.contain('Removed staging')
    expect(existsSync(sb.clone)).to.equal(false)
    expect((await status(sb)).exists).to.equal(false)
  })

  it('on first clone selects the tag equal to the CLI version when upstream has it', async () => {
    const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string
    up.tag(`v${version}`, 'v0.1.0')
    const sb = sandbox(up)
    await ok(sb, 'staging:pull')
    expect(await status(sb)).to.include({ref: `v${version}`, kind: 'tag', sha: up.sha('v0.1.0')})
  })

  it('clone progress names git\'s phases, and no figure goes back within a phase', async () => {
    // Enough objects for git to report its phases (it stays silent on tiny repositories).
    up.commit(Object.fromEntries(Array.from({length: 4000}, (_, i) => [`bulk/${i % 40}/f${i}.txt`, `${i} ${'x'.repeat(i % 97)}\n`])), 'bulk')
    const sb = sandbox(up)
    const r = await ok(sb, 'staging:pull')
    const prefix = `[OUTPUT] Cloning ${up.url}: `
    const lines = r.stderr.split('\n').filter(l => l.startsWith(prefix)).map(l => l.slice(prefix.length))
    expect(lines, r.stderr).to.include('upstream preparing objects')
    expect(lines.filter(l => l === 'upstream preparing objects'), 'the upstream\'s phases are one line').to.have.length(1)
    const figures = new Map<string, number[]>()
    for (const line of lines) {
      const m = /^(.+) (\d+)%$/.exec(line)
      if (!m) continue
      figures.set(m[1], [...figures.get(m[1]) ?? [], Number(m[2])])
    }

    expect([...figures.keys()], r.stderr).to.include.members(['receiving objects', 'resolving deltas'])
    for (const [phase, values] of figures) {
      expect(values, phase).to.deep.equal([...values].sort((a, b) => a - b))
      expect(new Set(values).size, phase).to.equal(values.length)
    }
  })
})
