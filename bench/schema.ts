/**
 * Schema rows: what building a kind's schema costs cold (closure read from git and decoded) and warm
 * (from the per-commit cache), what the schema libraries cost to load in a fresh process, and a whole
 * `validate` run, each next to its baseline measured in the same rounds. `schemaRows()` returns rows
 * in bench/run.ts's format; `node --import tsx bench/schema.ts` prints them alone.
 *
 * The upstream is the test upstream with real .proto files and generated Go code (test/support).
 */
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {upstreamSchemaFiles} from '../test/support/protos.js'
import {createUpstream, makeTempDir, removeTempDirs} from '../test/support/upstream.js'
import {
  type BenchRow, median, timeAsync, timeChild,
} from './measure.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export type SchemaRow = BenchRow

export async function schemaRows(opts: {rounds?: number; cli?: string; env?: NodeJS.ProcessEnv} = {}): Promise<SchemaRow[]> {
  const rounds = opts.rounds ?? 7
  const cli = opts.cli ?? path.join(ROOT, 'bin', 'run.js')
  const dist = (rel: string) => pathToFileURL(path.join(ROOT, 'dist', rel)).href
  const {GitRepository} = await import(dist('core/git.js')) as typeof import('../src/core/git.js')
  const {commitSource} = await import(dist('core/schema/source.js')) as typeof import('../src/core/schema/source.js')
  const {loadKindSchema} = await import(dist('core/schema/schema.js')) as typeof import('../src/core/schema/schema.js')
  const upstream = createUpstream({files: upstreamSchemaFiles})
  const tmp = makeTempDir('pp-bench-schema-')
  try {
    const repo = new GitRepository(upstream.dir)
    const sha = upstream.sha('v0.2.0')
    const kind = {apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis'}
    const load = async (cacheDir: string) => {
      const source = commitSource(repo, sha)
      try {
        const r = await loadKindSchema({source, ...kind, cacheDir})
        if (!r.ok) throw new Error(r.message)
      } finally {
        await source.close()
      }
    }

    const home = path.join(tmp, 'home')
    const env = {
      ...process.env, ...opts.env, HOME: tmp, PROJECT_PLANTON_HOME: home, PROJECT_PLANTON_REPO_URL: upstream.url, NO_COLOR: '1', CI: 'true', PROJECT_PLANTON_STAGING: 'full',
    }
    const manifest = path.join(tmp, 'redis.yaml')
    writeFileSync(manifest, 'apiVersion: kubernetes.project-planton.org/v1\nkind: KubernetesRedis\nmetadata: {name: bench}\nspec: {namespace: {value: cache}}\n')
    const validateArgs = [cli, 'validate', '-f', manifest]
    await timeChild(process.execPath, validateArgs, {env})
    const libs = 'await import("@bufbuild/protobuf"); await import("@bufbuild/protovalidate")'
    const s: Record<string, number[]> = {}
    const add = (k: string, v: number) => {
      s[k] ??= []
      s[k].push(v)
    }

    for (let r = 0; r < rounds; r++) {
      const cold = path.join(tmp, `cold-${r}`)
      mkdirSync(cold)
      add('cold', await timeAsync(() => load(cold)))
      add('warm', await timeAsync(() => load(cold)))
      rmSync(cold, {recursive: true, force: true})
      add('node', await timeChild(process.execPath, ['-e', '0'], {env}))
      add('libs', await timeChild(process.execPath, ['--input-type=module', '-e', libs], {env, cwd: ROOT}))
      add('validate', await timeChild(process.execPath, validateArgs, {env}))
    }

    return [
      {
        id: '8a', what: 'schema of a kind, warm (per-commit cache) vs cold (closure from git, decoded)', ours: median(s.warm), base: median(s.cold), baseName: 'cold build', kind: 'speedup',
      },
      {
        id: '8b', what: 'loading @bufbuild/protobuf + protovalidate in a fresh process', ours: median(s.libs), base: median(s.node), baseName: 'node -e 0', kind: 'cost',
      },
      {
        id: '8c', what: 'whole CLI `validate` (staging and schema cache warm)', ours: median(s.validate), base: median(s.node), baseName: 'node -e 0', kind: 'cost',
      },
    ]
  } finally {
    rmSync(tmp, {recursive: true, force: true})
    removeTempDirs()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await schemaRows()) {
    const ratio = r.kind === 'speedup' ? `${(r.base / r.ours).toFixed(1)}× faster` : `${(r.ours / r.base).toFixed(2)}×`
    process.stdout.write(`| ${r.id} | ${r.what} | ${r.ours.toFixed(1)} ms | ${r.base.toFixed(1)} ms ${r.baseName} | ${ratio} |\n`)
  }
}
