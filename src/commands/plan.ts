import {pulumiFlags, pulumiRunFlags, tofuBackendFlags} from '../base/flags.js'
import {alsoAvailableAs, ROUTED_DESCRIPTION, ROUTED_EXAMPLE} from '../base/help.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Plan extends IacCommand {
  static hiddenAliases = ['preview']
  static summary = 'Show what a deploy would change (pulumi preview or tofu plan).'
  static description = ROUTED_DESCRIPTION + alsoAvailableAs('preview')
  static examples = [
    ROUTED_EXAMPLE,
    {description: 'Plan with another module version, once', command: '<%= config.bin %> plan -f redis.yaml --module-version v0.2.0'},
  ]
  static flags = {...pulumiFlags, ...tofuBackendFlags, diff: pulumiRunFlags.diff}
  static target: IacTarget = {pulumi: 'preview', tofu: 'plan'}
}
