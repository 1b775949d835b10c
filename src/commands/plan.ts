import {pulumiFlags, pulumiRunFlags, tofuBackendFlags} from '../base/flags.js'
import {IacCommand, type IacTarget} from '../base/iac-command.js'

export default class Plan extends IacCommand {
  static hiddenAliases = ['preview']
  static summary = 'Show what a deploy would change (pulumi preview or tofu plan).'
  static description = 'The manifest label project-planton.org/provisioner (pulumi, tofu or terraform) chooses the tool. Without it, you are asked at a terminal (default pulumi); elsewhere it is an error.\n\nAlso available as `<%= config.bin %> preview`.'
  static examples = [
    {description: 'Run what the manifest\'s project-planton.org/provisioner label says', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Plan with another module version, once', command: '<%= config.bin %> plan -f redis.yaml --module-version v0.2.0'},
  ]
  static flags = {...pulumiFlags, ...tofuBackendFlags, diff: pulumiRunFlags.diff}
  static target: IacTarget = {pulumi: 'preview', tofu: 'plan'}
}
