/**
 * Provider credentials: a YAML (or JSON) file per provider. Pulumi modules receive it as
 * `provider_config` in the stack input; OpenTofu/Terraform providers read environment variables.
 */

import {InvalidInputError} from './errors.js'
import {readLocalText} from './manifest-source.js'

/** A credentials file is a few KiB (a kubeconfig with certificates, a service-account key). */
const MAX_CREDENTIALS_BYTES = 1024 * 1024

export const PROVIDERS = ['aws', 'azure', 'gcp', 'kubernetes', 'cloudflare', 'confluent', 'atlas', 'auth0', 'snowflake', 'openfga'] as const
export type Provider = (typeof PROVIDERS)[number]

export type ProviderConfig = {provider: Provider; values: Record<string, unknown>; file: string}

/** field of the credential file (snake_case; camelCase is accepted too) → environment variable */
const ENV_MAP: Record<Provider, Array<[string, string]>> = {
  aws: [
    ['access_key_id', 'AWS_ACCESS_KEY_ID'],
    ['secret_access_key', 'AWS_SECRET_ACCESS_KEY'],
    ['session_token', 'AWS_SESSION_TOKEN'],
    ['region', 'AWS_REGION'],
    ['region', 'AWS_DEFAULT_REGION'],
  ],
  azure: [
    ['client_id', 'ARM_CLIENT_ID'],
    ['client_secret', 'ARM_CLIENT_SECRET'],
    ['tenant_id', 'ARM_TENANT_ID'],
    ['subscription_id', 'ARM_SUBSCRIPTION_ID'],
  ],
  gcp: [['service_account_key', 'GOOGLE_CREDENTIALS']],
  kubernetes: [],
  cloudflare: [
    ['api_token', 'CLOUDFLARE_API_TOKEN'],
    ['api_key', 'CLOUDFLARE_API_KEY'],
    ['email', 'CLOUDFLARE_EMAIL'],
  ],
  confluent: [
    ['api_key', 'CONFLUENT_CLOUD_API_KEY'],
    ['api_secret', 'CONFLUENT_CLOUD_API_SECRET'],
  ],
  atlas: [
    ['public_key', 'MONGODB_ATLAS_PUBLIC_KEY'],
    ['private_key', 'MONGODB_ATLAS_PRIVATE_KEY'],
  ],
  auth0: [
    ['domain', 'AUTH0_DOMAIN'],
    ['client_id', 'AUTH0_CLIENT_ID'],
    ['client_secret', 'AUTH0_CLIENT_SECRET'],
  ],
  snowflake: [
    ['account', 'SNOWFLAKE_ACCOUNT'],
    ['region', 'SNOWFLAKE_REGION'],
    ['username', 'SNOWFLAKE_USER'],
    ['password', 'SNOWFLAKE_PASSWORD'],
    ['role', 'SNOWFLAKE_ROLE'],
    ['warehouse', 'SNOWFLAKE_WAREHOUSE'],
  ],
  openfga: [
    ['api_url', 'FGA_API_URL'],
    ['api_token', 'FGA_API_TOKEN'],
    ['store_id', 'FGA_STORE_ID'],
  ],
}

export async function readProviderConfig(provider: Provider, file: string, signal?: AbortSignal): Promise<ProviderConfig> {
  // Read as manifests are: a file of a credentials file's size, or a FIFO (`<(vault …)`) a
  // Ctrl-C can leave; never `-` as stdin (the manifest may be there).
  const {text} = await readLocalText(file, {what: `${provider} credentials`, limit: MAX_CREDENTIALS_BYTES, signal})

  const {parse} = await import('yaml')
  let values: unknown
  try {
    values = parse(text)
  } catch (error) {
    throw new InvalidInputError(`${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`)
  }

  if (!values || typeof values !== 'object' || Array.isArray(values)) throw new InvalidInputError(`${file}: credentials must be a YAML mapping`)
  return {provider, values: values as Record<string, unknown>, file}
}

function field(values: Record<string, unknown>, snake: string): string | undefined {
  const camel = snake.replaceAll(/_([a-z])/g, (_, c: string) => c.toUpperCase())
  const value = values[snake] ?? values[camel]
  if (value === undefined || value === null) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * The environment variables a Terraform provider reads for these credentials. A kubeconfig is
 * written by the caller (it is a file, not a variable); `kubeconfigPath` says where.
 */
export function credentialEnv(config: ProviderConfig, kubeconfigPath?: string): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, variable] of ENV_MAP[config.provider]) {
    const value = field(config.values, key)
    if (value !== undefined) env[variable] = value
  }

  if (config.provider === 'gcp' && !env.GOOGLE_CREDENTIALS) {
    const b64 = field(config.values, 'service_account_key_base64')
    if (b64) env.GOOGLE_CREDENTIALS = Buffer.from(b64, 'base64').toString('utf8')
  }

  if (config.provider === 'kubernetes' && kubeconfigPath) env.KUBECONFIG = kubeconfigPath
  return env
}

/** The kubeconfig content of kubernetes credentials (a `kubeconfig` field, or the file itself). */
export function kubeconfigOf(config: ProviderConfig): string | undefined {
  if (config.provider !== 'kubernetes') return undefined
  const inline = field(config.values, 'kubeconfig')
  if (inline) return inline
  return config.values.apiVersion && config.values.clusters ? JSON.stringify(config.values) : undefined
}

/**
 * The credential files of a run: `forManifest` is for the manifest's own provider (`--provider-config
 * <file>`), `byProvider` names the provider (`--provider-config aws=<file>`).
 */
export type CredentialFiles = {
  forManifest?: string
  byProvider: Partial<Record<Provider, string>>
  /** the provider config of a stack input (`-i`): the manifest provider's, given inline */
  inline?: {values: Record<string, unknown>; from: string}
}

/**
 * Reads `--provider-config` values: `<provider>=<file>` when the part before the first `=` is a
 * provider's name, else a file for the manifest's own provider (a file name may contain `=`).
 */
export function parseCredentialFlags(values: string[], legacy: Partial<Record<Provider, string>> = {}): CredentialFiles {
  const files: CredentialFiles = {byProvider: {...legacy}}
  for (const value of values) {
    const eq = value.indexOf('=')
    const provider = eq > 0 ? PROVIDERS.find(p => p === value.slice(0, eq).toLowerCase()) : undefined
    if (provider) {
      if (eq === value.length - 1) throw new InvalidInputError(`--provider-config ${value}: no file after "="`)
      files.byProvider[provider] = value.slice(eq + 1)
    } else if (files.forManifest) {
      throw new InvalidInputError(`--provider-config given twice without a provider (${files.forManifest}, ${value})`, {
        hint: `Name the provider of each file: --provider-config aws=aws.yaml --provider-config kubernetes=kube.yaml (providers: ${PROVIDERS.join(', ')}).`,
      })
    } else {
      files.forManifest = value
    }
  }

  return files
}

/**
 * The credential files of a run, read: one per provider named, and `forManifest` for the manifest's
 * own provider. The manifest provider's comes first: it is the `provider_config` of a Pulumi stack input.
 */
export async function loadCredentials(manifestProvider: string | undefined, files: CredentialFiles, signal?: AbortSignal): Promise<ProviderConfig[]> {
  const own = PROVIDERS.find(p => p === manifestProvider)
  if (files.forManifest && !own) {
    throw new InvalidInputError(`--provider-config: the manifest's provider ${JSON.stringify(manifestProvider ?? '')} takes no credentials file`, {
      hint: `Name the provider: --provider-config <provider>=<file>, one of ${PROVIDERS.join(', ')}.`,
    })
  }

  const chosen = new Map<Provider, string>()
  if (own && files.forManifest) chosen.set(own, files.forManifest)
  for (const p of PROVIDERS) if (files.byProvider[p]) chosen.set(p, files.byProvider[p]!)
  const order = [...chosen.keys()].sort((a, b) => Number(b === own) - Number(a === own))
  const read = await Promise.all(order.map(p => readProviderConfig(p, chosen.get(p)!, signal)))
  // A file named for the manifest's provider wins over the stack input's own config.
  if (files.inline && own && !chosen.has(own)) read.unshift({provider: own, values: files.inline.values, file: files.inline.from})
  return read
}
