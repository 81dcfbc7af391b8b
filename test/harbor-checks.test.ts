import { describe, expect, it } from "vitest";
import { endpointProvider, normalizeEndpointUrl } from "../components/harbor/api/endpoint-provider";
import { policyBody, policyFromHarbor, policyProvider } from "../components/harbor/api/policy-provider";
import { projectProvider } from "../components/harbor/api/project-provider";
import { hashSecret, secretMatches } from "../components/harbor/api/provider-support";
import { UNKNOWN } from "../components/shared/wire";

// check() runs in the provider before any call to Harbor: each bad input gets a named failure.
const conn = { harborUrl: "https://harbor.example.com/", harborUsername: "admin", harborPassword: "pw-Secret-1" };

describe("check", () => {
  it("endpoint: scheme required, known adapter, key with a secret; normalises like Harbor", async () => {
    const ok = await endpointProvider.check!({}, { ...conn, name: "ali", type: "ali-acr", url: "https://cr.eu-central-1.aliyuncs.com/", accessKey: "AK", accessSecret: "s" });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs).toMatchObject({ harborUrl: "https://harbor.example.com", url: "https://registry.eu-central-1.aliyuncs.com", harborInsecure: false, insecure: false, unhealthyRetrySeconds: 300 });
    const bad = await endpointProvider.check!({}, { ...conn, harborPassword: "", name: "", type: "quayx", url: "nas.local", accessSecret: "s" });
    expect(bad.failures!.map((f) => f.property)).toEqual(["harborPassword", "name", "type", "url", "accessKey"]);
    expect(JSON.stringify(bad.failures)).not.toContain("pw-Secret-1");
    expect(normalizeEndpointUrl(" https://x.azurecr.io// ")).toBe("https://x.azurecr.io");
  });

  it("unknown values during preview are not failures", async () => {
    const r = await policyProvider.check!({}, {
      ...conn, name: "p", destinationRegistryId: UNKNOWN, destinationRegistryName: "b", projectName: "apps", destinationNamespace: UNKNOWN,
      destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "apps/**" },
    });
    expect(r.failures).toEqual([]);
    const bad = await policyProvider.check!({}, { ...conn, name: "p", destinationRegistryId: 0, projectName: "apps", destinationNamespaceReplaceCount: 0, trigger: "hourly", filters: { name: "apps/**", resource: "chart" } });
    expect(bad.failures!.map((f) => f.property)).toEqual(["destinationRegistryId", "trigger", "filters"]);
  });

  it("project: name and quota", async () => {
    const bad = await projectProvider.check!({}, { ...conn, name: "Apps", storageQuotaGiB: 0.5 });
    expect(bad.failures!.map((f) => f.property)).toEqual(["name", "storageQuotaGiB"]);
  });
});

describe("policy body and read-back", () => {
  it("round-trips Harbor's representation without drift", () => {
    const props = {
      name: "b-apps", description: "", destinationRegistryId: 7, destinationNamespace: "ns", destinationNamespaceReplaceCount: 1,
      trigger: "scheduled", cron: "0 0 */6 * * *", filters: { name: "apps/**", tag: { pattern: "v*", decoration: "matches" }, resource: "image" },
      deletion: true, override: false, enabled: true, speedKbps: 100,
    };
    const body = policyBody(props);
    const harbor = { ...body, id: 3, replicate_deletion: body.deletion, dest_registry: { id: 7, name: "b" } };
    expect(policyFromHarbor(harbor)).toEqual({ ...props, policyId: 3 });
  });
});

describe("secret hash", () => {
  it("is salted, matches only its secret, and does not contain it", () => {
    const a = hashSecret("Rotate-Me-1");
    expect(a).not.toBe(hashSecret("Rotate-Me-1"));
    expect(a).not.toContain("Rotate-Me-1");
    expect(secretMatches("Rotate-Me-1", a)).toBe(true);
    expect(secretMatches("Rotate-Me-2", a)).toBe(false);
    expect(secretMatches("Rotate-Me-1", "sha256:x")).toBe(false);
  });
});
