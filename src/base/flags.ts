/**
 * The flags of the IaC commands. Shared ones are the base command's `baseFlags`; the Pulumi and
 * tofu families add theirs. Only @oclif/core is imported here: help and completion stay fast.
 */
import * as Flags from '@oclif/core/flags'

import {MODULE_BINARY_MODES} from '../core/binaries/modes.js'
import {type Provider, PROVIDERS} from '../core/credentials.js'
import {BACKEND_TYPES} from '../core/iac/tofu.js'

// The per-provider flags of the reference CLI (`--aws-provider-config <file>`, …) still work, hidden:
// `--provider-config aws=<file>` says the same with one flag.
const legacyProviderFlags = Object.fromEntries(PROVIDERS.map(p => [
  `${p}-provider-config`,
  Flags.file({
    exists: true,
    hidden: true,
    helpGroup: 'CREDENTIALS',
    summary: `${p} credentials file (YAML); same as --provider-config ${p}=<file>.`,
  }),
])) as Record<`${Provider}-provider-config`, ReturnType<typeof Flags.file>>

export const sharedFlags = {
  manifest: Flags.string({
    char: 'f',
    exactlyOne: ['manifest', 'stack-input'],
    summary: 'Manifest (YAML with apiVersion, kind, metadata, spec): a file, "-" for stdin, or an https:// URL.',
  }),
  'stack-input': Flags.string({
    char: 'i',
    exactlyOne: ['manifest', 'stack-input'],
    summary: 'A full stack input instead of -f: {target: <manifest>, provider_config: {…}}, as the Go CLI takes it.',
  }),
  set: Flags.string({
    multiple: true,
    summary: 'Override a manifest field by dotted path, e.g. spec.container.replicas=2 (repeatable; a=1,b=2 sets two).',
    description: [
      'The path is checked against the kind\'s protos and the value converted to the field\'s type (number, bool, enum name, string).',
      'A segment holding dots, such as a label key, is double-quoted: --set \'metadata.labels."example.com/team"=web\';',
      'a value holding a comma too: --set \'spec.note="a,b"\'.',
    ].join(' '),
  }),
  'module-dir': Flags.directory({
    helpGroup: 'MODULE',
    summary: 'Use this module folder as it is; staging is not touched and the folder is never modified.',
    exclusive: ['local-module', 'module-version'],
  }),
  'local-module': Flags.boolean({
    helpGroup: 'MODULE',
    summary: 'Take the module from a local monorepo checkout (PROJECT_PLANTON_GIT_REPO, default ~/scm/github.com/plantonhq/project-planton).',
    exclusive: ['module-version'],
  }),
  'module-version': Flags.string({
    helpGroup: 'MODULE',
    summary: "Run this module version (tag, branch, SHA or latest) for this run only; staging's selected version is unchanged.",
  }),
  lean: Flags.boolean({
    helpGroup: 'MODULE',
    summary: 'If staging has to be cloned for this run, clone it lean: commits and trees now, files as runs need them (the default under CI=true).',
    description: 'Same as PROJECT_PLANTON_STAGING=lean for this clone. A staging that exists keeps its kind; `staging pull --full` makes a lean one full.',
  }),
  staging: Flags.boolean({
    helpGroup: 'MODULE',
    summary: 'Use the module from staging even when the current directory is a module folder (which is used by default, as in the Go CLI).',
    exclusive: ['module-dir', 'local-module'],
  }),
  validate: Flags.boolean({
    helpGroup: 'SCHEMA',
    allowNo: true,
    default: true,
    summary: "Check the buf.validate rules of the kind's protos (--no-validate skips them; parsing and defaults still apply).",
  }),
  strict: Flags.boolean({
    helpGroup: 'SCHEMA',
    summary: "Refuse to run when the manifest cannot be checked against the kind's protos (instead of going on with basic checks).",
  }),
  'no-cleanup': Flags.boolean({
    summary: 'Keep the workspace after the run and print its path.',
  }),
  'kube-context': Flags.string({
    summary: 'Kubernetes context passed to the module as KUBE_CTX (default: label kubernetes.project-planton.org/context).',
  }),
  'provider-config': Flags.string({
    multiple: true,
    helpGroup: 'CREDENTIALS',
    summary: "Credentials file (YAML): <file> for the manifest's provider, or <provider>=<file> for any provider (repeatable).",
    description: [
      `Providers: ${PROVIDERS.join(', ')}.`,
      "A Pulumi module gets the manifest provider's file as provider_config;",
      "OpenTofu/Terraform gets every file as the provider's environment variables (AWS_*, ARM_*, GOOGLE_CREDENTIALS, KUBECONFIG, …).",
    ].join(' '),
  }),
  ...legacyProviderFlags,
}

/** Flags of every command that can run Pulumi (pulumi:* and the unified commands). */
export const pulumiFlags = {
  stack: Flags.string({
    summary: 'Pulumi stack <org>/<project>/<stack>, used when the manifest has no pulumi.project-planton.org stack labels.',
  }),
  'full-tree': Flags.boolean({
    helpGroup: 'MODULE',
    summary: "Pulumi: give the run the whole repository tree instead of the module's Go import closure.",
  }),
  'module-binary': Flags.string({
    helpGroup: 'MODULE',
    options: [...MODULE_BINARY_MODES],
    summary: 'Pulumi: how the module program is had (default auto, or PROJECT_PLANTON_MODULE_BINARY): a release binary, built once per commit, or compiled from source (never).',
    description: [
      'auto: the release binary of a released version (downloaded once), else a binary built once per commit when Go is installed, else Pulumi compiles from source.',
      'download: release binaries only. build: never download. never: always from source.',
      'Staging runs only; --module-dir and --local-module always compile from source.',
    ].join(' '),
  }),
}

export const pulumiRunFlags = {
  ...pulumiFlags,
  yes: Flags.boolean({char: 'y', summary: 'Skip the preview and the confirmation prompt (pulumi --yes --skip-preview).'}),
  diff: Flags.boolean({summary: 'Show a detailed diff (pulumi --diff).'}),
}

export const tofuBackendFlags = {
  'backend-type': Flags.string({
    helpGroup: 'BACKEND',
    options: [...BACKEND_TYPES],
    summary: 'State backend (default: label terraform.project-planton.org/backend.type, else local state under the CLI home).',
  }),
  'backend-config': Flags.string({
    helpGroup: 'BACKEND',
    multiple: true,
    summary: 'Extra backend setting key=value passed to init (repeatable).',
  }),
}

export const autoApproveFlag = {
  'auto-approve': Flags.boolean({summary: 'Apply without asking for confirmation.'}),
}

/** The unified commands that change resources (apply, destroy, refresh): either tool, one prompt flag. */
export const changeFlags = {
  ...pulumiFlags,
  ...tofuBackendFlags,
  yes: Flags.boolean({char: 'y', aliases: ['auto-approve'], summary: 'Do not ask for confirmation (pulumi --yes --skip-preview, tofu -auto-approve).'}),
  diff: pulumiRunFlags.diff,
}
