import type { ImageRef } from "./types";

/** repository -> tag -> digest */
export type Inventory = Map<string, Map<string, string>>;

export interface Comparison {
  inSync: number;
  missing: ImageRef[];
  different: ImageRef[];
  extra: ImageRef[];
}

/**
 * Compare the source inventory with what a backup holds. `backup` is keyed by SOURCE repository
 * name (already mapped back), `toBackup` maps a source repository to its backup path.
 */
export function compareInventories(source: Inventory, backup: Inventory, toBackup: (repo: string) => string): Comparison {
  const result: Comparison = { inSync: 0, missing: [], different: [], extra: [] };
  for (const [repo, tags] of source) {
    const there = backup.get(repo) ?? new Map<string, string>();
    for (const [tag, digest] of tags) {
      const backupDigest = there.get(tag);
      const ref = { repository: repo, tag, digest, backupRepository: toBackup(repo) };
      if (backupDigest === undefined) result.missing.push(ref);
      else if (backupDigest !== digest) result.different.push({ ...ref, backupDigest });
      else result.inSync++;
    }
  }
  for (const [repo, tags] of backup) {
    const here = source.get(repo);
    for (const [tag, digest] of tags) {
      if (!here?.has(tag)) result.extra.push({ repository: repo, tag, digest, backupRepository: toBackup(repo) });
    }
  }
  const order = (a: ImageRef, b: ImageRef) => a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag);
  result.missing.sort(order);
  result.different.sort(order);
  result.extra.sort(order);
  return result;
}
