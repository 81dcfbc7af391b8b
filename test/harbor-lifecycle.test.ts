import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { endpointProvider } from "../components/harbor/api/endpoint-provider";
import { policyProvider } from "../components/harbor/api/policy-provider";
import { projectProvider } from "../components/harbor/api/project-provider";
import { robotProvider } from "../components/harbor/api/robot-provider";
import { conn, driver } from "./harbor-emulator/drive";
import { HarborEmulator } from "./harbor-emulator/server";

let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });
const seen: HarborEmulator["requests"] = [];
beforeEach(() => { emu.requests.length = 0; emu.clearFaults(); });
afterEach(() => { seen.push(...emu.requests); });

const endpoints = driver(endpointProvider);
const policies = driver(policyProvider);
const projects = driver(projectProvider);
const robots = driver(robotProvider);

function endpointInputs(name: string, extra: Record<string, unknown> = {}) {
  return { ...conn(emu), name, type: "docker-registry", url: "https://nas.example.net/", accessKey: "pusher", accessSecret: "s3cret-One", ...extra };
}

describe("RegistryEndpoint lifecycle", () => {
  it("creates, keeps only a hash of the secret, sees no change, updates, drifts, deletes", async () => {
    const { id, outs } = await endpoints.create(endpointInputs("nas"));
    expect(emu.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /registries"]);
    expect(emu.requests[0]!.body).toMatchObject({ name: "nas", type: "docker-registry", url: "https://nas.example.net", credential: { type: "basic", access_key: "pusher", access_secret: "s3cret-One" } });
    expect(outs.registryId).toBe(Number(id));
    expect(JSON.stringify(outs)).not.toContain("s3cret-One");
    expect(outs.accessSecretHash).toMatch(/^scrypt:[0-9a-f]{32}:[0-9a-f]{64}$/);

    // No-op: same inputs, no change, no call.
    emu.requests.length = 0;
    expect(await endpoints.diff(id, outs, endpointInputs("nas"))).toMatchObject({ changes: false, replaces: [] });
    const read = await endpoints.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(emu.requests.map((r) => r.method)).toEqual(["GET"]);

    // Rotated secret: detected through the hash, sent with the PUT.
    expect(await endpoints.diff(id, outs, endpointInputs("nas", { accessSecret: "s3cret-Two" }))).toMatchObject({ changes: true, replaces: [] });
    const updated = await endpoints.update(id, outs, endpointInputs("nas", { accessSecret: "s3cret-Two", url: "https://nas2.example.net" }));
    const put = emu.requests.find((r) => r.method === "PUT")!;
    expect(put.body).toMatchObject({ url: "https://nas2.example.net", access_key: "pusher", access_secret: "s3cret-Two" });
    expect((emu.registries.get(Number(id))!.credential as Record<string, unknown>).access_secret).toBe("s3cret-Two");
    expect(updated.accessSecretHash).not.toBe(outs.accessSecretHash);

    // Type change: replace, deleting first (the name stays).
    expect(await endpoints.diff(id, updated, endpointInputs("nas", { accessSecret: "s3cret-Two", url: "https://nas2.example.net", type: "harbor" })))
      .toMatchObject({ changes: true, replaces: ["type"], deleteBeforeReplace: true });

    // Drift: description changed in the UI shows up on refresh and in the next diff.
    emu.registries.get(Number(id))!.description = "edited in the UI";
    const drifted = await endpoints.read(id, updated);
    expect(drifted.props!.description).toBe("edited in the UI");
    expect(await endpoints.diff(id, drifted.props!, endpointInputs("nas", { accessSecret: "s3cret-Two", url: "https://nas2.example.net" }))).toMatchObject({ changes: true });

    await endpoints.delete(id, updated);
    expect(emu.registries.has(Number(id))).toBe(false);
    expect(await endpoints.read(id, updated)).toEqual({ id: "", props: {} });
    await endpoints.delete(id, updated); // already gone: succeeds
  });

  it("refuses an existing name unless adoptExisting, then takes it over", async () => {
    const first = await endpoints.create(endpointInputs("taken"));
    // Identical to what this resource creates: its own, from a run whose answer was lost.
    expect((await endpoints.create(endpointInputs("taken"))).id).toBe(first.id);
    await expect(endpoints.create(endpointInputs("taken", { description: "someone else's" }))).rejects.toThrow(/registry endpoint named "taken" exists already in Harbor and differs from what this resource creates\. Set adoptExisting: true/);
    const adopted = await endpoints.create(endpointInputs("taken", { adoptExisting: true, description: "ours now" }));
    expect(adopted.id).toBe(first.id);
    expect(emu.registries.get(Number(first.id))!.description).toBe("ours now");
    expect([...emu.registries.values()].filter((r) => r.name === "taken")).toHaveLength(1);
  });
});

describe("Project lifecycle", () => {
  it("creates, updates public and quota, replaces on rename, drifts, deletes", async () => {
    const { id, outs } = await projects.create({ ...conn(emu), name: "apps", public: false, storageQuotaGiB: 10 });
    expect(emu.requests[0]!.body).toEqual({ project_name: "apps", metadata: { public: "false" }, storage_limit: 10 * 1024 ** 3 });
    expect(await projects.diff(id, outs, { ...conn(emu), name: "apps", public: false, storageQuotaGiB: 10 })).toMatchObject({ changes: false });
    const updated = await projects.update(id, outs, { ...conn(emu), name: "apps", public: true, storageQuotaGiB: 20 });
    expect((emu.projects.get(Number(id))!.metadata as Record<string, string>).public).toBe("true");
    expect(emu.quotas.get(Number(id))!.hard.storage).toBe(20 * 1024 ** 3);
    expect(await projects.diff(id, updated, { ...conn(emu), name: "apps2", public: true, storageQuotaGiB: 20 })).toMatchObject({ replaces: ["name"] });
    (emu.projects.get(Number(id))!.metadata as Record<string, string>).public = "false";
    expect((await projects.read(id, updated)).props!.public).toBe(false);
    emu.addRepository("apps", "api");
    emu.addRepository("apps", "team/web");
    await expect(projects.delete(id, updated)).rejects.toThrow(/HTTP 412: project "apps" still holds 2 repositories \(apps\/api, apps\/team\/web\).*forceDestroy: true/);
    emu.repositories.clear();
    await projects.delete(id, updated);
    await projects.delete(id, updated);
    expect(await projects.read(id, updated)).toEqual({ id: "", props: {} });
  });

  it("adopts Harbor's built-in library project and creates a Docker Hub proxy cache", async () => {
    await expect(projects.create({ ...conn(emu), name: "library" })).rejects.toThrow(/project named "library" exists already/);
    const lib = await projects.create({ ...conn(emu), name: "library", public: true, adoptExisting: true });
    expect(lib.outs.projectId).toBe([...emu.projects.values()].find((p) => p.name === "library")!.project_id);
    const hub = await endpoints.create({ ...conn(emu), name: "dockerhub", type: "docker-hub", url: "https://hub.docker.com" });
    const proxy = await projects.create({ ...conn(emu), name: "hub", proxyCache: { registryId: hub.outs.registryId, speedKbps: 5000 } });
    expect(emu.projects.get(Number(proxy.id))).toMatchObject({ registry_id: hub.outs.registryId, metadata: { proxy_speed_kb: "5000" } });
    await expect(endpoints.delete(hub.id, hub.outs)).rejects.toThrow(/HTTP 412.*proxy cache/);
    await projects.delete(proxy.id, proxy.outs);
    await endpoints.delete(hub.id, hub.outs);
  });
});

describe("ReplicationPolicy lifecycle", () => {
  async function setup() {
    const ep = await endpoints.create(endpointInputs(`dest-${emu.registries.size}`));
    const base = {
      ...conn(emu), name: `p-${ep.id}`, destinationRegistryId: ep.outs.registryId, destinationRegistryName: "dest", projectName: "library",
      destinationNamespace: "backup", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "library/**", tag: { pattern: "*-snapshot", decoration: "excludes" } },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true,
    };
    return { ep, base };
  }

  it("creates in push mode with an explicit replace count, backfills once, updates with a whole PUT", async () => {
    const { base } = await setup();
    emu.requests.length = 0;
    const { id, outs } = await policies.create(base);
    const post = emu.requests.find((r) => r.method === "POST" && r.path === "/replication/policies")!;
    expect(post.body).toEqual({
      name: base.name, description: "", dest_registry: { id: base.destinationRegistryId }, dest_namespace: "backup", dest_namespace_replace_count: 0,
      trigger: { type: "event_based", trigger_settings: { cron: "" } },
      filters: [{ type: "name", value: "library/**" }, { type: "tag", value: "*-snapshot", decoration: "excludes" }],
      deletion: false, override: true, enabled: true, speed: 0,
    });
    expect(emu.requests.filter((r) => r.path === "/replication/executions" && r.method === "POST")).toHaveLength(1);
    expect(outs).toMatchObject({ policyId: Number(id), backfillStatus: "Succeed" });
    expect(outs.backfillExecutionId).toBeGreaterThan(0);

    emu.requests.length = 0;
    expect(await policies.diff(id, outs, base)).toMatchObject({ changes: false });
    const read = await policies.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(emu.requests.map((r) => r.method)).toEqual(["GET"]); // settled backfill: not read again

    const scheduled = { ...base, trigger: "scheduled", cron: "0 0 */6 * * *", speedKbps: 1024 };
    const updated = await policies.update(id, outs, scheduled);
    const put = emu.requests.find((r) => r.method === "PUT")!;
    expect(put.body).toMatchObject({ dest_namespace_replace_count: 0, deletion: false, speed: 1024, trigger: { type: "scheduled", trigger_settings: { cron: "0 0 */6 * * *" } }, filters: (post.body as { filters: unknown }).filters });
    expect(emu.policies.get(Number(id))!.dest_namespace_replace_count).toBe(0);
    expect(emu.requests.filter((r) => r.path === "/replication/executions")).toHaveLength(0); // no new backfill

    const again = await policies.update(id, updated, { ...scheduled, backfillToken: "2" });
    expect(again.backfillExecutionId).not.toBe(outs.backfillExecutionId);

    expect(await policies.diff(id, again, { ...scheduled, backfillToken: "2", destinationRegistryId: 999 })).toMatchObject({ replaces: ["destinationRegistryId"], deleteBeforeReplace: true });

    emu.policies.get(Number(id))!.enabled = false; // disabled in the UI
    const drift = await policies.read(id, again);
    expect(drift.props!.enabled).toBe(false);
    expect(await policies.diff(id, drift.props!, { ...scheduled, backfillToken: "2" })).toMatchObject({ changes: true, replaces: [] });

    await policies.delete(id, again);
    await policies.delete(id, again);
    expect(await policies.read(id, again)).toEqual({ id: "", props: {} });
  });

  it("stops running executions before deleting, and validates cron and filters like Harbor", async () => {
    const { base } = await setup();
    emu.executionMs = 60_000;
    const { id, outs } = await policies.create({ ...base, backfillWaitSeconds: 0 });
    expect(outs.backfillStatus).toBe("InProgress");
    emu.requests.length = 0;
    const read = await policies.read(id, outs); // a running backfill is followed on refresh
    expect(emu.requests.map((r) => r.path)).toEqual([`/replication/policies/${id}`, `/replication/executions/${String(outs.backfillExecutionId)}`]);
    expect(read.props!.backfillStatus).toBe("InProgress");
    await policies.delete(id, outs);
    expect(emu.policies.has(Number(id))).toBe(false);
    expect(emu.requests.some((r) => r.method === "PUT" && r.path.startsWith("/replication/executions/"))).toBe(true);
    emu.executionMs = 0;

    const f = await policies.failures({ ...base, trigger: "scheduled", cron: "* * * * * *" });
    expect(f).toEqual([{ property: "cron", reason: expect.stringMatching(/seconds field must be 0/) }]);
    expect(await policies.failures({ ...base, destinationNamespaceReplaceCount: undefined })).toEqual([{ property: "destinationNamespaceReplaceCount", reason: expect.stringMatching(/explicit/) }]);
    expect(await policies.failures({ ...base, filters: { name: "apps/**" } })).toEqual([{ property: "filters", reason: expect.stringMatching(/must start with the project "library\/"/) }]);
  });
});

describe("RobotAccount lifecycle", () => {
  it("creates a pull-only system robot, returns its secret once, rotates on token change, drifts, deletes", async () => {
    const inputs = { ...conn(emu), name: "mirrors", projects: ["library"] };
    const { id, outs } = await robots.create(inputs);
    expect(emu.requests[0]!.body).toEqual({
      name: "mirrors", description: "", level: "system", duration: -1, disable: false,
      permissions: [{ kind: "project", namespace: "library", access: [{ resource: "repository", action: "pull", effect: "allow" }] }],
    });
    expect(outs.robotName).toBe("robot$mirrors");
    expect(outs.secret).toBe(emu.robots.get(Number(id))!.secret);
    expect(await robots.diff(id, outs, inputs)).toMatchObject({ changes: false });

    emu.requests.length = 0;
    const read = await robots.read(id, outs);
    expect(read.props).toEqual(outs);
    expect(emu.requests).toHaveLength(1);

    const rotated = await robots.update(id, outs, { ...inputs, rotationToken: "2" });
    expect(rotated.secret).not.toBe(outs.secret);
    expect(rotated.secret).toBe(emu.robots.get(Number(id))!.secret);
    expect(emu.requests.filter((r) => r.method === "PUT")).toHaveLength(0);

    emu.robots.get(Number(id))!.disable = true;
    const drift = await robots.read(id, rotated);
    expect(drift.props!.disabled).toBe(true);
    const fixed = await robots.update(id, drift.props!, { ...inputs, rotationToken: "2" });
    expect(emu.robots.get(Number(id))!.disable).toBe(false);
    expect(emu.requests.find((r) => r.method === "PUT")!.body).toMatchObject({ name: "robot$mirrors", level: "system" });
    expect(fixed.secret).toBe(rotated.secret);

    expect(await robots.diff(id, fixed, { ...inputs, name: "other", rotationToken: "2" })).toMatchObject({ replaces: ["name"] });
    expect(await robots.failures({ ...inputs, access: [{ resource: "repository", action: "push" }] })).toEqual([{ property: "access", reason: expect.stringMatching(/"repository:push" is not a read-only permission/) }]);
    expect(await robots.failures({ ...inputs, duration: 0 })).toEqual([{ property: "duration", reason: expect.stringMatching(/-1/) }]);

    await robots.delete(id, fixed);
    await robots.delete(id, fixed);
    expect(await robots.read(id, fixed)).toEqual({ id: "", props: {} });
  });
});

describe("emulator contract", () => {
  it("every request body the providers sent conforms to Harbor's swagger", () => {
    // Runs last in this file: every request of the lifecycle tests above.
    expect(seen.length).toBeGreaterThan(40);
    for (const r of seen) expect({ route: `${r.method} ${r.path}`, problems: r.schemaProblems }).toEqual({ route: `${r.method} ${r.path}`, problems: [] });
  });
});
