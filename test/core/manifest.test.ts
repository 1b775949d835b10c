import {expect} from 'chai'

import {InvalidInputError} from '../../src/core/errors.js'
import {snakeKeys} from '../../src/core/iac/tofu.js'
import {type Manifest, parseManifest, validateManifest} from '../../src/core/manifest.js'
import {applyUntyped, readSetFlags} from '../../src/core/overrides.js'

/** What loadManifest does with the text of a manifest and the --set flags. */
async function load(text: string, sets: string[] = []): Promise<Manifest> {
  const data = parseManifest(text, 'm.yaml')
  await applyUntyped(data, readSetFlags(sets))
  return validateManifest(data, 'm.yaml')
}

const GOOD = `apiVersion: kubernetes.project-planton.org/v1
kind: KubernetesPostgres
metadata:
  name: kubernetes-postgres-example
  labels:
    project-planton.org/provisioner: pulumi
spec:
  namespace: {value: kubernetes-postgres-example}
  container: {replicas: 1, diskSize: 1Gi}
`

async function rejects(text: string, sets: string[] = []): Promise<InvalidInputError> {
  try {
    await load(text, sets)
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidInputError)
    return error as InvalidInputError
  }

  throw new Error('expected the manifest to be rejected')
}

describe('manifest', () => {
  it('loads the reference example', async () => {
    const m = await load(GOOD)
    expect(m.kind).to.equal('KubernetesPostgres')
    expect(m.metadata.labels).to.deep.equal({'project-planton.org/provisioner': 'pulumi'})
    expect(m.spec).to.deep.equal({namespace: {value: 'kubernetes-postgres-example'}, container: {replicas: 1, diskSize: '1Gi'}})
  })

  it('reports YAML errors with file, line and column', async () => {
    const error = await rejects('apiVersion: x\nkind: [unclosed\nmetadata: {}\n')
    expect(error.message).to.match(/^m\.yaml:\d+:\d+: invalid YAML/)
  })

  it('rejects a list, a scalar and an empty document', async () => {
    expect((await rejects('- a\n- b\n')).message).to.contain('not a list')
    expect((await rejects('hello\n')).message).to.contain('not a string')
    expect((await rejects('')).message).to.contain('mapping')
  })

  it('names the missing field', async () => {
    expect((await rejects('apiVersion: a/v1\nmetadata: {name: x}\n')).message).to.contain('kind is missing')
    expect((await rejects('apiVersion: a/v1\nkind: K\nmetadata: {}\n')).message).to.contain('metadata.name is missing')
    expect((await rejects('kind: K\nmetadata: {name: x}\n')).message).to.contain('apiVersion is missing')
  })

  it('rejects a kind that is not a CamelCase name (it becomes part of paths)', async () => {
    for (const kind of ['../../etc', 'a/b', '/abs', 'Kind With Space', '9Lives']) {
      expect((await rejects(`apiVersion: a/v1\nkind: "${kind}"\nmetadata: {name: x}\n`)).message, kind).to.contain('invalid kind')
    }
  })

  it('rejects labels that are not strings', async () => {
    expect((await rejects('apiVersion: a/v1\nkind: K\nmetadata: {name: x, labels: {a: [1]}}\n')).message).to.contain('label a must be a string')
  })

  it('applies --set overrides with YAML scalar values', async () => {
    const m = await load(GOOD, ['spec.container.replicas=2', 'spec.container.diskSize=2Gi', 'spec.new.deep=true,metadata.labels.x=7', 'metadata.labels."a.b/c"=d'])
    expect((m.spec as {container: {replicas: number}}).container.replicas).to.equal(2)
    expect((m.spec as {container: {diskSize: string}}).container.diskSize).to.equal('2Gi')
    expect((m.spec as {new: {deep: boolean}}).new.deep).to.equal(true)
    // Label values stay strings; a quoted segment holds dots.
    expect(m.metadata.labels!.x).to.equal('7')
    expect(m.metadata.labels!['a.b/c']).to.equal('d')
  })

  it('rejects malformed --set and prototype paths', async () => {
    expect((await rejects(GOOD, ['novalue'])).message).to.contain('is not path=value')
    expect((await rejects(GOOD, ['spec..x=1'])).message).to.contain('empty path segment')
    expect((await rejects(GOOD, ['__proto__.polluted=1'])).message).to.contain('reserved')
    expect((await rejects(GOOD, ['spec.namespace.value.deeper=1'])).message).to.contain('not a mapping')
    expect(({} as Record<string, unknown>).polluted).to.equal(undefined)
  })

  it('turns camelCase keys into snake_case for tofu variables, but not label keys', () => {
    /* eslint-disable camelcase */
    expect(snakeKeys({diskSize: '1Gi', container: {maxReplicas: 2}, labels: {'project-planton.org/x': 'y', someLabel: 'z'}})).to.deep.equal({
      disk_size: '1Gi',
      container: {max_replicas: 2},
      labels: {'project-planton.org/x': 'y', someLabel: 'z'},
      /* eslint-enable camelcase */
    })
  })
})
