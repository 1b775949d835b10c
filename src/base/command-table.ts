/**
 * The table of commands and flags that shell completion answers from, read from oclif's manifests:
 * this package's oclif.manifest.json and those of the standalone CLI's plugins. That costs a few
 * file reads, where loading oclif would cost more than the rest of a <TAB>. Without manifests (a
 * checkout that was built, not packed) oclif is loaded and gives the same data.
 */
import {readFile} from 'node:fs/promises'
import {createRequire} from 'node:module'
import path from 'node:path'

import type {
  ArgSpec, CommandSpec, CommandTable, FlagSpec,
} from '../core/completion.js'

/** The parts of package.json the table needs. */
export type PackageJson = {
  name: string
  version: string
  oclif: {bin?: string; plugins?: string[]; topics?: Record<string, {description?: string; hidden?: boolean}>}
}

/** A command as oclif writes it into oclif.manifest.json. */
type ManifestCommand = {
  id: string
  summary?: string
  description?: string
  hidden?: boolean
  aliases?: string[]
  hiddenAliases?: string[]
  flags?: Record<string, {
    name: string; type: 'boolean' | 'option'; char?: string; aliases?: string[]; options?: string[]; multiple?: boolean; hidden?: boolean; summary?: string; description?: string
  }>
  args?: Record<string, {name: string; options?: string[]}>
}

type Manifest = {version: string; commands: Record<string, ManifestCommand>}

/** The table of the CLI rooted at `root` with package.json `pjson` (the standalone's, plugins included). */
export async function commandTable(root: string, pjson: PackageJson): Promise<CommandTable> {
  const {debug} = await import('../core/log.js')
  let table = await fromManifests(root, pjson)
  debug('completion: commands from %s', table ? 'the oclif manifests' : 'oclif (no manifests)')
  table ??= await fromOclif(root, pjson)
  // Summaries are help templates; the only variable they use is the CLI's name.
  for (const c of table.commands) c.summary = c.summary?.replaceAll('<%= config.bin %>', pjson.oclif.bin ?? pjson.name)
  return table
}

async function fromManifests(root: string, pjson: PackageJson): Promise<CommandTable | undefined> {
  const require = createRequire(path.join(root, 'package.json'))
  const roots = [root, ...(pjson.oclif.plugins ?? []).map(name => packageRoot(require, name))]
  const manifests: Manifest[] = []
  for (const [i, dir] of roots.entries()) {
    if (!dir) return undefined
    const manifest = await readJson<Manifest>(path.join(dir, 'oclif.manifest.json'))
    // A manifest left from another version would complete commands that are not there (oclif itself ignores it then).
    const version = i === 0 ? pjson.version : (await readJson<{version: string}>(path.join(dir, 'package.json')))?.version
    if (!manifest || manifest.version !== version) return undefined
    manifests.push(manifest)
  }

  return {
    commands: manifests.flatMap(m => Object.values(m.commands)).map(c => commandSpec(c)),
    topics: Object.entries(pjson.oclif.topics ?? {}).filter(([, t]) => !t.hidden).map(([name, t]) => ({name, description: t.description})),
  }
}

async function fromOclif(root: string, pjson: PackageJson): Promise<CommandTable> {
  const {Config} = await import('@oclif/core/config')
  const config = await Config.load({root, pjson: pjson as never})
  return {
    commands: config.getPluginsList().flatMap(p => p.commands).map(c => commandSpec(c as ManifestCommand)),
    topics: config.topics.filter(t => !t.hidden).map(t => ({name: t.name, description: t.description})),
  }
}

function commandSpec(c: ManifestCommand): CommandSpec {
  return {
    id: c.id,
    summary: c.summary ?? c.description?.split('\n')[0],
    hidden: c.hidden,
    aliases: [...(c.aliases ?? []), ...(c.hiddenAliases ?? [])],
    flags: Object.values(c.flags ?? {}).map((f): FlagSpec => ({
      name: f.name,
      char: f.char,
      aliases: f.aliases,
      takesValue: f.type === 'option',
      multiple: f.multiple,
      options: f.options,
      hidden: f.hidden,
      summary: f.summary ?? f.description?.split('\n')[0],
    })),
    args: Object.values(c.args ?? {}).map((a): ArgSpec => ({name: a.name, options: a.options})),
  }
}

/** The folder of an installed package, found from its entry point (its package.json may not be exported). */
function packageRoot(require: NodeJS.Require, name: string): string | undefined {
  let entry: string
  try {
    entry = require.resolve(name)
  } catch {
    return undefined
  }

  const marker = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}`
  const at = entry.lastIndexOf(marker)
  return at === -1 ? undefined : entry.slice(0, at + marker.length - 1)
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
