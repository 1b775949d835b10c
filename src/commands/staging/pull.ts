import * as Flags from '@oclif/core/flags'

import {alsoAvailableAs, paragraphs} from '../../base/help.js'
import {StagingCommand} from '../../base/staging-command.js'

const LEAN = [
  'A full staging (the default) has every file of every version, checked out: every module works offline.',
  'A lean staging (--lean, PROJECT_PLANTON_STAGING=lean, or CI=true; the variable wins over CI) has the commits and trees only, no work tree,',
  'and fetches the files of a module the first time a run needs them: a first run in a fresh CI job costs a small part of a full clone.',
  '--full turns a lean staging into a full one.',
].join(' ')

export default class StagingPull extends StagingCommand {
  static hiddenAliases = ['pull']
  static summary = 'Clone the module monorepo into staging, or fetch it and move the selected branch forward.'
  static description = paragraphs(
    [
      'The first pull clones the upstream (PROJECT_PLANTON_REPO_URL) into ~/.project-planton/staging/project-planton',
      "and selects the tag equal to this CLI's version, or the default branch.",
    ],
    [
      'Later pulls fetch branches and tags (tags moved upstream follow). When the selected version is a branch, the work tree moves to its new head;',
      'a pinned tag or commit stays where it is, and the output says when a newer release exists.',
      'Local changes in staging are never overwritten unless --force is given.',
    ],
    LEAN,
  ) + alsoAvailableAs('pull')
  static examples = [
    {description: 'Clone or update staging', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Update and print the result as JSON', command: '<%= config.bin %> pull --json'},
    {description: 'Use a mirror (or a git bundle) as the upstream', command: 'PROJECT_PLANTON_REPO_URL=file:///srv/mirrors/project-planton.git <%= config.bin %> <%= command.id %>'},
    {description: 'Clone lean (files fetched as runs need them)', command: '<%= config.bin %> <%= command.id %> --lean'},
    {description: 'Make a lean staging full, to work offline with every module', command: '<%= config.bin %> <%= command.id %> --full'},
  ]
  static flags = {
    force: Flags.boolean({summary: 'Discard local changes in the staging work tree.'}),
    lean: Flags.boolean({summary: 'If staging is cloned now, clone it lean: commits and trees, files fetched as runs need them.', exclusive: ['full']}),
    full: Flags.boolean({summary: 'Clone staging full even under CI=true, or turn a lean staging into a full one.', exclusive: ['lean']}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(StagingPull)
    const cloneMode = flags.full ? 'full' : (flags.lean ? 'lean' : undefined)
    const result = await this.withProgress('Pull staging', async (staging, setTitle) => {
      const r = await staging.pull(flags.force)
      const at = `${r.state.ref} (${r.state.sha.slice(0, 12)})`
      const kind = r.mode === 'lean' ? ' (lean)' : (r.converted ? ' (now a full clone)' : '')
      setTitle(r.action === 'cloned'
        ? `Cloned staging${r.mode === 'lean' ? ' lean' : ''} at ${at}`
        : (r.action === 'updated'
          ? `Staging updated: ${r.previousSha!.slice(0, 12)} → ${at}${kind}`
          : `Staging up to date at ${at}${kind}`))
      return r
    }, cloneMode)
    const {state} = result
    const document = {
      action: result.action, ref: state.ref, kind: state.kind, sha: state.sha, previousSha: result.previousSha, newerReleases: result.newerReleases, mode: result.mode, converted: result.converted,
    }
    if (this.jsonEnabled()) return document

    if (result.newerReleases.length > 0) {
      this.log(`A newer release exists: ${result.newerReleases[0]} (staging stays at ${state.ref}). Switch with: ${this.config.bin} staging checkout ${result.newerReleases[0]}`)
    }

    return document
  }
}
