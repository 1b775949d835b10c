// Commits that `git add` would refuse: trees written object by object (git mktree), for the
// hostile-upstream tests (paths named .git, and whatever else git's own index will not take).
import {execFileSync} from 'node:child_process'

import type {Upstream} from './upstream.js'

export type RawFile = {content: string; mode?: '100644' | '100755' | '120000'}

type Node = {entries: Map<string, {mode: string; type: string; oid: string} | Node>}

function git(u: Upstream, args: string[], input?: string): string {
  return execFileSync('git', args, {
    cwd: u.dir,
    input,
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Hostile Upstream',
      GIT_AUTHOR_EMAIL: 'hostile@project-planton.invalid',
      GIT_COMMITTER_NAME: 'Hostile Upstream',
      GIT_COMMITTER_EMAIL: 'hostile@project-planton.invalid',
      GIT_CONFIG_NOSYSTEM: '1',
    },
    maxBuffer: 64 * 1024 * 1024,
  }).toString().trim()
}

/**
 * A commit on top of `base` with `files` added (or replaced) at any path, `.git` components
 * included; returns its SHA. The branch is not moved: tag it to reach it.
 */
export function commitRaw(u: Upstream, base: string, files: Record<string, RawFile>, message: string): string {
  const root: Node = {entries: new Map()}
  const put = (p: string, leaf: {mode: string; type: string; oid: string}) => {
    const parts = p.split('/')
    let node = root
    for (const dir of parts.slice(0, -1)) {
      let next = node.entries.get(dir)
      if (!next || !('entries' in next)) {
        next = {entries: new Map()}
        node.entries.set(dir, next)
      }

      node = next
    }

    node.entries.set(parts.at(-1)!, leaf)
  }

  for (const record of git(u, ['ls-tree', '-r', '-z', base]).split('\0').filter(Boolean)) {
    const tab = record.indexOf('\t')
    const [mode, type, oid] = record.slice(0, tab).split(' ')
    put(record.slice(tab + 1), {mode, type, oid})
  }

  for (const [p, f] of Object.entries(files)) put(p, {mode: f.mode ?? '100644', type: 'blob', oid: git(u, ['hash-object', '-w', '--stdin'], f.content)})
  const write = (node: Node): string => {
    const lines = [...node.entries].map(([name, e]) => ('entries' in e ? `040000 tree ${write(e)}\t${name}` : `${e.mode} ${e.type} ${e.oid}\t${name}`))
    return git(u, ['mktree', '-z'], lines.map(l => `${l}\0`).join(''))
  }

  return git(u, ['commit-tree', write(root), '-p', base, '-m', message])
}
