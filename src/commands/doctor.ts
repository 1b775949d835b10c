import * as ux from '@oclif/core/ux'

import {PlantonCommand} from '../base/command.js'

export default class Doctor extends PlantonCommand {
  static summary = 'Check git, the IaC tools, the home folder, disk space and staging, and say how to fix what is wrong.'
  static description = `Checks, without changing anything:
  - git is installed (a version older than 2.45.1 is a warning: it lacks fixes for clone-time code execution)
  - pulumi, tofu and terraform: where they are and their versions (PROJECT_PLANTON_PULUMI_BIN, PROJECT_PLANTON_TOFU_BIN and PROJECT_PLANTON_TERRAFORM_BIN are respected)
  - the home folder (PROJECT_PLANTON_HOME, default ~/.project-planton) is writable, and its file system has free space
  - staging: cloned, from the current PROJECT_PLANTON_REPO_URL, at the recorded commit, without local changes
  - workspaces left behind by interrupted runs

Each problem comes with what to do. The exit code is 0 when no check is an error (warnings are advice) and 1 otherwise.`
  static examples = [
    {description: 'Check this machine', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'For scripts and bug reports', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Check another home and upstream', command: 'PROJECT_PLANTON_HOME=/srv/planton PROJECT_PLANTON_REPO_URL=file:///srv/mirrors/project-planton.git <%= config.bin %> <%= command.id %>'},
  ]
  static enableJsonFlag = true

  async run(): Promise<unknown> {
    await this.parse(Doctor)
    const {formatReport, runDoctor} = await import('../core/doctor.js')
    const {paths, url} = await this.home({check: false})
    const report = await runDoctor({
      paths, url, cliVersion: this.cliVersion(), bin: this.config.bin,
    })
    if (this.jsonEnabled()) {
      // Not this.exit(): oclif would print the exit as a second, error document.
      if (!report.ok) process.exitCode = 1
      return report
    }

    const colour = {error: 'red', ok: 'green', warn: 'yellow'} as const
    for (const line of formatReport(report, (status, text) => ux.colorize(colour[status], text))) this.log(line)
    if (!report.ok) this.exit(1)
    return report
  }
}
