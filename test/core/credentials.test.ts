import {expect} from 'chai'
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {
  credentialEnv, kubeconfigOf, loadCredentials, parseCredentialFlags, readProviderConfig,
} from '../../src/core/credentials.js'
import {InvalidInputError} from '../../src/core/errors.js'
import {makeTempDir, removeTempDirs} from '../support/upstream.js'

describe('provider credentials', () => {
  after(removeTempDirs)
  // Made when the suite runs: temporary folders of other suites are removed after them.
  let dir: string

  before(() => {
    dir = makeTempDir('pp-creds-')
  })
  const file = (name: string, text: string) => {
    const p = path.join(dir, name)
    writeFileSync(p, text)
    return p
  }

  it('maps AWS credentials (snake_case or camelCase) to AWS_* variables', async () => {
    const snake = await readProviderConfig('aws', file('aws.yaml', 'access_key_id: AKIA1\nsecret_access_key: s3cret\nregion: eu-west-1\n'))
    expect(credentialEnv(snake)).to.deep.equal({
      AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's3cret', AWS_REGION: 'eu-west-1', AWS_DEFAULT_REGION: 'eu-west-1',
    })
    const camel = await readProviderConfig('aws', file('aws2.yaml', 'accessKeyId: AKIA2\nsecretAccessKey: x\nsessionToken: t\n'))
    expect(credentialEnv(camel)).to.deep.equal({AWS_ACCESS_KEY_ID: 'AKIA2', AWS_SECRET_ACCESS_KEY: 'x', AWS_SESSION_TOKEN: 't'})
  })

  it('maps Azure, GCP, Confluent, Atlas, Auth0, Snowflake, OpenFGA and Cloudflare', async () => {
    const cases: Array<[Parameters<typeof readProviderConfig>[0], string, Record<string, string>]> = [
      ['azure', 'client_id: c\nclient_secret: s\ntenant_id: t\nsubscription_id: u\n', {
        ARM_CLIENT_ID: 'c', ARM_CLIENT_SECRET: 's', ARM_TENANT_ID: 't', ARM_SUBSCRIPTION_ID: 'u',
      }],
      ['gcp', `service_account_key_base64: ${Buffer.from('{"type":"service_account"}').toString('base64')}\n`, {GOOGLE_CREDENTIALS: '{"type":"service_account"}'}],
      ['confluent', 'api_key: k\napi_secret: s\n', {CONFLUENT_CLOUD_API_KEY: 'k', CONFLUENT_CLOUD_API_SECRET: 's'}],
      ['atlas', 'public_key: p\nprivate_key: q\n', {MONGODB_ATLAS_PUBLIC_KEY: 'p', MONGODB_ATLAS_PRIVATE_KEY: 'q'}],
      ['auth0', 'domain: d\nclient_id: c\nclient_secret: s\n', {AUTH0_DOMAIN: 'd', AUTH0_CLIENT_ID: 'c', AUTH0_CLIENT_SECRET: 's'}],
      ['snowflake', 'account: a\nusername: u\npassword: p\n', {SNOWFLAKE_ACCOUNT: 'a', SNOWFLAKE_USER: 'u', SNOWFLAKE_PASSWORD: 'p'}],
      ['openfga', 'api_url: https://fga\napi_token: t\n', {FGA_API_URL: 'https://fga', FGA_API_TOKEN: 't'}],
      ['cloudflare', 'api_token: t\n', {CLOUDFLARE_API_TOKEN: 't'}],
    ]
    for (const [provider, yaml, env] of cases) {
      expect(credentialEnv(await readProviderConfig(provider, file(`${provider}.yaml`, yaml))), provider).to.deep.equal(env)
    }
  })

  it('passes a kubeconfig as a file named by KUBECONFIG', async () => {
    const kube = await readProviderConfig('kubernetes', file('kube.yaml', 'kubeconfig: |\n  apiVersion: v1\n  clusters: []\n'))
    expect(kubeconfigOf(kube)).to.equal('apiVersion: v1\nclusters: []\n')
    expect(credentialEnv(kube, '/ws/private/kubeconfig')).to.deep.equal({KUBECONFIG: '/ws/private/kubeconfig'})
  })

  it('rejects unreadable and non-mapping credential files', async () => {
    for (const [name, text] of [['list.yaml', '- a\n'], ['bad.yaml', 'a: [\n']]) {
      try {
        await readProviderConfig('aws', file(name, text))
        expect.fail(`${name} should be rejected`)
      } catch (error) {
        expect(error).to.be.instanceOf(InvalidInputError)
        expect((error as Error).message).to.contain(name)
      }
    }
  })

  it('reads --provider-config as <file> for the manifest provider or <provider>=<file>, legacy flags included', () => {
    expect(parseCredentialFlags(['kube.yaml'])).to.deep.equal({forManifest: 'kube.yaml', byProvider: {}})
    expect(parseCredentialFlags(['aws=a.yaml', 'GCP=g.yaml'], {azure: 'z.yaml'})).to.deep.equal({byProvider: {aws: 'a.yaml', gcp: 'g.yaml', azure: 'z.yaml'}})
    // A file name with "=" that does not start with a provider's name is a file.
    expect(parseCredentialFlags(['creds=v2.yaml'])).to.deep.equal({forManifest: 'creds=v2.yaml', byProvider: {}})
    expect(() => parseCredentialFlags(['a.yaml', 'b.yaml'])).to.throw(InvalidInputError, /given twice/)
    expect(() => parseCredentialFlags(['aws='])).to.throw(InvalidInputError, /no file/)
  })

  it('loads the manifest provider first (the Pulumi provider_config), then the others', async () => {
    const aws = file('a.yaml', 'region: eu-west-1\n')
    const kube = file('k.yaml', 'kubeconfig: x\n')
    const loaded = await loadCredentials('kubernetes', {forManifest: kube, byProvider: {aws}})
    expect(loaded.map(c => c.provider)).to.deep.equal(['kubernetes', 'aws'])
    try {
      await loadCredentials('example', {forManifest: kube, byProvider: {}})
      expect.fail('a provider without credentials took a file')
    } catch (error) {
      expect(error).to.be.instanceOf(InvalidInputError)
      expect((error as Error).message).to.match(/takes no credentials file/)
    }
  })
})
