/**
 * After `autocomplete …` (@oclif/plugin-autocomplete, standalone CLI only): replaces the bash and zsh
 * completion functions it has just written with ours. Its setup instructions and the line they add
 * to ~/.bashrc or ~/.zshrc stay as users know them; that line loads these files. Its own functions
 * list the commands and flags once and complete nothing after a flag (no file names, no values).
 *
 * The paths are those of @oclif/plugin-autocomplete 3.2.56 (pinned): <cacheDir>/autocomplete/
 * functions/bash/<bin>.bash and functions/zsh/_<bin>. A test runs its setup in real shells.
 */
import type {Hook} from '@oclif/core/hooks'

import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

const hook: Hook<'postrun'> = async function ({Command, config}) {
  if (Command.id !== 'autocomplete' && Command.id !== 'autocomplete:script') return
  const {bashScript, zshScript} = await import('../../base/completion-scripts.js')
  const functions = path.join(config.cacheDir, 'autocomplete', 'functions')
  await Promise.all([
    mkdir(path.join(functions, 'bash'), {recursive: true}),
    mkdir(path.join(functions, 'zsh'), {recursive: true}),
  ])
  await Promise.all([
    writeFile(path.join(functions, 'bash', `${config.bin}.bash`), bashScript(config.bin)),
    writeFile(path.join(functions, 'zsh', `_${config.bin}`), zshScript(config.bin)),
  ])
}

export default hook
