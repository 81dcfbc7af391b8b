/**
 * Snapshots of an archive (components/archives/job/archive.sh): names, the refs file, choosing one
 * by time, and the blobs a manifest needs. Pure functions.
 */

/** A snapshot is named by its UTC start: 20261130T021700Z. */
export const SNAPSHOT_NAME = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

export function snapshotTime(name: string): Date | undefined {
  const m = SNAPSHOT_NAME.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
}

/** Complete snapshots (those with index.json) from `rclone lsf -R` lines, oldest first. */
export function completeSnapshots(lsfLines: readonly string[]): string[] {
  return lsfLines
    .map((l) => l.trim())
    .filter((l) => l.endsWith("/index.json"))
    .map((l) => l.slice(0, -"/index.json".length))
    .filter((n) => SNAPSHOT_NAME.test(n))
    .sort();
}

/**
 * How far ahead of this machine's clock a snapshot name may be (the job's clock may run a little
 * ahead). A later name cannot have been written by the job: it is planted (or a clock is badly
 * wrong) and is never used.
 */
export const SNAPSHOT_SKEW_MS = 10 * 60 * 1000;

/** Snapshot names split into usable ones and those dated after `now` + skew (oldest first). Pure. */
export function splitFuture(names: readonly string[], now: Date, skewMs = SNAPSHOT_SKEW_MS): { usable: string[]; future: string[] } {
  const limit = now.getTime() + skewMs;
  const usable: string[] = [];
  const future: string[] = [];
  for (const n of [...names].sort()) (snapshotTime(n)!.getTime() > limit ? future : usable).push(n);
  return { usable, future };
}

/**
 * The newest snapshot at or before `at`; without `at`, the newest not dated after `now` + skew
 * (a future-dated name is planted: docs/archive-trust.md).
 */
export function chooseSnapshot(names: readonly string[], at?: Date, now: Date = new Date()): string | undefined {
  const eligible = at ? names.filter((n) => snapshotTime(n)!.getTime() <= at.getTime()).sort() : splitFuture(names, now).usable;
  return eligible[eligible.length - 1];
}

export interface ArchivedRef {
  /** project/repo */
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  size: number;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** refs.tsv: `<repo>:<tag> TAB <digest> TAB <mediaType> TAB <size>` per line. Throws on a bad line. */
export function parseRefs(text: string): ArchivedRef[] {
  const refs: ArchivedRef[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    const [ref, digest, mediaType, size] = line.split("\t");
    const colon = ref?.lastIndexOf(":") ?? -1;
    if (!ref || colon <= 0 || !digest || !DIGEST.test(digest) || !mediaType || !/^\d+$/.test(size ?? "")) {
      throw new Error(`refs.tsv line ${i + 1}: expected <repo>:<tag> TAB sha256:<hex> TAB <mediaType> TAB <size>`);
    }
    refs.push({ repository: ref.slice(0, colon), tag: ref.slice(colon + 1), digest, mediaType, size: Number(size) });
  }
  return refs;
}

/** Refs of one Harbor project (`--project`), or all. */
export function refsOfProject(refs: readonly ArchivedRef[], project?: string): ArchivedRef[] {
  return project ? refs.filter((r) => r.repository.startsWith(`${project}/`)) : [...refs];
}

/** What a manifest or index refers to: child manifests (indexes) and blobs (config, layers). */
export function manifestReferences(raw: string): { manifests: string[]; blobs: string[] } {
  const m = JSON.parse(raw) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string; urls?: string[] }[]; subject?: unknown };
  return {
    manifests: (m.manifests ?? []).map((d) => d.digest),
    // Foreign layers (with urls) are not in registries, so not in the archive either.
    blobs: [...(m.config ? [m.config.digest] : []), ...(m.layers ?? []).filter((l) => !l.urls?.length).map((l) => l.digest)],
  };
}

/** Blob path inside the archive (and an OCI layout) for a digest. */
export function blobPath(digest: string): string {
  if (!DIGEST.test(digest)) throw new Error(`not a sha256 digest: ${digest}`);
  return `blobs/sha256/${digest.slice("sha256:".length)}`;
}

/** An OCI image index naming each ref, as the archive job writes it. */
export function layoutIndex(refs: readonly ArchivedRef[]): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.index.v1+json",
    manifests: refs.map((r) => ({ mediaType: r.mediaType, digest: r.digest, size: r.size, annotations: { "org.opencontainers.image.ref.name": `${r.repository}:${r.tag}` } })),
  });
}
