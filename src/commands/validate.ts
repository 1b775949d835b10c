import * as Flags from '@oclif/core/flags'

import {PlantonCommand} from '../base/command.js'
import {paragraphs} from '../base/help.js'

export default class Validate extends PlantonCommand {
  static hiddenAliases = ['validate-manifest']
  static enableJsonFlag = true
  static summary = 'Check a manifest against the protos of the module version a run would use; nothing is deployed.'
  static description = paragraphs(
    [
      'The manifest is read as every run reads it:',
      "parsed strictly into the kind's protobuf message (unknown or misspelt fields are errors), --set overrides applied to typed fields,",
      "the protos' defaults applied, and the buf.validate rules (CEL included) checked.",
      'Every problem is listed with its field path. The protos are those of staging\'s selected version, or of --module-version;',
      'no network is used when staging already has that version.',
    ],
    'Exit codes: 0 valid, 2 invalid (or bad input), 1 when the schema cannot be built.',
    [
      '--set takes path=value pairs (several per flag, separated by commas); a path segment holding dots, such as a label key, is double-quoted:',
      '--set \'metadata.labels."example.com/team"=web\'.',
    ],
    "Also available as `<%= config.bin %> validate-manifest` (the Go CLI's name).",
  )
  static examples = [
    {description: 'Validate against staging\'s selected version', command: '<%= config.bin %> <%= command.id %> -f redis.yaml'},
    {description: 'Against another version, with an override', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --module-version v0.3.26 --set spec.container.replicas=3'},
    {description: 'Print the manifest with the protos\' defaults filled in', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --show-defaults'},
    {description: 'Violations as JSON, for scripts', command: '<%= config.bin %> <%= command.id %> -f redis.yaml --json'},
  ]
  static flags = {
    manifest: Flags.string({char: 'f', required: true, summary: 'Manifest file; "-" reads it from stdin.'}),
    set: Flags.string({multiple: true, summary: 'Override a field, e.g. spec.container.replicas=2 (repeatable; a=1,b=2 sets two).'}),
    'module-version': Flags.string({summary: "Use the protos of this version (tag, branch, SHA or latest); staging's selected version is unchanged."}),
    'module-dir': Flags.directory({summary: 'Use the protos of the monorepo checkout that holds this folder.', exclusive: ['module-version']}),
    'show-defaults': Flags.boolean({summary: 'Print the manifest after --set and the defaults (YAML on stdout).'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Validate)
    const [{validateManifestFile}, {problemLine}, {oneLine}] = await Promise.all([
      import('../core/schema/validate-manifest.js'), import('../core/manifest-check.js'), import('../core/display.js'),
    ])
    const {paths, url} = await this.home()
    const outcome = await validateManifestFile({
      paths,
      url,
      cliVersion: this.cliVersion(),
      command: this.commandLine(),
      env: process.env,
      file: flags.manifest,
      sets: flags.set,
      moduleVersion: flags['module-version'],
      moduleDir: flags['module-dir'],
      report: line => this.logToStderr(oneLine(line)),
      onWait: owner => {
        this.onLockWait(owner).catch(() => {})
      },
    })
    const schema = outcome.schema.sha ? `${outcome.schema.ref} ${outcome.schema.sha.slice(0, 12)}` : outcome.schema.origin
    if (this.jsonEnabled()) {
      this.logJson(outcome)
      // Not this.exit(): with --json, oclif would print the exit as an error document after ours.
      if (!outcome.valid) process.exitCode = 2
      return
    }

    if (flags['show-defaults'] && outcome.manifest) {
      const {stringify} = await import('yaml')
      this.log(stringify(outcome.manifest).trimEnd())
    }

    // Kind, name, source and problems come from the manifest: shown with control characters escaped.
    const what = oneLine(`${outcome.kind} ${outcome.name} in ${outcome.source}`)
    if (outcome.valid) {
      this.logToStderr(`${what} is valid (protos of ${oneLine(schema)})`)
      return
    }

    this.logToStderr(`${what}: ${outcome.problems.length} problem(s) (protos of ${oneLine(schema)})`)
    for (const p of outcome.problems) this.logToStderr(`  ${oneLine(problemLine(p))}`)
    this.exit(2)
  }
}
