/**
 * Which versions of the monorepo have released module programs, and where they are.
 *
 * The monorepo's release workflows attach `pulumi-<module>_<os>_<arch>.gz` to two kinds of GitHub
 * release: every plain release `vX.Y.Z` carries the programs of all modules, and a component release
 * `vX.Y.Z-pulumi.<module>.<YYYYMMDD>.<N>` (made when one module changed on main) carries only that
 * module's. Other tags (`-cli.`, `-app.`, `-terraform.…`, `-website.`), branches and commits have
 * none, so no request is made for them.
 */
import type {RefKind} from '../staging.js'

import {InvalidInputError} from '../errors.js'

export const DEFAULT_RELEASES_URL = 'https://github.com/plantonhq/project-planton/releases'
export const RELEASES_URL_VARIABLE = 'PROJECT_PLANTON_RELEASES_URL'

const PLAIN_RELEASE = /^v\d+\.\d+\.\d+$/
const COMPONENT_RELEASE = /^v\d+\.\d+\.\d+-pulumi\.([\da-z]+)\.\d{8}\.\d+$/

export type VersionRef = {
  /** the ref as the user typed it */
  ref: string
  kind: RefKind
  /** for `latest`: the release tag it stood for */
  tag?: string
}

/** The release tag whose assets hold `module`'s program at this version, or why there is none. */
export function releaseTagFor(version: VersionRef, module: string): {reason: string; tag?: undefined} | {tag: string} {
  // `latest` resolves as a tag whose name is in `tag`.
  const tag = version.tag ?? (version.kind === 'tag' ? version.ref : undefined)
  if (!tag) return {reason: `${version.ref} is a ${version.kind}, not a release`}
  if (PLAIN_RELEASE.test(tag)) return {tag}
  const component = COMPONENT_RELEASE.exec(tag)?.[1]
  if (component === module) return {tag}
  if (component) return {reason: `${tag} is a release of the ${component} module only`}
  return {reason: `${tag} is not a release with module programs`}
}

export type ReleasesBase = {
  url: URL
  /** set by PROJECT_PLANTON_RELEASES_URL: then plain http is allowed too (mirrors, tests) */
  explicit: boolean
}

/**
 * Where releases are downloaded from: PROJECT_PLANTON_RELEASES_URL (a mirror laid out like GitHub's
 * `…/releases`, i.e. `<base>/download/<tag>/<asset>`), else GitHub. Only https and http are
 * accepted, and http only when set explicitly. Credentials in the URL are sent as basic
 * authentication and never printed.
 */
export function releasesBase(env: NodeJS.ProcessEnv): ReleasesBase {
  const raw = env[RELEASES_URL_VARIABLE]?.trim()
  if (!raw) return {url: new URL(DEFAULT_RELEASES_URL), explicit: false}
  let url: URL
  try {
    url = new URL(raw)
  } catch (error) {
    throw new InvalidInputError(`${RELEASES_URL_VARIABLE} is not a URL`, {cause: error, hint: `Set it to a base such as ${DEFAULT_RELEASES_URL}, or unset it.`})
  }

  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new InvalidInputError(`${RELEASES_URL_VARIABLE} must be an https:// or http:// URL, not ${url.protocol}`, {hint: `Set it to a base such as ${DEFAULT_RELEASES_URL}, or unset it.`})
  }

  if (url.search || url.hash) throw new InvalidInputError(`${RELEASES_URL_VARIABLE} must not have a query or a fragment (${bareUrl(url)})`)
  return {url, explicit: true}
}

/** `<base>/download/<tag>/<name>` */
export function releaseAssetUrl(base: URL, tag: string, name: string): URL {
  const url = new URL(base.href)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/download/${encodeURIComponent(tag)}/${encodeURIComponent(name)}`
  return url
}

/**
 * Where a release may publish the SHA-256 of an asset, in the order they are tried: a sidecar
 * `<asset>.sha256`, then, for a plain release, the checksum list GoReleaser writes
 * (`cli_<X.Y.Z>_checksums.txt`; today it lists the CLI's archives only, and the modules' programs
 * are uploaded beside it without checksums).
 */
export function checksumUrls(base: URL, tag: string, asset: string): URL[] {
  const urls = [releaseAssetUrl(base, tag, `${asset}.sha256`)]
  if (PLAIN_RELEASE.test(tag)) urls.push(releaseAssetUrl(base, tag, `cli_${tag.slice(1)}_checksums.txt`))
  return urls
}

/** The SHA-256 a checksum file gives for `asset` (a sidecar may hold the bare digest), or undefined. */
export function checksumFor(text: string, asset: string, sidecar: boolean): string | undefined {
  for (const line of text.split(/\r?\n/)) {
    const m = /^([\dA-Fa-f]{64})(?:\s+\*?(\S.*))?$/.exec(line.trim())
    if (!m) continue
    const name = m[2]?.trim()
    if (name === asset || (sidecar && (name === undefined || name.endsWith(`/${asset}`)))) return m[1].toLowerCase()
  }

  return undefined
}

/** A URL fit for messages: no credentials, no query (GitHub's redirects carry signed ones). */
export function bareUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`
}
