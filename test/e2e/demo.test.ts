// The offline demo (`npm run demo` = build, then scripts/demo.mjs) as a newcomer runs it: an empty
// HOME, no PROJECT_PLANTON_* settings, no network, the real terraform or tofu from PATH.
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, symlinkSync} from 'node:fs'
import path from 'node:path'

import {
  collect, hashTree, onPath, ROOT,
} from '../support/cli.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

function newcomerEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('PROJECT_PLANTON_') && !k.startsWith('GIT_') && !k.startsWith('TF_')) env[k] = v
  }

  // No network: a proxy that refuses makes any attempt fail at once instead of succeeding.
  return {
    ...env, HOME: home, NO_COLOR: '1', CI: 'true', HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '',
  }
}

// Not runProgram: the demo's steps are checked in order, so stdout and stderr are kept interleaved.
async function runDemo(env: NodeJS.ProcessEnv): Promise<{code: null | number; output: string}> {
  const out = collect(spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.mjs')], {cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe']}))
  const {code} = await out.done
  return {code, output: out.both()}
}

describe('e2e: the offline demo', () => {
  after(() => removeTempDirs())

  it('tells the staging story end to end and prints the timings', async function () {
    if (!onPath('terraform') && !onPath('tofu')) {
      console.log('      skipped: neither terraform nor tofu is on PATH')
      this.skip()
    }

    const env = newcomerEnv(makeTempDir('pp-demo-home-'))
    const examples = hashTree(path.join(ROOT, 'examples'))

    const {code, output} = await runDemo(env)
    expect(code, output).to.equal(0)
    // The release markers: applied v0.1.0, then v0.2.0 planned for one run only.
    expect(output).to.match(/module_version = "v0\.1\.0"/)
    expect(output).to.match(/module_version\s+=\s+"v0\.1\.0"\s+->\s+"v0\.2\.0"/)
    expect(output).to.include('module versions seen in the outputs: v0.1.0, v0.2.0')
    expect(output).to.match(/Timings: first apply \(clones staging\) \d+\.\d s; second apply \(from staging\) \d+\.\d s/)
    // Each step has its heading, the clone happens in the first step only.
    const headings = ['1. First apply', '2. Second apply', '3. Select a version', '4. Apply the selected version', '5. Try another version', '6. staging status', '7. Destroy']
    for (const heading of headings) expect(output).to.include(heading)

    const [firstStep, rest] = output.split('2. Second apply')
    expect(firstStep).to.include('Cloning file://')
    expect(rest).to.not.include('Cloning file://')
    expect(output).to.match(/Kept workspace: \S+workspaces\S+/)
    expect(output).to.include('Destroy complete! Resources: 1 destroyed.')
    // NO_COLOR reaches terraform too.
    // eslint-disable-next-line no-control-regex
    expect(output).to.not.match(/\u001B\[/)

    // The demo cleans up after itself and leaves the examples untouched.
    const folder = /Removed the demo folder (\S+)/.exec(output)?.[1]
    expect(folder, 'the demo names its folder').to.be.a('string')
    expect(existsSync(folder!)).to.equal(false)
    expect(hashTree(path.join(ROOT, 'examples'))).to.deep.equal(examples)
    expect(existsSync(path.join(ROOT, 'oclif.manifest.json'))).to.equal(false)
  })

  it('without terraform or tofu: shows the staging part, says what to install, exits 127', async () => {
    const bin = makeTempDir('pp-demo-bin-')
    symlinkSync(onPath('git')!, path.join(bin, 'git'))
    const {code, output} = await runDemo({...newcomerEnv(makeTempDir('pp-demo-home-')), PATH: bin})
    expect(code, output).to.equal(127)
    expect(output).to.include('$ project-planton staging pull')
    expect(output).to.match(/Selected:\s+main \(branch\)|Selected:\s+v0\.\d\.0 \(tag\)/)
    expect(output).to.include('The deploy part of the demo needs OpenTofu or Terraform on PATH')
    expect(output).to.include('https://opentofu.org/docs/intro/install/')
    expect(output).to.not.include('1. First apply')
  })
})
