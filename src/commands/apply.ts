import * as Flags from '@oclif/core/flags'

import {pulumiFlags, pulumiRunFlags, tofuBackendFlags} from '../base/flags.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Apply extends IacCommand {
  static summary = 'Deploy a manifest with Pulumi or OpenTofu/Terraform, as its provisioner label says.'
  static description = 'The manifest label project-planton.org/provisioner (pulumi, tofu or terraform) chooses the tool. Without it, you are asked at a terminal (default pulumi); elsewhere it is an error.'
  static examples = [
    {description: 'Run what the manifest\'s project-planton.org/provisioner label says', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Deploy without prompts, overriding a field', command: '<%= config.bin %> apply -f redis.yaml --yes --set spec.container.replicas=3'},
    {description: 'Deploy from a module folder of your own', command: '<%= config.bin %> apply -f redis.yaml --module-dir ~/work/redis-module'},
  ]
  static flags = {
    ...pulumiFlags, ...tofuBackendFlags, yes: Flags.boolean({char: 'y', aliases: ['auto-approve'], summary: 'Do not ask for confirmation (pulumi --yes --skip-preview, tofu -auto-approve).'}), diff: pulumiRunFlags.diff,
  }
  static target: IacTarget = {pulumi: 'update', tofu: 'apply'}
}
