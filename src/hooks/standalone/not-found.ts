/**
 * A mistyped command in the standalone CLI (never in a host: bin/standalone.js adds this hook). At a
 * terminal, @oclif/plugin-not-found asks "Did you mean …?" and runs the answer; without one (CI,
 * scripts) the closest command is printed on the error line instead of being left out.
 */
import type {Hook} from '@oclif/core/hooks'

const hook: Hook<'command_not_found'> = async function (opts) {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    const {default: prompt} = await import('@oclif/plugin-not-found')
    return prompt.call(this, opts)
  }

  const [{closest}, {toConfiguredId}] = await Promise.all([import('../../core/suggest.js'), import('@oclif/core/util/ids')])
  const {config} = opts
  const known = [
    ...config.commands.filter(c => !c.hidden).flatMap(c => [c.id, ...c.aliases, ...(c.hiddenAliases ?? [])]),
    ...config.topics.filter(t => !t.hidden).map(t => t.name),
  ]
  const typed = toConfiguredId(opts.id, config)
  // oclif joins the leading words into the id (`chekout v1` → chekout:v1): the command may be a
  // prefix of it, and the words after it are its arguments.
  const parts = opts.id.split(':')
  let hint = ''
  for (let n = parts.length; n > 0 && !hint; n--) {
    const match = closest(parts.slice(0, n).join(':'), known)
    if (match) hint = ` Did you mean "${[config.bin, toConfiguredId(match, config), ...parts.slice(n)].join(' ')}"?`
  }

  process.stderr.write(`Error: "${typed}" is not a ${config.bin} command.${hint} See \`${config.bin} --help\` for the list.\n`)
  this.exit(127)
}

export default hook
