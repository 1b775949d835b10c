/* eslint-disable camelcase -- manifests name fields in snake_case on purpose */
import {expect} from 'chai'
import {
  readdirSync, readFileSync, utimesSync, writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {GitRepository} from '../../src/core/git.js'
import {parseSetFlags, SetSyntaxError} from '../../src/core/overrides.js'
import {pruneSchemas, schemaCacheStats, schemasRoot} from '../../src/core/schema/cache.js'
import {checkManifest} from '../../src/core/schema/check.js'
import {extractRawDescriptor, GoLiteralError} from '../../src/core/schema/golit.js'
import {pulumiTarget, tofuVariables} from '../../src/core/schema/output.js'
import {formatProblem} from '../../src/core/schema/problems.js'
import {type KindSchema, loadKindSchema, type SchemaResult} from '../../src/core/schema/schema.js'
import {checkoutSource, commitSource, folderSource} from '../../src/core/schema/source.js'
import {schemaFiles, upstreamSchemaFiles} from '../support/protos.js'
import {
  createUpstream, makeTempDir, removeTempDirs, type Upstream,
} from '../support/upstream.js'

const REDIS = {apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesRedis'}
const REDIS_DIR = 'apis/org/project_planton/provider/kubernetes/kubernetesredis/v1'

function specFields(s: KindSchema): string[] {
  return s.registry.getMessage(`${s.message.typeName}Spec`)!.fields.map(f => `${f.name}:${f.fieldKind}`)
}

function redis(spec: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ...REDIS, metadata: {name: 'redis-demo', labels: {'example.com/team': 'web'}}, spec: {namespace: {value: 'cache'}, ...spec}, ...extra,
  }
}

describe('schema of a kind from the protos of a commit', () => {
  let upstream: Upstream
  let repo: GitRepository
  let cache: string

  before(() => {
    upstream = createUpstream({files: upstreamSchemaFiles})
    repo = new GitRepository(upstream.dir)
  })

  beforeEach(() => {
    cache = makeTempDir('pp-schema-cache-')
  })

  after(() => removeTempDirs())

  async function load(ref: string, kind = REDIS, cacheDir: string | undefined = cache): Promise<SchemaResult> {
    const source = commitSource(repo, upstream.sha(ref))
    try {
      return await loadKindSchema({source, ...kind, cacheDir})
    } finally {
      await source.close()
    }
  }

  async function schemaAt(ref: string): Promise<KindSchema> {
    const result = await load(ref)
    if (!result.ok) throw new Error(result.message)
    return result.schema
  }

  describe('Go literals of generated code', () => {
    it('decodes every escape of a Go string literal and both forms protoc-gen-go writes', () => {
      const go = 'package x\n\nconst file_x_proto_rawDesc = "" +\n\t"\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\\'" + // comment\n\t"\\x0A\\101\\u00e9\\U0001F600é" +\n\t`raw\\x`\n'
      const expected = Buffer.concat([Buffer.from([7, 8, 12, 10, 13, 9, 11, 92, 34, 39, 10, 65]), Buffer.from('é😀é', 'utf8'), Buffer.from('raw\\x')])
      expect(Buffer.from(extractRawDescriptor(go)!)).to.deep.equal(expected)
      const bytes = 'var file_y_proto_rawDesc = []byte{\n\t0x0a, 0x01, // one\n\t65, 0o7, 0b1,\n}\n'
      expect([...extractRawDescriptor(bytes)!]).to.deep.equal([10, 1, 65, 7, 1])
      expect(extractRawDescriptor('package x // no descriptor')).to.equal(undefined)
      expect(() => extractRawDescriptor('const file_z_rawDesc = "\\q"')).to.throw(GoLiteralError, /unknown escape/)
      expect(() => extractRawDescriptor('const file_z_rawDesc = "\\400"')).to.throw(GoLiteralError, /octal/)
      expect(() => extractRawDescriptor('const file_z_rawDesc = "abc')).to.throw(GoLiteralError, /unterminated/)
    })
  })

  describe('building and caching', () => {
    it('builds from the generated code of a commit, then reads it from the cache of that commit', async () => {
      const first = await load('v0.2.0')
      expect(first.ok && first.schema.fromCache).to.equal(false)
      expect(first.ok && first.schema.message.typeName).to.equal('org.project_planton.provider.kubernetes.kubernetesredis.v1.KubernetesRedis')
      const second = await load('v0.2.0')
      expect(second.ok && second.schema.fromCache).to.equal(true)
      expect((await schemaCacheStats(cache)).schemas).to.equal(1)
      // Another commit is another entry.
      expect((await load('v0.1.0')).ok).to.equal(true)
      expect((await schemaCacheStats(cache)).schemas).to.equal(2)
    })

    it('detects a damaged cache entry, builds the schema again and replaces the entry', async () => {
      expect((await load('v0.2.0')).ok).to.equal(true)
      const entry = readdirSync(schemasRoot(cache)).find(n => n.endsWith('.schema'))
      expect(entry).to.be.a('string')
      const file = path.join(schemasRoot(cache), entry!)
      const data = readFileSync(file)
      data[data.length - 5] = 255 - data.at(-5)!
      writeFileSync(file, data)
      const rebuilt = await load('v0.2.0')
      expect(rebuilt.ok && rebuilt.schema.fromCache).to.equal(false)
      const again = await load('v0.2.0')
      expect(again.ok && again.schema.fromCache).to.equal(true)
      writeFileSync(file, 'not a schema')
      const fromGarbage = await load('v0.2.0')
      expect(fromGarbage.ok && fromGarbage.schema.fromCache).to.equal(false)
    })

    it('reads the byte-slice form of older generated code, and .proto text where there is no generated code', async () => {
      const u = createUpstream({files: m => (m === 'v0.1.0' ? schemaFiles('v0.2.0', {form: 'bytes'}) : {})})
      const bytesSource = commitSource(new GitRepository(u.dir), u.sha('v0.1.0'))
      const fromBytes = await loadKindSchema({source: bytesSource, ...REDIS})
      await bytesSource.close()
      const noGo: Record<string, null> = {}
      for (const p of Object.keys(schemaFiles('v0.2.0'))) if (p.endsWith('.pb.go')) noGo[p] = null
      const sha = u.commit(noGo, 'drop generated code')
      const textSource = commitSource(new GitRepository(u.dir), sha)
      const fromText = await loadKindSchema({source: textSource, ...REDIS})
      await textSource.close()
      if (!fromBytes.ok || !fromText.ok) throw new Error('no schema')
      expect(specFields(fromText.schema)).to.deep.equal(specFields(fromBytes.schema))
      const withoutText = commitSource(new GitRepository(u.dir), sha)
      const refused = await loadKindSchema({source: withoutText, ...REDIS, compileText: false})
      await withoutText.close()
      expect(refused.ok).to.equal(false)
    })

    it('gives a typed "unavailable" result, never an exception, when the schema cannot be built', async () => {
      const u = createUpstream({files: upstreamSchemaFiles})
      const r = new GitRepository(u.dir)
      const tryAt = async (sha: string, kind = REDIS) => {
        const source = commitSource(r, sha)
        try {
          return await loadKindSchema({source, ...kind, cacheDir: cache})
        } finally {
          await source.close()
        }
      }

      const broken = u.commit({[`${REDIS_DIR}/api.pb.go`]: null, [`${REDIS_DIR}/api.proto`]: 'syntax = "proto3";\nmessage KubernetesRedis {\n  string x = \n}\n'}, 'broken proto')
      const b = await tryAt(broken)
      expect(b).to.include({ok: false, reason: 'bad-descriptor'})
      expect(!b.ok && b.message).to.match(/api\.proto .* does not parse/)
      const damaged = u.commit({[`${REDIS_DIR}/spec.pb.go`]: 'package x\nconst file_spec_rawDesc = "\\x0a\\xff"\n'}, 'damaged generated code')
      expect(await tryAt(damaged)).to.include({ok: false, reason: 'bad-descriptor'})
      expect(await tryAt(damaged, {apiVersion: 'kubernetes.project-planton.org/v1', kind: 'KubernetesNothing'})).to.include({ok: false, reason: 'no-api-proto'})
      expect(await tryAt(damaged, {apiVersion: 'example.com/v1', kind: 'KubernetesRedis'})).to.include({ok: false, reason: 'no-api-proto'})
      const missing = u.commit({'apis/org/project_planton/shared/metadata.proto': null, 'apis/org/project_planton/shared/metadata.pb.go': null}, 'missing import')
      expect(await tryAt(missing, {apiVersion: 'aws.project-planton.org/v1', kind: 'AwsS3Bucket'})).to.include({ok: false, reason: 'missing-import'})
      const outside = await checkoutSource(makeTempDir('pp-not-monorepo-'))
      expect(outside).to.include({ok: false, reason: 'not-a-monorepo'})
    })

    it('reads a checkout on disk when a folder inside it is given', async () => {
      const checkout = makeTempDir('pp-checkout-')
      for (const [rel, content] of Object.entries(schemaFiles('v0.2.0'))) {
        const abs = path.join(checkout, rel)
        const {mkdirSync} = await import('node:fs')
        mkdirSync(path.dirname(abs), {recursive: true})
        writeFileSync(abs, content)
      }

      const source = await checkoutSource(path.join(checkout, REDIS_DIR))
      if ('ok' in source) throw new Error(source.message)
      const result = await loadKindSchema({source, ...REDIS, cacheDir: cache})
      expect(result.ok && result.schema.origin).to.equal(checkout)
      // A folder can change at any time: it is never cached.
      expect((await schemaCacheStats(cache)).schemas).to.equal(0)
      expect(folderSource(checkout).commit).to.equal(undefined)
    })

    it('prunes entries of other commits unused for a week, like module snapshots', async () => {
      await load('v0.1.0')
      await load('v0.2.0')
      const old = (Date.now() / 1000) - (8 * 86_400)
      for (const n of readdirSync(schemasRoot(cache))) utimesSync(path.join(schemasRoot(cache), n), old, old)
      const kept = await pruneSchemas(cache, {keepSha: upstream.sha('v0.2.0')})
      expect(kept.removed).to.equal(1)
      expect((await load('v0.2.0')).ok && (await load('v0.2.0') as {schema: KindSchema}).schema.fromCache).to.equal(true)
      expect((await pruneSchemas(cache, {keepSha: upstream.sha('v0.2.0')})).removed).to.equal(0)
    })
  })

  describe('checking a manifest', () => {
    it('accepts a valid manifest and applies the defaults of the protos (scalars, enums, created messages)', async () => {
      const schema = await schemaAt('v0.2.0')
      const checked = await checkManifest(schema, redis({}))
      expect(checked.problems.map(p => formatProblem(p))).to.deep.equal([])
      expect(checked.valid).to.equal(true)
      expect((checked.manifest as {spec: unknown}).spec).to.deep.equal({
        namespace: {value: 'cache'}, container: {replicas: 1, storageSize: '1Gi'}, evictionPolicy: 'allkeys_lru',
      })
      // A value given is kept; a proto3 zero counts as unset and gets the default, as in the Go CLI.
      const given = await checkManifest(schema, redis({container: {replicas: 0, storage_size: '5Gi'}, eviction_policy: 'noeviction'}))
      expect((given.manifest as {spec: unknown}).spec).to.deep.equal({
        namespace: {value: 'cache'}, container: {replicas: 1, storageSize: '5Gi'}, evictionPolicy: 'noeviction',
      })
      // The older release declares fewer defaults.
      const older = await checkManifest(await schemaAt('v0.1.0'), redis({}))
      expect((older.manifest as {spec: unknown}).spec).to.deep.equal({namespace: {value: 'cache'}, container: {replicas: 1}})
    })

    it('reports every rule violation with its path and the rule\'s own message', async () => {
      const schema = await schemaAt('v0.2.0')
      const checked = await checkManifest(schema, {
        apiVersion: 'kubernetes.project-planton.org/v2',
        kind: 'KubernetesRediss',
        metadata: {name: ''},
        spec: {
          container: {replicas: 11, persistenceEnabled: true, storageSize: '1GB'},
          users: [{name: 'ok_user'}, {name: 'Bad-User'}],
          evictionPolicy: 9,
          maxMemoryBytes: '2000000000000',
        },
      })
      const lines = checked.problems.map(p => formatProblem(p))
      expect(checked.valid).to.equal(false)
      expect(lines).to.include.members([
        'api_version: must equal `kubernetes.project-planton.org/v1`',
        'kind: must equal `KubernetesRedis`',
        'metadata.name: must be at least 1 characters',
        'spec.namespace: value is required',
        'spec.container.replicas: must be greater than or equal to 1 and less than or equal to 10',
        'spec.container.storage_size: disk size must look like 1Gi or 500Mi',
        'spec.users[1].name: does not match regex pattern `^[a-z][a-z0-9_]*$`',
        'spec.eviction_policy: value must be one of the defined enum values',
        'spec.max_memory_bytes: must be greater than or equal to 0 and less than or equal to 1099511627776',
      ])
      // An empty storage_size is "not set" for proto3 and gets its default, so the message rule holds.
      expect((await checkManifest(schema, redis({container: {persistenceEnabled: true, storageSize: ''}}))).valid).to.equal(true)
      const older = await checkManifest(await schemaAt('v0.1.0'), redis({container: {persistenceEnabled: true}}))
      expect(older.problems.map(p => formatProblem(p))).to.deep.equal(['spec: persistence needs a disk size'])
    })

    it('reports unknown fields (with the closest name), wrong types and two members of a oneof, all at once', async () => {
      const schema = await schemaAt('v0.2.0')
      const checked = await checkManifest(schema, redis({
        container: {replica: 3, persistence_enabled: 'yes'},
        password: 'x',
        passwordFrom: {name: 'secret'},
        users: {name: 'a'},
        maxMemoryBytes: 'lots',
        evictionPolicy: 'allkeys-lru',
        config: {maxclients: 5},
      }))
      const lines = checked.problems.map(p => formatProblem(p))
      expect(checked.valid).to.equal(false)
      expect(lines.find(l => l.startsWith('spec.container.replica: unknown field; did you mean replicas?'))).to.be.a('string')
      expect(lines).to.include('spec.container.persistence_enabled: expected true or false, got the string "yes"')
      expect(lines.find(l => l.startsWith('spec.passwordFrom: password is already set, and only one field of oneof auth'))).to.be.a('string')
      expect(lines).to.include('spec.users: expected a list, got a mapping')
      expect(lines).to.include('spec.maxMemoryBytes: expected an integer (64-bit), got the string "lots"')
      expect(lines.find(l => l.startsWith('spec.evictionPolicy: "allkeys-lru" is not a value of KubernetesRedisEvictionPolicy; did you mean allkeys_lru?'))).to.be.a('string')
      expect(lines).to.include('spec.config.maxclients: expected a string (quote it in YAML), got number 5')
      expect(lines).to.have.length(7)
    })

    it('accepts snake_case and camelCase names, enums by name or number, 64-bit integers as strings or numbers', async () => {
      const schema = await schemaAt('v0.2.0')
      const checked = await checkManifest(schema, redis({
        container: {persistence_enabled: true, storageSize: '2Gi'}, eviction_policy: 3, max_memory_bytes: '1024', config: {a: 'b'},
      }))
      expect(checked.problems).to.deep.equal([])
      expect((checked.manifest as {spec: Record<string, unknown>}).spec).to.include({evictionPolicy: 'volatile_lru', maxMemoryBytes: '1024'})
    })

    it('knows each release\'s own fields: the older rejects a field only the newer has, and the reverse', async () => {
      const newer = await checkManifest(await schemaAt('v0.2.0'), redis({container: {diskSize: '1Gi'}}))
      expect(newer.problems.map(p => formatProblem(p))[0]).to.match(/^spec\.container\.diskSize: unknown field \(KubernetesRedisContainer has: replicas, persistenceEnabled, storageSize\)/)
      const older = await checkManifest(await schemaAt('v0.1.0'), redis({container: {storageSize: '1Gi'}}))
      expect(older.problems.map(p => formatProblem(p))[0]).to.match(/^spec\.container\.storageSize: unknown field/)
      expect((await checkManifest(await schemaAt('v0.1.0'), redis({container: {diskSize: '1Gi'}}))).valid).to.equal(true)
    })
  })

  describe('--set', () => {
    it('converts values to the field types, takes comma-separated pairs and quoted keys holding dots', async () => {
      const schema = await schemaAt('v0.2.0')
      const sets = parseSetFlags([
        'spec.container.replicas=3,spec.container.persistenceEnabled=true',
        'spec.eviction_policy=noeviction',
        'spec.max_memory_bytes=4096',
        'metadata.labels."app.example.com/tier"=cache',
        'spec.config.maxmemory-policy="a,b"',
        'spec.namespace.value=other',
      ])
      const checked = await checkManifest(schema, redis({}), {sets})
      expect(checked.problems).to.deep.equal([])
      const {metadata, spec} = checked.manifest as {metadata: {labels: unknown}; spec: Record<string, unknown>}
      expect(spec.container).to.deep.equal({replicas: 3, persistenceEnabled: true, storageSize: '1Gi'})
      expect(spec).to.include({evictionPolicy: 'noeviction', maxMemoryBytes: '4096'})
      expect(spec.config).to.deep.equal({'maxmemory-policy': 'a,b'})
      expect(spec.namespace).to.deep.equal({value: 'other'})
      expect(metadata.labels).to.deep.equal({'example.com/team': 'web', 'app.example.com/tier': 'cache'})
    })

    it('refuses unknown paths (with suggestions), values of the wrong type, lists and whole messages, and is validated', async () => {
      const schema = await schemaAt('v0.2.0')
      const sets = parseSetFlags(['spec.container.replica=2', 'spec.container.replicas=two', 'spec.users=x', 'spec.container=x', 'spec.eviction_policy=lru', 'spec.container.replicas=40'])
      const lines = (await checkManifest(schema, redis({}), {sets})).problems.map(p => formatProblem(p))
      expect(lines[0]).to.match(/^spec\.container\.replica: --set spec\.container\.replica=2: KubernetesRedisContainer has no field replica; did you mean replicas\?/)
      expect(lines[1]).to.equal('spec.container.replicas: --set spec.container.replicas=two: expected an integer, got "two"')
      expect(lines[2]).to.match(/users is a list; lists cannot be set/)
      expect(lines[3]).to.match(/container is a message \(KubernetesRedisContainer\); set one of its fields/)
      expect(lines[4]).to.match(/"lru" is not a value of KubernetesRedisEvictionPolicy/)
      // The last --set is applied and then fails validation like any value in the manifest.
      expect(lines[5]).to.equal('spec.container.replicas: must be greater than or equal to 1 and less than or equal to 10')
      expect(() => parseSetFlags(['spec.a=1,b'])).to.throw(SetSyntaxError, /"b" is not path=value/)
      expect(() => parseSetFlags(['metadata.labels."a.b=1'])).to.throw(SetSyntaxError, /unbalanced/)
    })
  })

  describe('what the tools get', () => {
    it('gives Pulumi protojson (camelCase, enum names, int64 strings) and tofu snake_case variables without apiVersion and kind', async () => {
      const schema = await schemaAt('v0.2.0')
      const checked = await checkManifest(schema, redis({max_memory_bytes: 10, config: {someKey: 'v'}}))
      const target = pulumiTarget(schema, checked.message!)
      expect(target).to.deep.include({apiVersion: REDIS.apiVersion, kind: REDIS.kind})
      expect((target.spec as Record<string, unknown>).maxMemoryBytes).to.equal('10')
      const vars = tofuVariables(schema, checked.message!)
      expect(Object.keys(vars)).to.deep.equal(['metadata', 'spec'])
      expect(vars.metadata).to.deep.equal({name: 'redis-demo', labels: {'example.com/team': 'web'}})
      expect(vars.spec).to.deep.equal({
        namespace: {value: 'cache'}, container: {replicas: 1, storage_size: '1Gi'}, eviction_policy: 'allkeys_lru', max_memory_bytes: '10', config: {someKey: 'v'},
      })
    })
  })
})
