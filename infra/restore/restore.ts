/**
 * Restore one archive snapshot to a registry: pick the snapshot, fetch exactly the blobs its images
 * need into a temporary OCI image layout, and push every ref with
 * `skopeo copy --all --preserve-digests` (multi-arch indexes included, digests unchanged).
 *
 * Each ref is pushed from a `dir:` view of the layout (hard links, no copies): skopeo's `oci:`
 * transport reads Docker schema 2 manifests from an OCI layout only since containers/image v5.35
 * (oci/layout/oci_transport.go getManifestDescriptor, commit 57719737 "Add docker media types in
 * OCI formats"; Debian 12 ships skopeo 1.9.3 with v5.23), while `dir:` reads every manifest type
 * in every version (directory/directory_transport.go: manifest.json, <hex>.manifest.json, <hex>).
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mapLimit } from "../verify/pool";
import { blobPath, chooseSnapshot, layoutIndex, manifestReferences, parseRefs, refsOfProject, type ArchivedRef } from "./snapshots";
import { fetchBlobs, listSnapshots, readText, StoreError, type StoreLocation } from "./store";

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

/** Every manifest and blob digest the refs need: indexes, their manifests, configs, layers. */
async function collectBlobs(store: StoreLocation, dir: string, refs: readonly ArchivedRef[]): Promise<{ fetched: number }> {
  let fetched = 0;
  const seen = new Set<string>();
  let manifests = [...new Set(refs.map((r) => r.digest))];
  // Indexes nest at most a few levels (index -> manifest); bound it anyway.
  for (let depth = 0; manifests.length > 0 && depth < 8; depth++) {
    fetched += await fetchBlobs(store, manifests, dir);
    const next: string[] = [];
    const blobs: string[] = [];
    for (const d of manifests) {
      seen.add(d);
      const refsOf = manifestReferences(fs.readFileSync(path.join(dir, blobPath(d)), "utf8"));
      next.push(...refsOf.manifests.filter((m) => !seen.has(m)));
      blobs.push(...refsOf.blobs);
    }
    fetched += await fetchBlobs(store, blobs, dir);
    manifests = [...new Set(next)];
  }
  return { fetched };
}

/** The manifests (below the top one) and blobs one image needs, read from the fetched layout. */
function closure(dir: string, digest: string): { manifests: string[]; blobs: string[] } {
  const manifests: string[] = [];
  const blobs = new Set<string>();
  const walk = (d: string, depth: number): void => {
    if (depth > 8) throw new RestoreError(`${digest}: indexes nested deeper than 8 levels`);
    const refs = manifestReferences(fs.readFileSync(path.join(dir, blobPath(d)), "utf8"));
    for (const b of refs.blobs) blobs.add(b);
    for (const m of refs.manifests) {
      manifests.push(m);
      walk(m, depth + 1);
    }
  };
  walk(digest, 0);
  return { manifests: [...new Set(manifests)], blobs: [...blobs] };
}

/** A `dir:` image directory for one ref, hard-linked from the layout's blobs. */
function dirImage(layout: string, target: string, digest: string): void {
  fs.rmSync(target, { recursive: true, force: true });
  fs.mkdirSync(target, { recursive: true });
  const hex = (d: string) => d.slice("sha256:".length);
  const link = (d: string, name: string) => fs.linkSync(path.join(layout, blobPath(d)), path.join(target, name));
  const c = closure(layout, digest);
  link(digest, "manifest.json");
  for (const m of c.manifests) link(m, `${hex(m)}.manifest.json`);
  for (const b of c.blobs) link(b, hex(b));
  fs.writeFileSync(path.join(target, "version"), "Directory Transport Version: 1.1\n");
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
  const snapshot = chooseSnapshot(snapshots, o.at);
  const summary: RestoreSummary = { snapshot, snapshots, refs: [], pushed: 0, failed: 0, blobsFetched: 0, bytesFetched: 0, ms: 0, exitCode: 0 };
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
    fs.mkdirSync(dir, { recursive: true });
    summary.blobsFetched = (await collectBlobs(o.store, dir, refs)).fetched;
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
        const image = path.join(dir, "images", String(i));
        dirImage(dir, image, r.digest);
        const left = o.deadlineAt === undefined ? 600_000 : Math.min(600_000, o.deadlineAt - Date.now());
        if (left <= 0) throw new Error("not pushed: the deadline has passed");
        await skopeo(["copy", "--quiet", "--all", "--preserve-digests", "--retry-times", "2", `--dest-tls-verify=${dest.tls}`, "--dest-authfile", auth, `dir:${image}`, `docker://${dest.host}/${ref}`], left);
        fs.rmSync(image, { recursive: true, force: true });
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
