/**
 * Where the protos of a schema are read from: a commit of staging's object store (the commit a run
 * uses) or a folder on disk (a local checkout of the monorepo). Both answer "the bytes of this
 * repository-relative file, or nothing".
 */
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {Prefetch} from '../blob-fetch.js'
import type {GitRepository, ObjectReader} from '../git.js'

import {StagingError} from '../errors.js'
import {PROVIDER_ROOT} from '../modules.js'
import {type SchemaUnavailable} from './unavailable.js'

export type SchemaSource = {
  /** for messages: "commit 1a2b3c4d5e6f" or the folder */
  describe: string
  /** the full commit SHA the files come from; undefined for a folder (never cached: it can change) */
  commit?: string
  /** the bytes of a repository-relative file, or undefined when there is no such file */
  read(rel: string): Promise<Buffer | undefined>
  /**
   * Announces the reads of one level of imports: for each group of alternative paths (generated
   * code, then .proto text), the first one that exists will be read. A lean staging fetches them.
   */
  prefetch?(alternatives: string[][]): Promise<void>
  close(): Promise<void>
}

/** Repository-relative paths the schema reader asks for: plain relative names, nothing that climbs out. */
const SAFE_PATH = /^(?:[\w.-]+\/)*[\w.-]+$/

export function assertSafePath(rel: string): void {
  if (!SAFE_PATH.test(rel) || rel.split('/').some(p => p === '..' || p === '.')) {
    throw new StagingError(`refusing to read ${JSON.stringify(rel)}: not a plain repository path`)
  }
}

/**
 * Files of commit `sha`, read through one `git cat-file --batch` process (`<sha>:<path>` names
 * the blob, so no tree listing is needed). Only a missing object is taken as "no such file".
 * `prefetch`: the staging's (see prepare.ts stagingPrefetch), for a lean staging.
 */
export function commitSource(repo: GitRepository, sha: string, prefetch?: Prefetch): SchemaSource {
  if (!/^[\da-f]{40}$/.test(sha)) throw new StagingError(`internal: a schema source needs a full SHA, got ${sha}`)
  let reader: ObjectReader | undefined
  return {
    describe: `commit ${sha.slice(0, 12)}`,
    commit: sha,
    async read(rel) {
      assertSafePath(rel)
      reader ??= repo.objectReader()
      try {
        return await reader.read(`${sha}:${rel}`)
      } catch (error) {
        if (error instanceof StagingError && error.message.endsWith(' is missing from staging')) return
        throw error
      }
    },
    async prefetch(alternatives) {
      if (!prefetch) return
      // Names the reader would refuse are left to it (it says why); git is asked about plain paths only.
      const groups = alternatives.map(g => g.filter(rel => SAFE_PATH.test(rel) && !rel.split('/').some(p => p === '..' || p === '.')))
      const found = new Map((await repo.entriesAt(sha, groups.flat())).map(e => [e.path, e]))
      const entries = groups.flatMap(g => g.map(rel => found.get(rel)).find(e => e?.type === 'blob') ?? [])
      await prefetch(entries, 'the protos of the kind')
    },
    async close() {
      await reader?.close()
    },
  }
}

/** Files of a folder on disk: a checkout of the monorepo. */
export function folderSource(root: string): SchemaSource {
  return {
    describe: root,
    async read(rel) {
      assertSafePath(rel)
      try {
        return await readFile(path.join(root, rel))
      } catch (error) {
        const {code} = error as NodeJS.ErrnoException
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return
        throw error
      }
    },
    async close() {},
  }
}

/**
 * The checkout of the monorepo that holds `dir` (a `--module-dir`): the nearest ancestor with the
 * provider tree `apis/org/project_planton/provider`, or undefined when `dir` is outside any.
 */
export async function findMonorepoRoot(dir: string): Promise<string | undefined> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const st = await stat(path.join(d, PROVIDER_ROOT)).catch(() => {})
    if (st?.isDirectory()) return d
    if (path.dirname(d) === d) return undefined
  }
}

/** The source for a folder that should lie inside a checkout of the monorepo (`--module-dir`). */
export async function checkoutSource(dir: string): Promise<SchemaSource | SchemaUnavailable> {
  const root = await findMonorepoRoot(dir)
  if (!root) return {ok: false, reason: 'not-a-monorepo', message: `${dir} is not inside a checkout of the ProjectPlanton monorepo (no ${PROVIDER_ROOT} above it)`}
  return folderSource(root)
}
