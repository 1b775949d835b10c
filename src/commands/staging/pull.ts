import * as Flags from '@oclif/core/flags'

import {StagingCommand} from '../../base/staging-command.js'

export default class StagingPull extends StagingCommand {
  static hiddenAliases = ['pull']
  static summary = 'Clone the module monorepo into staging, or fetch it and move the selected branch forward.'
  static description = `The first pull clones the upstream (PROJECT_PLANTON_REPO_URL) into ~/.project-planton/staging/project-planton and selects the tag equal to this CLI's version, or the default branch.

Later pulls fetch branches and tags (tags moved upstream follow). When the selected version is a branch, the work tree moves to its new head; a pinned tag or commit stays where it is, and the output says when a newer release exists. Local changes in staging are never overwritten unless --force is given.

Also available as \`<%= config.bin %> pull\`.`
  static examples = [
    {description: 'Clone or update staging', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Update and print the result as JSON', command: '<%= config.bin %> pull --json'},
    {description: 'Use a mirror (or a git bundle) as the upstream', command: 'PROJECT_PLANTON_REPO_URL=file:///srv/mirrors/project-planton.git <%= config.bin %> <%= command.id %>'},
  ]
  static flags = {
    force: Flags.boolean({summary: 'Discard local changes in the staging work tree.'}),
  }

  async run(): Promise<unknown> {
    const {flags} = await this.parse(StagingPull)
    const result = await this.withProgress('Pull staging', async (staging, setTitle) => {
      const r = await staging.pull(flags.force)
      const at = `${r.state.ref} (${r.state.sha.slice(0, 12)})`
      setTitle(r.action === 'cloned'
        ? `Cloned staging at ${at}`
        : (r.action === 'updated'
          ? `Staging updated: ${r.previousSha!.slice(0, 12)} → ${at}`
          : `Staging up to date at ${at}`))
      return r
    })
    const document = {
      action: result.action, ref: result.state.ref, kind: result.state.kind, sha: result.state.sha, previousSha: result.previousSha, newerReleases: result.newerReleases,
    }
    if (this.jsonEnabled()) return document

    if (result.newerReleases.length > 0) {
      this.log(`A newer release exists: ${result.newerReleases[0]} (staging stays at ${result.state.ref}). Switch with: ${this.config.bin} staging checkout ${result.newerReleases[0]}`)
    }

    return document
  }
}
