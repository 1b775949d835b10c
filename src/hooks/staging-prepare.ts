import type {Hook} from '@oclif/core/hooks'

import type {PlantonHooks} from './types.js'

/** Prepares the run's workspace: ensure staging, locate the module, export its files. */
const hook: Hook<'staging:prepare', PlantonHooks> = async function ({request}) {
  const {prepareRun} = await import('../core/prepare.js')
  return prepareRun(request)
}

export default hook
