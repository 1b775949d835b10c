import {pulumiFlags, tofuBackendFlags} from '../base/flags.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Init extends IacCommand {
  static summary = 'Create the Pulumi stack or initialise the OpenTofu/Terraform module of a manifest.'
  static description = 'The manifest label project-planton.org/provisioner (pulumi, tofu or terraform) chooses the tool. Without it, you are asked at a terminal (default pulumi); elsewhere it is an error.'
  static examples = [
    {description: 'Run what the manifest\'s project-planton.org/provisioner label says', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
  ]
  static flags = {...pulumiFlags, ...tofuBackendFlags}
  static target: IacTarget = {pulumi: 'init', tofu: 'init'}
}
