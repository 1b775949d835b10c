// Trees as content hashes: the files of a commit as git has them, the files on disk, and snapshots
// of any folder, to tell a complete commit from a half or mixed one, and to show that nothing of a
// user's changed.
import {execFileSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {
  existsSync, lstatSync, readdirSync, readFileSync, readlinkSync,
} from 'node:fs'
import path from 'node:path'

import type {Sandbox} from '../support/cli.js'
import type {Upstream} from '../support/upstream.js'

/** Repo-relative path → `x:`/`-:` (executable bit) + sha256 of the content, or `l:` + symlink target. */
export type Hashes = Map<string, string>

const expectedCache = new Map<string, Hashes>()

/** The files of `ref` (below `subdir`) as git has them in the upstream. */
export function expectedTree(u: Upstream, ref: string, subdir = ''): Hashes {
  const sha = u.sha(ref)
  const key = `${u.dir}\0${sha}\0${subdir}`
  const cached = expectedCache.get(key)
  if (cached) return cached
  const listing = execFileSync('git', ['ls-tree', '-r', '-z', '--full-tree', sha, ...(subdir ? ['--', subdir] : [])], {cwd: u.dir, maxBuffer: 256 * 1024 * 1024}).toString()
  const entries = listing.split('\0').filter(Boolean).map(rec => {
    const tab = rec.indexOf('\t')
    const [mode, type, oid] = rec.slice(0, tab).split(' ')
    return {
      mode, oid, path: rec.slice(tab + 1), type,
    }
  }).filter(e => e.type === 'blob')
  const batch = execFileSync('git', ['cat-file', '--batch'], {cwd: u.dir, input: entries.map(e => e.oid).join('\n') + '\n', maxBuffer: 1024 * 1024 * 1024})
  const out: Hashes = new Map()
  let pos = 0
  for (const e of entries) {
    const nl = batch.indexOf(10, pos)
    const size = Number(batch.subarray(pos, nl).toString().split(' ')[2])
    const body = batch.subarray(nl + 1, nl + 1 + size)
    pos = nl + 1 + size + 1
    out.set(e.path, e.mode === '120000' ? `l:${body.toString()}` : `${e.mode === '100755' ? 'x' : '-'}:${sha256(body)}`)
  }

  expectedCache.set(key, out)
  return out
}

/** The files below `dir`, keyed by path relative to `dir`; `skip` leaves out paths (and folders). */
export function actualTree(dir: string, skip: (rel: string) => boolean = () => false): Hashes {
  const out: Hashes = new Map()
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = path.join(d, name)
      const rel = path.relative(dir, abs).split(path.sep).join('/')
      if (skip(rel)) continue
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) out.set(rel, `l:${readlinkSync(abs)}`)
      else if (st.isDirectory()) walk(abs)
      else out.set(rel, `${Math.floor(st.mode / 0o100) % 2 === 1 ? 'x' : '-'}:${sha256(readFileSync(abs))}`)
    }
  }

  if (existsSync(dir)) walk(dir)
  return out
}

/** Paths whose content differs, or that only one side has. Empty = the same files. */
export function treeDiff(actual: Hashes, expected: Hashes): string[] {
  const diff: string[] = []
  for (const [p, h] of expected) if (actual.get(p) !== h) diff.push(actual.has(p) ? `changed ${p}` : `missing ${p}`)
  for (const p of actual.keys()) if (!expected.has(p)) diff.push(`extra ${p}`)
  return diff
}

/** Differences between staging's work tree (without .git) and `ref` in the upstream. */
export function workTreeDiff(sb: Sandbox, u: Upstream, ref: string): string[] {
  return treeDiff(actualTree(sb.clone, rel => rel === '.git'), expectedTree(u, ref))
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** Every path below `dir`, with content, mode and link target: equal snapshots = nothing changed. */
export function snapshot(dir: string, skip: (rel: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const abs = path.join(d, name)
      const rel = path.relative(dir, abs)
      if (skip(rel)) continue
      const st = lstatSync(abs)
      if (st.isSymbolicLink()) out.set(rel, `link:${readlinkSync(abs)}`)
      else if (st.isDirectory()) {
        out.set(rel, `dir:${(st.mode % 0o1_0000).toString(8)}`)
        walk(abs)
      } else out.set(rel, `${(st.mode % 0o1_0000).toString(8)}:${st.size}:${sha256(readFileSync(abs))}`)
    }
  }

  if (existsSync(dir)) walk(dir)
  return out
}

/** Paths added, removed or changed between two snapshots. */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string[] {
  const diff: string[] = []
  for (const [p, v] of before) if (after.get(p) !== v) diff.push(after.has(p) ? `changed ${p}` : `removed ${p}`)
  for (const p of after.keys()) if (!before.has(p)) diff.push(`added ${p}`)
  return diff
}
