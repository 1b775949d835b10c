// The setup the review suites share: one upstream with real protos and generated code, staging
// pulled once into a warm home, each case in a copy of that home, and the processes a case started
// killed if they outlive it (a hang fails its case by the case's own timeout).
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {type Sandbox, sandbox} from '../support/cli.js'
import {upstreamSchemaFiles} from '../support/protos.js'
import {
  createUpstream, makeTempDir, manifestYaml, type Upstream,
} from '../support/upstream.js'
import {type GroupCli, signalGroup, startGroup} from './process-group.js'
import {cli, copyHome} from './sandbox.js'

/** The provisioner label of the manifests these suites write. */
export const TOFU = {'project-planton.org/provisioner': 'terraform'}

export type WarmSuite = {
  /** the upstream (set once the suite's `before` ran) */
  readonly u: Upstream
  /** a folder for the manifests and other files of the cases */
  readonly files: string
  /** a home with staging pulled, a copy of the warm one */
  fresh(): Sandbox
  /** a tofu KubernetesRedis manifest in `files` (`opts.file`: its name without .yaml) */
  manifest(name: string, spec: Record<string, unknown>, opts?: {kind?: string; file?: string}): string
  /** the CLI started in its own process group, killed after the case if it still runs */
  start(args: string[], sb: Sandbox): GroupCli
}

/**
 * The suite's state and helpers. Its caller wires the hooks:
 * `before(async function () { this.timeout(120_000); await suite.setUp() })`,
 * `afterEach(() => suite.killLeftovers())` and `after(() => removeTempDirs())`.
 */
export function warmSuite(prefix: string): WarmSuite & {setUp(): Promise<void>; killLeftovers(): void} {
  let u: Upstream
  let warm: Sandbox
  let files: string
  const running: GroupCli[] = []
  return {
    async setUp() {
      u = createUpstream({files: upstreamSchemaFiles})
      files = makeTempDir(prefix)
      warm = sandbox(u)
      await cli(warm, ['staging', 'pull'], {expect: 0})
    },
    killLeftovers() {
      for (const p of running.splice(0)) if (!p.exited()) signalGroup(p, 'SIGKILL')
    },
    get u() {
      return u
    },
    get files() {
      return files
    },
    fresh() {
      const sb = sandbox(u)
      copyHome(warm, sb)
      return sb
    },
    manifest(name, spec, opts = {}) {
      const file = path.join(files, `${opts.file ?? name}.yaml`)
      writeFileSync(file, manifestYaml({
        labels: TOFU, name, kind: opts.kind, spec: {namespace: {value: 'ns'}, ...spec},
      }))
      return file
    },
    start(args, sb) {
      const p = startGroup(args, {env: sb.env})
      running.push(p)
      return p
    },
  }
}
