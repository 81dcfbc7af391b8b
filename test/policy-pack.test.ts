// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The pack as `pulumi preview --policy-pack policy` runs it: @pulumi/pulumi's run-policy-pack
// boots policy/index.ts (ts-node, cwd policy/) in a child process, and this test plays the engine
// over gRPC on 127.0.0.1 (GetAnalyzerInfo, Configure, AnalyzeStack with the engine's wire format:
// secrets as markers, unknowns as the unknown sentinel). It proves the real analyzer hands the
// policies plain values and that credentials-are-secret then relies on additionalSecretOutputs.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource } from "../infra/offline/mockRuntime";
import { renderStack } from "../infra/offline/render";
import { REPO_ROOT } from "../infra/offline/stackFiles";
import { SECRET_SIG, SIG_KEY, UNKNOWN } from "../policy/graph";
import type { PolicyPackConfig } from "@pulumi/policy";
import { checkStack } from "../policy/check";
import { packConfigFor, POLICY_NAMES, resolvePolicyConfig } from "../policy/levels";

/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf classes are untyped JS here */
const analyzerPb: any = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerGrpc: any = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const { Struct }: any = require("google-protobuf/google/protobuf/struct_pb");
const { Empty }: any = require("google-protobuf/google/protobuf/empty_pb");

const LEVELS = ["advisory", "mandatory", "disabled", "remediate"];

interface Diagnostic {
  policy: string;
  level: string;
  urn: string;
  message: string;
}

interface Pack {
  process: ChildProcess;
  client: any;
}

let pack: Pack;
let localPack: Pack;
let prod: RecordedResource[];
let single: RecordedResource[];
let local: RecordedResource[];
let localNoBackup: RecordedResource[];

const callOn = <T>(p: Pack, method: string, req: unknown) =>
  new Promise<T>((resolve, reject) => p.client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
const call = <T>(method: string, req: unknown) => callOn<T>(pack, method, req);

function analyzerResource(r: RecordedResource): unknown {
  const ar = new analyzerPb.AnalyzerResource();
  ar.setType(r.type);
  ar.setName(r.name);
  ar.setUrn(r.urn);
  ar.setParent(r.parent);
  ar.setProperties(Struct.fromJavaScript(JSON.parse(JSON.stringify(r.inputs))));
  const opts = new analyzerPb.AnalyzerResourceOptions();
  opts.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
  ar.setOptions(opts);
  ar.setDependenciesList(r.dependencies);
  return ar;
}

async function analyzeStack(resources: RecordedResource[], on: Pack = pack): Promise<Diagnostic[]> {
  const req = new analyzerPb.AnalyzeStackRequest();
  req.setResourcesList(resources.map(analyzerResource));
  const res: any = await callOn(on, "analyzeStack", req);
  return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: LEVELS[d.getEnforcementlevel()]!, urn: d.getUrn(), message: d.getMessage() }));
}

/** Like the engine: resolve the pack config file per policy and send every policy's level and properties. */
async function configure(config: PolicyPackConfig): Promise<void> {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const name of POLICY_NAMES) {
    const { enforcementLevel, properties } = resolvePolicyConfig(config, { name, enforcementLevel: "mandatory" });
    const pc = new analyzerPb.PolicyConfig();
    pc.setEnforcementlevel(LEVELS.indexOf(enforcementLevel));
    pc.setProperties(Struct.fromJavaScript(properties));
    map.set(name, pc);
  }
  await call("configure", req);
}

/**
 * Exactly what the pulumi-analyzer-policy plugin starts, with the pack directory as cwd and the
 * environment the engine gives it: PULUMI_NODEJS_STACK=<stack> (pulumi/pulumi
 * pkg/resource/plugin/analyzer_plugin.go constructEnv, from pkg/engine/update.go target.Name).
 */
async function startPack(stack: string): Promise<Pack> {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack");
  const env = { ...process.env, PULUMI_NODEJS_STACK: stack, PULUMI_STACK: stack, PULUMI_NODEJS_PROJECT: "registry-topology" };
  const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(REPO_ROOT, "policy"), env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`policy pack did not start in 60 s: ${stderr}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      const m = /^(\d+)\s*$/m.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
  });
  return { process: child, client: new analyzerGrpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) };
}

function stopPack(p: Pack | undefined): void {
  p?.client?.close();
  if (p && p.process.exitCode === null) p.process.kill();
}

beforeAll(async () => {
  [pack, localPack] = await Promise.all([startPack("prod"), startPack("local")]);
  prod = (await renderStack("prod")).resources;
  single = (await renderStack(path.join(REPO_ROOT, "test/fixtures/stacks/Pulumi.single-registry.yaml"))).resources;
  local = (await renderStack("local")).resources;
  localNoBackup = (await renderStack(path.join(REPO_ROOT, "test/fixtures/stacks/named-local/Pulumi.local.yaml"))).resources;
}, 120_000);

afterAll(() => {
  stopPack(pack);
  stopPack(localPack);
});

describe("the policy pack under @pulumi/policy's analyzer", () => {
  it("describes every policy at prod's levels (stack prod) and their config schemas", async () => {
    const info: any = await call("getAnalyzerInfo", new Empty());
    expect(info.getName()).toBe("registry-topology");
    expect(info.getVersion()).toBe("0.1.0");
    expect(info.getSupportsconfig()).toBe(true);
    const policies = info.getPoliciesList().map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()]]);
    // All mandatory in prod but the archive recommendation (policy/levels.ts).
    expect(policies).toEqual(POLICY_NAMES.map((n) => [n, n === "prod-has-archive" ? "advisory" : "mandatory"]));
    const schema = info.getPoliciesList()[0].getConfigschema().getProperties().toJavaScript();
    expect(schema.minBackups).toMatchObject({ type: "integer", default: 1 });
  });

  it("passes the prod graph, also with values unknown during preview", async () => {
    await configure(packConfigFor("prod"));
    expect(await analyzeStack(prod)).toEqual([]);
    const preview = structuredClone(prod);
    for (const r of preview.filter((x) => x.type === "pulumi-nodejs:dynamic/harbor:RegistryEndpoint")) r.inputs.url = UNKNOWN;
    for (const r of preview.filter((x) => x.type === "registry-topology:mirrors:RegionMirrors")) r.inputs.staticPodImages = UNKNOWN;
    expect(await analyzeStack(preview)).toEqual([]);
  });

  it("blocks the single-registry stack with requires-backup-target, still mandatory under local's pack config", async () => {
    const ids = (ds: Diagnostic[]) => ds.map((x) => [x.policy, x.level, x.urn.split("::").pop()]);
    const diags = await analyzeStack(single);
    expect(ids(diags)).toEqual([
      ["requires-backup-target", "mandatory", "harbor"],
      ["mirrors-cover-every-region", "mandatory", "harbor"],
    ]);
    expect(diags[0]!.message).toContain("it has no backup registry");
    await configure(packConfigFor("local"));
    expect(ids(await analyzeStack(single))).toEqual([
      ["requires-backup-target", "mandatory", "harbor"],
      ["mirrors-cover-every-region", "advisory", "harbor"],
    ]);
    await configure(packConfigFor("prod"));
  });

  it("sees plain values: a credential counts as secret when additionalSecretOutputs declares it", async () => {
    const broken = structuredClone(prod);
    const ep = broken.find((r) => r.type === "pulumi-nodejs:dynamic/harbor:RegistryEndpoint")!;
    expect((ep.inputs.accessSecret as Record<string, unknown>)[SIG_KEY]).toBe(SECRET_SIG);
    ep.inputs.accessSecret = (ep.inputs.accessSecret as { value: unknown }).value;
    // Declared: the engine encrypts it, and the analyzer cannot see the input was plain (the offline check can).
    expect(await analyzeStack(broken)).toEqual([]);
    ep.additionalSecretOutputs = ["harborPassword"];
    const diags = await analyzeStack(broken);
    expect(diags.map((x) => [x.policy, x.level, x.urn.split("::").pop()])).toEqual([["credentials-are-secret", "mandatory", ep.name]]);
    expect(diags[0]!.message).toContain('accessSecret ("accessSecret" not in additionalSecretOutputs)');
  });

  it("sees a generated internal secret of Harbor stored in clear through the engine's dependency list", async () => {
    const broken = structuredClone(prod);
    // As secrets.ts had it before: a RandomString (its ID is the value) with `result` declared secret.
    const key = broken.find((r) => r.name === "harbor-xsrf-key")!;
    expect(key.type).toBe("random:index/randomPassword:RandomPassword");
    key.type = "random:index/randomString:RandomString";
    key.additionalSecretOutputs = ["result"];
    const diags = await analyzeStack(broken);
    expect(diags.map((x) => [x.policy, x.level, x.urn.split("::").pop()])).toEqual([["credentials-are-secret", "mandatory", "harbor-xsrf-key"]]);
    expect(diags[0]!.message).toContain("(it feeds Secret::harbor-internal-secrets), but its output id is stored in clear in the state.");
  });

  it("blocks an ACR admin user", async () => {
    const broken = structuredClone(prod);
    broken.find((r) => r.type === "azure-native:containerregistry:Registry")!.inputs.adminUserEnabled = true;
    expect((await analyzeStack(broken)).map((x) => x.policy)).toEqual(["no-registry-admin-credentials"]);
  });
});

describe("the pack the engine starts for stack local (levels from the stack name, no pack config)", () => {
  it("serves local's levels: only the failure-domain and mirror rules relaxed (the archive recommendation is advisory everywhere)", async () => {
    const info: any = await callOn(localPack, "getAnalyzerInfo", new Empty());
    const levels = Object.fromEntries(info.getPoliciesList().map((p: any) => [p.getName(), LEVELS[p.getEnforcementlevel()]]));
    expect(levels).toEqual(Object.fromEntries(POLICY_NAMES.map((n) => [n, ["backup-outside-harbor-failure-domain", "mirrors-cover-every-region", "prod-has-archive"].includes(n) ? "advisory" : "mandatory"])));
  });

  it("reports the shipped local stack's in-cluster backup as advisory, like the offline check", async () => {
    const diags = await analyzeStack(local, localPack);
    expect(diags.map((x) => [x.policy, x.level, x.urn.split("::").pop()])).toEqual([["backup-outside-harbor-failure-domain", "advisory", "harbor"]]);
    const offline = await checkStack("local");
    // The analyzer prefixes the policy's description on its own line.
    expect(offline.result.violations.map((v) => [v.policy, v.enforcementLevel, v.message])).toEqual(diags.map((x) => [x.policy, x.level, x.message.split("\n").slice(1).join("\n")]));
  });

  it("blocks a local stack with zero backups, mandatory", async () => {
    const diags = await analyzeStack(localNoBackup, localPack);
    expect(diags.map((x) => [x.policy, x.level, x.urn.split("::").pop()])).toEqual([
      ["requires-backup-target", "mandatory", "harbor"],
      ["mirrors-cover-every-region", "advisory", "mirrors-local"],
    ]);
  });
});
