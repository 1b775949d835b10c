import {changeFlags} from '../base/flags.js'
import {ROUTED_DESCRIPTION, ROUTED_EXAMPLE} from '../base/help.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Refresh extends IacCommand {
  static summary = 'Refresh the state of a manifest from the real resources.'
  static description = ROUTED_DESCRIPTION
  static examples = [ROUTED_EXAMPLE]
  static flags = changeFlags
  static target: IacTarget = {pulumi: 'refresh', tofu: 'refresh'}
}
