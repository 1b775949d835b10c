import {tofuBackendFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuInit extends IacCommand {
  static summary = 'Initialise the OpenTofu/Terraform module of the manifest (tofu init).'
  static description = 'The provisioner label terraform runs the terraform binary; tofu runs tofu (terraform is used, with a notice, when only it is installed). Local state is kept under the CLI home (tofu/state/<kind>/<name>) and survives workspace cleanup.'
  static examples = [
    {description: 'Initialise with local state under the CLI home', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
    {description: 'Use an S3 backend', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml --backend-type s3 --backend-config bucket=acme-state --backend-config key=dev/bucket.tfstate --backend-config region=eu-west-1'},
  ]
  static flags = tofuBackendFlags
  static target: IacTarget = {tool: 'tofu', tofu: 'init'}
}
