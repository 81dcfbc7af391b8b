// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
/**
 * End to end, with real tools: a distribution registry as Harbor's registry (Debian's
 * docker-registry) behind Harbor's repository-listing API (test/helpers/harbor-repositories.ts),
 * the archive job's own script (the file the CronJob mounts) running skopeo and rclone, and a local
 * rclone store. Archive two projects, archive again unchanged, then delete / overwrite / add tags,
 * archive again, and restore the first snapshot into an empty registry with `restoreSnapshot`
 * (what `npm run restore` runs): every digest must come back, multi-arch index included.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseRefs } from "../infra/restore/snapshots";
import { restoreSnapshot } from "../infra/restore/restore";
import { localStore, runArchiveJob, type ArchiveRunSummary } from "./helpers/archive-job";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { startHarborRepositories, type HarborRepositories } from "./helpers/harbor-repositories";
import { buildOciImage, pushImage, skopeo } from "./helpers/oci-image";

const ROBOT = { username: "robot$archive-e2e", password: "robot-secret-e2e" };
const PROJECTS = ["alpha", "beta"];

let tmp: string;
let harbor: RunningDistribution;
let api: HarborRepositories;
let target: RunningDistribution;
let storeDir: string;

async function digestOf(reg: RunningDistribution, ref: string): Promise<string> {
  const raw = (await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${reg.address}/${ref}`])).stdout;
  return `sha256:${crypto.createHash("sha256").update(raw).digest("hex")}`;
}

async function inventory(reg: RunningDistribution, refs: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const r of refs) out[r] = await digestOf(reg, r);
  return out;
}

/** Every file under the store's blobs/ with its mtime: a blob uploaded again would change it. */
function storedBlobs(): Map<string, number> {
  const dir = path.join(storeDir, "blobs", "sha256");
  if (!fs.existsSync(dir)) return new Map();
  return new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
}

function archive(run: number): Promise<ArchiveRunSummary> {
  return runArchiveJob({
    work: path.join(tmp, `work-${run}`),
    storeDir,
    harborUrl: api.url,
    registry: harbor.address,
    projects: PROJECTS,
    robot: ROBOT,
  }).then((r) => r.summary);
}

async function push(dir: string, ref: string, opts: Parameters<typeof buildOciImage>[1], dockerFormat = false): Promise<void> {
  const img = buildOciImage(path.join(tmp, "images", dir), opts);
  if (dockerFormat) {
    // A Docker schema 2 manifest, as most images in a real Harbor are (converted, so a new digest).
    await skopeo(["copy", "--quiet", "--format", "v2s2", "--dest-tls-verify=false", img.ref, `docker://${harbor.address}/${ref}`]);
  } else {
    await pushImage(img, `${harbor.address}/${ref}`);
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "archive-e2e-"));
  storeDir = path.join(tmp, "store");
  harbor = await startDistribution({ name: "harbor-registry", dir: tmp });
  target = await startDistribution({ name: "restore-target", dir: tmp });
  api = await startHarborRepositories({ registryUrl: harbor.url, projects: PROJECTS, robot: { ...ROBOT, listProjects: PROJECTS } });
});

afterAll(async () => {
  await api?.stop();
  await stopAllDistributions();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

// The tests below run in order and share the registries and the store the first one fills.
describe("archive -> change -> archive -> restore", () => {
  it("restores the first snapshot exactly, and an unchanged run uploads no blob", async () => {
    // Snapshot 1: two projects, a shared layer, a Docker-format image, a multi-arch index, two tags on one digest.
    await push("app-v1", "alpha/app:v1", { tag: "v1", files: { "app.txt": "app v1\n" } });
    await push("app-v2", "alpha/app:v2", { tag: "v2", files: { "app.txt": "app v2\n" } });
    await push("multi", "alpha/multi:1.0", { tag: "1.0", platforms: [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64", variant: "v8" }] });
    await push("tool", "beta/tool:v1", { tag: "v1", files: { "tool.txt": "tool v1\n" } }, true);
    await push("tool", "beta/tool:stable", { tag: "stable", files: { "tool.txt": "tool v1\n" } }, true);
    const refs1 = ["alpha/app:v1", "alpha/app:v2", "alpha/multi:1.0", "beta/tool:v1", "beta/tool:stable"];
    const before = await inventory(harbor, refs1);
    expect(before["beta/tool:v1"]).toBe(before["beta/tool:stable"]);

    const s1 = await archive(1);
    expect(s1.refs).toBe(refs1.length);
    expect(s1.uploadedBlobs).toBeGreaterThan(0);
    const stored1 = parseRefs(fs.readFileSync(path.join(storeDir, "snapshots", s1.snapshot, "refs.tsv"), "utf8"));
    expect(Object.fromEntries(stored1.map((r) => [`${r.repository}:${r.tag}`, r.digest]))).toEqual(before);
    expect(stored1.find((r) => r.repository === "beta/tool")?.mediaType).toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(stored1.find((r) => r.repository === "alpha/multi")?.mediaType).toBe("application/vnd.oci.image.index.v1+json");

    // Snapshot 2, nothing changed in Harbor: no blob is uploaded again, only the snapshot files.
    const blobsAfter1 = storedBlobs();
    const s2 = await archive(2);
    expect(s2.snapshot > s1.snapshot).toBe(true);
    expect(s2.uploadedBlobs).toBe(0);
    expect(s2.uploadedBytes).toBe(0);
    expect(storedBlobs()).toEqual(blobsAfter1);

    // Changes: delete a tag, overwrite a tag with another image, add a tag in the other project.
    execFileSync("curl", ["-fsS", "-X", "DELETE", `${harbor.url}/v2/alpha/app/manifests/${before["alpha/app:v2"]}`]);
    await push("app-v1b", "alpha/app:v1", { tag: "v1", files: { "app.txt": "app v1, rebuilt\n" } });
    await push("tool-v2", "beta/tool:v2", { tag: "v2", files: { "tool.txt": "tool v2\n" } });
    // A new image whose layer is already archived (same files as app:v1 of snapshot 1, new config).
    await push("app-dated", "alpha/app:dated", { tag: "dated", files: { "app.txt": "app v1\n" }, created: "2026-01-01T00:00:00Z" });
    const s3 = await archive(3);
    const stored3 = parseRefs(fs.readFileSync(path.join(storeDir, "snapshots", s3.snapshot, "refs.tsv"), "utf8"));
    const now3 = Object.fromEntries(stored3.map((r) => [`${r.repository}:${r.tag}`, r.digest]));
    expect(Object.keys(now3).sort()).toEqual(["alpha/app:dated", "alpha/app:v1", "alpha/multi:1.0", "beta/tool:stable", "beta/tool:v1", "beta/tool:v2"]);
    expect(now3["alpha/app:v1"]).not.toBe(before["alpha/app:v1"]);
    // Uploaded = exactly the blobs the store did not have (the shared layer was skipped).
    const added = [...storedBlobs().keys()].filter((b) => !blobsAfter1.has(b));
    expect(s3.uploadedBlobs).toBe(added.length);
    // app:v1 rebuilt (manifest, config, layer) + tool:v2 (3) + app:dated (manifest, config; layer shared)
    expect(added).toHaveLength(8);
    // Blobs already stored were not written again (content-addressed, no overwrite).
    for (const [blob, mtime] of blobsAfter1) expect(storedBlobs().get(blob)).toBe(mtime);

    // Restore snapshot 1 (chosen by time: before snapshot 2 was taken) into an empty registry.
    const at = new Date(Date.UTC(+s1.snapshot.slice(0, 4), +s1.snapshot.slice(4, 6) - 1, +s1.snapshot.slice(6, 8), +s1.snapshot.slice(9, 11), +s1.snapshot.slice(11, 13), +s1.snapshot.slice(13, 15)));
    const progress: string[] = [];
    const summary = await restoreSnapshot({ store: localStore(storeDir), to: { url: target.url }, at, onProgress: (l) => progress.push(l) });
    expect(summary.snapshot).toBe(s1.snapshot);
    expect(summary.refs.filter((r) => r.status !== "pushed")).toEqual([]);
    expect(summary.exitCode).toBe(0);
    expect(summary.pushed).toBe(refs1.length);
    expect(await inventory(target, refs1)).toEqual(before);
    // Both platforms of the index came back under their own digests.
    const multi = JSON.parse((await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${target.address}/alpha/multi:1.0`])).stdout) as { manifests: { digest: string }[] };
    for (const m of multi.manifests) {
      await skopeo(["inspect", "--raw", "--tls-verify=false", `docker://${target.address}/alpha/multi@${m.digest}`]);
    }
    expect(multi.manifests).toHaveLength(2);
    expect(progress.some((l) => l.includes("alpha/app:v2") && l.includes("pushed"))).toBe(true);
  }, 300_000); // three job runs and a restore: bounded, not timed (the archive checks add rclone and skopeo calls)

  it("restores with standard tools alone: rclone for the files, skopeo reading the OCI layout", async () => {
    const snapshots = fs.readdirSync(path.join(storeDir, "snapshots")).sort();
    const newest = snapshots[snapshots.length - 1]!;
    const dir = path.join(tmp, "by-hand");
    // The runbook's commands: the blobs, the layout marker, one snapshot's index.json as index.json.
    execFileSync("rclone", ["--config", "/dev/null", "copy", path.join(storeDir, "blobs"), path.join(dir, "blobs")]);
    fs.copyFileSync(path.join(storeDir, "oci-layout"), path.join(dir, "oci-layout"));
    fs.copyFileSync(path.join(storeDir, "snapshots", newest, "index.json"), path.join(dir, "index.json"));
    const refs = parseRefs(fs.readFileSync(path.join(storeDir, "snapshots", newest, "refs.tsv"), "utf8"));
    const tool = refs.find((r) => r.repository === "beta/tool" && r.tag === "v2")!;
    await skopeo(["copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false", `oci:${dir}:beta/tool:v2`, `docker://${target.address}/beta/tool:v2`]);
    expect(await digestOf(target, "beta/tool:v2")).toBe(tool.digest);
  });

  it("dry run lists what it would push and pushes nothing; --project narrows it", async () => {
    const summary = await restoreSnapshot({ store: localStore(storeDir), to: { url: target.url }, project: "beta", dryRun: true });
    expect(summary.exitCode).toBe(0);
    expect(summary.refs.map((r) => r.ref).sort()).toEqual(["beta/tool:stable", "beta/tool:v1", "beta/tool:v2"]);
    expect(summary.refs.every((r) => r.status === "planned")).toBe(true);
    expect(summary.pushed).toBe(0);
  });

  it("a snapshot time before the first snapshot finds nothing (exit 2)", async () => {
    const summary = await restoreSnapshot({ store: localStore(storeDir), to: { url: target.url }, at: new Date(Date.UTC(2000, 0, 1)) });
    expect(summary.snapshot).toBeUndefined();
    expect(summary.exitCode).toBe(2);
  });

  it("a tag deleted while the job runs is left out; any other read failure ends the run", async () => {
    // A skopeo wrapper first on PATH: the manifest of one tag answers as distribution does for a
    // deleted manifest (MANIFEST_UNKNOWN -> skopeo "manifest unknown"), or fails with another error.
    const wrap = (message: string) => {
      const dir = fs.mkdtempSync(path.join(tmp, "wrap-"));
      const real = execFileSync("sh", ["-c", "command -v skopeo"], { encoding: "utf8" }).trim();
      fs.writeFileSync(path.join(dir, "skopeo"), `#!/bin/sh\ncase "$*" in *inspect*beta/tool:stable*) echo '${message}' >&2; exit 1;; esac\nexec ${real} "$@"\n`, { mode: 0o755 });
      return dir;
    };
    const gone = await runArchiveJob({ work: path.join(tmp, "work-gone"), storeDir, harborUrl: api.url, registry: harbor.address, projects: PROJECTS, robot: ROBOT, pathPrefix: wrap("Error parsing image name \"docker://x/beta/tool:stable\": reading manifest stable in x/beta/tool: manifest unknown: manifest unknown") });
    const refs = parseRefs(fs.readFileSync(path.join(storeDir, "snapshots", gone.summary.snapshot, "refs.tsv"), "utf8")).map((r) => `${r.repository}:${r.tag}`);
    expect(refs).not.toContain("beta/tool:stable");
    expect(refs).toContain("beta/tool:v1");
    expect(gone.result.stderr).toContain("skip beta/tool:stable: deleted while archiving");
    const before = fs.readdirSync(path.join(storeDir, "snapshots")).length;
    await expect(runArchiveJob({ work: path.join(tmp, "work-denied-read"), storeDir, harborUrl: api.url, registry: harbor.address, projects: PROJECTS, robot: ROBOT, pathPrefix: wrap("unauthorized: authentication required") }))
      .rejects.toThrow(/reading beta\/tool:stable failed/);
    expect(fs.readdirSync(path.join(storeDir, "snapshots"))).toHaveLength(before);
  }, 300_000);

  it("the job fails when the robot may not list a project (no partial snapshot is written)", async () => {
    const denied = await startHarborRepositories({ registryUrl: harbor.url, projects: PROJECTS, robot: { ...ROBOT, listProjects: ["alpha"] } });
    try {
      const before = fs.readdirSync(path.join(storeDir, "snapshots")).length;
      await expect(runArchiveJob({ work: path.join(tmp, "work-denied"), storeDir, harborUrl: denied.url, registry: harbor.address, projects: PROJECTS, robot: ROBOT })).rejects.toThrow(/project beta/);
      expect(fs.readdirSync(path.join(storeDir, "snapshots"))).toHaveLength(before);
    } finally {
      await denied.stop();
    }
  });
});

describe("npm run restore (the CLI)", () => {
  const cli = (args: string[], input: string) =>
    spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "infra", "restore", "cli.ts"), ...args], { input, encoding: "utf8", timeout: 60_000 });
  const outputs = () => JSON.stringify({
    archives: [{ name: "e2e", kind: "s3", path: localStore(storeDir).path, projects: PROJECTS }],
    archiveCredentials: { e2e: localStore(storeDir).env },
  });

  it("reads the stack outputs from stdin, lists snapshots and plans a push (--dry-run --json)", () => {
    const r = cli(["--archive", "e2e", "--to", target.url, "--project", "alpha", "--dry-run", "--json"], outputs());
    expect(r.stderr).toContain("[dry run]");
    expect(r.status).toBe(0);
    const summary = JSON.parse(r.stdout) as { snapshots: string[]; refs: { ref: string; status: string }[] };
    expect(summary.snapshots.length).toBeGreaterThanOrEqual(3);
    expect(summary.refs.map((x) => x.ref).sort()).toEqual(["alpha/app:dated", "alpha/app:v1", "alpha/multi:1.0"]);
  });

  it("exits 2 naming the problem for an unknown archive or a bad --at", () => {
    const unknown = cli(["--archive", "nope", "--to", target.url], outputs());
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no archive "nope"');
    const badTime = cli(["--archive", "e2e", "--to", target.url, "--at", "yesterday-ish"], outputs());
    expect(badTime.status).toBe(2);
    expect(badTime.stderr).toContain("--at yesterday-ish");
    // A password in --to is refused and never printed (it would be ignored for the push anyway).
    const withPassword = cli(["--archive", "e2e", "--to", target.url.replace("://", "://robot:s3cr3t/x@")], outputs());
    expect(withPassword.status).toBe(2);
    expect(withPassword.stderr).toContain("--to: the URL holds a password");
    expect(withPassword.stderr + withPassword.stdout).not.toContain("s3cr3t");
  });

  it("npm run verify reports the archive's newest snapshot and checks sampled blobs", () => {
    const json = { ...JSON.parse(outputs()), harborUrl: harbor.url, harborAdminUsername: "admin", harborAdminPassword: "unused", harborProjects: PROJECTS, registries: [] };
    const r = spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "infra", "verify", "cli.ts"), "--json"], { input: JSON.stringify(json), encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { archives: { name: string; status: string; snapshots: number; sampled: number; corrupt: string[] }[] };
    expect(report.archives).toEqual([expect.objectContaining({ name: "e2e", status: "checked", corrupt: [] })]);
    expect(report.archives[0]!.snapshots).toBeGreaterThanOrEqual(3);
    expect(report.archives[0]!.sampled).toBeGreaterThan(0);
  });
});
