// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Replication verification against real registries: Debian's distribution on 127.0.0.1, a
// "Harbor" and one backup with htpasswd (Basic) auth, a second backup behind a token server
// (Bearer flow, as Harbor, ACR and Artifact Registry answer). Images are built without an engine.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { htpasswdLine } from "../components/shared/htpasswd";
import { RegistryClient } from "../infra/verify/registry-client";
import type { VerifyInput } from "../infra/verify/types";
import { verifyTopology } from "../infra/verify/verify";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { buildOciImage, pushImage, skopeo, type BuiltImage } from "./helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

const SALT = "verifytestsaltverifyts";
const users = {
  admin: "harbor-admin-pw",
  "bk1-pull": "bk1-pull-pw",
  "bk1-push": "bk1-push-pw",
  "bk2-pull": "bk2-pull-pw",
  "bk2-push": "bk2-push-pw",
} as const;
const creds = (u: keyof typeof users) => ({ username: u, password: users[u] });

let dir: string;
let tokens: TokenServer;
let harbor: RunningDistribution;
let bk1: RunningDistribution;
let bk2: RunningDistribution;
let images: Record<string, BuiltImage>;

function htpasswdFile(name: string, who: (keyof typeof users)[]): string {
  const file = path.join(dir, `${name}.htpasswd`);
  fs.writeFileSync(file, `${who.map((u) => htpasswdLine(u, users[u], SALT)).join("\n")}\n`);
  return file;
}

function input(): VerifyInput {
  return {
    source: { name: "harbor", baseUrl: harbor.url, ...creds("admin"), projects: ["library", "platform"] },
    backups: [
      { name: "bk1", baseUrl: bk1.url, pathPrefix: "dr/mirror", keepsProjectPath: true, ...creds("bk1-pull"), pushUsername: "bk1-push", pushPassword: users["bk1-push"] },
      { name: "bk2", baseUrl: bk2.url, pathPrefix: "ns", keepsProjectPath: false, ...creds("bk2-pull"), pushUsername: "bk2-push", pushPassword: users["bk2-push"] },
    ],
  };
}

const fast = { client: { baseDelayMs: 20, maxAttempts: 2, timeoutMs: 5000 } };

async function copy(src: string, srcUser: keyof typeof users, dest: string, destUser: keyof typeof users): Promise<void> {
  const c = (u: keyof typeof users) => `${u}:${users[u]}`;
  await skopeo(["copy", "--quiet", "--all", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", c(srcUser), "--dest-creds", c(destUser), `docker://${src}`, `docker://${dest}`]);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-"));
  tokens = await startTokenServer({
    dir,
    users: { "bk2-pull": { password: users["bk2-pull"], actions: ["pull"] }, "bk2-push": { password: users["bk2-push"], actions: ["pull", "push"] } },
  });
  harbor = await startDistribution({ name: "harbor", dir, config: { auth: { htpasswd: { realm: "harbor", path: htpasswdFile("harbor", ["admin"]) } } } });
  bk1 = await startDistribution({ name: "bk1", dir, config: { auth: { htpasswd: { realm: "bk1", path: htpasswdFile("bk1", ["bk1-pull", "bk1-push"]) } } } });
  bk2 = await startDistribution({ name: "bk2", dir, config: { auth: tokenAuthConfig(tokens, "bk2") } });

  const hourAgo = new Date(Date.now() - 3600_000).toISOString();
  images = {
    appV1: buildOciImage(path.join(dir, "img-app"), { tag: "v1", files: { "app.txt": "app v1\n" } }),
    appV2: buildOciImage(path.join(dir, "img-app"), { tag: "v2", files: { "app.txt": "app v2\n" }, created: hourAgo }),
    other: buildOciImage(path.join(dir, "img-other"), { tag: "v1", files: { "app.txt": "tampered\n" } }),
    tool: buildOciImage(path.join(dir, "img-tool"), {
      tag: "1.0",
      platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64", variant: "v8" },
      ],
    }),
  };
  // Harbor has library/app:v1 and the multi-arch platform/tool:1.0; both backups got them.
  await pushImage(images.appV1!, `${harbor.address}/library/app:v1`, creds("admin"));
  await pushImage(images.tool!, `${harbor.address}/platform/tool:1.0`, creds("admin"));
  for (const [src, d1, d2] of [
    ["library/app:v1", "dr/mirror/library/app:v1", "ns/app:v1"],
    ["platform/tool:1.0", "dr/mirror/platform/tool:1.0", "ns/tool:1.0"],
  ] as const) {
    await copy(`${harbor.address}/${src}`, "admin", `${bk1.address}/${d1}`, "bk1-push");
    await copy(`${harbor.address}/${src}`, "admin", `${bk2.address}/${d2}`, "bk2-push");
  }
}, 120_000);

afterAll(async () => {
  await stopAllDistributions();
  await tokens?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("verify against real registries", () => {
  it("in sync: every tag, single- and multi-arch, under each backup's path", async () => {
    const r = await verifyTopology(input(), fast);
    expect(r.source).toMatchObject({ status: "checked", repositories: 2, tags: 2 });
    expect(r.backups.map((b) => [b.name, b.status, b.inSync, b.missing.length, b.different.length])).toEqual([
      ["bk1", "checked", 2, 0, 0],
      ["bk2", "checked", 2, 0, 0],
    ]);
    expect(r.exitCode).toBe(0);
    // The Bearer flow really ran: pull-scoped tokens for the backup's paths.
    expect(tokens.requests.some((q) => q.subject === "bk2-pull" && q.scopes.includes("repository:ns/app:pull"))).toBe(true);
  });

  it("a missing tag: exit 1, named per backup, with the replication lag", async () => {
    await pushImage(images.appV2!, `${harbor.address}/library/app:v2`, creds("admin"));
    const r = await verifyTopology(input(), fast);
    expect(r.exitCode).toBe(1);
    for (const b of r.backups) {
      expect(b.missing.map((m) => `${m.repository}:${m.tag}`)).toEqual(["library/app:v2"]);
      expect(b.missing[0]?.digest).toBe(images.appV2!.digest);
      expect(b.newestMissingAgeSeconds).toBeGreaterThanOrEqual(3590);
      expect(b.newestMissingAgeSeconds).toBeLessThan(3600 + 600); // created an hour before beforeAll ran
    }
    expect(r.backups[1]?.missing[0]?.backupRepository).toBe("ns/app");
  });

  it("a changed digest and a multi-arch index replaced by one platform are both 'different'", async () => {
    await pushImage(images.other!, `${bk1.address}/dr/mirror/library/app:v1`, creds("bk1-push"));
    // bk2's tool:1.0 becomes a single-arch manifest (only the amd64 child of the index).
    const amd64 = images.tool!.manifests[0]!.digest;
    await copy(`${harbor.address}/platform/tool@${amd64}`, "admin", `${bk2.address}/ns/tool:1.0`, "bk2-push");
    const r = await verifyTopology(input(), fast);
    const [b1, b2] = r.backups;
    expect(b1?.different).toEqual([
      { repository: "library/app", tag: "v1", digest: images.appV1!.digest, backupDigest: images.other!.digest, backupRepository: "dr/mirror/library/app" },
    ]);
    expect(b2?.different.map((d) => [d.repository, d.digest, d.backupDigest])).toEqual([["platform/tool", images.tool!.digest, amd64]]);
    expect(r.exitCode).toBe(1);
  });

  it("an extra image on a backup is reported but does not fail the check", async () => {
    await copy(`${harbor.address}/library/app:v1`, "admin", `${bk1.address}/dr/mirror/library/app:old`, "bk1-push");
    const r = await verifyTopology(input(), fast);
    expect(r.backups[0]?.extra.map((e) => `${e.backupRepository}:${e.tag}`)).toEqual(["dr/mirror/library/app:old"]);
  });

  it("pagination past one page gives the same answer with more requests", async () => {
    for (const t of ["p1", "p2", "p3"]) await copy(`${harbor.address}/library/app:v1`, "admin", `${harbor.address}/library/app:${t}`, "admin");
    // distribution 2.8 pages its catalog (tags/list it answers whole; the unit tests page tags).
    const paged = new RegistryClient({ name: "harbor", baseUrl: harbor.url, ...creds("admin"), pageSize: 1 });
    expect(await paged.repositories()).toEqual(["library/app", "platform/tool"]);
    expect(paged.requests).toBeGreaterThanOrEqual(3); // the 401 challenge, then one page per repository
    expect((await paged.tags("library/app")).sort()).toEqual(["p1", "p2", "p3", "v1", "v2"]);
    const onePage = await verifyTopology(input(), fast);
    const manyPages = await verifyTopology(input(), { ...fast, client: { ...fast.client, pageSize: 1 } });
    const summary = (r: typeof onePage) => r.backups.map((b) => [b.inSync, b.missing.length, b.different.length, b.extra.length]);
    expect(summary(manyPages)).toEqual(summary(onePage));
    expect(manyPages.source.tags).toBe(6);
    expect(manyPages.source.requests).toBeGreaterThan(onePage.source.requests);
  });

  it("--repair copies what is missing or different with the push identity; a fresh verify is clean", async () => {
    const repaired = await verifyTopology(input(), { ...fast, repair: true });
    expect(repaired.backups.map((b) => b.repaired)).toEqual([5, 5]);
    expect(repaired.exitCode).toBe(0);
    const again = await verifyTopology(input(), fast);
    expect(again.exitCode).toBe(0);
    expect(again.backups.map((b) => b.inSync)).toEqual([6, 6]);
    // Pull-only identity never pushed: every push token went to bk2-push.
    expect(tokens.requests.filter((q) => q.scopes.some((s) => s.includes("push"))).every((q) => q.subject === "bk2-push")).toBe(true);
  });

  it("the CLI reads stack outputs and prints JSON; exit 0 when in sync", async () => {
    const outputs = {
      harborUrl: harbor.url,
      harborAdminUsername: "admin",
      harborAdminPassword: users.admin,
      harborProjects: ["library", "platform"],
      registries: [
        { name: "harbor", kind: "harbor", host: harbor.address, pathPrefix: "", url: harbor.url, keepsProjectPath: true },
        { name: "bk1", kind: "oci", host: bk1.address, pathPrefix: "dr/mirror", url: bk1.url, keepsProjectPath: true },
      ],
      registryCredentials: { bk1: { push: creds("bk1-push"), pull: creds("bk1-pull") } },
    };
    const file = path.join(dir, "outputs.json");
    fs.writeFileSync(file, JSON.stringify(outputs), { mode: 0o600 });
    const cli = path.join(__dirname, "..", "infra", "verify", "cli.ts");
    const { stdout } = await promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", cli, "--outputs", file, "--json"], { timeout: 60_000 });
    const report = JSON.parse(stdout) as { exitCode: number; backups: { name: string; inSync: number }[] };
    expect(report.exitCode).toBe(0);
    expect(report.backups).toMatchObject([{ name: "bk1", inSync: 6 }]);
    expect(stdout).not.toContain(users["bk1-pull"]);
  });

  it("a registry that is down: exit 2 with the reason; the other backup is still checked", async () => {
    await bk2.stop();
    const r = await verifyTopology(input(), fast);
    expect(r.exitCode).toBe(2);
    expect(r.backups[0]).toMatchObject({ name: "bk1", status: "checked", inSync: 6 });
    expect(r.backups[1]?.status).toBe("unreachable");
    expect(r.backups[1]?.reason).toMatch(/^bk2: GET \/v2\/.* failed: ECONNREFUSED \(after retries\)$/);
  });
});
