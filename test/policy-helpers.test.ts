// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Pure helpers of the policy pack: matchers, enforcement levels and pack config files, the token
// copy, the offline evaluator and the recorded-graph converter.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as wire from "../components/shared/wire";
import { evaluatePolicies, hasMandatory } from "../policy/evaluate";
import { isSecretMarker, leaves, TOKENS, unwrapSecrets } from "../policy/graph";
import { ENVIRONMENTS, packConfigFor, POLICY_NAMES, resolvePolicyConfig } from "../policy/levels";
import { toPolicyResources } from "../policy/offline";
import { doublestarMatch } from "../policy/doublestar";
import { hostOf, isDigestPinned, isLoopbackHost } from "../policy/patterns";
import { filterVerdict } from "../policy/replication-filters";
import { azureAdminRole, isCredentialKey, isGcpAdminRole, isIbmAdminRole, policies, requiresBackupTarget } from "../policy/policies";
import { build, healthySpecs, secret } from "./helpers/policy-harness";

const POLICY_DIR = path.resolve(__dirname, "..", "policy");

describe("doublestar filters", () => {
  it.each([
    ["library/**", "library/app", true],
    ["library/**", "library/team/app", true],
    ["library/*", "library/team/app", false],
    ["library/app-?", "library/app-1", true],
    ["{library,apps}/**", "apps/web", true],
    ["{library,apps}/**", "data/web", false],
    ["**", "anything/at/all", true],
    ["lib.ry/**", "libXry/a", false],
    ["**/app", "app", true],
  ])("%s matches %s: %s", (pattern, name, expected) => {
    expect(doublestarMatch(pattern, name)).toBe(expected);
  });

  it("covers a project only when every repository of it is selected", () => {
    const kind = (f: string | undefined) => filterVerdict("library", f).kind;
    expect(kind("library/**")).toBe("ok");
    expect(kind(undefined)).toBe("ok");
    expect(kind("**")).toBe("ok");
    expect(kind("library/*")).toBe("misses");
    expect(kind("library/app-*")).toBe("misses");
    expect(kind("apps/**")).toBe("copies-nothing");
  });
});

describe("hosts and images", () => {
  it("extracts hosts from URLs and references", () => {
    expect(hostOf("https://Harbor.Example.com:8443/v2")).toBe("harbor.example.com");
    expect(hostOf("harbor.example.com:5000/library")).toBe("harbor.example.com");
    expect(hostOf("http://[::1]:5000")).toBe("::1");
    expect(hostOf("")).toBeUndefined();
  });

  it("treats only loopback addresses as loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["harbor.127.0.0.1.nip.io", "10.0.0.1", "128.0.0.1", "example.com"]) expect(isLoopbackHost(h)).toBe(false);
  });

  it("accepts only digest-pinned images", () => {
    expect(isDigestPinned(`registry:3.0.0@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigestPinned(`registry@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isDigestPinned("registry:3.0.0")).toBe(false);
    expect(isDigestPinned(`registry@sha256:${"a".repeat(63)}`)).toBe(false);
  });
});

describe("roles and credential names", () => {
  it("recognises admin-level roles", () => {
    expect(azureAdminRole("/subscriptions/x/providers/Microsoft.Authorization/roleDefinitions/8e3af657-a8ff-443c-a75c-2fe8c4bcb635")).toBe("Owner");
    expect(azureAdminRole("/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d")).toBeUndefined(); // AcrPull
    expect(isGcpAdminRole("roles/artifactregistry.admin")).toBe(true);
    expect(isGcpAdminRole("roles/artifactregistry.writer")).toBe(false);
    expect(isIbmAdminRole("crn:v1:bluemix:public:iam::::serviceRole:Manager")).toBe(true);
    expect(isIbmAdminRole("Writer")).toBe(false);
  });

  it("names credential keys, not references to secrets", () => {
    for (const k of ["password", "harborPassword", "accessSecret", "secret", "token", "apiKey", "apikey", "privateKey", "htpasswd"]) expect(isCredentialKey(k)).toBe(true);
    for (const k of ["secretName", "tlsSecretName", "existingSecret", "passwordSecretName", "accessKey", "username", "tokenUrl"]) expect(isCredentialKey(k)).toBe(false);
  });
});

describe("secret markers", () => {
  it("unwraps nested markers and tracks which leaves sit under one", () => {
    const props = { a: secret({ password: "x" }), b: { password: "y" }, c: [{ token: secret("z") }] };
    expect(unwrapSecrets(props)).toEqual({ a: { password: "x" }, b: { password: "y" }, c: [{ token: "z" }] });
    expect(isSecretMarker(props.a)).toBe(true);
    expect(leaves(props, isCredentialKey).map((l) => [l.path, l.top, l.underSecret])).toEqual([
      ["a.password", "a", true],
      ["b.password", "b", false],
      ["c[0].token", "c", true],
    ]);
  });
});

describe("enforcement levels", () => {
  it("relaxes only local and dev, and only the two documented policies", () => {
    expect(packConfigFor("local")).toEqual({ "backup-outside-harbor-failure-domain": { enforcementLevel: "advisory" }, "mirrors-cover-every-region": { enforcementLevel: "advisory" } });
    expect(packConfigFor("dev")).toEqual({ "mirrors-cover-every-region": { enforcementLevel: "advisory" } });
    expect(packConfigFor("staging")).toEqual({});
    expect(packConfigFor("prod")).toEqual({});
  });

  it.each(ENVIRONMENTS)("ships policy/config/%s.json equal to the table in code", (env) => {
    const file = JSON.parse(fs.readFileSync(path.join(POLICY_DIR, "config", `${env}.json`), "utf8"));
    expect(file).toEqual(packConfigFor(env));
  });

  it("resolves config like the engine: own entry, then `all`, then code, then advisory", () => {
    const p = { name: "requires-backup-target", enforcementLevel: "mandatory" as const };
    expect(resolvePolicyConfig({}, p)).toEqual({ enforcementLevel: "mandatory", properties: {} });
    expect(resolvePolicyConfig({ all: "advisory" }, p).enforcementLevel).toBe("advisory");
    expect(resolvePolicyConfig({ all: "advisory", "requires-backup-target": { enforcementLevel: "disabled", minBackups: 2 } }, p)).toEqual({ enforcementLevel: "disabled", properties: { minBackups: 2 } });
    expect(resolvePolicyConfig({}, { name: "x" }).enforcementLevel).toBe("advisory");
    expect(() => resolvePolicyConfig({ "requires-backup-target": "blocking" as never }, p)).toThrow(/unknown enforcement level "blocking"/);
  });

  it("policy names and schema match the pack's contract", () => {
    expect(policies.map((p) => p.name)).toEqual([...POLICY_NAMES]);
    // The engine injects enforcementLevel into every schema; declaring it makes PolicyPack exit.
    for (const p of policies) expect(Object.keys(p.configSchema?.properties ?? {})).not.toContain("enforcementLevel");
  });
});

describe("wire encoding", () => {
  it("matches the SDK's constants (the pack keeps literals to load no second SDK)", () => {
    expect([wire.SIG_KEY, wire.SECRET_SIG, wire.RESOURCE_SIG, wire.UNKNOWN]).toEqual([rpc.specialSigKey, rpc.specialSecretSig, rpc.specialResourceSig, rpc.unknownValue]);
  });
});

describe("offline evaluator", () => {
  it("applies levels, passes config, records not-applicable and skips disabled policies", async () => {
    const resources = build(healthySpecs().filter((s) => !s.type.startsWith("registry-topology:backups:") && s.type !== "registry-topology:mirrors:RegionMirrors"));
    const advisory = await evaluatePolicies(policies, resources, { "requires-backup-target": "advisory", "mirrors-cover-every-region": "disabled" });
    expect(advisory.violations.map((v) => [v.policy, v.enforcementLevel, v.resource?.name])).toEqual([["requires-backup-target", "advisory", "harbor"]]);
    expect(advisory.notApplicable).toEqual([]);
    const noHarbor = await evaluatePolicies(policies, resources.filter((r) => r.type !== TOKENS.harbor));
    expect(noHarbor.notApplicable.map((n) => n.policy)).toEqual(["requires-backup-target", "backup-outside-harbor-failure-domain", "mirrors-cover-every-region"]);
    expect(hasMandatory(advisory)).toBe(false);

    const mandatory = await evaluatePolicies([requiresBackupTarget], resources);
    expect(hasMandatory(mandatory)).toBe(true);
    const disabled = await evaluatePolicies([requiresBackupTarget], resources, { "requires-backup-target": "disabled" });
    expect(disabled).toEqual({ violations: [], notApplicable: [], ran: [] });
    const remediate = await evaluatePolicies([requiresBackupTarget], resources, { all: "remediate" });
    expect(remediate.ran).toEqual([{ policy: "requires-backup-target", enforcementLevel: "mandatory" }]);
  });

  it("converts recorded resources with parents, dependencies, secret options and isType", () => {
    const [topology, harbor] = toPolicyResources([
      { urn: "urn:t", type: TOKENS.topology, name: "t", parent: "", inputs: {}, dependencies: [], additionalSecretOutputs: [] },
      { urn: "urn:h", type: TOKENS.harbor, name: "h", parent: "urn:t", inputs: { hostname: "x" }, dependencies: ["urn:t"], additionalSecretOutputs: ["a"] },
    ]);
    expect(harbor!.parent).toBe(topology);
    expect(harbor!.dependencies).toEqual([topology]);
    expect(harbor!.opts.additionalSecretOutputs).toEqual(["a"]);
    expect(harbor!.isType({ __pulumiType: TOKENS.harbor } as never)).toBe(true);
    expect(harbor!.asType({ __pulumiType: TOKENS.topology } as never)).toBeUndefined();
  });
});
