import * as Flags from '@oclif/core/flags'

import {tofuBackendFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuPlan extends IacCommand {
  static summary = 'Show what OpenTofu/Terraform would change (init, then plan).'
  static description = 'The provisioner label terraform runs the terraform binary; tofu runs tofu (terraform is used, with a notice, when only it is installed). Local state is kept under the CLI home (tofu/state/<kind>/<name>) and survives workspace cleanup.'
  static examples = [
    {description: 'Plan the changes', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
    {description: 'Plan a destroy', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --destroy'},
  ]
  static flags = {...tofuBackendFlags, destroy: Flags.boolean({summary: 'Plan the destruction of everything (plan -destroy).'})}
  static target: IacTarget = {tool: 'tofu', tofu: 'plan'}
}
