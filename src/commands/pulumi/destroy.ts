import {pulumiRunFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiDestroy extends IacCommand {
  static summary = 'Destroy the resources of the Pulumi stack (pulumi destroy).'
  static examples = [
    {description: 'Destroy after confirmation', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
  ]
  static flags = pulumiRunFlags
  static target: IacTarget = {tool: 'pulumi', pulumi: 'destroy'}
}
