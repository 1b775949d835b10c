import * as Flags from '@oclif/core/flags'

import {StagingCommand} from '../../base/staging-command.js'

export default class StagingClean extends StagingCommand {
  static summary = 'Remove workspaces left behind by runs and the cache of module exports; with --all, the staging clone too.'
  static description = 'Workspaces of runs that are still going are left alone. --all asks for confirmation before deleting the clone; without a terminal it needs --yes.'
  static examples = [
    {description: 'Remove leftover workspaces', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Start over from an empty staging', command: '<%= config.bin %> <%= command.id %> --all --yes'},
  ]
  static flags = {
    all: Flags.boolean({summary: 'Also remove the staging clone (it is cloned again on next use).'}),
    yes: Flags.boolean({char: 'y', summary: 'Do not ask for confirmation.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(StagingClean)
    const {paths} = await this.home()
    if (flags.all && !flags.yes && !(await this.confirm(`Remove the staging clone ${paths.clone}?`))) {
      this.error('not removing staging: not confirmed', {exit: 1})
    }

    const {cleanWorkspaces} = await import('../../core/workspace.js')
    const {clearSnapshots} = await import('../../core/snapshot.js')
    const {formatBytes} = await import('../../core/fsutil.js')
    const {removed, running, foreign} = await cleanWorkspaces(paths.workspaces)
    const stagingRemoved = flags.all ? await (await this.staging()).remove() : false
    // Per-commit snapshots are only a cache; runs going may be copying from them.
    let cacheBytes = 0
    if (running.length === 0) {
      const [{clearOutcomes}, {clearSchemas}] = await Promise.all([import('../../core/manifest-check.js'), import('../../core/schema/cache.js')])
      cacheBytes = (await clearSnapshots(paths.cache)).bytes + (await clearSchemas(paths.cache)).bytes
      await clearOutcomes(paths.cache)
    }

    const document = {
      removed: removed.map(w => w.path), skippedRunning: running.map(w => w.path), notOurs: foreign.map(w => w.path), stagingRemoved, cacheBytesFreed: cacheBytes,
    }
    if (this.jsonEnabled()) return document

    this.log(`Removed ${removed.length} workspace(s)${running.length > 0 ? `; left ${running.length} of runs still going` : ''}.`)
    for (const w of foreign) this.log(`Left ${w.path}: project-planton did not make it.`)
    if (running.length === 0) this.log(`Freed ${formatBytes(cacheBytes)} of cached module exports.`)
    if (flags.all) this.log(stagingRemoved ? `Removed staging ${paths.clone}.` : 'Staging was not cloned.')
    return document
  }

  private async confirm(question: string): Promise<boolean> {
    if (!process.stdin.isTTY) {
      this.error('--all removes the staging clone and needs confirmation, but there is no terminal to ask', {exit: 2, suggestions: ['Add --yes.']})
    }

    const {createInterface} = await import('node:readline/promises')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim())
    } finally {
      rl.close()
    }
  }
}
