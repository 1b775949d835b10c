import {pulumiFlags, tofuBackendFlags} from '../base/flags.js'
import {ROUTED_DESCRIPTION, ROUTED_EXAMPLE} from '../base/help.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Init extends IacCommand {
  static summary = 'Create the Pulumi stack or initialise the OpenTofu/Terraform module of a manifest.'
  static description = ROUTED_DESCRIPTION
  static examples = [ROUTED_EXAMPLE]
  static flags = {...pulumiFlags, ...tofuBackendFlags}
  static target: IacTarget = {pulumi: 'init', tofu: 'init'}
}
