import {tofuBackendFlags} from '../../base/flags.js'
import {TOFU_DESCRIPTION} from '../../base/help.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuInit extends IacCommand {
  static summary = 'Initialise the OpenTofu/Terraform module of the manifest (tofu init).'
  static description = TOFU_DESCRIPTION
  static examples = [
    {description: 'Initialise with local state under the CLI home', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
    {
      description: 'Use an S3 backend',
      command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --backend-type s3 --backend-config bucket=acme-state --backend-config key=dev/bucket.tfstate --backend-config region=eu-west-1',
    },
  ]
  static flags = tofuBackendFlags
  static target: IacTarget = {tool: 'tofu', tofu: 'init'}
}
