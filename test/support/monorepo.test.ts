// The three fixtures of the monorepo (the tests' upstreams, the benchmark's monorepo, the demo's
// upstream) differ in size and content on purpose, and keep to one shape: the one of monorepo.ts.
import {expect} from 'chai'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {parse} from 'yaml'

import {kindDir as benchKindDir, kinds as benchKinds} from '../../bench/monorepo.js'
import {ROOT} from './cli.js'
import {
  GO_MODULE, kindDir, moduleDir, PROVIDER_ROOT, PROVIDERS,
} from './monorepo.js'
import {createUpstream, removeTempDirs} from './upstream.js'

/** Where `paths` (repository-relative files, with `read`) leave the monorepo's shape. */
function shapeProblems(paths: string[], read: (p: string) => string): string[] {
  const problems: string[] = []
  if (!read('go.mod').startsWith(`module ${GO_MODULE}\n`)) problems.push(`go.mod does not declare ${GO_MODULE}`)
  const pulumiModules = new Set<string>()
  for (const p of paths) {
    if (p.startsWith(`${PROVIDER_ROOT}/`)) {
      const [provider, folder, version] = p.slice(PROVIDER_ROOT.length + 1).split('/')
      if (!(PROVIDERS as readonly string[]).includes(provider)) problems.push(`${p}: provider ${provider} is not one of the twelve`)
      if (version !== 'v1' || folder !== folder.toLowerCase()) problems.push(`${p}: not under <provider>/<lower-case kind>/v1`)
    }

    // Modules: a Pulumi.yaml (a pulumi module) or a .tf file (a tf module) only where the shape puts them.
    const tool = p.endsWith('/Pulumi.yaml') ? 'pulumi' : (p.endsWith('.tf') ? 'tf' : undefined)
    if (tool) {
      const [provider = '', folder = ''] = p.startsWith(`${PROVIDER_ROOT}/`) ? p.slice(PROVIDER_ROOT.length + 1).split('/') : []
      const dir = moduleDir(provider, folder, tool)
      if (!p.startsWith(`${dir}/`)) problems.push(`${p}: a ${tool} module outside ${PROVIDER_ROOT}/<provider>/<kind>/v1/iac/${tool}`)
      else if (tool === 'pulumi') pulumiModules.add(dir)
    }

    if (p !== 'go.mod' && p.endsWith('/go.mod')) problems.push(`${p}: modules build against the root go.mod, they have none of their own`)
  }

  for (const dir of pulumiModules) {
    const project = parse(read(`${dir}/Pulumi.yaml`)) as {runtime?: string}
    if (project.runtime !== 'go') problems.push(`${dir}/Pulumi.yaml: runtime is not go`)
  }

  return problems
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter(p => statSync(path.join(dir, p)).isFile()).map(p => p.split(path.sep).join('/'))
}

describe('one monorepo shape for every fixture', () => {
  after(removeTempDirs)

  it("the tests' upstream keeps to it", () => {
    const u = createUpstream()
    const paths = u.git('ls-tree', '-r', '--name-only', 'HEAD').split('\n')
    expect(paths.filter(p => p.includes('/iac/')).length).to.be.greaterThan(10)
    expect(shapeProblems(paths, p => u.git('show', `HEAD:${p}`) + '\n')).to.deep.equal([])
  })

  it("the demo's upstream keeps to it, and the demo writes its release marker into its tf module", () => {
    const demo = path.join(ROOT, 'examples', 'demo-monorepo')
    const paths = filesBelow(demo)
    expect(paths).to.include(`${moduleDir('kubernetes', 'KubernetesRedis', 'tf')}/main.tf`)
    expect(paths).to.include(`${moduleDir('kubernetes', 'KubernetesRedis', 'pulumi')}/Pulumi.yaml`)
    expect(shapeProblems(paths, p => readFileSync(path.join(demo, p), 'utf8'))).to.deep.equal([])
    const script = readFileSync(path.join(ROOT, 'scripts', 'demo.mjs'), 'utf8')
    expect(/^const TF_MODULE = '([^']+)'$/m.exec(script)?.[1]).to.equal(moduleDir('kubernetes', 'KubernetesRedis', 'tf'))
  })

  it("the benchmark's kinds cover the twelve providers: 135 with a pulumi module, 131 with a tf module, where the shape puts them", () => {
    const all = benchKinds()
    expect(new Set(all.map(k => k.provider))).to.deep.equal(new Set(PROVIDERS))
    expect(all.filter(k => k.pulumi)).to.have.length(135)
    expect(all.filter(k => k.tf)).to.have.length(131)
    for (const k of all) expect(benchKindDir(k)).to.equal(kindDir(k.provider, k.kind))
  })

  it('the check finds a kind folder not in lower case, a foreign provider, a module out of place, a go.mod of its own and a module that is not Go', () => {
    const files: Record<string, string> = {
      'go.mod': `module ${GO_MODULE}\n`,
      [`${PROVIDER_ROOT}/kubernetes/KubernetesRedis/v1/api.proto`]: '',
      [`${PROVIDER_ROOT}/heroku/herokuapp/v1/api.proto`]: '',
      [`${PROVIDER_ROOT}/aws/awss3bucket/v1/iac/main.tf`]: '',
      [`${moduleDir('aws', 'AwsS3Bucket', 'pulumi')}/go.mod`]: '',
      [`${moduleDir('aws', 'AwsS3Bucket', 'pulumi')}/Pulumi.yaml`]: 'name: x\nruntime: nodejs\n',
    }
    expect(shapeProblems(Object.keys(files), p => files[p]).map(problem => problem.replace(/^.*?: /, ''))).to.deep.equal([
      'not under <provider>/<lower-case kind>/v1',
      'provider heroku is not one of the twelve',
      `a tf module outside ${PROVIDER_ROOT}/<provider>/<kind>/v1/iac/tf`,
      'modules build against the root go.mod, they have none of their own',
      'runtime is not go',
    ])
  })
})
