/**
 * The one policy of the CLI's caches (module snapshots, compiled schemas, checked manifests):
 * an entry of the selected commit stays; any other stays while it was used in the last
 * KEEP_DAYS days (a run marks what it reads); the rest goes when the selected version moves.
 */

/** How long an entry of a commit other than the selected one is kept after its last use. */
export const KEEP_DAYS = 7

export type PruneOptions = {keepSha?: string; keepDays?: number; now?: number}

/** An entry as a cache describes it to the policy; undefined: damaged, it goes whatever its age. */
export type EntryFacts = {sha?: string; usedMs: number; bytes: number} | undefined

/**
 * Removes the entries `names` of one cache that the policy lets go; `facts` reads an entry (null:
 * not an entry of this cache, left alone), `remove` deletes one. Returns what was removed.
 */
export async function pruneEntries(
  names: string[],
  cache: {facts(name: string): Promise<EntryFacts | null>; remove(name: string, facts: EntryFacts): Promise<void>},
  opts: PruneOptions,
): Promise<{removed: number; bytes: number}> {
  const cutoff = (opts.now ?? Date.now()) - ((opts.keepDays ?? KEEP_DAYS) * 86_400_000)
  let removed = 0
  let bytes = 0
  for (const name of names) {
    const facts = await cache.facts(name)
    if (facts === null) continue
    if (facts && (facts.usedMs >= cutoff || (opts.keepSha && facts.sha === opts.keepSha))) continue
    await cache.remove(name, facts)
    removed++
    bytes += facts?.bytes ?? 0
  }

  return {removed, bytes}
}
