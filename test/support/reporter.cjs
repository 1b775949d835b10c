/* global require, module */
/* eslint-disable @typescript-eslint/no-require-imports */
'use strict'

// Mocha reporter: the standard Spec output followed by one machine-readable
// summary line, e.g. "42 passed, 0 failed" or "40 passed, 1 failed, 2 skipped".
// Mocha loads reporters with require(), hence CommonJS.

const mocha = require('mocha')

const {Spec} = mocha.reporters
const {EVENT_RUN_END} = mocha.Runner.constants

class SummaryReporter extends Spec {
  constructor(runner, options) {
    super(runner, options)
    // Registered after Spec's own 'end' listener, so this prints after the epilogue.
    runner.once(EVENT_RUN_END, () => {
      const stats = this.stats || runner.stats || {}
      const passed = stats.passes || 0
      const failed = stats.failures || 0
      const skipped = stats.pending || 0
      let line = passed + ' passed, ' + failed + ' failed'
      if (skipped > 0) line += ', ' + skipped + ' skipped'
      process.stdout.write(line + '\n')
    })
  }
}

SummaryReporter.description = 'spec output plus a final "N passed, N failed" line'

module.exports = SummaryReporter
