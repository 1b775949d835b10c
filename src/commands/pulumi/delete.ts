import * as Flags from '@oclif/core/flags'

import {pulumiFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiDelete extends IacCommand {
  static hiddenAliases = ['pulumi:rm']
  static summary = 'Remove the Pulumi stack (pulumi stack rm); its resources must be destroyed first unless --force.'
  static description = 'Also available as `<%= config.bin %> pulumi rm`.'
  static examples = [
    {description: 'Remove the stack', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Remove a stack that still has resources', command: '<%= config.bin %> pulumi rm -f redis.yaml --force'},
  ]
  static flags = {...pulumiFlags, force: Flags.boolean({summary: 'Remove the stack even if it still has resources (pulumi stack rm --force).'})}
  static target: IacTarget = {tool: 'pulumi', pulumi: 'delete'}
}
