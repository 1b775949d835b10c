// The module binary cache through the built CLI: `staging status` shows it, `staging clean` prunes
// what no run used lately (keeping the selected version's), `staging clean --all` removes it.
import {expect} from 'chai'
import {existsSync, utimesSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {binariesRoot, installEntry} from '../../src/core/binaries/cache.js'
import {runCli, sandbox} from '../support/cli.js'
import {createUpstream, removeTempDirs} from '../support/upstream.js'

async function addEntry(cacheDir: string, name: string, info: {sha: string; version?: string; usedDaysAgo: number}): Promise<string> {
  const root = binariesRoot(cacheDir)
  const entry = await installEntry(root, name, async dir => {
    writeFileSync(path.join(dir, 'pulumi-kubernetesredis'), `#!/bin/sh\n# ${name}\n`)
    return {
      how: info.version ? 'downloaded' : 'built', module: 'kubernetesredis', os: 'linux', arch: 'amd64', file: 'pulumi-kubernetesredis', sha: info.sha, version: info.version,
    }
  })
  const used = new Date(Date.now() - (info.usedDaysAgo * 86_400_000))
  utimesSync(path.join(entry.dir, 'record.json'), used, used)
  return entry.dir
}

describe('module binary cache in staging status and clean', () => {
  after(removeTempDirs)

  it('status counts the binaries; clean keeps the selected version\'s and recent ones; clean --all removes them', async () => {
    const up = createUpstream()
    const sb = sandbox(up)
    expect((await runCli(['staging', 'checkout', 'v0.2.0'], {env: sb.env})).code).to.equal(0)
    const cacheDir = path.join(sb.plantonHome, 'cache')
    const empty = await runCli(['staging', 'status'], {env: sb.env})
    expect(empty.stdout).to.match(/^Binaries: +0 module binary\(ies\), 0 B \(0 built, 0 downloaded\)$/m)

    const selectedSha = up.sha('v0.2.0')
    const selectedOld = await addEntry(cacheDir, 'selected-built', {sha: selectedSha, usedDaysAgo: 30})
    const releaseOld = await addEntry(cacheDir, 'selected-release', {sha: up.sha('v0.1.0'), version: 'v0.2.0', usedDaysAgo: 30})
    const otherRecent = await addEntry(cacheDir, 'other-recent', {sha: 'e'.repeat(40), usedDaysAgo: 1})
    const otherOld = await addEntry(cacheDir, 'other-old', {sha: 'f'.repeat(40), usedDaysAgo: 8})
    const status = JSON.parse((await runCli(['staging', 'status', '--json'], {env: sb.env})).stdout) as {moduleBinaries: {binaries: number; built: number; downloaded: number; bytes: number}}
    expect(status.moduleBinaries).to.include({binaries: 4, built: 3, downloaded: 1})

    const cleaned = await runCli(['staging', 'clean', '--json'], {env: sb.env})
    expect(cleaned.code, cleaned.stderr).to.equal(0)
    expect(JSON.parse(cleaned.stdout)).to.deep.include({binariesRemoved: 1})
    expect([selectedOld, releaseOld, otherRecent].map(d => existsSync(d))).to.deep.equal([true, true, true])
    expect(existsSync(otherOld)).to.equal(false)
    const text = await runCli(['staging', 'clean'], {env: sb.env})
    expect(text.stdout).to.contain('Removed 0 module binary(ies), 0 B; kept those of the selected version and those used in the last 7 days.')

    const all = await runCli(['staging', 'clean', '--all', '--yes'], {env: sb.env})
    expect(all.code, all.stderr).to.equal(0)
    expect(all.stdout).to.match(/Removed 3 module binary\(ies\), \d+ B\./)
    expect(existsSync(cacheDir)).to.equal(false)
  })
})
