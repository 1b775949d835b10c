import * as Flags from '@oclif/core/flags'

import {tofuBackendFlags} from '../../base/flags.js'
import {TOFU_DESCRIPTION} from '../../base/help.js'
import {IacCommand, type IacTarget} from '../../base/iac-command.js'

export default class TofuDestroy extends IacCommand {
  static summary = 'Destroy the resources of the manifest (init, then destroy).'
  static description = TOFU_DESCRIPTION
  static examples = [
    {description: 'Destroy after confirmation', command: '<%= config.bin %> <%= command.id %> -f bucket.yaml'},
  ]
  static flags = {...tofuBackendFlags, 'auto-approve': Flags.boolean({summary: 'Destroy without asking for confirmation (-auto-approve).'})}
  static target: IacTarget = {tool: 'tofu', tofu: 'destroy'}
}
