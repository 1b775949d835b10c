import {changeFlags} from '../base/flags.js'
import {alsoAvailableAs, ROUTED_DESCRIPTION, ROUTED_EXAMPLE} from '../base/help.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Destroy extends IacCommand {
  static hiddenAliases = ['delete']
  static summary = 'Destroy the resources of a manifest (pulumi destroy or tofu destroy).'
  static description = ROUTED_DESCRIPTION + alsoAvailableAs('delete')
  static examples = [ROUTED_EXAMPLE]
  static flags = changeFlags
  static target: IacTarget = {pulumi: 'destroy', tofu: 'destroy'}
}
