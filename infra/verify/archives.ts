/**
 * `npm run verify`, archive part: for each archive in the stack outputs, the newest complete
 * snapshot and its age (snapshot names dated after now + 10 min are flagged as tampering and never
 * used), every manifest of it and every blob it added since the snapshot before it read back and
 * hashed against its name, plus a sample of the older blobs it names. Read with the archive job's
 * own identity (add and read only). docs/archive-trust.md says what this catches and what not.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { archiveOutputsFrom } from "../restore/outputs";
import { fetchChecked, leavesOf, manifestGraph, type BlobProblems } from "../restore/checked";
import { parseRefs, snapshotTime, splitFuture } from "../restore/snapshots";
import { listSnapshots, readText, type StoreLocation } from "../restore/store";

export interface ArchiveReport {
  name: string;
  /** tampered: snapshot names dated after now + 10 min (planted; ignored). */
  status: "checked" | "stale" | "corrupt" | "tampered" | "empty" | "unreachable";
  reason?: string;
  snapshots: number;
  newestSnapshot?: string;
  newestAgeSeconds?: number;
  refs?: number;
  /** Snapshot names dated after now + 10 min: flagged, never used for the age. */
  future: string[];
  /** Blobs the newest snapshot added (not named by the one before it): every one is hashed. */
  newBlobs: number;
  /** Blobs read back and hashed (manifests, every new blob, a sample of the others). */
  sampled: number;
  /** Digests whose stored bytes hash to something else. */
  corrupt: string[];
  ms: number;
}

export interface ArchivesVerifyOptions {
  /** Blobs already in the snapshot before the newest to read back (beyond every manifest and every new blob). */
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

export async function verifyArchive(name: string, store: StoreLocation, o: ArchivesVerifyOptions = {}): Promise<ArchiveReport> {
  const t0 = performance.now();
  const now = (o.now ?? (() => new Date()))();
  const random = o.random ?? Math.random;
  const report: ArchiveReport = { name, status: "checked", snapshots: 0, future: [], newBlobs: 0, sampled: 0, corrupt: [], ms: 0 };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-archive-"));
  const findings: string[] = [];
  try {
    // A snapshot dated after now + 10 min was not written by the job: flagged, never used (it
    // would also clamp the age to 0 and silence the stale alarm).
    const { usable, future } = splitFuture(await listSnapshots(store), now);
    report.snapshots = usable.length;
    report.future = future;
    if (future.length > 0) findings.push(`snapshot${future.length > 1 ? "s" : ""} ${future.join(", ")} dated after now + 10 min: not written by the archive job (planted, or a clock is wrong); ignored`);
    const newest = usable[usable.length - 1];
    if (!newest) {
      report.status = future.length > 0 ? "tampered" : "empty";
      report.reason = [...findings, "no complete snapshot yet (has the CronJob run?)"].join("; ");
      return report;
    }
    report.newestSnapshot = newest;
    report.newestAgeSeconds = Math.max(0, Math.round((now.getTime() - snapshotTime(newest)!.getTime()) / 1000));
    const refs = parseRefs(await readText(store, `snapshots/${newest}/refs.tsv`));
    report.refs = refs.length;
    const problems: BlobProblems = new Map();
    // Every manifest of the newest snapshot (small), hashed and parsed.
    const { graph } = await manifestGraph(store, dir, refs.map((r) => r.digest), problems);
    // The blobs this snapshot added (named by it, not by the snapshot before it): every one of
    // them is read back and hashed, so what a run stored is proven once. The rest: a sample.
    const previous = usable[usable.length - 2];
    const before = new Set<string>();
    if (previous) {
      // An unreadable previous snapshot proves nothing: then every blob of the newest is checked.
      const prevRefs = await readText(store, `snapshots/${previous}/refs.tsv`).then(parseRefs, () => undefined);
      if (prevRefs) {
        const prev = await manifestGraph(store, dir, prevRefs.map((r) => r.digest), new Map());
        for (const b of leavesOf(prev.graph)) before.add(b);
      } else findings.push(`snapshot ${previous} has no readable refs.tsv; every blob of ${newest} was checked`);
    }
    const leaves = leavesOf(graph);
    const added = leaves.filter((b) => !before.has(b));
    const others = pick(leaves.filter((b) => before.has(b)), Math.max(0, (o.sample ?? 8) - graph.size), random);
    report.newBlobs = added.length;
    await fetchChecked(store, [...added, ...others], dir, problems);
    const checked = new Set([...graph.keys(), ...added, ...others, ...refs.map((r) => r.digest)]);
    report.sampled = checked.size;
    report.corrupt = [...problems.keys()].filter((d) => checked.has(d));
    if (report.corrupt.length > 0) {
      findings.unshift(`${report.corrupt.length} of ${report.sampled} blobs checked are missing or do not match their digest: ${problems.get(report.corrupt[0]!)}`);
      report.status = "corrupt";
    } else if (future.length > 0) report.status = "tampered";
    if (report.newestAgeSeconds > (o.maxAgeSeconds ?? 48 * 3600)) {
      findings.push(`newest snapshot is ${(report.newestAgeSeconds / 3600).toFixed(1)} h old`);
      if (report.status === "checked") report.status = "stale";
    }
  } catch (e) {
    report.status = "unreachable";
    findings.push(e instanceof Error ? e.message : String(e));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    report.ms = performance.now() - t0;
  }
  if (findings.length > 0) report.reason = findings.join("; ");
  return report;
}

/** Every archive named in the stack outputs (none: nothing to check, exit 0). */
export async function verifyArchives(outputs: unknown, o: ArchivesVerifyOptions = {}): Promise<ArchivesVerifyResult> {
  const parsed = archiveOutputsFrom(outputs);
  const reports: ArchiveReport[] = [];
  for (const a of parsed.archives) {
    const env = parsed.archiveCredentials[a.name];
    reports.push(env ? await verifyArchive(a.name, { path: a.path, env, deadlineAt: o.deadlineAt }, o) : { name: a.name, status: "unreachable", reason: "no archiveCredentials entry", snapshots: 0, future: [], newBlobs: 0, sampled: 0, corrupt: [], ms: 0 });
  }
  const exitCode = reports.some((r) => r.status === "unreachable") ? 2 : reports.some((r) => r.status !== "checked") ? 1 : 0;
  return { reports, exitCode };
}

export function formatArchiveReports(result: ArchivesVerifyResult): string {
  if (result.reports.length === 0) return "archives: none configured";
  return result.reports
    .map((r) => {
      const age = r.newestAgeSeconds === undefined ? "" : `, newest ${r.newestSnapshot} (${(r.newestAgeSeconds / 3600).toFixed(1)} h old, ${r.refs} images)`;
      return `archive ${r.name}: ${r.status}${age}; ${r.sampled} blobs checked (${r.newBlobs} new, all of them)${r.reason ? ` - ${r.reason}` : ""}`;
    })
    .join("\n");
}
