// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IBM_TOKENS } from "../components/backups/icr";
import { EMULATOR_DEFAULT_RESOURCE_GROUP, startIbmEmulator, type IbmEmulator } from "./ibm-emulator/server";
import { buildIbmProbeResources } from "./ibm-emulator/probe-resources";
import { captureProviderTexts, ref, runSerializedProvider, type CallOutcome } from "./helpers/serialized-provider";

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const DEPLOYER_KEY = "deployer-key-for-the-emulator-only";

/** Provider texts as vitest serializes them (vite's transform) ... */
const serializeUnderVitest = () => captureProviderTexts(buildIbmProbeResources, { iamId: "iam-probe" });

/** ... and as `pulumi up` does (ts-node, CommonJS), in a child process. */
function serializeUnderTsNode(): Record<string, string> {
  const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", "test/fixtures/serialize-ibm-providers.ts"], { encoding: "utf8", timeout: 120_000 });
  return JSON.parse(out) as Record<string, string>;
}

function value<T = Record<string, unknown>>(o: CallOutcome | undefined): T {
  if (!o || !o.ok) throw new Error(`call failed: ${o && !o.ok ? o.error : "missing"}`);
  return o.value as T;
}

const modes: [string, () => Promise<Record<string, string>> | Record<string, string>][] = [
  ["vitest", serializeUnderVitest],
  ["ts-node (as pulumi up)", serializeUnderTsNode],
];

describe.each(modes)("IBM dynamic providers serialized by %s", (_mode, serialize) => {
  let texts: Record<string, string>;
  let emu: IbmEmulator;
  const env = { IBMCLOUD_API_KEY: DEPLOYER_KEY };

  beforeAll(async () => {
    texts = await serialize();
    emu = await startIbmEmulator({ deployerApiKey: DEPLOYER_KEY, accountId: ACCOUNT });
  });
  afterAll(async () => emu.close());

  it("serializes all four providers without module-graph artefacts or credentials", () => {
    expect(Object.keys(texts).sort()).toEqual(Object.values(IBM_TOKENS).sort());
    for (const text of Object.values(texts)) {
      expect(text).toMatch(/^exports\.handler = __f0;/);
      expect(text).not.toMatch(/__vite_ssr_|__vi_import|require\("@pulumi/);
      expect(text).not.toContain(DEPLOYER_KEY);
    }
  });

  it("runs the whole lifecycle against the emulator and grants exactly push/pull on the namespace", async () => {
    const iamUrl = emu.url;
    const base = { iamUrl, accountId: ACCOUNT };
    const ns = { ...base, registryApiUrl: emu.url, resourceManagerUrl: emu.url, name: "regtopo-backup" };
    emu.faults.push({ method: "PUT", pathPrefix: "/api/v1/namespaces/", status: 503, times: 1 });
    // A namespace made before the resource group header was sent: it has no group yet.
    const legacy = { ...ns, name: "legacy-ns" };
    emu.namespaces.set("legacy-ns", { name: "legacy-ns", account: ACCOUNT, crn: "crn:legacy", resource_group: "", created_date: "2020-01-01T00:00:00Z" });
    const nsOut = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [
      { method: "check", args: [{}, ns] },
      { method: "create", args: [ns] },
      { method: "create", args: [ns] }, // adopt: the account already owns it
      { method: "read", args: ["regtopo-backup", { ...ns, crn: "" }] },
      { method: "diff", args: ["legacy-ns", { ...legacy, crn: "x" }, { ...legacy, resourceGroupId: "f".repeat(32) }] },
      { method: "update", args: ["legacy-ns", { ...legacy, crn: "x" }, { ...legacy, resourceGroupId: "f".repeat(32) }] },
      { method: "diff", args: ["regtopo-backup", ref(1, "outs"), { ...ns, resourceGroupId: "e".repeat(32) }] },
      { method: "diff", args: ["regtopo-backup", ns, { ...ns, name: "other-name" }] },
      { method: "check", args: [{}, { ...ns, name: "X" }] },
      { method: "diff", args: ["regtopo-backup", ref(1, "outs"), { ...ns, resourceGroupId: EMULATOR_DEFAULT_RESOURCE_GROUP }] },
      { method: "delete", args: ["legacy-ns", legacy] },
    ], { env });
    expect(value(nsOut[0])).toMatchObject({ failures: [] });
    expect(value(nsOut[1])).toMatchObject({ id: "regtopo-backup", outs: { crn: expect.stringContaining("namespace:regtopo-backup") } });
    expect(value(nsOut[2])).toMatchObject({ id: "regtopo-backup" });
    expect(value(nsOut[3])).toMatchObject({ id: "regtopo-backup", props: { name: "regtopo-backup" } });
    expect(value(nsOut[4])).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
    expect(value(nsOut[5])).toMatchObject({ outs: { resourceGroup: "f".repeat(32) } });
    expect(emu.requests.filter((r) => r.method === "PATCH").map((r) => [r.path, r.resourceGroup])).toEqual([["/api/v1/namespaces/legacy-ns", "f".repeat(32)]]);
    // Created in the account's default group; naming that group explicitly changes nothing, another one replaces.
    expect(emu.namespaces.get("regtopo-backup")?.resource_group).toBe(EMULATOR_DEFAULT_RESOURCE_GROUP);
    expect(value(nsOut[9])).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(value(nsOut[6])).toEqual({ changes: true, replaces: ["resourceGroupId"], deleteBeforeReplace: true });
    expect(value(nsOut[7])).toEqual({ changes: true, replaces: ["name"], deleteBeforeReplace: true });
    expect(value<{ failures: { property: string }[] }>(nsOut[8]).failures.map((f) => f.property)).toEqual(["name"]);
    const nsCalls = emu.requests.filter((r) => r.path.startsWith("/api/v1/namespaces"));
    expect(nsCalls.every((r) => r.account === ACCOUNT && r.auth?.startsWith("Bearer "))).toBe(true);

    emu.faults.push({ method: "POST", pathPrefix: "/v1/serviceids", status: 429, times: 1, retryAfter: 1 });
    const ids: Record<string, { id: string; iamId: string; key: string; keyId: string }> = {};
    for (const role of ["push", "pull"] as const) {
      const sid = { ...base, name: `regtopo-${role}`, description: role };
      const sidOut = await runSerializedProvider(texts[IBM_TOKENS.serviceId]!, [
        { method: "create", args: [sid] },
        { method: "read", args: [ref(0, "id"), ref(0, "outs")] },
        { method: "update", args: [ref(0, "id"), ref(0, "outs"), { ...sid, description: `${role} only` }] },
        { method: "diff", args: [ref(0, "id"), ref(0, "outs"), { ...sid, accountId: "f".repeat(32) }] },
      ], { env });
      const created = value<{ id: string; outs: { iamId: string } }>(sidOut[0]);
      expect(value(sidOut[1])).toMatchObject({ id: created.id, props: { name: `regtopo-${role}` } });
      expect(value(sidOut[2])).toMatchObject({ outs: { description: `${role} only`, entityTag: "1-0" } });
      expect(value(sidOut[3])).toMatchObject({ replaces: ["accountId"] });

      const keyIn = { ...base, iamId: created.outs.iamId, name: `regtopo-${role}-1`, description: "docker login", rotation: "1" };
      const keyOut = await runSerializedProvider(texts[IBM_TOKENS.apiKey]!, [
        { method: "create", args: [keyIn] },
        { method: "read", args: [ref(0, "id"), ref(0, "outs")] },
        { method: "diff", args: [ref(0, "id"), ref(0, "outs"), { ...keyIn, rotation: "2" }] },
      ], { env });
      const key = value<{ id: string; outs: { apikey: string } }>(keyOut[0]);
      expect(key.outs.apikey).toBeTruthy();
      // The API never returns the value again; refresh keeps the one from state.
      expect(value(keyOut[1])).toMatchObject({ props: { apikey: key.outs.apikey } });
      expect(value(keyOut[2])).toEqual({ changes: true, replaces: ["rotation"], deleteBeforeReplace: false });
      ids[role] = { id: created.id, iamId: created.outs.iamId, key: key.outs.apikey, keyId: key.id };
    }

    const pol = (subjectIamId: string, roles: string[]) => ({ ...base, subjectIamId, serviceName: "container-registry", region: "eu-de", resourceType: "namespace", resource: "regtopo-backup", roles });
    const polOut = await runSerializedProvider(texts[IBM_TOKENS.accessPolicy]!, [
      { method: "check", args: [{}, pol(ids.push!.iamId, ["Manager"])] },
      { method: "check", args: [{}, { ...pol(ids.push!.iamId, ["Writer"]), resourceType: "account" }] },
      { method: "create", args: [pol(ids.push!.iamId, ["Writer"])] },
      { method: "create", args: [pol(ids.pull!.iamId, ["Reader"])] },
      { method: "read", args: [ref(2, "id"), ref(2, "outs")] },
      { method: "diff", args: [ref(2, "id"), ref(2, "outs"), pol(ids.push!.iamId, ["Reader"])] },
    ], { env });
    expect(value<{ failures: { property: string }[] }>(polOut[0]).failures.map((f) => f.property)).toEqual(["roles"]);
    expect(value<{ failures: { property: string }[] }>(polOut[1]).failures.map((f) => f.property)).toEqual(["resourceType"]);
    expect(value(polOut[4])).toMatchObject({ props: { roles: ["Writer"] } });
    expect(value(polOut[5])).toMatchObject({ replaces: ["roles"] });
    const body = emu.requests.find((r) => r.method === "POST" && r.path === "/v1/policies")?.body as { resources: { attributes: { name: string; value: string }[] }[] };
    expect(body.resources[0]!.attributes).toEqual([
      { name: "accountId", value: ACCOUNT },
      { name: "serviceName", value: "container-registry" },
      { name: "region", value: "eu-de" },
      { name: "resourceType", value: "namespace" },
      { name: "resource", value: "regtopo-backup" },
    ]);

    // Least privilege, as the registry would evaluate it.
    expect(emu.can(ids.push!.key, "push", "regtopo-backup")).toBe(true);
    expect(emu.can(ids.push!.key, "pull", "regtopo-backup")).toBe(true);
    expect(emu.can(ids.pull!.key, "pull", "regtopo-backup")).toBe(true);
    expect(emu.can(ids.pull!.key, "push", "regtopo-backup")).toBe(false);
    expect(emu.can(ids.push!.key, "push", "someone-elses-namespace")).toBe(false);

    // Teardown in dependency order: policies, keys, service IDs, namespace; reads then report gone.
    const pushPolicy = value<{ id: string; outs: object }>(polOut[2]);
    const delPol = await runSerializedProvider(texts[IBM_TOKENS.accessPolicy]!, [
      { method: "delete", args: [pushPolicy.id, pushPolicy.outs] },
      { method: "read", args: [pushPolicy.id, pushPolicy.outs] },
      { method: "delete", args: [pushPolicy.id, pushPolicy.outs] }, // already gone: fine
    ], { env });
    expect(delPol.map((o) => o.ok)).toEqual([true, true, true]);
    expect(value(delPol[1])).toEqual({ id: "", props: {} });
    expect(emu.can(ids.push!.key, "push", "regtopo-backup")).toBe(false);

    const delKey = await runSerializedProvider(texts[IBM_TOKENS.apiKey]!, [
      { method: "delete", args: [ids.push!.keyId, { ...base }] },
      { method: "read", args: [ids.push!.keyId, { ...base, apikey: "kept" }] },
    ], { env });
    expect(value(delKey[1])).toEqual({ id: "", props: {} });
    const delSid = await runSerializedProvider(texts[IBM_TOKENS.serviceId]!, [
      { method: "delete", args: [ids.pull!.id, { ...base }] },
      { method: "read", args: [ids.pull!.id, { ...base }] },
    ], { env });
    expect(value(delSid[1])).toEqual({ id: "", props: {} });
    expect([...emu.apiKeys.values()].some((k) => k.iam_id === ids.pull!.iamId)).toBe(false); // keys go with their ID

    const delNs = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [
      { method: "delete", args: ["regtopo-backup", ns] },
      { method: "read", args: ["regtopo-backup", ns] },
    ], { env });
    expect(value(delNs[1])).toEqual({ id: "", props: {} });
    expect(emu.namespaces.size).toBe(0);
  });

  it("sends the resource group header Terraform sends and reads the CRN from the namespace details", async () => {
    const ns = { iamUrl: emu.url, registryApiUrl: emu.url, resourceManagerUrl: emu.url, accountId: ACCOUNT, name: "rg-default-ns" };
    const out = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [
      { method: "create", args: [ns] },
      { method: "create", args: [{ ...ns, name: "rg-explicit-ns", resourceGroupId: "a".repeat(32) }] },
    ], { env });
    const puts = emu.requests.filter((r) => r.method === "PUT" && r.path.startsWith("/api/v1/namespaces/rg-"));
    expect(puts.map((r) => r.resourceGroup)).toEqual([EMULATOR_DEFAULT_RESOURCE_GROUP, "a".repeat(32)]);
    expect(emu.namespaces.get("rg-default-ns")?.resource_group).toBe(EMULATOR_DEFAULT_RESOURCE_GROUP);
    // The PUT answer has no CRN: it comes from GET /api/v1/namespaces/details.
    expect(value(out[0])).toMatchObject({ outs: { crn: emu.namespaces.get("rg-default-ns")!.crn } });
    expect(value<{ outs: { crn: string } }>(out[1]).outs.crn).toContain("namespace:rg-explicit-ns");
    for (const n of ["rg-default-ns", "rg-explicit-ns"]) emu.namespaces.delete(n);
  });

  it.each([
    ["a reset connection", 0],
    ["a 502", 502],
  ])("after a create whose answer is lost (%s), adopts or cleans up instead of leaving a duplicate or an orphan key", async (_how, status) => {
    const base = { iamUrl: emu.url, accountId: ACCOUNT };
    const before = { ids: emu.serviceIds.size, keys: emu.apiKeys.size };
    const name = `lost-${status}`;

    emu.faults.push({ method: "POST", pathPrefix: "/v1/serviceids", status, times: 1, afterCommit: true });
    const [sid] = await runSerializedProvider(texts[IBM_TOKENS.serviceId]!, [{ method: "create", args: [{ ...base, name, description: "lost" }] }], { env });
    const created = value<{ id: string; outs: { iamId: string } }>(sid);
    const named = [...emu.serviceIds.values()].filter((s) => s.name === name);
    expect(named.map((s) => s.id)).toEqual([created.id]); // the lost one was adopted, not duplicated

    emu.faults.push({ method: "POST", pathPrefix: "/v1/apikeys", status, times: 1, afterCommit: true });
    const [key] = await runSerializedProvider(texts[IBM_TOKENS.apiKey]!, [
      { method: "create", args: [{ ...base, iamId: created.outs.iamId, name: `${name}-1`, description: "d", rotation: "1" }] },
    ], { env });
    const k = value<{ id: string; outs: { apikey: string } }>(key);
    const keys = [...emu.apiKeys.values()].filter((x) => x.iam_id === created.outs.iamId);
    // One key, the one whose value we hold: the key made by the lost call is gone (it kept push access).
    expect(keys.map((x) => [x.id, x.apikey])).toEqual([[k.id, k.outs.apikey]]);

    emu.faults.push({ method: "POST", pathPrefix: "/v1/policies", status, times: 1, afterCommit: true });
    const pol = { ...base, subjectIamId: created.outs.iamId, serviceName: "container-registry", region: "eu-de", resourceType: "namespace", resource: name, roles: ["Writer"] };
    const [p] = await runSerializedProvider(texts[IBM_TOKENS.accessPolicy]!, [{ method: "create", args: [pol] }], { env });
    const active = [...emu.policies.values()].filter((x) => x.state === "active" && JSON.stringify(x.subjects).includes(created.outs.iamId));
    expect(active.map((x) => x.id)).toEqual([value<{ id: string }>(p).id]);

    expect(emu.serviceIds.size).toBe(before.ids + 1);
    expect(emu.apiKeys.size).toBe(before.keys + 1);
    expect(emu.faults.every((f) => f.times === 0)).toBe(true);
  });

  it("fails clearly: no deployer key, a name owned by another account, persistent server errors", async () => {
    const ns = { iamUrl: emu.url, registryApiUrl: emu.url, resourceManagerUrl: emu.url, accountId: ACCOUNT, name: "taken-name" };
    emu.foreignNamespaces.add("taken-name");
    const [noKey] = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [{ method: "create", args: [ns] }]);
    expect(noKey).toMatchObject({ ok: false, error: expect.stringContaining("set IBMCLOUD_API_KEY") });
    const [taken] = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [{ method: "create", args: [ns] }], { env });
    expect(taken).toMatchObject({ ok: false, error: expect.stringContaining("taken by another account") });
    const [wrongKey] = await runSerializedProvider(texts[IBM_TOKENS.namespace]!, [{ method: "create", args: [ns] }], { env: { IBMCLOUD_API_KEY: "not-a-key" } });
    expect(wrongKey).toMatchObject({ ok: false, error: expect.stringContaining("POST /identity/token failed: 400") });
    expect(wrongKey && !wrongKey.ok && wrongKey.error).not.toContain("not-a-key");
    emu.faults.push({ method: "POST", pathPrefix: "/v1/serviceids", status: 500, times: 10 });
    const [down] = await runSerializedProvider(texts[IBM_TOKENS.serviceId]!, [{ method: "create", args: [{ iamUrl: emu.url, accountId: ACCOUNT, name: "x", description: "" }] }], { env });
    expect(down).toMatchObject({ ok: false, error: expect.stringContaining("POST /v1/serviceids failed: 500") });
    emu.faults.length = 0;
  });
});
