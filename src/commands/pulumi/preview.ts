import {pulumiFlags, pulumiRunFlags} from '../../base/flags.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class PulumiPreview extends IacCommand {
  static summary = 'Show what a Pulumi update would change (pulumi preview).'
  static examples = [
    {description: 'Preview the changes', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Preview with a module folder of your own', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --module-dir ./my-module'},
  ]
  static flags = {...pulumiFlags, diff: pulumiRunFlags.diff}
  static target: IacTarget = {tool: 'pulumi', pulumi: 'preview'}
}
