import {pulumiFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiInit extends IacCommand {
  static summary = 'Create the Pulumi stack of the manifest (pulumi stack init); an existing stack is fine.'
  static examples = [
    {description: 'Create the stack named by the manifest\'s labels', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Name the stack yourself', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --stack acme/redis/dev'},
  ]
  static flags = pulumiFlags
  static target: IacTarget = {tool: 'pulumi', pulumi: 'init'}
}
