/** Levenshtein distance, for "did you mean" hints on misspelled keys and namespaces. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
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
