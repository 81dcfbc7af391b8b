/**
 * Reading an archive without trusting any name: every object fetched is hashed against the digest
 * its name claims, a missing object is reported per digest (never a whole-run failure), and a
 * manifest is parsed only once its bytes are proven. Used by `npm run restore` (per image) and
 * `npm run verify` (every new blob of a snapshot). docs/archive-trust.md says what this catches.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { blobPath, manifestReferences } from "./snapshots";
import { rclone, type StoreLocation } from "./store";

/** Why a digest cannot be used: absent from the store, or stored bytes that hash to something else. */
export type BlobProblems = Map<string, string>;

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = crypto.createHash("sha256");
    fs.createReadStream(file).on("error", reject).on("data", (c) => h.update(c)).on("end", () => resolve(`sha256:${h.digest("hex")}`));
  });
}

/**
 * Copy these blobs into `<dir>/blobs/sha256/` and hash each against its name. A blob already in
 * `dir` was checked when it came. Mismatching files are removed from `dir` (nothing downstream can
 * use them by accident); every problem lands in `problems`.
 */
export async function fetchChecked(loc: StoreLocation, digests: Iterable<string>, dir: string, problems: BlobProblems): Promise<number> {
  const wanted = [...new Set(digests)].filter((d) => !problems.has(d) && !fs.existsSync(path.join(dir, blobPath(d))));
  if (wanted.length === 0) return 0;
  const list = path.join(dir, `.files-${process.pid}-${crypto.randomUUID()}`);
  fs.writeFileSync(list, `${wanted.map(blobPath).join("\n")}\n`);
  try {
    // A name in --files-from that the store lacks is skipped by rclone (exit 0): found below.
    await rclone(loc, ["copy", "--files-from", list, "--no-traverse", loc.path, dir]);
  } finally {
    fs.rmSync(list, { force: true });
  }
  let fetched = 0;
  for (const d of wanted) {
    const file = path.join(dir, blobPath(d));
    if (!fs.existsSync(file)) {
      problems.set(d, `${d} is missing from the archive (a blob in an offline tier must be rehydrated first: docs/archive-trust.md)`);
      continue;
    }
    fetched++;
    const actual = await sha256File(file);
    if (actual !== d) {
      fs.rmSync(file);
      problems.set(d, `stored blob ${d} does not match its digest (its bytes hash to ${actual}): damaged or planted`);
    }
  }
  return fetched;
}

/** Manifest digest -> what it names (child manifests of an index; config and layers). */
export type ManifestGraph = Map<string, { manifests: string[]; blobs: string[] }>;

/**
 * Fetch and check the manifests reachable from `roots` (indexes down to their manifests, at most
 * 8 levels). A manifest whose bytes are unproven or not a manifest is a problem, not parsed further.
 */
export async function manifestGraph(loc: StoreLocation, dir: string, roots: readonly string[], problems: BlobProblems): Promise<{ graph: ManifestGraph; fetched: number }> {
  const graph: ManifestGraph = new Map();
  let fetched = 0;
  let frontier = [...new Set(roots)];
  for (let depth = 0; frontier.length > 0 && depth < 8; depth++) {
    fetched += await fetchChecked(loc, frontier, dir, problems);
    const next: string[] = [];
    for (const d of frontier) {
      if (problems.has(d) || graph.has(d)) continue;
      try {
        const refs = manifestReferences(fs.readFileSync(path.join(dir, blobPath(d)), "utf8"));
        graph.set(d, refs);
        next.push(...refs.manifests.filter((m) => !graph.has(m)));
      } catch {
        problems.set(d, `stored blob ${d} is not a manifest the archive job would have stored`);
      }
    }
    frontier = [...new Set(next)];
  }
  return { graph, fetched };
}

/** Every blob a manifest graph names below its manifests (configs, layers). */
export function leavesOf(graph: ManifestGraph): string[] {
  return [...new Set([...graph.values()].flatMap((m) => m.blobs))];
}

/**
 * The image at `root`: its manifests (root first) and blobs, and the first problems that stop it
 * being restored. Pure.
 */
export function imageClosure(graph: ManifestGraph, root: string, problems: BlobProblems): { manifests: string[]; blobs: string[]; problems: string[] } {
  const manifests: string[] = [];
  const blobs = new Set<string>();
  const found: string[] = [];
  const walk = (d: string, depth: number): void => {
    if (manifests.includes(d)) return;
    manifests.push(d);
    const p = problems.get(d);
    if (p) return void found.push(p);
    const m = graph.get(d);
    if (!m) return void found.push(depth >= 8 ? `${root}: indexes nested deeper than 8 levels` : `${d} was not read`);
    for (const b of m.blobs) {
      blobs.add(b);
      const bp = problems.get(b);
      if (bp) found.push(bp);
    }
    for (const c of m.manifests) walk(c, depth + 1);
  };
  walk(root, 0);
  return { manifests, blobs: [...blobs], problems: [...new Set(found)] };
}
