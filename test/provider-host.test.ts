// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
/**
 * Every dynamic provider through the real host process (@pulumi/pulumi/cmd/dynamic-provider) over
 * gRPC, with the provider texts the SDK serializes when the engine loads the program
 * (test/helpers/engine-program.ts) and the engine's own message shapes (test/helpers/provider-host.ts).
 * Per type: check, create, read, check + diff of unchanged inputs (no changes), check + diff of a
 * change, update (or, where every change replaces, the replacement diff), read, delete, read (gone).
 */
import * as path from "node:path";
import * as ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IBM_TOKENS } from "../components/backups/icr";
import { TOKENS } from "../components/types";
import { HarborEmulator } from "./harbor-emulator/server";
import { loadProgramAsEngine, type EngineLoad } from "./helpers/engine-program";
import { REPO_ROOT, startProviderHost, type ProviderHost } from "./helpers/provider-host";
import { startIbmEmulator, type IbmEmulator } from "./ibm-emulator/server";

type Props = Record<string, unknown>;
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const DEPLOYER_KEY = "deployer-key-for-the-emulator-only";

let load: EngineLoad;
let host: ProviderHost;
let harbor: HarborEmulator;
let ibm: IbmEmulator;

beforeAll(async () => {
  // staging has all eight dynamic types (Harbor and the IBM backup).
  load = await loadProgramAsEngine("staging");
  harbor = new HarborEmulator();
  await harbor.start();
  harbor.registries.set(900, { id: 900, name: "base", type: "docker-registry", url: "https://base.example.net", insecure: false, description: "" });
  ibm = await startIbmEmulator({ deployerApiKey: DEPLOYER_KEY, accountId: ACCOUNT });
  host = await startProviderHost({ env: { IBMCLOUD_API_KEY: DEPLOYER_KEY } });
}, 600_000);
afterAll(async () => {
  await host?.stop();
  await harbor?.stop();
  await ibm?.close();
});

interface Trace { id: string; created: Props; read: Props; unchanged: string; changed: { changes: string; replaces: string[] }; updated?: Props; reread?: Props; gone: string }

/** One resource's life as the engine drives it; `change` is merged into the inputs for the update. */
async function lifecycle(type: string, news: Props, change: Props, opts: { updates: boolean }): Promise<Trace> {
  const provider = load.providers[type];
  if (!provider) throw new Error(`no __provider text for ${type}`);
  const n1 = { ...news, __provider: provider };
  const c1 = await host.check(type, {}, n1);
  expect(c1.failures).toEqual([]);
  const created = await host.create(type, c1.inputs);
  expect(created.id).not.toBe("");
  const read = await host.read(type, created.id, created.outs, c1.inputs);
  expect(read.id).toBe(created.id);
  const c2 = await host.check(type, c1.inputs, n1);
  const unchanged = await host.diff(type, created.id, read.outs, c2.inputs, c1.inputs);
  const n3 = { ...n1, ...change };
  const c3 = await host.check(type, c2.inputs, n3);
  expect(c3.failures).toEqual([]);
  const changed = await host.diff(type, created.id, read.outs, c3.inputs, c2.inputs);
  let outs = read.outs;
  let inputs = c2.inputs;
  const trace: Trace = { id: created.id, created: created.outs, read: read.outs, unchanged: unchanged.changes, changed, gone: "?" };
  if (opts.updates) {
    trace.updated = await host.update(type, created.id, read.outs, c3.inputs, c2.inputs);
    const reread = await host.read(type, created.id, trace.updated, c3.inputs);
    expect(reread.id).toBe(created.id);
    trace.reread = reread.outs;
    outs = reread.outs;
    inputs = c3.inputs;
    // After the update, the same inputs again: no changes.
    const again = await host.diff(type, created.id, reread.outs, (await host.check(type, c3.inputs, n3)).inputs, c3.inputs);
    expect(again.changes).toBe("none");
  }
  await host.delete(type, created.id, outs, inputs);
  const gone = await host.read(type, created.id, outs, inputs);
  trace.gone = gone.id;
  return trace;
}

describe("the program as the engine loads it", () => {
  it("runs in infra/ with infra/tsconfig.json: the project's compiler settings, transpile only, as the tests compile", () => {
    // Without infra/tsconfig.json the engine found none there: ts-node's own defaults, module
    // NodeNext and type checking on (observed: tsconfig null, transpileOnly false, module 199).
    expect(load.pwd).toBe(path.join(REPO_ROOT, "infra"));
    expect(load.main).toBe("index.ts");
    expect(load.cwd).toBe(load.pwd);
    expect(load.tsconfig).toBe(path.join(REPO_ROOT, "infra", "tsconfig.json"));
    expect(load.transpileOnly).toBe(true);
    expect(load.module).toBe(ts.ModuleKind.CommonJS);
    expect(load.resources).toBeGreaterThan(10);
  });

  it("serializes all nine dynamic providers", () => {
    expect(Object.keys(load.providers).sort()).toEqual([...Object.values(IBM_TOKENS), TOKENS.harborProject, TOKENS.harborRegistryEndpoint, TOKENS.harborReplicationPolicy, TOKENS.harborRobotAccount, NODE_FILES_CLEANUP].sort());
    for (const text of Object.values(load.providers)) expect(text).toMatch(/^exports\.handler = __f0;/);
  });
});

// The node-files cleanup resource (components/mirrors/cleanup-provider.ts) acts only on delete,
// through kubectl against a cluster (test/mirrors-cleanup.test.ts drives that with a stand-in);
// here its create/read/diff answers go through the real host and its Struct conversion.
const NODE_FILES_CLEANUP = "pulumi-nodejs:dynamic/mirrors:NodeFilesCleanup";
describe("the node-files cleanup provider in the real dynamic-provider host", () => {
  it("creates, reads and diffs with no change", async () => {
    const provider = load.providers[NODE_FILES_CLEANUP];
    if (!provider) throw new Error(`no __provider text for ${NODE_FILES_CLEANUP}`);
    const news = { namespace: "kube-system", daemonSets: ["regmirror-local-node", "regmirror-local-mirror"], context: "", timeoutSeconds: 600, pollSeconds: 5, patch: "{}", __provider: provider };
    const c1 = await host.check(NODE_FILES_CLEANUP, {}, news);
    expect(c1.failures).toEqual([]);
    const created = await host.create(NODE_FILES_CLEANUP, c1.inputs);
    expect(created.id).toBe("kube-system/regmirror-local-node,regmirror-local-mirror");
    const read = await host.read(NODE_FILES_CLEANUP, created.id, created.outs, c1.inputs);
    expect(read.id).toBe(created.id);
    const c2 = await host.check(NODE_FILES_CLEANUP, c1.inputs, news);
    expect((await host.diff(NODE_FILES_CLEANUP, created.id, read.outs, c2.inputs, c1.inputs)).changes).toBe("none");
  });
});

describe("Harbor providers in the real dynamic-provider host", () => {
  const conn = () => ({ harborUrl: harbor.url, harborUsername: harbor.username, harborPassword: harbor.password });

  it("Project without quota or proxy cache (unset optional outputs)", async () => {
    const t = await lifecycle(TOKENS.harborProject, { ...conn(), name: "host-plain", public: false }, { public: true }, { updates: true });
    expect(t.unchanged).toBe("none");
    expect(t.changed).toMatchObject({ changes: "some", replaces: [] });
    expect(t.reread).toMatchObject({ public: true, name: "host-plain" });
    expect(t.gone).toBe("");
  });

  it("Project with quota and proxy cache", async () => {
    const t = await lifecycle(TOKENS.harborProject, { ...conn(), name: "host-proxy", storageQuotaGiB: 5, proxyCache: { registryId: 900, speedKbps: -1 } }, { storageQuotaGiB: 7 }, { updates: true });
    expect(t.unchanged).toBe("none");
    expect(t.reread).toMatchObject({ storageQuotaGiB: 7, proxyCache: { registryId: 900 } });
    expect(t.gone).toBe("");
  });

  it("Project read paths: a quota made unlimited in Harbor, a proxy cache the state has and Harbor not", async () => {
    const type = TOKENS.harborProject;
    const news = { ...conn(), name: "host-drift", storageQuotaGiB: 5, __provider: load.providers[type] };
    const c = await host.check(type, {}, news);
    const created = await host.create(type, c.inputs);
    [...harbor.quotas.values()].find((q) => q.projectId === Number(created.id))!.hard.storage = -1;
    const read = await host.read(type, created.id, created.outs, c.inputs);
    expect(read.id).toBe(created.id);
    expect(read.outs).not.toHaveProperty("storageQuotaGiB");
    // Refresh saw the drift: the next up puts the quota back.
    expect((await host.diff(type, created.id, read.outs, c.inputs, c.inputs)).changes).toBe("some");
    const stale = await host.read(type, created.id, { ...read.outs, proxyCache: { registryId: 900, speedKbps: -1 } }, c.inputs);
    expect(stale.outs).not.toHaveProperty("proxyCache");
    await host.delete(type, created.id, read.outs, c.inputs);
  });

  it("RegistryEndpoint", async () => {
    const t = await lifecycle(TOKENS.harborRegistryEndpoint, { ...conn(), name: "host-ep", type: "docker-registry", url: "https://nas.example.net", accessKey: "k", accessSecret: "Acc3ss-secret" }, { description: "changed" }, { updates: true });
    expect(t.unchanged).toBe("none");
    expect(t.reread).toMatchObject({ description: "changed" });
    expect(JSON.stringify(t.created)).not.toContain("Acc3ss-secret");
    expect(t.gone).toBe("");
  });

  it.each(["event_based", "scheduled"])("ReplicationPolicy (%s)", async (trigger) => {
    const t = await lifecycle(TOKENS.harborReplicationPolicy, {
      ...conn(), name: `host-pol-${trigger}`, destinationRegistryId: 900, destinationRegistryName: "base", projectName: "library",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger, ...(trigger === "scheduled" ? { cron: "0 0 3 * * *" } : {}),
      filters: { name: "library/**" }, deletion: false, override: true, enabled: true, speedKbps: 0, backfill: false,
    }, { override: false }, { updates: true });
    expect(t.unchanged).toBe("none");
    expect(t.reread).toMatchObject({ override: false });
    expect(t.gone).toBe("");
  });

  it("RobotAccount", async () => {
    const t = await lifecycle(TOKENS.harborRobotAccount, { ...conn(), name: "host-bot", projects: ["library"] }, { description: "changed", rotationToken: "2" }, { updates: true });
    expect(t.unchanged).toBe("none");
    expect(typeof t.created.secret).toBe("string");
    expect(t.updated!.secret).not.toBe(t.created.secret);
    expect(t.gone).toBe("");
  });
});

describe("IBM providers in the real dynamic-provider host", () => {
  const base = () => ({ iamUrl: ibm.url, accountId: ACCOUNT });

  it("CrNamespace", async () => {
    const t = await lifecycle(IBM_TOKENS.namespace, { ...base(), registryApiUrl: ibm.url, resourceManagerUrl: ibm.url, name: "host-ns" }, { name: "host-ns-2" }, { updates: false });
    expect(t.unchanged).toBe("none");
    expect(t.changed).toMatchObject({ changes: "some", replaces: ["name"] });
    expect(t.gone).toBe("");
  });

  it("ServiceId, ServiceIdApiKey and AccessPolicy", async () => {
    const sidIn = { ...base(), name: "host-sid", description: "pull" };
    const sid = await lifecycle(IBM_TOKENS.serviceId, sidIn, { description: "pull only" }, { updates: true });
    expect(sid.unchanged).toBe("none");
    expect(sid.reread).toMatchObject({ description: "pull only" });
    expect(sid.gone).toBe("");
    // The key and the policy need a live subject.
    const c = await host.check(IBM_TOKENS.serviceId, {}, { ...sidIn, __provider: load.providers[IBM_TOKENS.serviceId] });
    const subject = await host.create(IBM_TOKENS.serviceId, c.inputs);
    const iamId = String(subject.outs.iamId);
    const key = await lifecycle(IBM_TOKENS.apiKey, { ...base(), iamId, name: "host-key", description: "docker login", rotation: "1" }, { rotation: "2" }, { updates: false });
    expect(key.unchanged).toBe("none");
    expect(key.changed).toMatchObject({ changes: "some", replaces: ["rotation"] });
    expect(key.gone).toBe("");
    const pol = await lifecycle(IBM_TOKENS.accessPolicy, {
      ...base(), subjectIamId: iamId, serviceName: "container-registry", region: "eu-de", resourceType: "namespace", resource: "host-ns", roles: ["Reader"],
    }, { roles: ["Writer"] }, { updates: false });
    expect(pol.unchanged).toBe("none");
    expect(pol.changed).toMatchObject({ changes: "some", replaces: ["roles"] });
    expect(pol.gone).toBe("");
    await host.delete(IBM_TOKENS.serviceId, subject.id, subject.outs, c.inputs);
  });
});
