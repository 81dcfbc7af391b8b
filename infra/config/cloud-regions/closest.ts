/** Closest-name suggestions for region validation (pure, unit-tested). */
import { editDistance } from "../suggest";

/**
 * The known name closest to `input`, or undefined when nothing is close enough to be a typo
 * (more than a third of the longer name would have to change).
 */
export function closestName(input: string, known: readonly string[]): string | undefined {
  const needle = input.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = editDistance(needle, name);
    if (!best || distance < best.distance) best = { name, distance };
  }
  if (!best) return undefined;
  return best.distance <= Math.max(2, Math.ceil(Math.max(needle.length, best.name.length) / 3)) ? best.name : undefined;
}

export interface RegionList {
  /** Shown in errors: "Azure region". */
  label: string;
  names: readonly string[];
  /** Where the list comes from (shown in errors, cited in the data file). */
  source: string;
}

/**
 * Why `value` is not a known region of `list`, or undefined when it is. `escapeKey` names the
 * config key that accepts a region newer than the list (omitted where there is none).
 */
export function regionProblem(value: string, list: RegionList, escapeKey?: string): string | undefined {
  if (list.names.includes(value)) return undefined;
  const guess = closestName(value, list.names);
  const hint = guess ? ` (did you mean "${guess}"?)` : "";
  const escape = escapeKey ? `; for a region newer than this list set ${escapeKey}: true` : "";
  return `expected a known ${list.label}${hint}, from ${list.source}${escape}`;
}
