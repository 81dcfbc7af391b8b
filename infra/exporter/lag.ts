/**
 * Replication lag per backup and project: the age of the oldest image that the source holds and
 * the backup does not (missing, or the tag points at another digest), i.e. of the oldest
 * unreplicated push.
 *
 * A registry does not say when a tag was pushed, so each unreplicated image is dated by the later
 * of two lower bounds of its push time:
 *  - its config's `created` (an image cannot be pushed before it was built);
 *  - the start of the last run that checked this backup without seeing it unreplicated (it was
 *    either not on the source yet or already on the backup then).
 * The second bound is what keeps an old image pushed today from looking days behind; the first is
 * all there is on the exporter's first run. The figure is therefore an upper bound of the true lag,
 * at most one run interval above it once the exporter has run twice. Pure (no I/O): the caller
 * supplies the dates.
 */
import type { ImageRef } from "../verify/types";

export interface Unreplicated extends Pick<ImageRef, "repository" | "tag" | "digest"> {
  /** Epoch ms of the image config's `created`, when known. */
  createdMs?: number;
}

const key = (r: Pick<ImageRef, "repository" | "tag" | "digest">) => `${r.repository}\n${r.tag}\n${r.digest}`;

export const projectOf = (repository: string, projects: readonly string[]): string | undefined => projects.find((p) => repository.startsWith(`${p}/`));

export class LagTracker {
  /** backup -> image key -> lower bound of its push time (epoch ms; -Infinity: none). */
  private readonly bounds = new Map<string, Map<string, number>>();
  /** backup -> start of the last run that checked it. */
  private readonly lastChecked = new Map<string, number>();

  /**
   * Record one successful check of `backup` that started at `runStartMs` and found `unreplicated`;
   * answers the lag in seconds per project (0 when nothing is unreplicated; NaN when images are
   * unreplicated but none could be dated).
   */
  observe(backup: string, runStartMs: number, nowMs: number, unreplicated: readonly Unreplicated[], projects: readonly string[]): Record<string, number> {
    const previous = this.bounds.get(backup) ?? new Map<string, number>();
    const since = this.lastChecked.get(backup) ?? -Infinity;
    const next = new Map<string, number>();
    const lag: Record<string, number> = Object.fromEntries(projects.map((p) => [p, 0]));
    const undated = new Set<string>();
    for (const r of unreplicated) {
      const k = key(r);
      const bound = previous.get(k) ?? since;
      next.set(k, bound);
      const pushedAfter = Math.max(bound, r.createdMs ?? -Infinity);
      const p = projectOf(r.repository, projects);
      if (p === undefined) continue;
      if (!Number.isFinite(pushedAfter)) {
        undated.add(p);
        continue;
      }
      lag[p] = Math.max(lag[p]!, Math.max(0, Math.round((nowMs - pushedAfter) / 1000)));
    }
    for (const p of undated) if (lag[p] === 0) lag[p] = NaN;
    this.bounds.set(backup, next);
    this.lastChecked.set(backup, runStartMs);
    return lag;
  }

  /** Images of `backup` whose date is still needed (no finite bound from an earlier run). */
  needsDate(backup: string, refs: readonly Pick<ImageRef, "repository" | "tag" | "digest">[]): boolean[] {
    const previous = this.bounds.get(backup);
    const since = this.lastChecked.get(backup) ?? -Infinity;
    return refs.map((r) => !Number.isFinite(previous?.get(key(r)) ?? since));
  }
}
