// What only the standalone `project-planton` command has, on top of what package.json declares.
//
// A host oclif CLI that installs this package as a plugin reads package.json's `oclif` section and
// takes our commands, hooks and topics from it. oclif would also load every plugin listed in a
// plugin's own `oclif.plugins` into the host, with their commands and hooks: a `help` command, the
// not-found prompt (exit 127 instead of the host's exit 2), completion setup. That would change the
// host's behaviour, so package.json lists no plugins. The standalone CLI gets its extras here instead:
// bin/run.js hands oclif this package.json as the root plugin's, and no host ever reads it.

/** Plugins of the standalone CLI (dependencies of this package, loaded as core plugins of the root). */
export const STANDALONE_PLUGINS = ['@oclif/plugin-help', '@oclif/plugin-autocomplete', '@oclif/plugin-version']

/** package.json as the standalone CLI's root plugin sees it. */
export function standalonePjson(pjson) {
  return {
    ...pjson,
    oclif: {
      ...pjson.oclif,
      plugins: STANDALONE_PLUGINS,
      // `-h` anywhere means help, `-v` first means the version, as in the Go CLI and in sf or heroku.
      additionalHelpFlags: ['-h'],
      additionalVersionFlags: ['-v'],
      hooks: {
        ...pjson.oclif.hooks,
        // A mistyped command: the closest one, also without a terminal (the not-found prompt at one).
        // eslint-disable-next-line camelcase
        command_not_found: './dist/hooks/standalone/not-found.js',
        // After `autocomplete` (plugin-autocomplete) has written its completion functions: ours instead.
        postrun: './dist/hooks/standalone/completion-files.js',
      },
    },
  }
}
