#!/usr/bin/env node
// `--version` alone is answered here, in oclif's format, without loading oclif: scripts and
// shell prompts call it often, and loading oclif would triple its cost.
if (process.argv.length === 3 && process.argv[2] === '--version') {
  const {readFileSync} = await import('node:fs')
  const {name, version} = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  process.stdout.write(`${name}/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
} else {
  // The execute entry alone: `--help` skips the rest of @oclif/core's index (semver, …).
  const {execute} = await import('@oclif/core/execute')
  await execute({dir: import.meta.url})
}
