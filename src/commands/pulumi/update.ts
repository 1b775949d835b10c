import {pulumiRunFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiUpdate extends IacCommand {
  static hiddenAliases = ['pulumi:up']
  static summary = 'Deploy the manifest with its Pulumi module (pulumi up).'
  static description = 'Also available as `<%= config.bin %> pulumi up`.'
  static examples = [
    {description: 'Preview, confirm and deploy', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Deploy without a prompt, two replicas', command: '<%= config.bin %> pulumi up -f redis.yaml --yes --set spec.container.replicas=2'},
    {description: 'Run an older module version once', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --module-version v0.2.0'},
  ]
  static flags = pulumiRunFlags
  static target: IacTarget = {tool: 'pulumi', pulumi: 'update'}
}
