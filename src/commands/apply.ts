import {changeFlags} from '../base/flags.js'
import {ROUTED_DESCRIPTION, ROUTED_EXAMPLE} from '../base/help.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Apply extends IacCommand {
  static summary = 'Deploy a manifest with Pulumi or OpenTofu/Terraform, as its provisioner label says.'
  static description = ROUTED_DESCRIPTION
  static examples = [
    ROUTED_EXAMPLE,
    {description: 'Deploy without prompts, overriding a field', command: '<%= config.bin %> apply -f redis.yaml --yes --set spec.container.replicas=3'},
    {description: 'Deploy from a module folder of your own', command: '<%= config.bin %> apply -f redis.yaml --module-dir ~/work/redis-module'},
  ]
  static flags = changeFlags
  static target: IacTarget = {pulumi: 'update', tofu: 'apply'}
}
