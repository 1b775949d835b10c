import {pulumiRunFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiRefresh extends IacCommand {
  static summary = 'Refresh the Pulumi stack\'s state from the cloud (pulumi refresh).'
  static examples = [
    {description: 'Refresh the state', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --yes'},
  ]
  static flags = pulumiRunFlags
  static target: IacTarget = {tool: 'pulumi', pulumi: 'refresh'}
}
