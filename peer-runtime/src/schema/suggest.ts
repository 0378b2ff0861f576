/**
 * "Did you mean": the known name nearest to a misspelt one (`timeout` → `timeoutMs`, `extraargs` →
 * `extraArgs`), or none when nothing is near enough to be a plausible typo.
 */

/** Names longer than this get no suggestion: a hostile 64 KiB key must not cost a 64 Ki × n distance table. */
const MAX_COMPARED = 64;

/** The candidate `name` most plausibly meant, or undefined. Case is ignored; a prefix of 4+ letters counts. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  if (name.length === 0 || name.length > MAX_COMPARED) return undefined;
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const known = candidate.toLowerCase();
    if (known === wanted) return candidate;
    const shorter = Math.min(known.length, wanted.length);
    // `timeout` for `timeoutMs`, `extra` for `extraArgs`: a long enough prefix is as good as one edit.
    const prefix = shorter >= 4 && (known.startsWith(wanted) || wanted.startsWith(known));
    const distance = prefix ? 1 : editDistance(wanted, known);
    const allowed = Math.max(1, Math.floor(Math.max(known.length, wanted.length) / 3));
    if (distance <= allowed && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment), two rows of memory. */
function editDistance(a: string, b: string): number {
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, before[j - 2]! + 1);
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}
