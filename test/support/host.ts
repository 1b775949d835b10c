// A minimal host oclif CLI built in a temp folder from @oclif/core and @oclif/plugin-plugins only (no
// help, autocomplete or not-found plugin), the way a host author would add project-planton to theirs.
// Its own hook observes our staging:prepare / staging:teardown events.
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  type CliResult, ROOT, runProgram, type Sandbox,
} from './cli.js'
import {makeTempDir} from './upstream.js'

export const HOST_VERSION = '1.0.0'
const PLUGINS_VERSION = '5.5.2'
const CORE_VERSION = '4.14.0'
export const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {name: string; version: string}

/** A hook of the host CLI: records what it saw of our events. */
const OBSERVER = `import {appendFileSync} from 'node:fs'

export default async function observe(opts) {
  const line = opts.request
    ? {event: 'staging:prepare', stackId: opts.request.stackId}
    : {event: 'staging:teardown', root: opts.workspace.root, keep: opts.keep}
  if (process.env.HOOK_LOG) appendFileSync(process.env.HOOK_LOG, JSON.stringify(line) + '\\n')
}
`

export type Host = {
  dir: string
  /** runs the host's bin with `args` */
  run(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult>
  /** rewrites the host's package.json; `withUs` declares this package as a dependency and core plugin */
  declare(withUs: boolean): void
}

/** The host's package.json; `withUs` declares this package as a dependency and core plugin of the host. */
function hostPackageJson(withUs: boolean): string {
  return `${JSON.stringify({
    name: 'pp-host',
    version: HOST_VERSION,
    private: true,
    type: 'module',
    bin: {pphost: './bin/run.js'},
    dependencies: {
      '@oclif/core': CORE_VERSION,
      '@oclif/plugin-plugins': PLUGINS_VERSION,
      // oclif loads a core plugin only when it is also a dependency.
      ...(withUs ? {[PACKAGE.name]: `file:${ROOT}`} : {}),
    },
    oclif: {
      bin: 'pphost',
      dirname: 'pp-host',
      topicSeparator: ' ',
      plugins: ['@oclif/plugin-plugins', ...(withUs ? [PACKAGE.name] : [])],
      hooks: {'staging:prepare': './hooks/observe.js', 'staging:teardown': './hooks/observe.js'},
    },
  }, null, 2)}\n`
}

/** Builds the host and installs its dependencies; undefined (with the reason printed) when npm cannot. */
export async function createHost(): Promise<Host | undefined> {
  const dir = makeTempDir('pp-host-')
  mkdirSync(path.join(dir, 'bin'))
  mkdirSync(path.join(dir, 'hooks'))
  writeFileSync(path.join(dir, 'package.json'), hostPackageJson(false))
  writeFileSync(path.join(dir, 'bin', 'run.js'), "#!/usr/bin/env node\nimport {execute} from '@oclif/core'\n\nawait execute({dir: import.meta.url})\n")
  writeFileSync(path.join(dir, 'hooks', 'observe.js'), OBSERVER)
  const npm = await runProgram('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {cwd: dir, env: process.env})
  if (npm.code !== 0) {
    console.log(`      skipped: npm could not install @oclif/plugin-plugins@${PLUGINS_VERSION} into the host (offline with an empty npm cache?):\n${npm.stderr}`)
    return undefined
  }

  return {
    dir,
    run: (args, env) => runProgram(process.execPath, [path.join(dir, 'bin', 'run.js'), ...args], {cwd: dir, env}),
    declare(withUs) {
      writeFileSync(path.join(dir, 'package.json'), hostPackageJson(withUs))
    },
  }
}

/** The sandbox's environment for the host, with its hook log. */
export function hostEnv(sb: Sandbox, hookLog: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...sb.env, HOOK_LOG: hookLog, CHECKPOINT_DISABLE: '1'}
  // NODE_ENV=test or development would make oclif load TypeScript sources instead of dist/.
  for (const key of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'NODE_ENV']) delete env[key]
  return env
}
