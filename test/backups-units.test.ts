import { describe, expect, it } from "vitest";
import { alibabaHost, alibabaPolicyDocument, namespaceArns } from "../components/backups/alibabaPolicy";
import { decodeKeyFile, garHost } from "../components/backups/gar";
import { gcpAccountId, identityName, passwordEndDate, rotationSuffix } from "../components/shared/naming";
import { splitRegistryUrl } from "../components/backups/oci";
import { ConfigError, parseTopologyConfig } from "../infra/config";
import { ALIBABA_REGION_LIST } from "../infra/config/cloud-regions/alibaba";
import { AZURE_REGION_LIST } from "../infra/config/cloud-regions/azure";
import { closestName } from "../infra/config/cloud-regions/closest";
import { GAR_LOCATION_LIST } from "../infra/config/cloud-regions/gcp";
import { ICR_HOSTS, ICR_REGION_LIST } from "../infra/config/cloud-regions/ibm";

describe("region lists (infra/config/cloud-regions)", () => {
  it("hold each name once, in the cloud's own spelling", () => {
    for (const list of [AZURE_REGION_LIST, GAR_LOCATION_LIST, ALIBABA_REGION_LIST, ICR_REGION_LIST]) {
      expect(new Set(list.names).size).toBe(list.names.length);
    }
    expect(AZURE_REGION_LIST.names.every((n) => /^[a-z][a-z0-9]+$/.test(n))).toBe(true);
    expect(GAR_LOCATION_LIST.names.every((n) => /^[a-z]+(-[a-z]+\d+)?$/.test(n))).toBe(true);
    expect(ALIBABA_REGION_LIST.names.every((n) => /^[a-z]{2}-[a-z]+(-\d+)?$/.test(n))).toBe(true);
    expect(Object.values(ICR_HOSTS).every((h) => /^[a-z0-9]+\.icr\.io$/.test(h))).toBe(true);
  });

  it("suggest the closest name, and none for something unrelated", () => {
    expect(closestName("westeurop", AZURE_REGION_LIST.names)).toBe("westeurope");
    expect(closestName("us-centrl1", GAR_LOCATION_LIST.names)).toBe("us-central1");
    expect(closestName("WestEurope", AZURE_REGION_LIST.names)).toBe("westeurope");
    expect(closestName("kubernetes", ICR_REGION_LIST.names)).toBeUndefined();
  });
});

describe("naming helpers", () => {
  it("builds valid GCP service-account ids, short or long", () => {
    const valid = /^[a-z][-a-z0-9]{4,28}[a-z0-9]$/;
    expect(gcpAccountId("gar-usc1", "push")).toBe("gar-usc1-push");
    expect(gcpAccountId("1st", "pull")).toBe("rt-1st-pull");
    const long = gcpAccountId("a-very-long-backup-name-for-artifact-registry", "push");
    expect(long).toMatch(valid);
    expect(long).not.toBe(gcpAccountId("a-very-long-backup-name-for-artifact-registry", "pull"));
    // An archive named like a backup never gets the backup's identity, also once hashed.
    expect(gcpAccountId("primary-harbor-archive-eu1x", "archive")).not.toBe(gcpAccountId("primary-harbor-archive-eu1x", "push"));
    expect(identityName("prod", "x".repeat(60), "archive")).not.toBe(identityName("prod", "x".repeat(60), "push"));
    expect(gcpAccountId("ab", "push")).toMatch(valid);
  });

  it("names identities by stack, backup and role, within the cloud's length limit", () => {
    expect(identityName("prod", "acr-neu", "push")).toBe("regtopo-prod-acr-neu-push");
    const n = identityName("prod", "x".repeat(40), "pull", 30);
    expect(n.length).toBe(30);
    expect(rotationSuffix("2026-05")).toBe("2026-05");
    expect(rotationSuffix("rotate: now please")).toMatch(/^[0-9a-f]{10}$/);
  });

  it("computes a password end date that is stable within a window and never past the lifetime", () => {
    const t = new Date("2026-03-10T12:00:00Z");
    const end = passwordEndDate(t, 180);
    expect(passwordEndDate(new Date(t.getTime() + 3_600_000), 180)).toBe(end); // no churn an hour later
    const days = (Date.parse(end) - t.getTime()) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(90);
    expect(days).toBeLessThanOrEqual(180);
    expect(end).toMatch(/^\d{4}-\d\d-\d\dT00:00:00Z$/);
    // The next window brings a new date (and so a new password).
    expect(passwordEndDate(new Date(t.getTime() + 91 * 86_400_000), 180)).not.toBe(end);
    expect(() => passwordEndDate(t, 0)).toThrow(/lifetime/);
  });
});

describe("registry helpers", () => {
  it("maps Artifact Registry locations to hosts and decodes key files", () => {
    expect(garHost("europe-west3")).toBe("europe-west3-docker.pkg.dev");
    expect(garHost("us")).toBe("us-docker.pkg.dev");
    expect(decodeKeyFile(Buffer.from('{"type":"service_account"}').toString("base64"))).toBe('{"type":"service_account"}');
  });

  it("splits an OCI registry URL into login host and path prefix", () => {
    expect(splitRegistryUrl("https://nas.example.com:5000/backup/harbor")).toEqual({ host: "nas.example.com:5000", pathPrefix: "backup/harbor" });
    expect(splitRegistryUrl("http://10.0.0.5:5000")).toEqual({ host: "10.0.0.5:5000", pathPrefix: "" });
  });

  it("picks Alibaba's login host per edition and site", () => {
    expect(alibabaHost({ region: "eu-central-1", international: true })).toBe("registry-intl.eu-central-1.aliyuncs.com");
    expect(alibabaHost({ region: "cn-hangzhou", international: false })).toBe("registry.cn-hangzhou.aliyuncs.com");
    expect(alibabaHost({ region: "cn-hangzhou", international: false, instanceName: "regtopo" })).toBe("regtopo-registry.cn-hangzhou.cr.aliyuncs.com");
  });

  it("writes RAM policies that reach only the namespace (and the instance for Enterprise)", () => {
    const pe = { region: "eu-central-1", accountId: "123", namespace: "backup" };
    expect(namespaceArns(pe)).toEqual(["acs:cr:eu-central-1:123:repository/backup", "acs:cr:eu-central-1:123:repository/backup/*"]);
    const pull = alibabaPolicyDocument(pe, "pull");
    expect(pull.Statement.flatMap((s) => s.Action).filter((a) => /Push|Create|Update|Delete/.test(a))).toEqual([]);
    const ee = alibabaPolicyDocument({ ...pe, instanceId: "cri-x" }, "push");
    // `*` only for the token (RAM authorizes GetAuthorizationToken on `*` only); everything else on the namespace.
    const [token, ...rest] = ee.Statement;
    expect(token).toEqual({ Effect: "Allow", Action: ["cr:GetAuthorizationToken"], Resource: ["*"] });
    expect(rest.flatMap((s) => s.Resource)).toEqual(["acs:cr:eu-central-1:123:repository/cri-x/backup", "acs:cr:eu-central-1:123:repository/cri-x/backup/*"]);
  });
});

/** A valid config; each case below breaks one backup field. */
function withBackup(backup: Record<string, unknown>): Record<string, unknown> {
  return {
    environment: "dev",
    harbor: { hostname: "harbor.example.com", expose: { type: "ingress", className: "nginx", tlsSecretName: "t" }, projects: [{ name: "library" }] },
    backups: [backup],
  };
}

function problems(backup: Record<string, unknown>): string[] {
  try {
    parseTopologyConfig(withBackup(backup));
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

const good = {
  acr: { name: "acr", kind: "acr", resourceGroupName: "rg", location: "westeurope", registryName: "regtopoweu" },
  gar: { name: "gar", kind: "gar", project: "regtopo-prod", location: "europe-west3", repositoryId: "backup" },
  icr: { name: "icr", kind: "icr", region: "eu-de", namespace: "regtopo", accountId: "0123456789abcdef0123456789abcdef" },
  alibaba: { name: "ali", kind: "alibaba", region: "eu-central-1", namespace: "backup", pullCredential: { username: "u@1", password: "p" } },
  oci: { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", push: { username: "h", password: "p" } },
} as const;

describe("backup config errors name the key and say what to do", () => {
  it("accepts each kind's minimal valid config", () => {
    for (const b of Object.values(good)) expect(problems(b)).toEqual([]);
  });

  it.each([
    ["acr without registryName", { ...good.acr, registryName: undefined }, /^backups\[0\]\.registryName: expected string, found nothing/],
    ["acr with an invalid registry name", { ...good.acr, registryName: "bad-name" }, /^backups\[0\]\.registryName: expected 5-50 letters and digits/],
    ["acr geo-replication without Premium", { ...good.acr, geoReplicationLocations: ["northeurope"] }, /^backups\[0\]\.geoReplicationLocations: geo-replication needs sku Premium/],
    ["gar with a bad project", { ...good.gar, project: "UPPER" }, /^backups\[0\]\.project: expected a GCP project id/],
    ["gar without location", { ...good.gar, location: undefined }, /^backups\[0\]\.location: expected string, found nothing/],
    ["icr with an unknown region", { ...good.icr, region: "mars-1" }, /^backups\[0\]\.region: expected a known IBM Cloud Container Registry region, from components\/backups\/icr\/hosts\.ts/],
    ["icr with a short namespace", { ...good.icr, namespace: "ab" }, /^backups\[0\]\.namespace: expected 4-30 lowercase/],
    ["icr without accountId", { ...good.icr, accountId: undefined }, /^backups\[0\]\.accountId: expected string, found nothing/],
    ["alibaba Enterprise without instanceName", { ...good.alibaba, instanceId: "cri-abc" }, /^backups\[0\]\.instanceName: an Enterprise Edition instance \(instanceId\) also needs its instanceName/],
    ["alibaba instanceName alone", { ...good.alibaba, instanceName: "regtopo" }, /^backups\[0\]\.instanceId: instanceName is only used/],
    ["oci without push", { ...good.oci, push: undefined }, /^backups\[0\]\.push: expected the push credential/],
    ["oci with both url and inCluster", { ...good.oci, inCluster: { nodeAddress: "127.0.0.1" } }, /^backups\[0\]\.inCluster: set either `url`/],
  ])("%s", (_name, backup, expected) => {
    const found = problems(Object.fromEntries(Object.entries(backup).filter(([, v]) => v !== undefined)));
    expect(found.some((p) => expected.test(p))).toBe(true);
  });

  it("never echoes a credential value in an error", () => {
    const found = problems({ ...good.alibaba, pullCredential: { username: "u", password: 12345678 } });
    expect(found.join("\n")).not.toContain("12345678");
    expect(found.join("\n")).toMatch(/backups\[0\]\.pullCredential\.password/);
  });
});
