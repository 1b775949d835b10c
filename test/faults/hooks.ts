// Root hooks of the fault suite: after the last test, print the figures the tests recorded.
// The reporter's own "N passed, N failed" line still comes last.
import {summaryLine} from './tally.js'

export const mochaHooks = {
  afterAll(): void {
    process.stdout.write(`\n${summaryLine()}\n`)
  },
}
