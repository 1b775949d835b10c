/**
 * The hooks the IaC commands run around the tool. Another plugin may add its own handler for either
 * event to observe or extend preparation and teardown. (Option types are type aliases: oclif's
 * Hooks index signature does not accept interfaces.)
 */
import type * as Interfaces from '@oclif/core/interfaces'

import type {PreparedRun, PrepareRequest} from '../core/prepare.js'

export type StagingPrepareOptions = {request: PrepareRequest}
export type StagingTeardownOptions = {workspace: PreparedRun; keep: boolean; workspacesRoot: string}
export type StagingTeardownResult = {removed: boolean; path: string}

export interface PlantonHooks extends Interfaces.Hooks {
  'staging:prepare': {options: StagingPrepareOptions; return: PreparedRun}
  'staging:teardown': {options: StagingTeardownOptions; return: StagingTeardownResult}
}
