import {InvalidInputError} from './errors.js'

/** A full object name (SHA-1, or SHA-256 in repositories that use it): a commit id, never a ref name. */
export const FULL_SHA = /^(?:[\da-f]{40}|[\da-f]{64})$/i
/** What may be an abbreviated object name. */
export const SHA_LIKE = /^[\da-f]{4,63}$/i
/** A plain release tag; component tags such as `v0.3.26-terraform.x.20260117.0` do not match. */
const RELEASE_TAG = /^v(\d+)\.(\d+)\.(\d+)$/

export const LATEST = 'latest'

/**
 * Checks a version string typed by the user before it comes anywhere near git. The rules are those of
 * `git check-ref-format --allow-onelevel`, plus: no leading `-` (option injection), no whitespace or
 * control characters, no `\`, no `@{`, no `..`. Throws InvalidInputError; returns the ref unchanged.
 */
export function validateRef(ref: string, what = 'version'): string {
  const reject = (why: string): never => {
    throw new InvalidInputError(`invalid ${what} ${JSON.stringify(ref)}: ${why}`, {
      hint: 'Use a release tag (v0.2.1), a branch (main), a commit SHA (4-40 hex digits) or "latest".',
    })
  }

  if (ref.length === 0) reject('it is empty')
  if (ref.length > 255) reject('it is longer than 255 characters')
  if (ref.startsWith('-')) reject('it must not start with "-"')
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007F]/.test(ref)) reject('it contains whitespace or control characters')
  if (/[~^:?*[\\]/.test(ref)) reject('it contains one of ~ ^ : ? * [ \\')
  if (ref.includes('..')) reject('it contains ".."')
  if (ref.includes('@{')) reject('it contains "@{"')
  if (ref === '@') reject('"@" is not a ref')
  if (ref.startsWith('/') || ref.endsWith('/') || ref.includes('//')) reject('it has an empty path component')
  if (ref.endsWith('.')) reject('it ends with "."')
  for (const component of ref.split('/')) {
    if (component.startsWith('.')) reject('a path component starts with "."')
    if (component.endsWith('.lock')) reject('a path component ends with ".lock"')
  }

  return ref
}

export type SemVer = [number, number, number]

export function parseReleaseTag(tag: string): SemVer | undefined {
  const m = RELEASE_TAG.exec(tag)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined
}

export function compareSemVer(a: SemVer, b: SemVer): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** The highest plain `vX.Y.Z` tag, or undefined when there is none. */
export function latestRelease(tags: Iterable<string>): string | undefined {
  let best: {tag: string; v: SemVer} | undefined
  for (const tag of tags) {
    const v = parseReleaseTag(tag)
    if (v && (!best || compareSemVer(v, best.v) > 0)) best = {tag, v}
  }

  return best?.tag
}

/** Release tags strictly newer than `current`, highest first. */
export function newerReleases(tags: Iterable<string>, current: string): string[] {
  const base = parseReleaseTag(current)
  if (!base) return []
  return [...tags]
  .map(tag => ({tag, v: parseReleaseTag(tag)}))
  .filter((t): t is {tag: string; v: SemVer} => t.v !== undefined && compareSemVer(t.v, base) > 0)
  .sort((a, b) => compareSemVer(b.v, a.v))
  .map(t => t.tag)
}

/**
 * What `checkout <version>` can be given, from full ref names newest first (`refs/tags/…`,
 * `refs/remotes/origin/…`): release tags highest first, then the other tags (component and CLI
 * builds) newest first, then the branches, then `latest`.
 */
export function versionChoices(refs: Iterable<string>): string[] {
  const releases: Array<{tag: string; v: SemVer}> = []
  const otherTags: string[] = []
  const branches: string[] = []
  for (const ref of refs) {
    if (ref.startsWith('refs/tags/')) {
      const tag = ref.slice('refs/tags/'.length)
      const v = parseReleaseTag(tag)
      if (v) releases.push({tag, v})
      else otherTags.push(tag)
    } else if (ref.startsWith('refs/remotes/origin/') && ref !== 'refs/remotes/origin/HEAD') {
      branches.push(ref.slice('refs/remotes/origin/'.length))
    }
  }

  releases.sort((a, b) => compareSemVer(b.v, a.v))
  return [...releases.map(r => r.tag), ...otherTags, ...branches, LATEST]
}
