// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
/**
 * The archive under attack, with real tools: Debian's docker-registry as Harbor's registry and as
 * the restore target, the archive job's own script (skopeo + rclone), a local rclone store, and
 * `restoreSnapshot` / `verifyArchives` (what `npm run restore` / `npm run verify` run).
 *
 * The attacker holds what the job holds on the store: add and read (docs/archive-trust.md). Each
 * case tampers with the store the way such an identity can (a new object at a name the job will
 * need, a new snapshot name) or the way damage does (an object edited in place, an object lost),
 * and every case must end in a clear error or a correct restore, never a wrong image reported as
 * pushed.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { restoreSnapshot } from "../infra/restore/restore";
import { parseRefs } from "../infra/restore/snapshots";
import { verifyArchives } from "../infra/verify/archives";
import { localStore, runArchiveJob } from "./helpers/archive-job";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { startHarborRepositories, type HarborRepositories } from "./helpers/harbor-repositories";
import { buildOciImage, pushImage, skopeo, type BuiltImage } from "./helpers/oci-image";

const ROBOT = { username: "robot$archive-tamper", password: "robot-secret-tamper" };
const PROJECTS = ["alpha"];
/** Bound per case (several job runs and a restore, each a few dozen skopeo/rclone processes). */
const CASE_TIMEOUT_MS = 300_000;

let tmp: string;
let harbor: RunningDistribution;
let api: HarborRepositories;
/** Files made immutable (chattr +i) by a case: released in afterAll, or the directory cannot be removed. */
const immutable: string[] = [];

const sha = (b: Buffer | string) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;
const blobFile = (store: string, digest: string) => path.join(store, "blobs", "sha256", digest.slice("sha256:".length));
const nowStamp = (offsetMs = 0) => new Date(Date.now() + offsetMs).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");

async function digestOf(reg: RunningDistribution, ref: string): Promise<string> {
  return sha((await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${reg.address}/${ref}`])).stdout);
}

async function served(reg: RunningDistribution, ref: string): Promise<boolean> {
  try {
    await digestOf(reg, ref);
    return true;
  } catch {
    return false;
  }
}

function image(name: string, content: string): BuiltImage {
  return buildOciImage(path.join(tmp, "images", name), { tag: "v1", files: { [`${name}.txt`]: `${content}\n` } });
}

/** The layer digests of a built single-platform image (read from its OCI layout). */
function layersOf(img: BuiltImage): string[] {
  const m = JSON.parse(fs.readFileSync(path.join(img.dir, "blobs", "sha256", img.digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
  return m.layers.map((l) => l.digest);
}

async function push(img: BuiltImage, ref: string): Promise<string> {
  await pushImage(img, `${harbor.address}/${ref}`);
  return digestOf(harbor, ref);
}

let runs = 0;
function archive(store: string) {
  // Under busybox, as the rclone image runs the state and upload phases (test/archive-e2e.test.ts
  // runs the script under the system sh with GNU tools, as the skopeo image runs collect).
  return runArchiveJob({ work: path.join(tmp, `work-${++runs}`), storeDir: store, harborUrl: api.url, registry: harbor.address, projects: PROJECTS, robot: ROBOT, busybox: true, timeoutMs: 240_000 });
}

const snapshotsOf = (store: string) => fs.readdirSync(path.join(store, "snapshots")).sort();
const refsOf = (store: string, snapshot: string) =>
  Object.fromEntries(parseRefs(fs.readFileSync(path.join(store, "snapshots", snapshot, "refs.tsv"), "utf8")).map((r) => [`${r.repository}:${r.tag}`, r.digest]));

async function target(name: string): Promise<RunningDistribution> {
  return startDistribution({ name, dir: tmp });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "archive-tamper-"));
  harbor = await startDistribution({ name: "harbor-registry", dir: tmp });
  api = await startHarborRepositories({ registryUrl: harbor.url, projects: PROJECTS, robot: { ...ROBOT, listProjects: PROJECTS } });
});

afterAll(async () => {
  for (const f of immutable) spawnChattr("-i", f);
  await api?.stop();
  await stopAllDistributions();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function spawnChattr(flag: "+i" | "-i", file: string): void {
  if (process.getuid?.() === 0) {
    // root ignores file modes: the immutable attribute (ext4, xfs, btrfs; e2fsprogs' chattr).
    execFileSync("chattr", [flag, file]);
  } else {
    // Not root: the file read-only (rclone 1.60's local backend writes over the file in place).
    fs.chmodSync(file, flag === "+i" ? 0o444 : 0o644);
  }
}

// The cases share Harbor's registry and add images to it as they go; each has its own store and
// its own restore target.
describe("archive tamper suite", () => {
  it("an edited manifest is never pushed: that image fails with the reason, the others restore", async () => {
    const a = await push(image("edit-a", "a"), "alpha/edit-a:v1");
    const b = await push(image("edit-b", "b"), "alpha/edit-b:v1");
    const store = path.join(tmp, "store-edit");
    const { summary: s1 } = await archive(store);
    // Edit b's stored manifest in place: still valid JSON, another digest.
    const file = blobFile(store, b);
    const m = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    m.annotations = { "org.example.tampered": "yes" };
    fs.writeFileSync(file, JSON.stringify(m));

    const to = await target("target-edit");
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url } });
    expect(summary.snapshot).toBe(s1.snapshot);
    const byRef = Object.fromEntries(summary.refs.map((r) => [r.ref, r]));
    expect(byRef["alpha/edit-a:v1"]).toMatchObject({ status: "pushed", digest: a });
    expect(byRef["alpha/edit-b:v1"]).toMatchObject({ status: "failed", digest: b });
    expect(byRef["alpha/edit-b:v1"]!.reason).toMatch(new RegExp(`${b}.*does not match its digest`));
    expect(summary.exitCode).toBe(1);
    expect(await digestOf(to, "alpha/edit-a:v1")).toBe(a);
    expect(await served(to, "alpha/edit-b:v1")).toBe(false);

    // verify checks every blob of a snapshot it has not seen before: the edited manifest is found.
    const v = await verifyArchives({ archives: [{ name: "t", kind: "s3", path: localStore(store).path }], archiveCredentials: { t: localStore(store).env } });
    expect(v.reports[0]).toMatchObject({ status: "corrupt", corrupt: [b] });
  }, CASE_TIMEOUT_MS);

  it("a blob planted at a future layer digest is checked before reuse: replaced where the store allows, a clear error where it does not", async () => {
    const store = path.join(tmp, "store-plant");
    await push(image("plant-base", "base"), "alpha/plant-base:v1");
    const { summary: s1 } = await archive(store);

    // The attacker knows an image before the job archives it (e.g. pushed to Harbor since the
    // last run) and adds garbage under its layer's name.
    const c = image("plant-c", "c");
    const layer = layersOf(c)[0]!;
    fs.writeFileSync(blobFile(store, layer), "garbage at a future layer digest\n");
    const cDigest = await push(c, "alpha/plant-c:v1");
    const run = await archive(store);
    expect(run.result.stderr).toMatch(new RegExp(`${layer.slice(7)}.*does not match`));
    // The store now holds the right bytes under that name, and the image restores.
    expect(sha(fs.readFileSync(blobFile(store, layer)))).toBe(layer);
    const to = await target("target-plant");
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url } });
    expect(summary.snapshot).toBe(run.summary.snapshot);
    expect(summary.refs.find((r) => r.ref === "alpha/plant-c:v1")).toMatchObject({ status: "pushed", digest: cDigest });
    expect(summary.exitCode).toBe(0);
    expect(await digestOf(to, "alpha/plant-c:v1")).toBe(cDigest);

    // Where the store refuses to replace an object (Object Lock / WORM; here the planted file is
    // immutable to the filesystem), the run fails naming the blob and writes no snapshot.
    const d = image("plant-d", "d");
    const dLayer = layersOf(d)[0]!;
    const planted = blobFile(store, dLayer);
    fs.writeFileSync(planted, "garbage the store will not let anyone replace\n");
    spawnChattr("+i", planted);
    immutable.push(planted);
    await push(d, "alpha/plant-d:v1");
    const before = snapshotsOf(store);
    await expect(archive(store)).rejects.toThrow(new RegExp(`blobs/sha256/${dLayer.slice(7)}.*does not match its digest`));
    expect(snapshotsOf(store)).toEqual(before);
    expect(before).toContain(s1.snapshot);
  }, CASE_TIMEOUT_MS);

  it("a future-dated snapshot is never used: not by restore without --at, not as the job's previous snapshot, and verify flags it", async () => {
    const store = path.join(tmp, "store-future");
    await push(image("future-a", "fa"), "alpha/future-a:v1");
    await archive(store);
    // The attacker adds a snapshot dated 2999 that claims a not-yet-archived image is archived.
    const e = image("future-e", "e");
    const future = path.join(store, "snapshots", "29990101T000000Z");
    fs.mkdirSync(future, { recursive: true });
    fs.writeFileSync(path.join(future, "refs.tsv"), `alpha/future-e:v1\t${e.digest}\t${e.mediaType}\t100\n`);
    fs.writeFileSync(path.join(future, "index.json"), "{}");
    const eDigest = await push(e, "alpha/future-e:v1");
    expect(eDigest).toBe(e.digest);

    const run = await archive(store);
    expect(run.result.stderr).toMatch(/29990101T000000Z.*(later than|after)/);
    expect(refsOf(store, run.summary.snapshot)["alpha/future-e:v1"]).toBe(eDigest);
    expect(fs.existsSync(blobFile(store, eDigest))).toBe(true);

    const to = await target("target-future");
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url } });
    expect(summary.snapshot).toBe(run.summary.snapshot);
    expect(summary.exitCode).toBe(0);
    expect(await digestOf(to, "alpha/future-e:v1")).toBe(eDigest);

    const v = await verifyArchives({ archives: [{ name: "t", kind: "s3", path: localStore(store).path }], archiveCredentials: { t: localStore(store).env } });
    expect(v.reports[0]).toMatchObject({ status: "tampered", newestSnapshot: run.summary.snapshot });
    expect(v.reports[0]!.reason).toContain("29990101T000000Z");
    expect(v.reports[0]!.newestAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(v.reports[0]!.newestAgeSeconds).toBeLessThan(3600);
    expect(v.exitCode).toBe(1);
  }, CASE_TIMEOUT_MS);

  it("a planted (past-dated) previous snapshot cannot make the job skip an image whose blobs are not stored", async () => {
    const store = path.join(tmp, "store-previous");
    await push(image("prev-a", "pa"), "alpha/prev-a:v1");
    await archive(store);
    const f = image("prev-f", "f");
    const fDigest = await push(f, "alpha/prev-f:v1");
    const planted = path.join(store, "snapshots", nowStamp(-1000));
    fs.mkdirSync(planted, { recursive: true });
    fs.writeFileSync(path.join(planted, "refs.tsv"), `alpha/prev-f:v1\t${fDigest}\t${f.mediaType}\t100\n`);
    fs.writeFileSync(path.join(planted, "index.json"), "{}");
    const run = await archive(store);
    expect(refsOf(store, run.summary.snapshot)["alpha/prev-f:v1"]).toBe(fDigest);
    for (const d of [fDigest, ...layersOf(f)]) expect(sha(fs.readFileSync(blobFile(store, d)))).toBe(d);
    const to = await target("target-previous");
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url } });
    expect(summary.exitCode).toBe(0);
    expect(await digestOf(to, "alpha/prev-f:v1")).toBe(fDigest);
  }, CASE_TIMEOUT_MS);

  it("a missing layer fails only its image: the intact one is restored, the failed ref is named with why, exit 1", async () => {
    const store = path.join(tmp, "store-missing");
    const g = image("missing-g", "g");
    const h = image("missing-h", "h");
    const gDigest = await push(g, "alpha/missing-g:v1");
    const hDigest = await push(h, "alpha/missing-h:v1");
    await archive(store);
    const lost = layersOf(h)[0]!;
    fs.rmSync(blobFile(store, lost));

    const to = await target("target-missing");
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url } });
    const byRef = Object.fromEntries(summary.refs.map((r) => [r.ref, r]));
    expect(byRef["alpha/missing-g:v1"]).toMatchObject({ status: "pushed", digest: gDigest });
    expect(byRef["alpha/missing-h:v1"]).toMatchObject({ status: "failed", digest: hDigest });
    expect(byRef["alpha/missing-h:v1"]!.reason).toContain(`${lost} is missing from the archive`);
    expect(summary.exitCode).toBe(1);
    expect(await digestOf(to, "alpha/missing-g:v1")).toBe(gDigest);
    expect(await served(to, "alpha/missing-h:v1")).toBe(false);
  }, CASE_TIMEOUT_MS);
  it("a target that serves another image after the push is caught: the ref fails, never reported pushed", async () => {
    const store = path.join(tmp, "store-race");
    const x = image("race-x", "x");
    const xDigest = await push(x, "alpha/race-x:v1");
    await archive(store);
    // Another writer on the target moves the tag right after restore's push (a skopeo wrapper
    // first on PATH runs the real push, then the real skopeo pushes another image to the tag).
    const other = image("race-other", "other");
    const to = await target("target-race");
    const wrapDir = fs.mkdtempSync(path.join(tmp, "wrap-"));
    const real = execFileSync("sh", ["-c", "command -v skopeo"], { encoding: "utf8" }).trim();
    fs.writeFileSync(path.join(wrapDir, "skopeo"), [
      "#!/bin/sh",
      `case "$1 $*" in copy*docker://${to.address}/alpha/race-x:v1) ${real} "$@" || exit $?; exec ${real} copy --quiet --dest-tls-verify=false ${other.ref} docker://${to.address}/alpha/race-x:v1 ;; esac`,
      `exec ${real} "$@"`,
      "",
    ].join("\n"), { mode: 0o755 });
    const savedPath = process.env.PATH;
    process.env.PATH = `${wrapDir}:${savedPath ?? ""}`;
    let summary;
    try {
      summary = await restoreSnapshot({ store: localStore(store), to: { url: to.url }, project: "alpha" });
    } finally {
      process.env.PATH = savedPath;
    }
    const race = summary.refs.find((r) => r.ref === "alpha/race-x:v1")!;
    expect(race).toMatchObject({ status: "failed", digest: xDigest });
    expect(race.reason).toContain(`the target serves ${other.digest} for alpha/race-x:v1, not the archived ${xDigest}`);
    expect(summary.exitCode).toBe(1);
    expect(summary.refs.filter((r) => r.ref !== "alpha/race-x:v1").every((r) => r.status === "pushed")).toBe(true);
  }, CASE_TIMEOUT_MS);
});
