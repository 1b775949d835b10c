import {pulumiFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiCancel extends IacCommand {
  static summary = 'Cancel an update that is running on the Pulumi stack (pulumi cancel).'
  static examples = [
    {description: 'Cancel the running update', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
  ]
  static flags = pulumiFlags
  static target: IacTarget = {tool: 'pulumi', pulumi: 'cancel'}
}
