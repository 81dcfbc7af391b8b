// Harbor's generated internals (components/harbor/chart/secrets.ts) are secret in state. Under the mock
// runtime this records what each resource registers (inputs with their secret markers, the
// additionalSecretOutputs option) and what the mocks answer (its outputs), then builds the state
// the engine would write: an output is encrypted when its property is in additionalSecretOutputs,
// an input when it arrived as a secret. No generated value may appear in that state in clear.
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateHarborSecrets, type HarborGeneratedSecrets } from "../components/harbor/chart/secrets";
import { installMockRuntime, settle, type RecordedResource } from "../infra/offline/mockRuntime";
import { isSecretMarker } from "../policy/graph";
import { GENERATED_VALUE_OUTPUTS } from "../policy/policies";

interface Registered {
  recorded: RecordedResource;
  outputs: Record<string, unknown>;
  /** The resource ID the provider returned: stored in clear whatever the options say. */
  id: string;
}

let registered: Registered[] = [];
let generated: HarborGeneratedSecrets;

/** Every string in a value tree, skipping subtrees wrapped in a secret marker. */
function clearStrings(v: unknown): string[] {
  if (isSecretMarker(v)) return [];
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) return v.flatMap(clearStrings);
  if (v !== null && typeof v === "object") return Object.values(v).flatMap(clearStrings);
  return [];
}

/** What the engine would store in clear for one resource. */
function clearState(r: Registered): string[] {
  const secretOutputs = new Set(r.recorded.additionalSecretOutputs);
  const outputs = Object.entries(r.outputs).filter(([k]) => !secretOutputs.has(k) && !isSecretMarker(r.recorded.inputs[k]));
  return [r.id, ...clearStrings(r.recorded.inputs), ...outputs.flatMap(([, v]) => clearStrings(v))];
}

beforeAll(async () => {
  const recorded = await installMockRuntime("registry-topology", "prod");
  // Capture what the mocks answer for each registration (the outputs the engine would store).
  const monitor = pulumi.runtime.getMonitor() as unknown as { mocks: pulumi.runtime.Mocks };
  const outputsByName = new Map<string, { outputs: Record<string, unknown>; id: string }>();
  const newResource = monitor.mocks.newResource.bind(monitor.mocks);
  monitor.mocks.newResource = (args) => {
    const res = newResource(args) as pulumi.runtime.MockResourceResult;
    outputsByName.set(`${args.type}::${args.name}`, { outputs: (res.state ?? {}) as Record<string, unknown>, id: res.id ?? "" });
    return res;
  };
  const parent = new pulumi.ComponentResource("test:index:HarborSecretsParent", "parent");
  generated = generateHarborSecrets("harbor", parent);
  await settle();
  registered = recorded.map((r) => ({ recorded: r, outputs: {}, id: "", ...outputsByName.get(`${r.type}::${r.name}`) }));
});

afterAll(() => {
  registered = [];
});

describe("Harbor's generated internal secrets", () => {
  it("generate the values the chart needs (secretKey, core/jobservice/registry secrets, xsrfKey, passwords, token key)", () => {
    const names = registered.filter((r) => GENERATED_VALUE_OUTPUTS[r.recorded.type]).map((r) => r.recorded.name);
    expect(names).toEqual(
      expect.arrayContaining(["harbor-secret-key", "harbor-core-secret", "harbor-jobservice-secret", "harbor-registry-http-secret", "harbor-xsrf-key", "harbor-admin-password", "harbor-database-password", "harbor-registry-password", "harbor-registry-htpasswd-salt", "harbor-token-key"]),
    );
  });

  it("declare every generated value output secret (additionalSecretOutputs on the registration)", () => {
    const undeclared = registered
      .filter((r) => GENERATED_VALUE_OUTPUTS[r.recorded.type])
      .flatMap((r) => GENERATED_VALUE_OUTPUTS[r.recorded.type]!.filter((o) => !r.recorded.additionalSecretOutputs.includes(o)).map((o) => `${r.recorded.name}.${o}`));
    expect(undeclared).toEqual([]);
  });

  it("leave no generated value in clear anywhere in the state the engine would write", () => {
    const values = registered
      .filter((r) => GENERATED_VALUE_OUTPUTS[r.recorded.type])
      .flatMap((r) => GENERATED_VALUE_OUTPUTS[r.recorded.type]!.map((o): [string, unknown] => [`${r.recorded.name}.${o}`, r.outputs[o]]))
      .filter((x): x is [string, string] => typeof x[1] === "string" && x[1].length >= 8);
    expect(values.length).toBeGreaterThanOrEqual(10);
    const leaks = registered.flatMap((r) =>
      clearState(r).flatMap((s) => values.filter(([, v]) => s.includes(v)).map(([name]) => `${name} in ${r.recorded.type}::${r.recorded.name}`)),
    );
    expect(leaks).toEqual([]);
  });

  it("hand the program secret outputs", async () => {
    await expect(pulumi.isSecret(generated.data)).resolves.toBe(true);
    await expect(pulumi.isSecret(generated.adminPassword)).resolves.toBe(true);
    await expect(pulumi.isSecret(generated.internalDatabasePassword)).resolves.toBe(true);
  });
});
