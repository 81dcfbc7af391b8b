// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
import { execFile } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKENS } from "../components/types";
import { installMockRuntime, settle, type RecordedResource } from "../infra/offline/mockRuntime";
import { buildProbeResources, PROBE_PASSWORD, PROBE_SECRET } from "./harbor-emulator/probe-resources";
import { ref, runSerializedProvider, type ProviderCall } from "./helpers/serialized-provider";
import { HarborEmulator } from "./harbor-emulator/server";
import { isSecret } from "./helpers/secrets";

const TYPES = [TOKENS.harborProject, TOKENS.harborRegistryEndpoint, TOKENS.harborReplicationPolicy, TOKENS.harborRobotAccount];

/** Provider texts as `pulumi up` serializes them: ts-node, CommonJS, in its own process. */
function tsNodeTexts(): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-r", "ts-node/register/transpile-only", "test/fixtures/serialize-harbor-providers.ts"], { maxBuffer: 32 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as Record<string, string>);
    });
  });
}

/** A full lifecycle of one resource type, as the engine would drive it, against the emulator. */
function lifecycle(type: string, emu: HarborEmulator, registryId: number, suffix: string): ProviderCall[] {
  const conn = { harborUrl: emu.url, harborUsername: emu.username, harborPassword: emu.password };
  const news: Record<string, Record<string, unknown>> = {
    [TOKENS.harborProject]: { ...conn, name: `proj-${suffix}`, public: false },
    [TOKENS.harborRegistryEndpoint]: { ...conn, name: `ep-${suffix}`, type: "docker-registry", url: "https://nas.example.net", accessKey: "k", accessSecret: "Acc3ss-secret" },
    [TOKENS.harborReplicationPolicy]: {
      ...conn, name: `pol-${suffix}`, destinationRegistryId: registryId, destinationRegistryName: "base", projectName: "library",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "library/**" },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true,
    },
    [TOKENS.harborRobotAccount]: { ...conn, name: `bot-${suffix}`, projects: ["library"] },
  };
  const change: Record<string, Record<string, unknown>> = {
    [TOKENS.harborProject]: { public: true },
    [TOKENS.harborRegistryEndpoint]: { description: "changed" },
    [TOKENS.harborReplicationPolicy]: { override: false },
    [TOKENS.harborRobotAccount]: { description: "changed", rotationToken: "2" },
  };
  const n = news[type]!;
  return [
    { method: "check", args: [{}, n] },                                   // 0
    { method: "create", args: [ref(0, "inputs")] },                       // 1
    { method: "read", args: [ref(1, "id"), ref(1, "outs")] },             // 2
    { method: "diff", args: [ref(1, "id"), ref(2, "props"), ref(0, "inputs")] }, // 3: no change
    { method: "check", args: [{}, { ...n, ...change[type] }] },          // 4
    { method: "diff", args: [ref(1, "id"), ref(2, "props"), ref(4, "inputs")] }, // 5: change
    { method: "update", args: [ref(1, "id"), ref(2, "props"), ref(4, "inputs")] }, // 6
    { method: "delete", args: [ref(1, "id"), ref(6, "outs")] },           // 7
    { method: "read", args: [ref(1, "id"), ref(6, "outs")] },             // 8: gone
    { method: "delete", args: [ref(1, "id"), ref(6, "outs")] },           // 9: gone again
    { method: "create", args: [ref(0, "inputs")] },                       // 10: again
    { method: "create", args: [ref(0, "inputs")] },                       // 11: its own, adopted (lost-answer path)
    { method: "delete", args: [ref(10, "id"), ref(11, "outs")] },         // 12
  ];
}

let emu: HarborEmulator;
let recorded: RecordedResource[];
let registryId: number;
beforeAll(async () => {
  emu = new HarborEmulator();
  await emu.start();
  emu.registries.set(900, { id: 900, name: "base", type: "docker-registry", url: "https://base.example.net", insecure: false, description: "" });
  registryId = 900;
  recorded = await installMockRuntime("registry-topology", "serialization");
  const resources = buildProbeResources();
  await Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  await settle();
});
afterAll(async () => { await emu.stop(); });

function expectLifecycle(outcomes: Awaited<ReturnType<typeof runSerializedProvider>>, type: string): void {
  expect(outcomes.filter((o) => !o.ok)).toEqual([]);
  const [, created, , noChange, , changed, , , gone] = outcomes.map((o) => o.value as Record<string, unknown>);
  expect(Number(created!.id)).toBeGreaterThan(0);
  expect(noChange).toMatchObject({ changes: false });
  expect(changed).toMatchObject({ changes: true, replaces: [] });
  expect(gone).toEqual({ id: "", props: {} });
  // The adoption path (lookup by name, robot_name_prefix, isOwn) runs from the serialized text too.
  expect((outcomes[11]!.value as { id: string }).id).toBe((outcomes[10]!.value as { id: string }).id);
  if (type === TOKENS.harborRobotAccount) {
    const createdSecret = (created!.outs as Record<string, unknown>).secret;
    const updated = outcomes[6]!.value as { outs: Record<string, unknown> };
    expect(typeof createdSecret).toBe("string");
    expect(updated.outs.secret).not.toBe(createdSecret);
  }
}

describe("serialized Harbor providers", () => {
  it("register with their tokens, secret credentials and secret outputs declared", () => {
    for (const type of TYPES) {
      const r = recorded.find((x) => x.type === type)!;
      expect(r, type).toBeDefined();
      expect(isSecret(r.inputs.harborPassword)).toBe(true);
      expect(r.additionalSecretOutputs).toContain("harborPassword");
    }
    const endpoint = recorded.find((x) => x.type === TOKENS.harborRegistryEndpoint)!;
    expect(isSecret(endpoint.inputs.accessSecret)).toBe(true);
    expect(recorded.find((x) => x.type === TOKENS.harborRobotAccount)!.additionalSecretOutputs).toContain("secret");
    expect(endpoint.additionalSecretOutputs).toContain("accessSecretHash");
  });

  it.each(TYPES)("%s: the text vitest serialized runs a lifecycle in a clean process", async (type) => {
    const text = recorded.find((x) => x.type === type)!.inputs.__provider as string;
    expect(typeof text).toBe("string");
    expect(text).not.toContain(PROBE_PASSWORD);
    expect(text).not.toContain(PROBE_SECRET);
    expectLifecycle(await runSerializedProvider(text, lifecycle(type, emu, registryId, `v${TYPES.indexOf(type)}`)), type);
  });

  it("the texts ts-node serializes (the CLI's path) run a lifecycle in a clean process", async () => {
    const texts = await tsNodeTexts();
    expect(Object.keys(texts).sort()).toEqual([...TYPES].sort());
    for (const [i, type] of TYPES.entries()) {
      const text = texts[type]!;
      expect(text).not.toContain(PROBE_PASSWORD);
      expect(text).not.toContain(PROBE_SECRET);
      expect(text).not.toMatch(/__vite_ssr_/);
      expectLifecycle(await runSerializedProvider(text, lifecycle(type, emu, registryId, `t${i}`)), type);
    }
    expect(pulumi.runtime.isDryRun()).toBe(false);
  });
});
