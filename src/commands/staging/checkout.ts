import * as Args from '@oclif/core/args'
import * as Flags from '@oclif/core/flags'

import {alsoAvailableAs, paragraphs} from '../../base/help.js'
import {StagingCommand} from '../../base/staging-command.js'

export default class StagingCheckout extends StagingCommand {
  static hiddenAliases = ['checkout']
  static summary = 'Select the module version that later runs use.'
  static description = paragraphs(
    [
      'VERSION is a release tag (v0.2.1), a branch (main), a commit SHA (full or at least 4 hex digits), or "latest" (the highest plain vX.Y.Z release tag;',
      'component tags such as v0.3.26-terraform.x.20260117.0 never count).',
    ],
    [
      'The version is resolved in staging first; the upstream is fetched only when it is not there, so a version already in staging works offline.',
      'The choice sticks until you change it: runs and pulls never revert it. When a tag and a branch share a name, the tag wins;',
      'write origin/<name> for the branch.',
    ],
  ) + alsoAvailableAs('checkout')
  static examples = [
    {description: 'Pin a release', command: '<%= config.bin %> <%= command.id %> v0.2.1'},
    {description: 'Follow the newest release', command: '<%= config.bin %> checkout latest'},
    {description: 'Track a branch (pull moves it forward)', command: '<%= config.bin %> checkout main'},
    {description: 'Select a commit', command: '<%= config.bin %> checkout 1a2b3c4d'},
  ]
  static args = {
    version: Args.string({required: true, description: 'tag, branch, commit SHA, or latest'}),
  }
  static flags = {
    force: Flags.boolean({summary: 'Discard local changes in the staging work tree.'}),
  }

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(StagingCheckout)
    const {validateRef, LATEST} = await import('../../core/refs.js')
    // Bad input is refused before anything is created.
    if (args.version !== LATEST) validateRef(args.version)
    const result = await this.withProgress(`Select ${args.version}`, async (staging, setTitle) => {
      const r = await staging.checkout(args.version, flags.force)
      const at = `${r.state.ref}${r.state.tag ? ` = ${r.state.tag}` : ''} (${r.state.sha.slice(0, 12)})`
      setTitle(r.action === 'already-selected' ? `Already at ${at}` : `Selected ${at}${r.fetched ? ' (fetched)' : ''}`)
      return r
    })
    return {
      action: result.action, ref: result.state.ref, kind: result.state.kind, tag: result.state.tag, sha: result.state.sha, previousRef: result.previous?.ref, fetched: result.fetched,
    }
  }
}
