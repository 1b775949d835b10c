import * as Flags from '@oclif/core/flags'

import {tofuBackendFlags} from '../../base/flags.js'
import {TOFU_DESCRIPTION} from '../../base/help.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuPlan extends IacCommand {
  static summary = 'Show what OpenTofu/Terraform would change (init, then plan).'
  static description = TOFU_DESCRIPTION
  static examples = [
    {description: 'Plan the changes', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
    {description: 'Plan a destroy', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --destroy'},
    {description: 'Save the plan, to apply exactly it later', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --out bucket.tfplan'},
    {description: 'Pass arguments to the tool (exit 2 then means "changes")', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml -- -detailed-exitcode -lock=false'},
  ]
  static flags = {
    ...tofuBackendFlags,
    destroy: Flags.boolean({summary: 'Plan the destruction of everything (plan -destroy).'}),
    out: Flags.string({summary: 'Keep the saved plan in this file (it outlives the workspace); apply it with tofu apply --plan <file>.'}),
  }
  static target: IacTarget = {tool: 'tofu', tofu: 'plan'}
}
