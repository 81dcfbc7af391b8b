// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The exporter's pure parts (exposition text, lag bounds, settings), its Harbor listing against the
// repository-listing stand-in, and verify's backups checked side by side (a hanging backup does not
// use up the others' time), with a real distribution.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatExposition } from "../infra/exporter/exposition";
import { harborRepositories } from "../infra/exporter/harbor-repositories";
import { LagTracker } from "../infra/exporter/lag";
import { parseSettings, readCredentials } from "../infra/exporter/targets";
import { RegistryError } from "../infra/verify/registry-client";
import { verifyTopology } from "../infra/verify/verify";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { startHarborRepositories, type HarborRepositories } from "./helpers/harbor-repositories";
import { buildOciImage, pushImage } from "./helpers/oci-image";

describe("exposition text", () => {
  it("escapes label values and help, sorts labels, one HELP/TYPE per family", () => {
    const text = formatExposition([
      { name: "m_total", help: "a\\b\nc", type: "counter", samples: [{ labels: { z: "1", a: 'q"u\\o\nte' }, value: 3 }] },
      { name: "g", help: "g", type: "gauge", samples: [{ labels: {}, value: NaN }, { labels: { x: "y" }, value: Infinity }] },
    ]);
    expect(text).toBe('# HELP m_total a\\\\b\\nc\n# TYPE m_total counter\nm_total{a="q\\"u\\\\o\\nte",z="1"} 3\n# HELP g g\n# TYPE g gauge\ng NaN\ng{x="y"} +Inf\n');
  });

  it("refuses bad names and duplicate series", () => {
    expect(() => formatExposition([{ name: "bad-name", help: "", type: "gauge", samples: [] }])).toThrow(/invalid metric name/);
    expect(() => formatExposition([{ name: "g", help: "", type: "gauge", samples: [{ labels: { "a-b": "1" }, value: 1 }] }])).toThrow(/invalid label name/);
    expect(() => formatExposition([{ name: "g", help: "", type: "gauge", samples: [{ labels: { a: "1" }, value: 1 }, { labels: { a: "1" }, value: 2 }] }])).toThrow(/twice/);
  });
});

describe("replication lag bounds", () => {
  const ref = (tag: string, digest = `sha256:${tag}`) => ({ repository: "library/app", tag, digest });
  const H = 3600_000;

  it("first run: dated by the image's created; nothing unreplicated is 0; undated is NaN", () => {
    const t = new LagTracker();
    const lag = t.observe("bk", 10 * H, 10 * H, [{ ...ref("v1"), createdMs: 8 * H }], ["library", "platform"]);
    expect(lag).toEqual({ library: 7200, platform: 0 });
    const t2 = new LagTracker();
    expect(Number.isNaN(t2.observe("bk", 10 * H, 10 * H, [ref("v1")], ["library"]).library)).toBe(true);
  });

  it("an old image pushed after the last clean run is dated from that run, not from its build", () => {
    const t = new LagTracker();
    t.observe("bk", 10 * H, 10 * H, [], ["library"]);
    // Built a year ago, first seen unreplicated on the run at 11 h: pushed after 10 h.
    expect(t.observe("bk", 11 * H, 11 * H, [{ ...ref("old"), createdMs: 0 }], ["library"]).library).toBe(3600);
    // Still unreplicated an hour later: the bound stays, the lag grows.
    expect(t.observe("bk", 12 * H, 12 * H, [{ ...ref("old"), createdMs: 0 }], ["library"]).library).toBe(7200);
    // Replicated: back to 0; pushed again with another digest: a new bound.
    expect(t.observe("bk", 13 * H, 13 * H, [], ["library"]).library).toBe(0);
    expect(t.observe("bk", 14 * H, 14 * H, [{ ...ref("old", "sha256:new"), createdMs: 0 }], ["library"]).library).toBe(3600);
  });

  it("backups are tracked apart; needsDate asks only for images without a finite bound", () => {
    const t = new LagTracker();
    t.observe("a", 1 * H, 1 * H, [ref("v1")], ["library"]);
    expect(t.needsDate("a", [ref("v1"), ref("v2")])).toEqual([true, false]);
    expect(t.needsDate("b", [ref("v1")])).toEqual([true]);
  });
});

describe("exporter settings", () => {
  const ok = { intervalSeconds: 300, deadlineSeconds: 240, source: { name: "harbor", baseUrl: "https://h", listing: "harbor-api", projects: ["library"] } };
  it("parses, with defaults", () => {
    const s = parseSettings(ok);
    expect(s).toMatchObject({ listen: "0.0.0.0:9750", concurrency: 4, backups: [], archives: [], certificates: [] });
  });
  it("names the bad key", () => {
    expect(() => parseSettings({ ...ok, source: { ...ok.source, listing: "admin" } })).toThrow(/source\.listing/);
    expect(() => parseSettings({ ...ok, deadlineSeconds: 300 })).toThrow(/deadlineSeconds must be below intervalSeconds/);
    expect(() => parseSettings({ ...ok, backups: [{ name: "b" }] })).toThrow(/backups\[0\]\.baseUrl/);
  });
  it("reads credentials from Secret-volume files (skipping ..data entries); a backup without files has none", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "creds-"));
    try {
      fs.mkdirSync(path.join(dir, "source"));
      fs.mkdirSync(path.join(dir, "source", "..data"));
      fs.writeFileSync(path.join(dir, "source", "..data", "username"), "x");
      fs.writeFileSync(path.join(dir, "source", "username"), "robot$r\n");
      fs.writeFileSync(path.join(dir, "source", "password"), "pw\n");
      const s = parseSettings({ ...ok, backups: [{ name: "b", baseUrl: "https://b" }] });
      const c = readCredentials(dir, s);
      expect(c.source).toEqual({ username: "robot$r", password: "pw" });
      expect(c.backups).toEqual({});
      fs.mkdirSync(path.join(dir, "backups", "b"), { recursive: true });
      fs.writeFileSync(path.join(dir, "backups", "b", "username"), "u");
      expect(() => readCredentials(dir, s)).toThrow(/expected files username and password/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("with real registries", () => {
  let dir: string;
  let primary: RunningDistribution;
  let backup: RunningDistribution;
  let api: HarborRepositories;
  let hang: net.Server;
  const sockets = new Set<net.Socket>();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "exporter-units-"));
    primary = await startDistribution({ name: "primary", dir });
    backup = await startDistribution({ name: "backup", dir });
    const img = buildOciImage(path.join(dir, "img"), { tag: "v1" });
    for (let i = 0; i < 3; i++) await pushImage(img, `${primary.address}/library/app${i}:v1`);
    await pushImage(img, `${primary.address}/private/x:v1`);
    await pushImage(img, `${backup.address}/library/app0:v1`);
    api = await startHarborRepositories({ registryUrl: primary.url, projects: ["library", "private"], robot: { username: "robot$metrics", password: "pw", listProjects: ["library"] } });
    hang = net.createServer((s) => sockets.add(s.on("close", () => sockets.delete(s))));
    await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
  }, 60_000);

  afterAll(async () => {
    await api?.stop();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => hang.close(() => r()));
    await stopAllDistributions();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("lists a project's repositories with the robot through Harbor's API", async () => {
    const stats = { requests: 0 };
    expect((await harborRepositories({ name: "harbor", apiUrl: api.url, username: "robot$metrics", password: "pw", projects: ["library"], stats })).sort()).toEqual(["library/app0", "library/app1", "library/app2"]);
    expect(stats.requests).toBe(1);
  });

  it("a project the robot may not list is an error that says so; a wrong secret is an auth error; no secret in either", async () => {
    const forbidden = await harborRepositories({ name: "harbor", apiUrl: api.url, username: "robot$metrics", password: "pw", projects: ["private"] }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(RegistryError);
    expect((forbidden as RegistryError).kind).toBe("forbidden");
    expect((forbidden as Error).message).toMatch(/repository:list/);
    const auth = await harborRepositories({ name: "harbor", apiUrl: api.url, username: "robot$metrics", password: "wrong-secret", projects: ["library"] }).catch((e: unknown) => e);
    expect((auth as RegistryError).kind).toBe("auth");
    expect((auth as Error).message).not.toMatch(/wrong-secret|pw/);
  });

  it("a backup that hangs until the deadline does not use up the time of the backups after it", async () => {
    const port = (hang.address() as net.AddressInfo).port;
    const report = await verifyTopology(
      {
        source: { name: "harbor", baseUrl: primary.url, projects: ["library"] },
        backups: [
          { name: "hang", baseUrl: `http://127.0.0.1:${port}`, pathPrefix: "", keepsProjectPath: true },
          { name: "good", baseUrl: backup.url, pathPrefix: "", keepsProjectPath: true },
        ],
      },
      { deadlineMs: 3000, client: { timeoutMs: 60_000 }, sourceRepositories: () => harborRepositories({ name: "harbor", apiUrl: api.url, username: "robot$metrics", password: "pw", projects: ["library"] }) },
    );
    expect(report.source.projectTags).toEqual({ library: 3 });
    expect(report.backups.map((b) => [b.name, b.status])).toEqual([["hang", "deadline"], ["good", "checked"]]);
    expect(report.backups[1]!.inSync).toBe(1);
    expect(report.backups[1]!.missing.map((m) => m.repository)).toEqual(["library/app1", "library/app2"]);
  }, 30_000);
});
