import {tofuBackendFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuRefresh extends IacCommand {
  static summary = 'Update the state from the real resources (init, then refresh).'
  static description = 'The provisioner label terraform runs the terraform binary; tofu runs tofu (terraform is used, with a notice, when only it is installed). Local state is kept under the CLI home (tofu/state/<kind>/<name>) and survives workspace cleanup.'
  static examples = [
    {description: 'Refresh the state', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
  ]
  static flags = tofuBackendFlags
  static target: IacTarget = {tool: 'tofu', tofu: 'refresh'}
}
