/**
 * Defects found by reading Harbor v2.15.1's source (issue 13), each against the emulator that now
 * behaves like that source. Every test here failed before its fix.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointProvider } from "../components/harbor/api/endpoint-provider";
import { policyProvider } from "../components/harbor/api/policy-provider";
import { projectProvider } from "../components/harbor/api/project-provider";
import { robotProvider } from "../components/harbor/api/robot-provider";
import { conn, driver } from "./harbor-emulator/drive";
import { HarborEmulator } from "./harbor-emulator/server";

let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });
beforeEach(() => { emu.requests.length = 0; emu.clearFaults(); emu.robotNamePrefix = "robot$"; emu.failExecutions = 0; });

const endpoints = driver(endpointProvider);
const policies = driver(policyProvider);
const projects = driver(projectProvider);
const robots = driver(robotProvider);

describe("1. robot lookup by Harbor's stored name and prefix setting", () => {
  it("adoptExisting finds a robot Harbor stores under its bare name", async () => {
    const first = await robots.create({ ...conn(emu), name: "adoptbot", projects: ["library"] });
    const again = await robots.create({ ...conn(emu), name: "adoptbot", projects: ["library"], adoptExisting: true });
    expect(again.id).toBe(first.id);
    expect([...emu.robots.values()].filter((r) => r.name === "adoptbot")).toHaveLength(1);
    expect(again.outs.secret).toBe(emu.robots.get(Number(again.id))!.secret);
  });

  it("a lost create answer is adopted under a non-default robot_name_prefix", async () => {
    emu.robotNamePrefix = "svc-";
    emu.inject({ route: "POST /robots", kind: "reset-after" });
    const r = await robots.create({ ...conn(emu), name: "prefixbot", projects: ["library"] });
    expect([...emu.robots.values()].filter((x) => x.name === "prefixbot")).toHaveLength(1);
    expect(r.outs.robotName).toBe("svc-prefixbot");
    expect(r.outs.secret).toBe(emu.robots.get(Number(r.id))!.secret);
  });
});

describe("2. a created replication policy always ends up in state", () => {
  async function base(name: string) {
    const ep = await endpoints.create({ ...conn(emu), name: `dest-${name}`, type: "docker-registry", url: `https://${name}.example.net` });
    return {
      ...conn(emu), name, destinationRegistryId: ep.outs.registryId, destinationRegistryName: `dest-${name}`, projectName: "library",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "library/**" },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true,
    };
  }

  it("a backfill that cannot start is reported, and retried by the next up", async () => {
    const inputs = await base("nobackfill");
    emu.inject({ route: "POST /replication/executions", kind: "status", status: 500, times: 10 });
    const { id, outs } = await policies.create(inputs);
    expect(emu.policies.has(Number(id))).toBe(true);
    expect(outs).toMatchObject({ policyId: Number(id), backfillExecutionId: 0, backfillStatus: "StartFailed" });
    expect(String(outs.backfillStatusText)).toMatch(/HTTP 500/);
    emu.clearFaults();
    const diff = await policies.diff(id, outs, inputs);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const fixed = await policies.update(id, outs, inputs);
    expect(fixed).toMatchObject({ backfillStatus: "Succeed" });
    expect(await policies.diff(id, fixed, inputs)).toMatchObject({ changes: false });
    expect([...emu.policies.values()].filter((p) => p.name === "nobackfill")).toHaveLength(1);
  });

  it("a policy left under our name (no state) is adopted when it is ours, refused when it is not", async () => {
    const inputs = await base("orphan");
    const orphan = await policies.create(inputs); // as if the state write was lost
    const again = await policies.create(inputs);
    expect(again.id).toBe(orphan.id);
    expect([...emu.policies.values()].filter((p) => p.name === "orphan")).toHaveLength(1);
    const other = await base("orphan-other");
    await expect(policies.create({ ...other, name: "orphan" })).rejects.toThrow(/replication policy named "orphan" exists already in Harbor and differs from what this resource creates\. Set adoptExisting: true/);
    // Same name, destination and project, but made by hand with other settings: not taken over.
    await expect(policies.create({ ...inputs, deletion: true })).rejects.toThrow(/replication policy named "orphan" exists already in Harbor and differs/);
    expect(emu.policies.get(Number(orphan.id))!.replicate_deletion).toBe(false);
  });
});

describe("3. deleting a project that holds images", () => {
  it("without forceDestroy: a clear error naming the project and its repositories", async () => {
    const { id, outs } = await projects.create({ ...conn(emu), name: "full" });
    emu.addRepository("full", "app/api", 2);
    emu.addRepository("full", "web");
    const message = await projects.delete(id, outs).then(() => "deleted", (e: Error) => e.message);
    expect(message).toMatch(/project "full" still holds 2 repositories.*forceDestroy: true/);
    expect(emu.projects.has(Number(id))).toBe(true);
  });

  it("with forceDestroy: its repositories are deleted first", async () => {
    const { id, outs } = await projects.create({ ...conn(emu), name: "cache", forceDestroy: true });
    emu.addRepository("cache", "library/nginx", 3);
    emu.addRepository("cache", "busybox");
    await projects.delete(id, outs);
    expect(emu.projects.has(Number(id))).toBe(false);
    expect([...emu.repositories.keys()].filter((k) => k.startsWith("cache/"))).toEqual([]);
    expect(emu.requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(expect.arrayContaining([
      "/projects/cache/repositories/library%252Fnginx", "/projects/cache/repositories/busybox", `/projects/${id}`,
    ]));
  });
});

describe("4. removing an endpoint credential", () => {
  it("takes effect in Harbor and leaves no diff after refresh", async () => {
    const base = { ...conn(emu), name: "anon", type: "docker-registry", url: "https://anon.example.net" };
    const { id, outs } = await endpoints.create({ ...base, accessKey: "user", accessSecret: "Pw-1234567" });
    const updated = await endpoints.update(id, outs, { ...base, accessKey: "" });
    expect(emu.registries.get(Number(id))!.credential).toBeUndefined();
    const read = await endpoints.read(id, updated);
    expect(await endpoints.diff(id, read.props!, { ...base, accessKey: "" })).toMatchObject({ changes: false });
  });
});

describe("5. storage quota", () => {
  it("is read back on refresh and corrected", async () => {
    const inputs = { ...conn(emu), name: "quota", storageQuotaGiB: 10 };
    const { id, outs } = await projects.create(inputs);
    emu.quotas.get(Number(id))!.hard.storage = 20 * 1024 ** 3; // changed in Harbor's UI
    const read = await projects.read(id, outs);
    expect(read.props!.storageQuotaGiB).toBe(20);
    expect(await projects.diff(id, read.props!, inputs)).toMatchObject({ changes: true });
    await projects.update(id, read.props!, inputs);
    expect(emu.quotas.get(Number(id))!.hard.storage).toBe(10 * 1024 ** 3);
  });

  it("above Harbor's 1024 TB limit is refused by check", async () => {
    expect(await projects.failures({ ...conn(emu), name: "huge", storageQuotaGiB: 1024 * 1024 + 1 })).toEqual([
      { property: "storageQuotaGiB", reason: expect.stringMatching(/1048576 GiB \(1024 TB\)/) },
    ]);
  });
});

describe("6. cron is sent exactly as validated", () => {
  it("blanks around and between fields do not reach Harbor", async () => {
    const ep = await endpoints.create({ ...conn(emu), name: "crondest", type: "docker-registry", url: "https://cron.example.net" });
    const inputs = {
      ...conn(emu), name: "cron", destinationRegistryId: ep.outs.registryId, destinationRegistryName: "crondest", projectName: "library",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger: "scheduled", cron: " 0 0  */6 * * * ", filters: { name: "library/**" },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: false,
    };
    const { id, outs } = await policies.create(inputs);
    expect(emu.policies.get(Number(id))!.trigger).toMatchObject({ trigger_settings: { cron: "0 0 */6 * * *" } });
    const read = await policies.read(id, outs);
    expect(await policies.diff(id, read.props!, inputs)).toMatchObject({ changes: false });
  });
});

describe("7. robot permissions are checked as (resource, action) pairs", () => {
  it("a read-only action on a resource Harbor does not pair it with is refused by check", async () => {
    const inputs = { ...conn(emu), name: "pairs", projects: ["library"] };
    expect(await robots.failures({ ...inputs, access: [{ resource: "artifact", action: "pull" }] })).toEqual([
      { property: "access", reason: expect.stringMatching(/artifact:pull.*not a read-only permission Harbor grants/) },
    ]);
    expect(await robots.failures({ ...inputs, access: [{ resource: "repository", action: "pull" }, { resource: "artifact", action: "read" }, { resource: "tag", action: "list" }] })).toEqual([]);
    const { id } = await robots.create({ ...inputs, access: [{ resource: "artifact", action: "read" }, { resource: "repository", action: "pull" }] });
    expect(emu.robots.has(Number(id))).toBe(true);
  });
});
