/**
 * Edit distance with adjacent transpositions counted as one edit (optimal string alignment), for
 * "did you mean" hints on misspelled keys and namespaces: "hots" is one edit from "host".
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate `word` is most likely a misspelling of: same letters ignoring case and
 * separators, or within a third of its length in edits (at least 1, at most 3).
 */
export function nearMiss(word: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_.]/g, "");
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = norm(word) === norm(c) ? 0 : editDistance(word.toLowerCase(), c.toLowerCase());
    const limit = Math.min(3, Math.max(1, Math.floor(c.length / 3)));
    if (d <= limit && (!best || d < best.d)) best = { c, d };
  }
  return best?.c;
}
