import * as Flags from '@oclif/core/flags'

import {autoApproveFlag, tofuBackendFlags} from '../../base/flags.js'
import {TOFU_DESCRIPTION} from '../../base/help.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuApply extends IacCommand {
  static summary = 'Deploy the manifest with its OpenTofu/Terraform module (init, then apply).'
  static description = TOFU_DESCRIPTION
  static examples = [
    {description: 'Apply after confirmation', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
    {description: 'Apply in CI', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --auto-approve'},
    {description: 'Keep the workspace to inspect it', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --no-cleanup'},
    {description: 'Apply a plan saved by tofu plan --out (from the same module version)', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --plan bucket.tfplan'},
  ]
  static flags = {
    ...tofuBackendFlags,
    ...autoApproveFlag,
    plan: Flags.string({summary: 'Apply this plan saved by tofu plan --out; refused when it was made from another module version or stack.', exclusive: ['auto-approve']}),
  }
  static target: IacTarget = {tool: 'tofu', tofu: 'apply'}
}
