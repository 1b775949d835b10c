import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {
  existsSync, mkdirSync, readFileSync, statSync, writeFileSync,
} from 'node:fs'
import {delimiter, join} from 'node:path'
import {parse} from 'yaml'

import {installPulumiStandIn, readRecords} from './pulumi-stand-in.js'
import {
  COMPONENT_TAGS,
  createUpstream,
  exportTree,
  makeTempDir,
  manifestYaml,
  markerAt,
  PULUMI_MODULE_REDIS,
  removeTempDirs,
  TF_MODULE_REDIS,
  TF_MODULES,
  type Upstream,
} from './upstream.js'

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }

  return undefined
}

function findTf(): string | undefined {
  if (existsSync('/usr/local/bin/terraform')) return '/usr/local/bin/terraform'
  return findOnPath('terraform') ?? findOnPath('tofu')
}

describe('test support', () => {
  describe('upstream repository', () => {
    let u: Upstream

    before(() => {
      u = createUpstream()
    })

    after(() => {
      removeTempDirs()
    })

    it('has release tags, component tags and the feature branch', () => {
      const tags = u.git('tag', '--list').split('\n')
      expect(tags).to.include.members(['v0.1.0', 'v0.2.0', ...COMPONENT_TAGS])
      expect(u.git('branch', '--list', '--format=%(refname:short)').split('\n')).to.include.members(['main', 'feature/x'])
      expect(u.git('symbolic-ref', '--short', 'HEAD')).to.equal('main')
      expect(u.git('status', '--porcelain')).to.equal('')
      expect(u.url).to.equal(`file://${u.dir}`)
    })

    it('carries a distinct marker per ref', () => {
      expect(markerAt(u, 'v0.1.0')).to.equal('v0.1.0')
      expect(markerAt(u, 'v0.2.0')).to.equal('v0.2.0')
      expect(markerAt(u, 'main')).to.equal('main-3')
      expect(markerAt(u, 'feature/x')).to.equal('feature-x')
      expect(u.sha(COMPONENT_TAGS[0])).to.equal(u.sha('main'))
      expect(u.sha('feature/x')).to.not.equal(u.sha('v0.2.0'))
      expect(u.git('merge-base', 'feature/x', 'main')).to.equal(u.sha('v0.2.0'))
      for (const dir of TF_MODULES) {
        expect(u.git('show', `v0.1.0:${dir}/outputs.tf`)).to.contain('value = "v0.1.0"')
      }
    })

    it('has the monorepo layout with real Go imports', () => {
      expect(u.git('show', 'HEAD:go.mod')).to.match(/^module github\.com\/plantonhq\/project-planton$/m)
      expect(u.git('show', `HEAD:${PULUMI_MODULE_REDIS}/Pulumi.yaml`)).to.contain('name: kubernetes-redis')
      const moduleGo = u.git('show', `HEAD:${PULUMI_MODULE_REDIS}/module/main.go`)
      expect(moduleGo).to.contain('kubernetesredisv1 "github.com/plantonhq/project-planton/apis/org/project_planton/provider/kubernetes/kubernetesredis/v1"')
      expect(moduleGo).to.contain('"github.com/plantonhq/project-planton/pkg/iac/pulumi/pulumimodule/provider/kubernetes"')
      const files = u.git('ls-files').split('\n')
      expect(files).to.include('pkg/unrelated/big.go')
      expect(files).to.include('apis/org/project_planton/provider/gcp/gcpgkecluster/v1/iac/tf/main.tf')
      expect(files.some(f => f.startsWith('apis/org/project_planton/provider/gcp/gcpgkecluster/v1/iac/pulumi/'))).to.equal(false)
    })

    it('commit/tag/branch helpers work', () => {
      const sha = u.commit({VERSION: 'v0.4.0\n', 'README.md': null}, 'release 0.4')
      u.tag('v0.4.0')
      u.branch('side', 'v0.1.0')
      expect(u.sha('v0.4.0')).to.equal(sha)
      expect(u.sha('side')).to.equal(u.sha('v0.1.0'))
      expect(u.git('ls-files')).to.not.match(/^README\.md$/m)
      u.tag('v0.4.0', 'v0.2.0')
      expect(markerAt(u, 'v0.4.0')).to.equal('v0.2.0')
    })

    it('produces manifest YAML', () => {
      expect(parse(manifestYaml({}))).to.deep.equal({
        apiVersion: 'kubernetes.project-planton.org/v1',
        kind: 'KubernetesRedis',
        metadata: {name: 'redis-demo'},
        spec: {container: {replicas: 1}},
      })
      expect(parse(manifestYaml({labels: {a: 'b'}, name: 'x'})).metadata).to.deep.equal({labels: {a: 'b'}, name: 'x'})
    })

    it('tf module applies for real without provider downloads', function () {
      const tf = findTf()
      if (!tf) {
        console.log('    skipping: neither tofu nor terraform is on PATH')
        this.skip()
      }

      this.timeout(120_000)
      const work = makeTempDir('pp-tf-')
      exportTree(u, 'v0.1.0', TF_MODULE_REDIS, work)
      const varFile = join(work, 'vars.tfvars.json')
      writeFileSync(varFile, JSON.stringify({metadata: {name: 'redis-demo'}, spec: {container: {replicas: 3}}}))
      const env = {...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1'}
      const run = (...args: string[]) => execFileSync(tf!, args, {
        cwd: work, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'],
      })
      run('init', '-input=false', '-no-color')
      run('apply', '-auto-approve', '-input=false', '-no-color', `-var-file=${varFile}`)
      const out = JSON.parse(run('output', '-json')) as Record<string, {value: unknown}>
      expect(out.module_version.value).to.equal('v0.1.0')
      expect(out.name.value).to.equal('redis-demo')
      expect(out.replicas.value).to.equal(3)
    })
  })

  describe('pulumi stand-in', () => {
    let binDir: string
    let recordFile: string
    let workDir: string

    before(() => {
      binDir = makeTempDir('pp-bin-');
      ({recordFile} = installPulumiStandIn(binDir))
      workDir = makeTempDir('pp-pulumi-work-')
      mkdirSync(join(workDir, 'module'))
      mkdirSync(join(workDir, '.git'))
      writeFileSync(join(workDir, '.git', 'HEAD'), 'ref: refs/heads/main\n')
      writeFileSync(join(workDir, 'Pulumi.yaml'), 'name: x\n')
      writeFileSync(join(workDir, 'module', 'main.go'), 'package module\n')
    })

    after(() => {
      removeTempDirs()
    })

    const env = (extra: Record<string, string> = {}) => ({
      ...process.env,
      PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}`,
      ...extra,
    })

    it('records argv, cwd, env, stack input and files', () => {
      const input = join(makeTempDir('pp-input-'), 'stack-input.yaml')
      writeFileSync(input, 'spec: {}\n', {mode: 0o600})
      const res = spawnSync('pulumi', ['up', '--stack', 'org/proj/dev', '--yes'], {
        cwd: workDir,
        encoding: 'utf8',
        env: env({KUBE_CTX: 'kind-test', STACK_INPUT_YAML_FILE: input}),
      })
      expect(res.status).to.equal(0)
      const records = readRecords(recordFile)
      const last = records.at(-1)!
      expect(last.argv).to.deep.equal(['up', '--stack', 'org/proj/dev', '--yes'])
      expect(last.cwd).to.equal(workDir)
      expect(last.env.KUBE_CTX).to.equal('kind-test')
      expect(last.stackInput).to.equal('spec: {}\n')
      expect(last.stackInputMode).to.equal(0o600)
      expect(last.files).to.deep.equal(['Pulumi.yaml', 'module/main.go'])
    })

    it('honours the exit code, stderr and stack-exists settings', () => {
      const res = spawnSync('pulumi', ['preview'], {
        cwd: workDir,
        encoding: 'utf8',
        env: env({PULUMI_STAND_IN_EXIT: '3', PULUMI_STAND_IN_STDERR: 'boom\n'}),
      })
      expect(res.status).to.equal(3)
      expect(res.stderr).to.equal('boom\n')

      const exists = spawnSync('pulumi', ['stack', 'init', 'dev'], {cwd: workDir, encoding: 'utf8', env: env({PULUMI_STAND_IN_STACK_EXISTS: '1'})})
      expect(exists.status).to.equal(255)
      expect(exists.stderr).to.contain("error: stack 'dev' already exists")

      const other = spawnSync('pulumi', ['stack', 'select', 'dev'], {cwd: workDir, encoding: 'utf8', env: env({PULUMI_STAND_IN_EXIT: '2', PULUMI_STAND_IN_EXIT_ON: 'up'})})
      expect(other.status).to.equal(0)
    })

    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      it(`records ${signal} and exits ${code}`, async () => {
        const child = spawn('pulumi', ['up', '--yes'], {cwd: workDir, env: env({PULUMI_STAND_IN_SLEEP_MS: '30000'}), stdio: ['ignore', 'pipe', 'pipe']})
        const exited = new Promise<number | null>((resolve, reject) => {
          child.once('error', reject)
          child.once('exit', c => resolve(c))
        })
        await new Promise<void>((resolve, reject) => {
          let out = ''
          child.stdout!.on('data', (chunk: Buffer) => {
            out += chunk.toString()
            if (out.includes('stand-in: waiting')) resolve()
          })
          child.once('exit', () => reject(new Error(`exited before waiting; stdout=${out}`)))
        })
        child.kill(signal)
        expect(await exited).to.equal(code)
        const last = readRecords(recordFile).at(-1)!
        expect(last.signal).to.equal(signal)
        expect(last.argv).to.deep.equal(['up', '--yes'])
      })
    }

    it('readRecords tolerates a missing file', () => {
      expect(readRecords(join(binDir, 'nope.jsonl'))).to.deep.equal([])
      expect(readFileSync(recordFile, 'utf8').endsWith('\n')).to.equal(true)
    })
  })
})
