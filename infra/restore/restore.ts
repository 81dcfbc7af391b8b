/**
 * Restore one archive snapshot to a registry: pick the snapshot, fetch exactly the blobs its images
 * need into a temporary OCI image layout, and push every ref with
 * `skopeo copy --all --preserve-digests` (multi-arch indexes included, digests unchanged).
 * Nothing is trusted by its name: every blob is hashed against its digest as it arrives, an image
 * whose blobs are missing or wrong fails alone (the others are pushed), and after each push the
 * tag is read back from the target and its digest compared with the archived one. Snapshot names
 * dated after now + 10 min are never chosen without --at (docs/archive-trust.md).
 *
 * Each ref is pushed from a `dir:` view of the layout (hard links, no copies): skopeo's `oci:`
 * transport reads Docker schema 2 manifests from an OCI layout only since containers/image v5.35
 * (oci/layout/oci_transport.go getManifestDescriptor, commit 57719737 "Add docker media types in
 * OCI formats"; Debian 12 ships skopeo 1.9.3 with v5.23), while `dir:` reads every manifest type
 * in every version (directory/directory_transport.go: manifest.json, <hex>.manifest.json, <hex>).
 */
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mapLimit } from "../verify/pool";
import { fetchChecked, imageClosure, leavesOf, manifestGraph, type BlobProblems } from "./checked";
import { blobPath, chooseSnapshot, layoutIndex, parseRefs, refsOfProject, splitFuture } from "./snapshots";
import { listSnapshots, readText, StoreError, type StoreLocation } from "./store";

export interface RestoreTarget {
  /** http(s)://host[:port] (http: no TLS, for registries on loopback or a lab). */
  url: string;
  username?: string;
  password?: string;
}

export interface RestoreOptions {
  store: StoreLocation;
  to: RestoreTarget;
  /** Newest snapshot at or before this time (default: the newest). */
  at?: Date;
  /** Only this Harbor project. */
  project?: string;
  dryRun?: boolean;
  /** Images pushed at once. */
  concurrency?: number;
  onProgress?: (line: string) => void;
  /** Scratch directory (default: a new one under the OS temp dir, removed afterwards). */
  workDir?: string;
  /** Epoch ms after which no skopeo push starts and a running one is stopped (--deadline). */
  deadlineAt?: number;
}

export interface RestoreSummary {
  snapshot?: string;
  snapshots: string[];
  /** Snapshot names dated after now + 10 min: never chosen without --at (docs/archive-trust.md). */
  ignoredFuture: string[];
  refs: { ref: string; digest: string; status: "pushed" | "planned" | "failed"; reason?: string }[];
  pushed: number;
  failed: number;
  blobsFetched: number;
  bytesFetched: number;
  ms: number;
  /** 0 all pushed (or planned), 1 some image failed, 2 nothing to restore or store unreachable. */
  exitCode: 0 | 1 | 2;
}

export class RestoreError extends Error {}

function hostOf(url: string): { host: string; tls: boolean } {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new RestoreError(`--to ${url}: expected an http(s):// registry URL`);
  if (u.pathname !== "/" && u.pathname !== "") throw new RestoreError(`--to ${url}: give the registry without a path; images keep their archived project/repository path`);
  return { host: u.host, tls: u.protocol === "https:" };
}

function skopeo(args: string[], timeoutMs = 600_000): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile("skopeo", args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (err, _out, stderr) => {
      if (err) reject(new Error(String(stderr).trim().split("\n").slice(-1)[0] || (err as Error).message));
      else resolve();
    });
  });
}

/** A `dir:` image directory for one ref, hard-linked from the layout's (checked) blobs. */
function dirImage(layout: string, target: string, digest: string, c: { manifests: string[]; blobs: string[] }): void {
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const hex = (d: string) => d.slice("sha256:".length);
  const link = (d: string, name: string) => fs.linkSync(path.join(layout, blobPath(d)), path.join(target, name));
  link(digest, "manifest.json");
  for (const m of c.manifests.filter((x) => x !== digest)) link(m, `${hex(m)}.manifest.json`);
  for (const b of c.blobs) link(b, hex(b));
  fs.writeFileSync(path.join(target, "version"), "Directory Transport Version: 1.1\n");
}

/** The digest of the manifest `ref` resolves to on the target, as the target serves it. */
function targetDigest(host: string, tls: boolean, auth: string, ref: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("skopeo", ["inspect", "--raw", "--retry-times", "2", `--tls-verify=${tls}`, "--authfile", auth, `docker://${host}/${ref}`],
      { timeout: 120_000, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024, encoding: "buffer" }, (err, out, stderr) => {
        if (err) reject(new Error(`reading it back from the target failed: ${String(stderr).trim().split("\n").slice(-1)[0] || err.message}`));
        else resolve(`sha256:${crypto.createHash("sha256").update(out).digest("hex")}`);
      });
  });
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) if (f.isFile()) total += fs.statSync(path.join(f.parentPath, f.name)).size;
  return total;
}

export async function restoreSnapshot(o: RestoreOptions): Promise<RestoreSummary> {
  const t0 = performance.now();
  const say = o.onProgress ?? (() => undefined);
  const dest = hostOf(o.to.url);
  const snapshots = await listSnapshots(o.store);
  const now = new Date();
  const snapshot = chooseSnapshot(snapshots, o.at, now);
  const { future } = splitFuture(snapshots, now);
  const summary: RestoreSummary = { snapshot, snapshots, ignoredFuture: o.at ? [] : future, refs: [], pushed: 0, failed: 0, blobsFetched: 0, bytesFetched: 0, ms: 0, exitCode: 0 };
  for (const f of summary.ignoredFuture) say(`ignoring snapshot ${f}: dated after now + 10 min, so not written by the archive job (planted, or a clock is wrong); give --at to choose a snapshot by time`);
  if (!snapshot) {
    say(`no snapshot${o.at ? ` at or before ${o.at.toISOString()}` : ""} (the archive holds ${snapshots.length})`);
    summary.exitCode = 2;
    return summary;
  }
  const refs = refsOfProject(parseRefs(await readText(o.store, `snapshots/${snapshot}/refs.tsv`)), o.project);
  say(`snapshot ${snapshot}: ${refs.length} image${refs.length === 1 ? "" : "s"}${o.project ? ` in project ${o.project}` : ""} -> ${dest.host}`);
  if (o.dryRun) {
    for (const r of refs) {
      summary.refs.push({ ref: `${r.repository}:${r.tag}`, digest: r.digest, status: "planned" });
      say(`would push ${r.repository}:${r.tag} ${r.digest}`);
    }
    summary.ms = performance.now() - t0;
    return summary;
  }

  const dir = o.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "restore-"));
  try {
    fs.mkdirSync(path.join(dir, "blobs", "sha256"), { recursive: true });
    // Every blob is hashed against its name as it arrives; a bad or missing one fails only the
    // images that need it (docs/archive-trust.md).
    const problems: BlobProblems = new Map();
    const { graph, fetched } = await manifestGraph(o.store, dir, refs.map((r) => r.digest), problems);
    summary.blobsFetched = fetched + (await fetchChecked(o.store, leavesOf(graph), dir, problems));
    summary.bytesFetched = dirBytes(path.join(dir, "blobs"));
    // An OCI image layout: oci-layout, index.json (this snapshot's refs), blobs/sha256/<hex>.
    fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
    fs.writeFileSync(path.join(dir, "index.json"), layoutIndex(refs));
    const auth = path.join(dir, ".auth.json");
    const creds = o.to.username ? { auths: { [dest.host]: { auth: Buffer.from(`${o.to.username}:${o.to.password ?? ""}`).toString("base64") } } } : { auths: {} };
    fs.writeFileSync(auth, JSON.stringify(creds), { mode: 0o600 });
    let done = 0;
    const results = await mapLimit(refs, o.concurrency ?? 4, async (r, i) => {
      const ref = `${r.repository}:${r.tag}`;
      const started = performance.now();
      try {
        const c = imageClosure(graph, r.digest, problems);
        if (c.problems.length > 0) throw new Error(`not pushed: ${c.problems.slice(0, 3).join("; ")}${c.problems.length > 3 ? `; and ${c.problems.length - 3} more` : ""}`);
        const image = path.join(dir, "images", String(i));
        dirImage(dir, image, r.digest, c);
        const left = o.deadlineAt === undefined ? 600_000 : Math.min(600_000, o.deadlineAt - Date.now());
        if (left <= 0) throw new Error("not pushed: the deadline has passed");
        await skopeo(["copy", "--quiet", "--all", "--preserve-digests", "--retry-times", "2", `--dest-tls-verify=${dest.tls}`, "--dest-authfile", auth, `dir:${image}`, `docker://${dest.host}/${ref}`], left);
        fs.rmSync(image, { recursive: true, force: true });
        // What the target now serves under the tag must be the archived image, byte for byte.
        const served = await targetDigest(dest.host, dest.tls, auth, ref);
        if (served !== r.digest) throw new Error(`pushed, but the target serves ${served} for ${ref}, not the archived ${r.digest}`);
        say(`[${++done}/${refs.length}] ${ref} ${r.digest} pushed (${Math.round(performance.now() - started)} ms)`);
        return { ref, digest: r.digest, status: "pushed" as const };
      } catch (e) {
        const reason = (e as Error).message;
        say(`[${++done}/${refs.length}] ${ref} FAILED: ${reason}`);
        return { ref, digest: r.digest, status: "failed" as const, reason };
      }
    });
    summary.refs = results;
  } finally {
    if (!o.workDir) fs.rmSync(dir, { recursive: true, force: true });
    else fs.rmSync(path.join(dir, ".auth.json"), { force: true });
  }
  summary.pushed = summary.refs.filter((r) => r.status === "pushed").length;
  summary.failed = summary.refs.filter((r) => r.status === "failed").length;
  summary.exitCode = summary.failed > 0 ? 1 : 0;
  summary.ms = performance.now() - t0;
  return summary;
}

export { StoreError };
