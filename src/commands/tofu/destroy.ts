import * as Flags from '@oclif/core/flags'

import {tofuBackendFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuDestroy extends IacCommand {
  static summary = 'Destroy the resources of the manifest (init, then destroy).'
  static description = 'The provisioner label terraform runs the terraform binary; tofu runs tofu (terraform is used, with a notice, when only it is installed). Local state is kept under the CLI home (tofu/state/<kind>/<name>) and survives workspace cleanup.'
  static examples = [
    {description: 'Destroy after confirmation', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
  ]
  static flags = {...tofuBackendFlags, 'auto-approve': Flags.boolean({summary: 'Destroy without asking for confirmation (-auto-approve).'})}
  static target: IacTarget = {tool: 'tofu', tofu: 'destroy'}
}
