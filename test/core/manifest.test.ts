import {expect} from 'chai'

import {InvalidInputError} from '../../src/core/errors.js'
import {snakeKeys} from '../../src/core/iac/tofu.js'
import {parseManifest} from '../../src/core/manifest.js'

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

function rejects(text: string, sets: string[] = []): InvalidInputError {
  try {
    parseManifest(text, 'm.yaml', sets)
  } catch (error) {
    expect(error).to.be.instanceOf(InvalidInputError)
    return error as InvalidInputError
  }

  throw new Error('expected the manifest to be rejected')
}

describe('manifest', () => {
  it('loads the reference example', () => {
    const m = parseManifest(GOOD, 'm.yaml')
    expect(m.kind).to.equal('KubernetesPostgres')
    expect(m.metadata.labels).to.deep.equal({'project-planton.org/provisioner': 'pulumi'})
    expect(m.spec).to.deep.equal({namespace: {value: 'kubernetes-postgres-example'}, container: {replicas: 1, diskSize: '1Gi'}})
  })

  it('reports YAML errors with file, line and column', () => {
    const error = rejects('apiVersion: x\nkind: [unclosed\nmetadata: {}\n')
    expect(error.message).to.match(/^m\.yaml:\d+:\d+: invalid YAML/)
  })

  it('rejects a list, a scalar and an empty document', () => {
    expect(rejects('- a\n- b\n').message).to.contain('not a list')
    expect(rejects('hello\n').message).to.contain('not a string')
    expect(rejects('').message).to.contain('mapping')
  })

  it('names the missing field', () => {
    expect(rejects('apiVersion: a/v1\nmetadata: {name: x}\n').message).to.contain('kind is missing')
    expect(rejects('apiVersion: a/v1\nkind: K\nmetadata: {}\n').message).to.contain('metadata.name is missing')
    expect(rejects('kind: K\nmetadata: {name: x}\n').message).to.contain('apiVersion is missing')
  })

  it('rejects a kind that is not a CamelCase name (it becomes part of paths)', () => {
    for (const kind of ['../../etc', 'a/b', '/abs', 'Kind With Space', '9Lives']) {
      expect(rejects(`apiVersion: a/v1\nkind: "${kind}"\nmetadata: {name: x}\n`).message, kind).to.contain('invalid kind')
    }
  })

  it('rejects labels that are not strings', () => {
    expect(rejects('apiVersion: a/v1\nkind: K\nmetadata: {name: x, labels: {a: [1]}}\n').message).to.contain('label a must be a string')
  })

  it('applies --set overrides with YAML scalar values', () => {
    const m = parseManifest(GOOD, 'm.yaml', ['spec.container.replicas=2', 'spec.container.diskSize=2Gi', 'spec.new.deep=true', "metadata.labels.x='7'"])
    expect((m.spec as {container: {replicas: number}}).container.replicas).to.equal(2)
    expect((m.spec as {container: {diskSize: string}}).container.diskSize).to.equal('2Gi')
    expect((m.spec as {new: {deep: boolean}}).new.deep).to.equal(true)
    expect(m.metadata.labels!.x).to.equal('7')
  })

  it('rejects malformed --set and prototype paths', () => {
    expect(rejects(GOOD, ['novalue']).message).to.contain('expected path=value')
    expect(rejects(GOOD, ['spec..x=1']).message).to.contain('empty or reserved')
    expect(rejects(GOOD, ['__proto__.polluted=1']).message).to.contain('reserved')
    expect(rejects(GOOD, ['spec.namespace.value.deeper=1']).message).to.contain('not a mapping')
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
