/**
 * What a git process killed halfway leaves in staging's .git: its lock files (index.lock,
 * HEAD.lock, packed-refs.lock, refs/…/x.lock), which make every later git command fail, and the
 * temporary files of a pack it was receiving (objects/pack/tmp_*), which only take room. Removed
 * only under the staging lock: every git process of ours that writes to staging runs under it, and
 * readers never write.
 */
import {readdir, rm} from 'node:fs/promises'
import path from 'node:path'

export async function removeGitLeftovers(clone: string, report?: (line: string) => void): Promise<void> {
  const gitDir = path.join(clone, '.git')
  const sweep = async (dir: string, recurse: boolean): Promise<void> => {
    const entries = await readdir(dir, {withFileTypes: true}).catch(() => [])
    for (const e of entries) {
      const p = path.join(dir, e.name)
      if (e.isFile() && e.name.endsWith('.lock')) {
        report?.(`Removing stale git lock ${path.relative(clone, p)}`)
        await rm(p, {force: true})
      } else if (recurse && e.isDirectory()) {
        await sweep(p, true)
      }
    }
  }

  await sweep(gitDir, false)
  await sweep(path.join(gitDir, 'refs'), true)
  const packs = path.join(gitDir, 'objects', 'pack')
  for (const name of await readdir(packs).catch(() => [] as string[])) {
    // tmp_pack_*, tmp_idx_*, tmp_rev_*: a pack git was still writing; the complete ones have names.
    if (name.startsWith('tmp_')) await rm(path.join(packs, name), {force: true})
  }
}
