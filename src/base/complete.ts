/**
 * `project-planton __complete <words…>`: what the bash and zsh completion functions run on every
 * <TAB>. bin/run.js calls it before loading oclif. It prints the answer of core/completion.ts in
 * its line protocol, and nothing on errors: a failed <TAB> must not spill messages onto the prompt.
 */
import {existsSync} from 'node:fs'
import path from 'node:path'

import type {PackageJson} from './command-table.js'

export async function complete(words: string[], opts: {root: string; pjson: PackageJson}): Promise<void> {
  const [{commandTable}, completion, {PROVIDERS}] = await Promise.all([
    import('./command-table.js'),
    import('../core/completion.js'),
    import('../core/credentials.js'),
  ])
  const table = await commandTable(opts.root, opts.pjson)
  const answer = await completion.complete(table, words, {providers: PROVIDERS, versions: stagingVersions})
  process.stdout.write(completion.formatCompletion(answer))
}

/** The versions staging already has, read locally (no network): nothing when it is not cloned. */
async function stagingVersions(): Promise<string[]> {
  const [{homePaths, resolveHome}, {listRefs}, {versionChoices, LATEST}, {StagingError}] = await Promise.all([
    import('../core/home.js'),
    import('../core/git.js'),
    import('../core/refs.js'),
    import('../core/errors.js'),
  ])
  const gitDir = path.join(homePaths(resolveHome()).clone, '.git')
  // Not cloned yet: `latest` still works (the checkout clones first).
  if (!existsSync(gitDir)) return [LATEST]
  try {
    return versionChoices(await listRefs(gitDir, ['refs/tags', 'refs/remotes/origin']))
  } catch (error) {
    // A broken clone (the next staging command repairs it) or no git: offer what needs neither.
    if (error instanceof StagingError || (error as NodeJS.ErrnoException).code === 'ENOENT') return [LATEST]
    throw error
  }
}
