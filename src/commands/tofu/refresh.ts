import {tofuBackendFlags} from '../../base/flags.js'
import {TOFU_DESCRIPTION} from '../../base/help.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuRefresh extends IacCommand {
  static summary = 'Update the state from the real resources (init, then refresh).'
  static description = TOFU_DESCRIPTION
  static examples = [
    {description: 'Refresh the state', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
  ]
  static flags = tofuBackendFlags
  static target: IacTarget = {tool: 'tofu', tofu: 'refresh'}
}
