import * as Flags from '@oclif/core/flags'

import {StagingCommand} from '../../base/staging-command.js'

export default class StagingClean extends StagingCommand {
  static summary = 'Remove leftover workspaces, cached module exports and module binaries unused for a while; with --all, the staging clone and all module binaries too.'
  static description = [
    'Workspaces of runs that are still going are left alone. Module binaries of the selected version, or used in the last 7 days, are kept',
    '(making one again takes a download or a compile). --all asks for confirmation before deleting the clone; without a terminal it needs --yes.',
  ].join(' ')
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
    const {removed, running, foreign} = await cleanWorkspaces(paths.workspaces)
    const staging = await this.staging()
    const selected = flags.all ? undefined : await staging.readState()
    const stagingRemoved = flags.all ? await staging.remove() : false
    const {cleanCache} = await import('../../core/cache-clean.js')
    const cache = await cleanCache(paths.home, paths.cache, {
      runsGoing: running.length > 0, all: Boolean(flags.all), keepSha: selected?.sha, keepVersion: selected?.tag ?? (selected?.kind === 'tag' ? selected.ref : undefined),
    })
    const document = {
      removed: removed.map(w => w.path),
      skippedRunning: running.map(w => w.path),
      notOurs: foreign.map(w => w.path),
      stagingRemoved,
      cacheBytesFreed: cache.exportBytes,
      binariesRemoved: cache.binaries.removed,
      binaryBytesFreed: cache.binaries.bytes,
    }
    if (this.jsonEnabled()) return document

    const {formatBytes} = await import('../../core/fsutil.js')
    this.log(`Removed ${removed.length} workspace(s)${running.length > 0 ? `; left ${running.length} of runs still going` : ''}.`)
    for (const w of foreign) this.log(`Left ${w.path}: project-planton did not make it.`)
    if (running.length === 0) this.log(`Freed ${formatBytes(cache.exportBytes)} of cached module exports.`)
    const kept = cache.keptDays === undefined ? '' : `; kept those of the selected version and those used in the last ${cache.keptDays} days`
    this.log(`Removed ${cache.binaries.removed} module binary(ies), ${formatBytes(cache.binaries.bytes)}${kept}.`)
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
