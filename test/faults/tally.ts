// Counters the fault tests record into; the root hook (hooks.ts) prints them as one line at the
// end of the run. A case counts as survived/rejected only when its assertions all passed.

export const tally = {
  credentialsLeft: 0,
  faults: {survived: 0, total: 0},
  inputs: {rejected: 0, total: 0},
  mixedWorkspaces: 0,
  userFilesChanged: 0,
}

/** A fault case (crash, signal, concurrency, offline, disk trouble): counted as survived when `fn` resolves. */
export async function fault<T>(fn: () => Promise<T>): Promise<T> {
  tally.faults.total++
  const result = await fn()
  tally.faults.survived++
  return result
}

/** A bad-input case: counted as rejected when `fn` (which asserts the rejection) resolves. */
export async function badInput<T>(fn: () => Promise<T>): Promise<T> {
  tally.inputs.total++
  const result = await fn()
  tally.inputs.rejected++
  return result
}

export function summaryLine(): string {
  const {faults, inputs} = tally
  return [
    `faults survived ${faults.survived}/${faults.total}`,
    `bad inputs rejected ${inputs.rejected}/${inputs.total}`,
    `user files changed ${tally.userFilesChanged}`,
    `workspaces with mixed versions ${tally.mixedWorkspaces}`,
    `credentials left ${tally.credentialsLeft}`,
  ].join(' · ')
}
