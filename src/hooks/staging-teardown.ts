import type {Hook} from '@oclif/core/hooks'

import type {PlantonHooks} from './types.js'

/** Removes the run's workspace, or marks it kept (`--no-cleanup`) so `staging clean` can find it later. */
const hook: Hook<'staging:teardown', PlantonHooks> = async function ({keep, workspace, workspacesRoot}) {
  const {markKept, removeWorkspace} = await import('../core/workspace.js')
  if (keep) {
    await markKept(workspace)
    return {removed: false, path: workspace.root}
  }

  await removeWorkspace(workspacesRoot, workspace)
  return {removed: true, path: workspace.root}
}

export default hook
