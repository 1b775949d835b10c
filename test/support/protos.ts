// Real .proto files shaped like the monorepo's, for the test upstream: an api.proto per kind that
// imports its spec.proto, the shared metadata message, a foreign-key wrapper (StringValueOrRef),
// the defaults option, buf.validate field rules, message- and field-level CEL rules, a oneof, an
// enum, a repeated message and a map of labels. Next to each .proto is the generated Go code the
// monorepo commits, holding the file's serialized descriptor as a Go string literal. The
// descriptors are compiled here with the CLI's own .proto text compiler (protobufjs), whose
// output matches protoc's embedded descriptors for every file of real monorepo releases.
//
// Two releases differ: at v0.1.0 KubernetesRedis has `container.disk_size`; from v0.2.0 on it is
// renamed `container.storage_size`, with a default ("1Gi"), and `eviction_policy` gets a default.
import {toBinary} from '@bufbuild/protobuf'
import {type FileDescriptorProto, FileDescriptorProtoSchema} from '@bufbuild/protobuf/wkt'

import {buildRegistry, dependencyClosure} from '../../src/core/schema/descriptors.js'
import {protoTextCompiler} from '../../src/core/schema/proto-text.js'
import {API_ROOT, GO_MODULE} from './monorepo.js'

export type SchemaRelease = 'v0.1.0' | 'v0.2.0'

const OPTIONS = `syntax = "proto3";

package org.project_planton.shared.options;

import "google/protobuf/descriptor.proto";

extend google.protobuf.FieldOptions {
  // default value of a field, as a string converted to the field's type
  string default = 60001;
  string recommended_default = 60002;
}
`

const METADATA = `syntax = "proto3";

package org.project_planton.shared;

import "buf/validate/validate.proto";

message CloudResourceMetadata {
  string name = 1 [(buf.validate.field).string.min_len = 1];
  string id = 3;
  string org = 4;
  string env = 5;
  map<string, string> labels = 6;
  map<string, string> annotations = 7;
  repeated string tags = 8;
}
`

const FOREIGN_KEY = `syntax = "proto3";

package org.project_planton.shared.foreignkey.v1;

import "buf/validate/validate.proto";

// a literal value or a reference to a field of another resource
message StringValueOrRef {
  oneof literal_or_ref {
    string value = 1;
    ValueFromRef value_from = 2;
  }
}

message ValueFromRef {
  string kind = 1;
  string env = 2;
  string name = 3 [(buf.validate.field).required = true];
  string field_path = 4;
}
`

type Kind = {provider: string; folder: string; name: string; spec: (release: SchemaRelease) => string; specImports: string[]}

function apiProto(k: Kind): string {
  const pkg = `org.project_planton.provider.${k.provider}.${k.folder}.v1`
  return `syntax = "proto3";

package ${pkg};

import "buf/validate/validate.proto";
import "org/project_planton/provider/${k.provider}/${k.folder}/v1/spec.proto";
import "org/project_planton/shared/metadata.proto";

message ${k.name} {
  string api_version = 1 [(buf.validate.field).string.const = '${k.provider}.project-planton.org/v1'];
  string kind = 2 [(buf.validate.field).string.const = '${k.name}'];
  org.project_planton.shared.CloudResourceMetadata metadata = 3 [(buf.validate.field).required = true];
  ${k.name}Spec spec = 4 [(buf.validate.field).required = true];
  ${k.name}Status status = 5;
}

message ${k.name}Status {
  map<string, string> outputs = 1;
}
`
}

function specHeader(k: Kind): string {
  const imports = ['buf/validate/validate.proto', ...k.specImports].map(i => `import "${i}";`).join('\n')
  return `syntax = "proto3";\n\npackage org.project_planton.provider.${k.provider}.${k.folder}.v1;\n\n${imports}\n\n`
}

const SHARED_IMPORTS = ['org/project_planton/shared/options/options.proto', 'org/project_planton/shared/foreignkey/v1/foreign_key.proto']

const KINDS: Kind[] = [
  {
    provider: 'kubernetes',
    folder: 'kubernetesredis',
    name: 'KubernetesRedis',
    specImports: SHARED_IMPORTS,
    spec: release => `message KubernetesRedisSpec {
  option (buf.validate.message).cel = {
    id: "spec.persistence_needs_disk"
    expression: "!this.container.persistence_enabled || this.container.${release === 'v0.1.0' ? 'disk_size' : 'storage_size'} != ''"
    message: "persistence needs a disk size"
  };

  org.project_planton.shared.foreignkey.v1.StringValueOrRef namespace = 1 [(buf.validate.field).required = true];
  KubernetesRedisContainer container = 2;
  repeated KubernetesRedisUser users = 3;
  KubernetesRedisEvictionPolicy eviction_policy = 4 [(buf.validate.field).enum.defined_only = true${release === 'v0.1.0' ? '' : ', (org.project_planton.shared.options.default) = "allkeys_lru"'}];
  oneof auth {
    string password = 5;
    org.project_planton.shared.foreignkey.v1.ValueFromRef password_from = 6;
  }
  int64 max_memory_bytes = 7 [(buf.validate.field).int64 = {gte: 0, lte: 1099511627776}];
  map<string, string> config = 8;
}

message KubernetesRedisContainer {
  int32 replicas = 1 [
    (buf.validate.field).int32 = {gte: 1, lte: 10},
    (org.project_planton.shared.options.default) = "1"
  ];
  bool persistence_enabled = 2;
  string ${release === 'v0.1.0' ? 'disk_size' : 'storage_size'} = 3 [
    (buf.validate.field).cel = {
      id: "spec.container.disk_size.format"
      expression: "this == '' || this.matches('^[0-9]+(Gi|Mi)$')"
      message: "disk size must look like 1Gi or 500Mi"
    }${release === 'v0.1.0' ? '' : ',\n    (org.project_planton.shared.options.default) = "1Gi"'}
  ];
}

message KubernetesRedisUser {
  string name = 1 [(buf.validate.field).string.pattern = "^[a-z][a-z0-9_]*$"];
  repeated string flags = 2;
}

enum KubernetesRedisEvictionPolicy {
  eviction_policy_unspecified = 0;
  noeviction = 1;
  allkeys_lru = 2;
  volatile_lru = 3;
}
`,
  },
  {
    provider: 'kubernetes',
    folder: 'kubernetespostgres',
    name: 'KubernetesPostgres',
    specImports: SHARED_IMPORTS,
    spec: () => `message KubernetesPostgresSpec {
  org.project_planton.shared.foreignkey.v1.StringValueOrRef namespace = 1 [(buf.validate.field).required = true];
  KubernetesPostgresContainer container = 2;
}

message KubernetesPostgresContainer {
  int32 replicas = 1 [(org.project_planton.shared.options.default) = "1"];
  string disk_size = 2 [(org.project_planton.shared.options.default) = "1Gi"];
}
`,
  },
  {
    provider: 'aws',
    folder: 'awss3bucket',
    name: 'AwsS3Bucket',
    specImports: SHARED_IMPORTS,
    spec: () => `message AwsS3BucketSpec {
  string aws_region = 1 [(buf.validate.field).string.pattern = "^[a-z]{2}-[a-z]+-[0-9]$"];
  bool versioning_enabled = 2;
  map<string, string> tags = 3;
  int64 object_lock_days = 4;
}
`,
  },
  {
    provider: 'gcp',
    folder: 'gcpgkecluster',
    name: 'GcpGkeCluster',
    specImports: SHARED_IMPORTS,
    spec: () => `message GcpGkeClusterSpec {
  string project_id = 1 [(buf.validate.field).required = true];
  string region = 2 [(org.project_planton.shared.options.default) = "us-central1"];
}
`,
  },
]

/** The .proto files (import name → text) of `release`. */
export function protoSources(release: SchemaRelease): Record<string, string> {
  const files: Record<string, string> = {
    'org/project_planton/shared/options/options.proto': OPTIONS,
    'org/project_planton/shared/metadata.proto': METADATA,
    'org/project_planton/shared/foreignkey/v1/foreign_key.proto': FOREIGN_KEY,
  }
  for (const k of KINDS) {
    const dir = `org/project_planton/provider/${k.provider}/${k.folder}/v1`
    files[`${dir}/spec.proto`] = specHeader(k) + k.spec(release)
    files[`${dir}/api.proto`] = apiProto(k)
  }

  return files
}

/** Compiles `sources` (import name → text), dependencies first. */
export function compileProtos(sources: Record<string, string>): Map<string, FileDescriptorProto> {
  const out = new Map<string, FileDescriptorProto>()
  const visit = (name: string): void => {
    if (out.has(name) || !(name in sources)) return
    const deps = protoTextCompiler.imports(name, sources[name])
    for (const d of deps) visit(d)
    const closure = dependencyClosure(deps, n => out.get(n))
    out.set(name, protoTextCompiler.compile(name, sources[name], buildRegistry(closure, deps)))
  }

  for (const name of Object.keys(sources)) visit(name)
  return out
}

/**
 * Generated Go code of `descriptor` as protoc-gen-go writes it: the serialized FileDescriptorProto
 * as a concatenation of string literals (`form: 'string'`, protoc-gen-go 1.36) or a byte slice
 * (`form: 'bytes'`, 1.34). `body` is Go code kept before the descriptor (types, imports).
 */
export function generatedGo(descriptor: FileDescriptorProto, goPackage: string, opts: {body?: string; form?: 'bytes' | 'string'} = {}): string {
  const raw = toBinary(FileDescriptorProtoSchema, descriptor)
  const varName = `file_${descriptor.name.replaceAll(/[^\w]/g, '_')}_rawDesc`
  const literal = opts.form === 'bytes' ? byteSlice(raw) : stringLiteral(raw)
  const decl = opts.form === 'bytes' ? `var ${varName} = ${literal}` : `const ${varName} = ${literal}`
  return `// Code generated by protoc-gen-go. DO NOT EDIT.\n// source: ${descriptor.name}\n\npackage ${goPackage}\n\n${opts.body ?? ''}\n${decl}\n`
}

/** As protoc-gen-go 1.36: one literal per line, broken after each "\n" byte. */
function stringLiteral(raw: Uint8Array): string {
  const chunks: string[] = []
  let current = ''
  for (const b of raw) {
    switch (b) {
    case 0x0A: {
      current += '\\n'
      break;
    }

    case 0x22: {
      current += '\\"'
      break;
    }

    case 0x5C: {
      current += '\\\\'
      break;
    }

    default: {current += b >= 0x20 && b < 0x7F ? String.fromCodePoint(b) : `\\x${b.toString(16).padStart(2, '0')}`;
    }
    }

    if (b === 0x0A) {
      chunks.push(current)
      current = ''
    }
  }

  if (current) chunks.push(current)
  return `"" +\n${chunks.map(c => `\t"${c}"`).join(' +\n')}`
}

function byteSlice(raw: Uint8Array): string {
  const lines: string[] = []
  for (let i = 0; i < raw.length; i += 16) lines.push(`\t${[...raw.subarray(i, i + 16)].map(b => `0x${b.toString(16).padStart(2, '0')},`).join(' ')}`)
  return `[]byte{\n${lines.join('\n')}\n}`
}

/**
 * The repository files of `release` (path → content): every .proto under apis/ and its generated
 * Go code. The generated code of the shared metadata and of each kind's api.proto keeps the Go
 * types and imports the test upstream's pulumi modules build against.
 */
export function schemaFiles(release: SchemaRelease, opts: {form?: 'bytes' | 'string'} = {}): Record<string, string> {
  const sources = protoSources(release)
  const compiled = compileProtos(sources)
  const files: Record<string, string> = {}
  for (const [name, text] of Object.entries(sources)) {
    files[`apis/${name}`] = text
    const dir = name.slice(0, name.lastIndexOf('/'))
    const goPackage = dir.split('/').at(-1) === 'v1' ? dir.split('/').slice(-2).join('') : dir.split('/').at(-1)!
    files[`apis/${name.replace(/\.proto$/, '.pb.go')}`] = generatedGo(compiled.get(name)!, goPackage, {body: goBody(name), form: opts.form})
  }

  return files
}

function goBody(name: string): string {
  if (name === 'org/project_planton/shared/metadata.proto') {
    return '// Metadata is the common resource metadata.\ntype Metadata struct {\n\tName   string\n\tLabels map[string]string\n}\n'
  }

  const kind = KINDS.find(k => name === `org/project_planton/provider/${k.provider}/${k.folder}/v1/api.proto`)
  if (!kind) return ''
  return `import shared "${GO_MODULE}/${API_ROOT}/shared"\n\n// ${kind.name} is the API resource.\ntype ${kind.name} struct {\n\tName     string\n\tMetadata *shared.Metadata\n}\n`
}

/** For createUpstream({files}): the schema of v0.1.0 in the first commit, of v0.2.0 from the second on. */
export function upstreamSchemaFiles(marker: string): Record<string, string> {
  return schemaFiles(marker === 'v0.1.0' ? 'v0.1.0' : 'v0.2.0')
}
