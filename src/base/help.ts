/** Help text shared by commands that behave alike: one wording, changed in one place. */

/** The unified commands (apply, plan, …): the manifest's label chooses the tool. */
export const ROUTED_DESCRIPTION = [
  'The manifest label project-planton.org/provisioner (pulumi, tofu or terraform) chooses the tool.',
  'Without it, you are asked at a terminal (default pulumi); elsewhere it is an error.',
].join(' ')

export const ROUTED_EXAMPLE = {
  description: 'Run what the manifest\'s project-planton.org/provisioner label says',
  command: '<%= config.bin %> <%= command.id %> -f redis.yaml',
}

/** The tofu:* commands: which binary runs, and where local state lives. */
export const TOFU_DESCRIPTION = [
  'The provisioner label terraform runs the terraform binary; tofu runs tofu (terraform is used, with a notice, when only it is installed).',
  'Local state is kept under the CLI home (tofu/state/<kind>/<name>) and survives workspace cleanup.',
].join(' ')

/** The paragraph naming a command's hidden alias. */
export function alsoAvailableAs(alias: string): string {
  return `\n\nAlso available as \`<%= config.bin %> ${alias}\`.`
}

/**
 * Help text from paragraphs, each given as its sentences: oclif wraps each paragraph to the
 * terminal, and the source keeps lines a reader can take in.
 */
export function paragraphs(...parts: Array<string | string[]>): string {
  return parts.map(p => (Array.isArray(p) ? p.join(' ') : p)).join('\n\n')
}
