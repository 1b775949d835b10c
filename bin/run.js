#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const argv = process.argv.slice(2)

// `--version` (or `-v`) alone is answered here, in oclif's format, without loading oclif: scripts and
// shell prompts call it often, and loading oclif would triple its cost.
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-v')) {
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else if (argv[0] === '__complete') {
  // What the shell completion functions run on every <TAB>: answered without loading oclif.
  const [{complete}, {standalonePjson}] = await Promise.all([import('../dist/base/complete.js'), import('./standalone.js')])
  await complete(argv.slice(1), {root, pjson: standalonePjson(pjson)})
} else {
  // The commands import @oclif/core by subpath, never its index: the index checks the Node.js
  // version with semver, which costs more than the rest of a warm run's own work. The same check,
  // for the ">=X.Y.Z" form package.json uses:
  const min = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(pjson.engines?.node ?? '')?.slice(1).map(Number)
  const have = process.versions.node.split('.').map(Number)
  const older = min && (have[0] - min[0] || have[1] - min[1] || have[2] - min[2]) < 0
  if (older) process.emitWarning(`Node version must be ${pjson.engines.node} to use this CLI. Current node version: ${process.versions.node}`)
  const [{execute}, {standalonePjson}] = await Promise.all([import('@oclif/core/execute'), import('./standalone.js')])
  // The execute entry alone: `--help` skips the rest of @oclif/core's index (semver, …).
  await execute({loadOptions: {root, pjson: standalonePjson(pjson)}})
}
