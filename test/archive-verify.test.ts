// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// npm run verify's archive checks against a store laid out as the archive job writes it (local
// rclone backend): snapshot age, sampled blobs hashed against their names, stale/empty/corrupt/unreachable.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { formatArchiveReports, verifyArchives } from "../infra/verify/archives";
import { restoreSnapshot } from "../infra/restore/restore";
import { layoutIndex } from "../infra/restore/snapshots";
import { localStore } from "./helpers/archive-job";
import { buildOciImage } from "./helpers/oci-image";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "archive-verify-"));
let store: string;
let blobs: string[];
const SNAPSHOT = "20261101T021700Z";
const TAKEN = Date.UTC(2026, 10, 1, 2, 17, 0);

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

beforeEach(() => {
  store = fs.mkdtempSync(path.join(root, "store-"));
  const img = buildOciImage(path.join(store, "layout"), { tag: "v1", platforms: [{ os: "linux", architecture: "amd64" }, { os: "linux", architecture: "arm64" }] });
  fs.renameSync(path.join(store, "layout", "blobs"), path.join(store, "blobs"));
  fs.rmSync(path.join(store, "layout"), { recursive: true });
  blobs = fs.readdirSync(path.join(store, "blobs", "sha256"));
  const refs = [{ repository: "library/app", tag: "v1", digest: img.digest, mediaType: img.mediaType, size: fs.statSync(path.join(store, "blobs", "sha256", img.digest.slice(7))).size }];
  fs.mkdirSync(path.join(store, "snapshots", SNAPSHOT), { recursive: true });
  fs.writeFileSync(path.join(store, "snapshots", SNAPSHOT, "refs.tsv"), refs.map((r) => `${r.repository}:${r.tag}\t${r.digest}\t${r.mediaType}\t${r.size}\n`).join(""));
  fs.writeFileSync(path.join(store, "snapshots", SNAPSHOT, "index.json"), layoutIndex(refs));
});

const outputs = (env = localStore(store).env) => ({ archives: [{ name: "nas", kind: "s3", path: localStore(store).path }], archiveCredentials: { nas: env } });
const at = (hours: number) => () => new Date(TAKEN + hours * 3600_000);

describe("verifyArchives", () => {
  it("reports the newest snapshot's age and checks every sampled blob (index, manifests, configs, layers)", async () => {
    const result = await verifyArchives(outputs(), { now: at(5), sample: 20 });
    expect(result.exitCode).toBe(0);
    expect(result.reports[0]).toMatchObject({ name: "nas", status: "checked", snapshots: 1, newestSnapshot: SNAPSHOT, newestAgeSeconds: 5 * 3600, refs: 1, corrupt: [] });
    // index + 2 manifests + 2 configs + 2 layers
    expect(result.reports[0]!.sampled).toBe(blobs.length);
    expect(formatArchiveReports(result)).toContain("archive nas: checked, newest 20261101T021700Z (5.0 h old, 1 images)");
  });

  it("finds a blob whose bytes no longer match its digest", async () => {
    const layer = blobs.map((b) => path.join(store, "blobs", "sha256", b)).find((f) => fs.readFileSync(f)[0] === 0x1f)!; // gzip magic: a layer
    const bytes = fs.readFileSync(layer);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(layer, bytes);
    const result = await verifyArchives(outputs(), { now: at(1), sample: 20 });
    expect(result.exitCode).toBe(1);
    expect(result.reports[0]).toMatchObject({ status: "corrupt", corrupt: [`sha256:${path.basename(layer)}`] });
  });

  it("reports a damaged manifest without trying to read it", async () => {
    const top = fs.readFileSync(path.join(store, "snapshots", SNAPSHOT, "refs.tsv"), "utf8").split("\t")[1]!;
    fs.writeFileSync(path.join(store, "blobs", "sha256", top.slice(7)), "{ not json");
    const result = await verifyArchives(outputs(), { now: at(1), sample: 20 });
    expect(result.reports[0]).toMatchObject({ status: "corrupt", corrupt: [top] });
  });

  it("reports a blob a snapshot needs but the store lacks as damage", async () => {
    const config = blobs.find((b) => fs.readFileSync(path.join(store, "blobs", "sha256", b), "utf8").includes('"rootfs"'))!;
    fs.rmSync(path.join(store, "blobs", "sha256", config));
    const result = await verifyArchives(outputs(), { now: at(1), sample: 20 });
    expect(result.reports[0]).toMatchObject({ status: "corrupt" });
    expect(result.reports[0]!.reason).toMatch(/missing from the archive/);
    expect(result.exitCode).toBe(1);
  });

  it("hashes every blob the newest snapshot added (not a sample), and flags future-dated snapshots without using them for the age", async () => {
    // A second image and a later snapshot naming both: its blobs are what that run added.
    const img2 = buildOciImage(path.join(store, "layout2"), { tag: "v2", files: { "two.txt": "two\n" } });
    for (const f of fs.readdirSync(path.join(store, "layout2", "blobs", "sha256"))) fs.copyFileSync(path.join(store, "layout2", "blobs", "sha256", f), path.join(store, "blobs", "sha256", f));
    fs.rmSync(path.join(store, "layout2"), { recursive: true });
    const second = "20261102T021700Z";
    const refs = fs.readFileSync(path.join(store, "snapshots", SNAPSHOT, "refs.tsv"), "utf8") + `library/two:v2\t${img2.digest}\t${img2.mediaType}\t${fs.statSync(path.join(store, "blobs", "sha256", img2.digest.slice(7))).size}\n`;
    fs.mkdirSync(path.join(store, "snapshots", second));
    fs.writeFileSync(path.join(store, "snapshots", second, "refs.tsv"), refs);
    fs.writeFileSync(path.join(store, "snapshots", second, "index.json"), "{}");
    const m = JSON.parse(fs.readFileSync(path.join(store, "blobs", "sha256", img2.digest.slice(7)), "utf8")) as { layers: { digest: string }[] };
    const layer = m.layers[0]!.digest;
    fs.writeFileSync(path.join(store, "blobs", "sha256", layer.slice(7)), "flipped");
    const afterSecond = () => new Date(Date.UTC(2026, 10, 2, 3, 0, 0));
    const result = await verifyArchives(outputs(), { now: afterSecond, sample: 0 });
    expect(result.reports[0]).toMatchObject({ status: "corrupt", newestSnapshot: second, newBlobs: 2, corrupt: [layer] });

    // A planted snapshot dated 2999 (the second one gone): flagged as tampering, the age still
    // from the real newest.
    fs.rmSync(path.join(store, "snapshots", second), { recursive: true });
    fs.mkdirSync(path.join(store, "snapshots", "29990101T000000Z"));
    fs.writeFileSync(path.join(store, "snapshots", "29990101T000000Z", "index.json"), "{}");
    const tampered = await verifyArchives(outputs(), { now: at(49) });
    expect(tampered.reports[0]).toMatchObject({ status: "tampered", newestSnapshot: SNAPSHOT, newestAgeSeconds: 49 * 3600, future: ["29990101T000000Z"] });
    expect(tampered.reports[0]!.reason).toMatch(/29990101T000000Z dated after now \+ 10 min.*; newest snapshot is 49\.0 h old/);
    expect(tampered.exitCode).toBe(1);
  });

  it("is stale after 48 h without a snapshot, empty without any, unreachable when rclone cannot reach the store", async () => {
    expect((await verifyArchives(outputs(), { now: at(49) })).reports[0]).toMatchObject({ status: "stale", reason: "newest snapshot is 49.0 h old" });
    fs.rmSync(path.join(store, "snapshots"), { recursive: true });
    const empty = await verifyArchives(outputs(), { now: at(1) });
    expect(empty.reports[0]!.status).toBe("empty");
    expect(empty.exitCode).toBe(1);
    const down = await verifyArchives(outputs({ RCLONE_CONFIG_STORE_TYPE: "sftp", RCLONE_CONFIG_STORE_HOST: "127.0.0.1", RCLONE_CONFIG_STORE_PORT: "1", RCLONE_CONFIG_STORE_USER: "x" }), { now: at(1) });
    expect(down.reports[0]!.status).toBe("unreachable");
    expect(down.exitCode).toBe(2);
  });

  it("starts no store call once verify's deadline has passed: unreachable, naming the deadline", async () => {
    const late = await verifyArchives(outputs(), { now: at(1), deadlineAt: Date.now() - 1 });
    expect(late.reports[0]).toMatchObject({ status: "unreachable", reason: expect.stringContaining("the deadline has passed") });
    expect(late.exitCode).toBe(2);
  });

  it("(restore) a snapshot none of whose blobs is stored fails each ref with why, exit 1, and contacts no registry", async () => {
    fs.rmSync(path.join(store, "blobs"), { recursive: true });
    // Port 1 on loopback: nothing listens; a push attempt would fail differently.
    const summary = await restoreSnapshot({ store: localStore(store), to: { url: "http://127.0.0.1:1" } });
    expect(summary.snapshot).toBe(SNAPSHOT);
    expect(summary.refs).toEqual([expect.objectContaining({ ref: "library/app:v1", status: "failed", reason: expect.stringMatching(/^not pushed: sha256:[0-9a-f]{64} is missing from the archive/) })]);
    expect(summary.exitCode).toBe(1);
  });

  it("has nothing to do without archives", async () => {
    expect(await verifyArchives({})).toEqual({ reports: [], exitCode: 0 });
  });
});
