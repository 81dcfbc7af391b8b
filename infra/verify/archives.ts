/**
 * `npm run verify`, archive part: for each archive in the stack outputs, the newest complete
 * snapshot and its age, and a sample of stored blobs read back and checked against their digests
 * (a blob's name is its sha256). Read with the archive job's own identity (add and read only).
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { archiveOutputsFrom } from "../restore/outputs";
import { blobPath, manifestReferences, parseRefs, snapshotTime } from "../restore/snapshots";
import { fetchBlobs, listSnapshots, readText, type StoreLocation } from "../restore/store";

export interface ArchiveReport {
  name: string;
  status: "checked" | "stale" | "corrupt" | "empty" | "unreachable";
  reason?: string;
  snapshots: number;
  newestSnapshot?: string;
  newestAgeSeconds?: number;
  refs?: number;
  /** Blobs read back and hashed. */
  sampled: number;
  /** Digests whose stored bytes hash to something else. */
  corrupt: string[];
  ms: number;
}

export interface ArchivesVerifyOptions {
  /** Blobs to read back per archive (manifests first, then configs and layers they name). */
  sample?: number;
  /** A newest snapshot older than this is reported stale. Default 48 h (a daily schedule, missed once). */
  maxAgeSeconds?: number;
  now?: () => Date;
  /** Epoch ms after which no store call starts and a running one is stopped (verify's --deadline). */
  deadlineAt?: number;
  /** Picks sample members; default Math.random. */
  random?: () => number;
}

export interface ArchivesVerifyResult {
  reports: ArchiveReport[];
  /** 0 every archive fresh and intact (or none), 1 stale, empty or corrupt, 2 a store unreachable. */
  exitCode: 0 | 1 | 2;
}

function pick<T>(items: readonly T[], n: number, random: () => number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(random() * pool.length), 1)[0]!);
  return out;
}

const sha256 = (file: string) => `sha256:${crypto.createHash("sha256").update(fs.readFileSync(file)).digest("hex")}`;

export async function verifyArchive(name: string, store: StoreLocation, o: ArchivesVerifyOptions = {}): Promise<ArchiveReport> {
  const t0 = performance.now();
  const now = (o.now ?? (() => new Date()))();
  const random = o.random ?? Math.random;
  const report: ArchiveReport = { name, status: "checked", snapshots: 0, sampled: 0, corrupt: [], ms: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-archive-"));
  try {
    const snapshots = await listSnapshots(store);
    report.snapshots = snapshots.length;
    const newest = snapshots[snapshots.length - 1];
    if (!newest) {
      report.status = "empty";
      report.reason = "no complete snapshot yet (has the CronJob run?)";
      return report;
    }
    report.newestSnapshot = newest;
    report.newestAgeSeconds = Math.max(0, Math.round((now.getTime() - snapshotTime(newest)!.getTime()) / 1000));
    const refs = parseRefs(await readText(store, `snapshots/${newest}/refs.tsv`));
    report.refs = refs.length;
    const budget = o.sample ?? 8;
    // Manifests (small) of a few sampled images, down through their indexes; then some of the
    // configs and layers they name. Every blob read is hashed.
    let frontier = pick([...new Set(refs.map((r) => r.digest))], Math.max(1, Math.ceil(budget / 4)), random);
    const manifests: string[] = [];
    const leaves = new Set<string>();
    for (let depth = 0; frontier.length > 0 && depth < 8; depth++) {
      await fetchBlobs(store, frontier, dir);
      manifests.push(...frontier);
      const next: string[] = [];
      for (const d of frontier) {
        // A damaged manifest is reported below, not parsed.
        if (sha256(path.join(dir, blobPath(d))) !== d) continue;
        const m = manifestReferences(fs.readFileSync(path.join(dir, blobPath(d)), "utf8"));
        next.push(...m.manifests.filter((x) => !manifests.includes(x)));
        for (const b of m.blobs) leaves.add(b);
      }
      frontier = [...new Set(next)];
    }
    const others = pick([...leaves], Math.max(0, budget - manifests.length), random);
    await fetchBlobs(store, others, dir);
    for (const d of [...manifests, ...others]) {
      report.sampled++;
      if (sha256(path.join(dir, blobPath(d))) !== d) report.corrupt.push(d);
    }
    if (report.corrupt.length > 0) {
      report.status = "corrupt";
      report.reason = `${report.corrupt.length} of ${report.sampled} sampled blobs do not match their digest`;
    } else if (report.newestAgeSeconds > (o.maxAgeSeconds ?? 48 * 3600)) {
      report.status = "stale";
      report.reason = `newest snapshot is ${(report.newestAgeSeconds / 3600).toFixed(1)} h old`;
    }
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // A blob listed by a snapshot but absent from the store is damage, not an outage.
    report.status = /missing from the archive/.test(message) ? "corrupt" : "unreachable";
    report.reason = message;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    report.ms = performance.now() - t0;
  }
  return report;
}

/** Every archive named in the stack outputs (none: nothing to check, exit 0). */
export async function verifyArchives(outputs: unknown, o: ArchivesVerifyOptions = {}): Promise<ArchivesVerifyResult> {
  const parsed = archiveOutputsFrom(outputs);
  const reports: ArchiveReport[] = [];
  for (const a of parsed.archives) {
    const env = parsed.archiveCredentials[a.name];
    reports.push(env ? await verifyArchive(a.name, { path: a.path, env, deadlineAt: o.deadlineAt }, o) : { name: a.name, status: "unreachable", reason: "no archiveCredentials entry", snapshots: 0, sampled: 0, corrupt: [], ms: 0 });
  }
  const exitCode = reports.some((r) => r.status === "unreachable") ? 2 : reports.some((r) => r.status !== "checked") ? 1 : 0;
  return { reports, exitCode };
}

export function formatArchiveReports(result: ArchivesVerifyResult): string {
  if (result.reports.length === 0) return "archives: none configured";
  return result.reports
    .map((r) => {
      const age = r.newestAgeSeconds === undefined ? "" : `, newest ${r.newestSnapshot} (${(r.newestAgeSeconds / 3600).toFixed(1)} h old, ${r.refs} images)`;
      return `archive ${r.name}: ${r.status}${age}; ${r.sampled} blobs checked${r.reason ? ` - ${r.reason}` : ""}`;
    })
    .join("\n");
}
