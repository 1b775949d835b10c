// Bad input: versions, stacks, labels, --set, manifests and module folders that must be refused,
// malicious repository content, and a hostile git setup (hooks, fsmonitor, GIT_* variables).
// Every refusal: non-zero exit, a message that names the problem (no stack trace), no marker file,
// no workspace left, and the home, a user's folder and staging byte-identical afterwards.
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {
  mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox, sentinelDir} from '../support/cli.js'
import {installPulumiStandIn, readRecords} from '../support/pulumi-stand-in.js'
import {
  createUpstream, exportTree, makeTempDir, manifestYaml, PULUMI_MODULE_REDIS, removeTempDirs, TF_MODULE_REDIS,
  type Upstream,
} from '../support/upstream.js'
import {
  cli, copyHome, listDir, snapshot, snapshotDiff, status, workTreeDiff,
} from './helpers.js'
import {badInput, fault, tally} from './tally.js'

const STACK_LABEL = 'pulumi.project-planton.org/stack.fqdn'

// Versions: option injection, transports, ref syntax, paths. <marker> and <script> are filled in
// with a marker file that must never appear and a script that would create one.
const VERSIONS = [
  '--upload-pack=touch <marker>',
  '-u<script>',
  '-cprotocol.ext.allow=always',
  'ext::sh -c touch% <marker>',
  '..',
  'v0.1.0..v0.2.0',
  '@{-1}',
  'main@{upstream}',
  'v0.1.0\n',
  'v0.1.0\u0007',
  'v0.2.0\u001B[2J',
  'a\tb',
  'x.lock',
  'feature/x.lock',
  '../../..',
  '/etc/passwd',
  '/',
]

/** The CLI's own folder inside a home (what a snapshot of the user's home leaves out). */
function isCliHome(rel: string): boolean {
  return rel === '.project-planton'
}

function writeManifest(name: string, text: string): string {
  const file = path.join(makeTempDir('pp-manifest-'), name)
  writeFileSync(file, text)
  return file
}

describe('faults: bad input and hostile content', () => {
  let u: Upstream
  let sb: Sandbox
  let user: string
  let markers: string
  let markerScript: string
  let binDir: string
  let pathWithStandIn: string
  let recordFile: string
  let m: Record<'labels' | 'nolabels' | 'tofu', string>
  let watched: () => Map<string, string>
  let baseline: Map<string, string>

  /** A commit on a new branch `name` (off main) adding `links` (repo path → target) as symlinks. */
  function evilBranch(name: string, links: Record<string, string>): void {
    u.git('checkout', '-q', '-b', name, 'main')
    for (const [rel, target] of Object.entries(links)) symlinkSync(target, path.join(u.dir, rel))
    u.commit({}, `evil: ${name}`)
    u.checkoutBranch('main')
  }

  before(async function () {
    this.timeout(120_000)
    u = createUpstream()
    evilBranch('evil-passwd', {[`${TF_MODULE_REDIS}/passwd`]: '/etc/passwd', [`${PULUMI_MODULE_REDIS}/passwd`]: '/etc/passwd'})
    evilBranch('evil-up', {[`${TF_MODULE_REDIS}/up`]: '../../..'})
    evilBranch('evil-tree', {[`${PULUMI_MODULE_REDIS}/escape`]: `${'../'.repeat(12)}etc`})
    sb = sandbox(u)
    await cli(sb, ['staging', 'pull'], {expect: 0})
    await cli(sb, ['staging', 'checkout', 'v0.1.0'], {expect: 0})

    // A user's folder: manifests, a tofu module, a pulumi module and a plain folder.
    user = makeTempDir('pp-user-')
    exportTree(u, 'v0.1.0', TF_MODULE_REDIS, path.join(user, 'tf'))
    exportTree(u, 'v0.1.0', PULUMI_MODULE_REDIS, path.join(user, 'pulumi'))
    mkdirSync(path.join(user, 'plain'))
    writeFileSync(path.join(user, 'plain', 'notes.txt'), 'not a module\n')
    m = {
      labels: path.join(user, 'labels.yaml'),
      nolabels: path.join(user, 'nolabels.yaml'),
      tofu: path.join(user, 'tofu.yaml'),
    }
    writeFileSync(m.tofu, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}}))
    writeFileSync(m.nolabels, manifestYaml())
    writeFileSync(m.labels, manifestYaml({labels: {[STACK_LABEL]: 'acme/kubernetes-redis/dev'}}))
    const sentinel = sentinelDir(sb.home)
    writeFileSync(path.join(sentinel, 'keep.txt'), 'the user\'s own file\n')

    markers = makeTempDir('pp-markers-')
    const tools = makeTempDir('pp-tools-')
    markerScript = path.join(tools, 'mark')
    writeFileSync(markerScript, `#!/bin/sh\ntouch '${markers}'/"pwned-$(basename "$0")-$$"\nexit 0\n`, {mode: 0o755})
    binDir = makeTempDir('pp-bin-')
    recordFile = installPulumiStandIn(binDir).recordFile
    pathWithStandIn = `${binDir}${path.delimiter}${sb.env.PATH}`

    const state = path.join(sb.plantonHome, 'staging', 'state.json')
    watched = () => new Map([
      ...[...snapshot(sb.home, rel => rel === '.project-planton')].map(([k, v]) => [`home/${k}`, v] as const),
      ...[...snapshot(user)].map(([k, v]) => [`user/${k}`, v] as const),
      ...[...snapshot(sb.clone, rel => rel === '.git')].map(([k, v]) => [`staging/${k}`, v] as const),
      ['staging state', readFileSync(state, 'utf8')],
    ])
    baseline = watched()
  })

  after(() => removeTempDirs())

  /** Commands that switch, fetch, read and inspect staging. */
  const switching = () => [['staging', 'checkout', 'v0.2.0'], ['staging', 'pull'], ['tofu:plan', '-f', m.tofu], ['staging', 'status']]

  /** Runs `args`, expects a refusal whose message matches `message`, and that nothing was touched. */
  async function refused(args: string[], message: RegExp, opts: {env?: NodeJS.ProcessEnv; code?: number} = {}): Promise<void> {
    await badInput(async () => {
      const r = await cli(sb, args, {env: {PATH: pathWithStandIn, PULUMI_STAND_IN_RECORD: recordFile, ...opts.env}})
      const changed = snapshotDiff(baseline, watched())
      tally.userFilesChanged += changed.filter(c => / (home|user)\//.test(c)).length
      expect(r.code, `exit code of ${JSON.stringify(args)}:\n${r.stderr}`).to.equal(opts.code ?? 2)
      expect(r.stderr, 'message').to.match(message)
      expect(r.stderr, 'no stack trace').to.not.match(/^\s+at .+[(:]\d+/m)
      expect(changed, 'home, user folder and staging unchanged').to.deep.equal([])
      expect(listDir(markers), 'marker files').to.deep.equal([])
      expect(listDir(path.join(sb.plantonHome, 'workspaces')), 'workspaces left').to.deep.equal([])
      expect(readRecords(recordFile), 'the tool never ran').to.deep.equal([])
    })
  }

  describe('staging checkout <version>', () => {
    for (const v of VERSIONS) {
      it(`refuses ${JSON.stringify(v)}`, async () => {
        const value = v.replace('<marker>', path.join(markers, 'pwned')).replace('<script>', markerScript)
        await refused(['staging', 'checkout', '--', value], /invalid version/)
      })
    }

    it('refuses an option typed without "--" (--upload-pack=…)', async () => {
      await refused(['staging', 'checkout', `--upload-pack=touch ${path.join(markers, 'pwned')}`], /Nonexistent flag/)
    })

    it('refuses an option typed without "--" (-u<script>)', async () => {
      await refused(['staging', 'checkout', `-u${markerScript}`], /Nonexistent flag|invalid version/)
    })
  })

  describe('--module-version <version>', () => {
    for (const v of VERSIONS) {
      it(`refuses ${JSON.stringify(v)}`, async () => {
        const value = v.replace('<marker>', path.join(markers, 'pwned')).replace('<script>', markerScript)
        await refused(['tofu:plan', '-f', m.tofu, `--module-version=${value}`], /invalid module version/)
      })
    }
  })

  describe('--stack and the stack labels', () => {
    const stacks = ['../../..', '/etc', '/', 'acme/../../x', 'acme/proj/..', 'a/b/c/d', '.hidden', 'acme/proj/dev\n', 'acme proj', '--upload-pack=touch /tmp/x', 'C:\\x']
    for (const s of stacks) {
      it(`--stack ${JSON.stringify(s)} is refused`, async () => {
        await refused(['pulumi:preview', '-f', m.nolabels, `--stack=${s}`], /invalid --stack/)
      })
    }

    for (const s of ['../../..', '/etc/passwd', '/', 'acme/proj/../../..']) {
      it(`label ${STACK_LABEL}: ${JSON.stringify(s)} is refused`, async () => {
        const file = path.join(makeTempDir('pp-manifest-'), 'stack.yaml')
        writeFileSync(file, manifestYaml({labels: {[STACK_LABEL]: s}}))
        await refused(['pulumi:preview', '-f', file], /invalid stack label/)
      })
    }

    it('labels organization/project/stack.name that make a path are refused', async () => {
      const file = path.join(makeTempDir('pp-manifest-'), 'stack.yaml')
      writeFileSync(file, manifestYaml({
        labels: {
          'pulumi.project-planton.org/organization': '..',
          'pulumi.project-planton.org/project': '..',
          'pulumi.project-planton.org/stack.name': '..',
        },
      }))
      await refused(['pulumi:preview', '-f', file], /invalid stack from the pulumi/)
    })

    it('a tofu manifest named ../../.. is refused', async () => {
      const file = path.join(makeTempDir('pp-manifest-'), 'up.yaml')
      writeFileSync(file, manifestYaml({labels: {'project-planton.org/provisioner': 'terraform'}, name: '../../..'}))
      await refused(['tofu:plan', '-f', file], /invalid manifest kind\/name/)
    })

    for (const name of ['../../..', '/', '/etc/passwd']) {
      it(`--set metadata.name=${name} is refused for tofu`, async () => {
        await refused(['tofu:plan', '-f', m.tofu, '--set', `metadata.name=${name}`], /invalid manifest kind\/name/)
      })
    }
  })

  describe('--set', () => {
    const sets: Array<[string, RegExp]> = [
      ['=x', /--set "=x": empty path segment/],
      ['noequals', /--set "noequals": "noequals" is not path=value/],
      ['__proto__.polluted=1', /reserved path component/],
      ['constructor.prototype.x=1', /reserved path component/],
      ['spec..x=1', /empty path segment/],
      ['metadata.name.first=1', /name is not a mapping/],
      ['a="unbalanced', /unbalanced double quote/],
    ]
    for (const [set, message] of sets) {
      it(`refuses --set ${set}`, async () => {
        await refused(['tofu:plan', '-f', m.tofu, '--set', set], message)
      })
    }
  })

  describe('manifests', () => {
    it('malformed YAML: the error shows file:line:col', async () => {
      const file = writeManifest('broken.yaml', 'apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\nmetadata:\n  name: [unclosed\n')
      await refused(['tofu:plan', '-f', file], new RegExp(`${file.replaceAll('.', '\\.')}:\\d+:\\d+: invalid YAML`))
    })

    it('a manifest that is a list', async () => {
      await refused(['tofu:plan', '-f', writeManifest('list.yaml', '- apiVersion: x\n- kind: y\n')], /must be a YAML mapping .* not a list/)
    })

    it('an empty manifest', async () => {
      await refused(['tofu:plan', '-f', writeManifest('empty.yaml', '')], /must be a YAML mapping/)
    })

    it('a manifest without kind', async () => {
      await refused(['tofu:plan', '-f', writeManifest('nokind.yaml', 'apiVersion: kubernetes.project-planton.org/v1\nmetadata:\n  name: x\n')], /kind is missing/)
    })

    it('a manifest without metadata.name', async () => {
      await refused(['tofu:plan', '-f', writeManifest('noname.yaml', 'apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\nmetadata: {}\n')], /metadata\.name is missing/)
    })

    it('an unknown kind: the closest kinds are suggested', async () => {
      const file = writeManifest('typo.yaml', manifestYaml({kind: 'KubernetesRedys', labels: {'project-planton.org/provisioner': 'terraform'}}))
      await refused(['tofu:plan', '-f', file], /unknown kind KubernetesRedys[\s\S]*Closest kinds: kubernetesredis/)
    })

    it('a kind that is a path', async () => {
      const file = writeManifest('pathkind.yaml', manifestYaml({kind: '../../etc', labels: {'project-planton.org/provisioner': 'terraform'}}))
      await refused(['tofu:plan', '-f', file], /invalid (kind|manifest kind\/name) "\.\.\/\.\.\/etc/)
    })

    it('labels that are not a mapping', async () => {
      const file = writeManifest('labels.yaml', 'apiVersion: a.project-planton.org/v1\nkind: KubernetesRedis\nmetadata:\n  name: x\n  labels: [a, b]\n')
      await refused(['tofu:plan', '-f', file], /labels must be a mapping/)
    })

    it('a manifest file that does not exist', async () => {
      await refused(['tofu:plan', '-f', path.join(user, 'missing.yaml')], /cannot read manifest .*no such file/)
    })
  })

  describe('--module-dir', () => {
    it('a folder that does not exist', async () => {
      await refused(['tofu:plan', '-f', m.tofu, '--module-dir', path.join(user, 'nope')], /does not exist/)
    })

    it('a folder that is not a tofu module', async () => {
      await refused(['tofu:plan', '-f', m.tofu, '--module-dir', path.join(user, 'plain')], /not a OpenTofu\/Terraform module \(no \*\.tf file\)/)
    })

    it('a folder that is not a pulumi module', async () => {
      await refused(['pulumi:preview', '-f', m.labels, '--module-dir', path.join(user, 'tf')], /not a Pulumi module \(no Pulumi\.yaml\)/)
    })

    it('a file instead of a folder', async () => {
      await refused(['tofu:plan', '-f', m.tofu, '--module-dir', path.join(user, 'plain', 'notes.txt')], /not a folder/)
    })
  })

  describe('PROJECT_PLANTON_REPO_URL (on an empty home)', () => {
    for (const url of ['--upload-pack=touch <marker>', '-u<script>', 'ext::sh -c touch% <marker>']) {
      it(`refuses to clone from ${JSON.stringify(url)}`, async () => badInput(async () => {
        const empty = sandbox(url.replace('<marker>', path.join(markers, 'pwned')).replace('<script>', markerScript))
        const before = snapshot(empty.home, isCliHome)
        const r = await cli(empty, ['staging', 'pull'])
        if (url.startsWith('-')) {
          // Refused as it is read, before git runs.
          expect(r.code, r.stderr).to.equal(2)
          expect(r.stderr).to.match(/PROJECT_PLANTON_REPO_URL must not start with "-"/)
        } else {
          expect(r.code, r.stderr).to.equal(1)
          // git's own form `<transport>::<address>`, refused by protocol.ext.allow=never.
          expect(r.stderr).to.match(/could not clone .*transport 'ext' not allowed/)
        }

        expect(r.stderr, 'no stack trace').to.not.match(/^\s+at .+[(:]\d+/m)
        expect(listDir(markers), 'marker files').to.deep.equal([])
        expect(listDir(path.join(empty.plantonHome, 'staging')), 'nothing cloned').to.deep.equal([])
        expect(snapshotDiff(before, snapshot(empty.home, isCliHome)), 'the home').to.deep.equal([])
      }))
    }
  })

  describe('malicious repository content', () => {
    it('a tofu module with a symlink to /etc/passwd is refused', async () => {
      await refused(['tofu:plan', '-f', m.tofu, '--module-version', 'evil-passwd'], /symlink to "\/etc\/passwd".*leads outside/)
    })

    it('a tofu module with a symlink to ../../.. is refused', async () => {
      await refused(['tofu:plan', '-f', m.tofu, '--module-version', 'evil-up'], /symlink to "\.\.\/\.\.\/\.\..*leads outside/)
    })

    it('a pulumi module with a symlink to /etc/passwd is refused', async () => {
      await refused(['pulumi:preview', '-f', m.labels, '--module-version', 'evil-passwd'], /symlink to "\/etc\/passwd".*leads outside/)
    })

    it('a symlink that climbs out of the whole tree is refused (pulumi --full-tree)', async () => {
      await refused(['pulumi:preview', '-f', m.labels, '--full-tree', '--module-version', 'evil-tree'], /symlink to "(\.\.\/)+etc.*leads outside the workspace/)
    })
  })

  describe('a hostile git setup never runs anything and never redirects git', () => {
    let hostile: Sandbox

    beforeEach(() => {
      hostile = sandbox(u)
      copyHome(sb, hostile)
    })

    afterEach(() => {
      rmSync(hostile.home, {force: true, recursive: true})
    })

    async function survives(args: string[][], env: NodeJS.ProcessEnv = {}, extra: () => void = () => {}): Promise<void> {
      await fault(async () => {
        const userBefore = snapshot(user)
        for (const a of args) {
          const r = await cli(hostile, a, {env: {PATH: pathWithStandIn, PULUMI_STAND_IN_RECORD: path.join(makeTempDir('pp-rec-'), 'r.jsonl'), ...env}})
          expect(r.code, `${a.join(' ')}:\n${r.stderr}`).to.equal(0)
        }

        const changed = snapshotDiff(userBefore, snapshot(user))
        tally.userFilesChanged += changed.length
        expect(changed).to.deep.equal([])
        expect(listDir(markers), 'marker files: something ran').to.deep.equal([])
        extra()
        const st = await status(hostile)
        expect(st.headMatches && st.clean, 'staging consistent').to.equal(true)
        expect(workTreeDiff(hostile, u, st.ref!)).to.deep.equal([])
      })
    }

    it('a planted .git/hooks/post-checkout (and others) in staging never runs', async () => {
      for (const hook of ['post-checkout', 'pre-auto-gc', 'reference-transaction', 'post-merge', 'fsmonitor-watchman']) {
        writeFileSync(path.join(hostile.clone, '.git', 'hooks', hook), readFileSync(markerScript), {mode: 0o755})
      }

      await survives(switching())
    })

    it('core.hooksPath in staging\'s .git/config never runs', async () => {
      const hooks = makeTempDir('pp-hooks-')
      for (const hook of ['post-checkout', 'reference-transaction']) writeFileSync(path.join(hooks, hook), readFileSync(markerScript), {mode: 0o755})
      execFileSync('git', ['-C', hostile.clone, 'config', 'core.hooksPath', hooks])
      await survives(switching())
    })

    it('core.fsmonitor in staging\'s .git/config never runs', async () => {
      execFileSync('git', ['-C', hostile.clone, 'config', 'core.fsmonitor', markerScript])
      await survives(switching())
    })

    it('inherited GIT_DIR, GIT_WORK_TREE and GIT_INDEX_FILE do not redirect git', async () => {
      const decoy = makeTempDir('pp-decoy-')
      execFileSync('git', ['init', '-q', decoy])
      writeFileSync(path.join(decoy, 'mine.txt'), 'the user\'s repository\n')
      const before = snapshot(decoy)
      await survives(switching(), {GIT_DIR: path.join(decoy, '.git'), GIT_INDEX_FILE: path.join(decoy, '.git', 'index'), GIT_WORK_TREE: decoy}, () => {
        expect(snapshotDiff(before, snapshot(decoy)), 'the decoy repository is untouched').to.deep.equal([])
      })
    })

    it('inherited GIT_CONFIG_COUNT/KEY_0/VALUE_0 and GIT_CONFIG_PARAMETERS do not reach git', async () => {
      const hooks = makeTempDir('pp-hooks-')
      writeFileSync(path.join(hooks, 'post-checkout'), readFileSync(markerScript), {mode: 0o755})
      await survives(switching(), {
        GIT_CONFIG_COUNT: '2',
        GIT_CONFIG_KEY_0: 'core.hooksPath',
        GIT_CONFIG_KEY_1: 'core.fsmonitor',
        GIT_CONFIG_PARAMETERS: `'core.sshCommand'='${markerScript}' 'core.hooksPath'='${hooks}'`,
        GIT_CONFIG_VALUE_0: hooks,
        GIT_CONFIG_VALUE_1: markerScript,
      })
    })

    it('EDITOR, VISUAL, PAGER and GIT_PAGER set in the shell neither break git nor run', async () => {
      await survives(switching(), {
        EDITOR: markerScript, GIT_EDITOR: markerScript, GIT_PAGER: markerScript, PAGER: markerScript, VISUAL: markerScript,
      })
    })
  })
})
