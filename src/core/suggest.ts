/**
 * "Did you mean …?" for a mistyped command or flag: the closest known name by edit distance, when it
 * is close enough to be what the user meant (a far one would only mislead).
 */
import {distance} from 'fastest-levenshtein'

export function closest(input: string, candidates: Iterable<string>): string | undefined {
  // About one edit in three characters: `stagin` → `staging`, `--auto-aprove` → `--auto-approve`,
  // while `foo` suggests nothing.
  const limit = Math.max(1, Math.floor(input.length / 3))
  let best: {name: string; d: number} | undefined
  for (const name of candidates) {
    const d = distance(input, name)
    if (d <= limit && (!best || d < best.d)) best = {name, d}
  }

  return best?.name
}
