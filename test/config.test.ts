import { describe, expect, it } from "vitest";
import { parseTopologyConfig } from "../infra/config";
import { problems } from "./helpers/config-problems";
import { harborCronProblem } from "../components/harbor/api/cron";

// Test configs are mutated deep inside freely; typing every shape would hide what each case changes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

/** A valid config; each bad case below changes one thing. */
function base(): Raw {
  return {
    environment: "dev",
    harbor: {
      hostname: "harbor.example.com",
      expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" },
      projects: [{ name: "library" }, { name: "apps" }],
    },
    backups: [
      { name: "acr-weu", kind: "acr", resourceGroupName: "rg", location: "westeurope", registryName: "regtopoweu" },
      { name: "icr-de", kind: "icr", region: "eu-de", namespace: "regtopo", accountId: "0123456789abcdef0123456789abcdef" },
    ],
    regions: [
      {
        name: "eu",
        mirrorNodes: { nodeSelector: { "node-role.kubernetes.io/registry-mirror": "true" } },
        mirrorAddresses: ["10.0.0.1"],
        runtimes: ["containerd"],
      },
    ],
  };
}

describe("valid config", () => {
  it("parses and fills defaults", () => {
    const cfg = parseTopologyConfig(base());
    expect(cfg.harbor.chartVersion).toBe("1.19.1");
    expect(cfg.harbor.namespace).toBe("harbor");
    expect(cfg.harbor.database).toEqual({ type: "internal" });
    expect(cfg.replication.trigger).toBe("event_based");
    expect(cfg.replication.backfill).toBe(true);
    expect(cfg.regions[0]?.mirrorPortBase).toBe(5000);
    expect(cfg.backups[0]).toMatchObject({ kind: "acr", sku: "Standard", credentialLifetimeDays: 180 });
  });

  it("turns credentials into Pulumi secrets", async () => {
    const raw = base();
    raw.backups.push({ name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", push: { username: "u", password: "p4ss" } });
    const cfg = parseTopologyConfig(raw);
    const nas = cfg.backups[2];
    if (nas?.kind !== "oci" || !nas.push) throw new Error("expected the oci backup");
    const pulumi = await import("@pulumi/pulumi");
    expect(await pulumi.isSecret(nas.push.password)).toBe(true);
  });
});

type Case = [title: string, mutate: (c: Raw) => void, path: string, expected: RegExp];

const cases: Case[] = [
  ["missing environment", (c) => delete c.environment, "environment", /expected one of "local" \| "dev" \| "staging" \| "prod", found nothing/],
  ["unknown environment", (c) => (c.environment = "qa"), "environment", /found string "qa"/],
  ["hostname with scheme", (c) => (c.harbor.hostname = "https://harbor.example.com"), "harbor.hostname", /DNS name without scheme/],
  ["unknown expose type", (c) => (c.harbor.expose = { type: "route" }), "harbor.expose.type", /expected type to be one of "ingress" \| "loadBalancer" \| "nodePort" \| "clusterIP"/],
  ["ingress without TLS secret", (c) => delete c.harbor.expose.tlsSecretName, "harbor.expose.tlsSecretName", /expected string, found nothing/],
  ["node port out of range", (c) => (c.harbor.expose = { type: "nodePort", httpNodePort: 8080 }), "harbor.expose.httpNodePort", /expected at least 30000/],
  ["bad storage size", (c) => (c.harbor.storage = { registrySize: "100GB" }), "harbor.storage.registrySize", /storage size such as 10Gi/],
  ["no projects", (c) => (c.harbor.projects = []), "harbor.projects", /at least one Harbor project/],
  ["bad project name", (c) => (c.harbor.projects[1].name = "Apps"), "harbor.projects[1].name", /Harbor project name/],
  ["duplicate project", (c) => (c.harbor.projects[1].name = "library"), "harbor.projects[1].name", /duplicate project "library"/],
  ["HA without external database", (c) => (c.harbor.replicas = { core: 2 }), "harbor.database.type", /need an external database/],
  ["HA registry on RWO", (c) => {
    c.harbor.replicas = { registry: 2 };
    c.harbor.database = { type: "external", host: "pg", username: "harbor", passwordSecretName: "db" };
    c.harbor.redis = { type: "external", addr: "redis:6379", passwordSecretName: "redis" };
  }, "harbor.storage.registryAccessMode", /expected ReadWriteMany/],
  ["external database with no password source", (c) => (c.harbor.database = { type: "external", host: "pg", username: "harbor" }), "harbor.database.passwordSecretName", /exactly one of passwordSecretName/],
  ["unknown backup kind", (c) => (c.backups[1] = { name: "quay", kind: "quay" }), "backups[1].kind", /expected kind to be one of "acr" \| "gar" \| "icr" \| "alibaba" \| "oci" \| "ecr"/],
  ["ECR without account id", (c) => (c.backups[1] = { name: "ecr", kind: "ecr", region: "eu-central-1" }), "backups[1].accountId", /expected string, found nothing/],
  ["unknown ICR region", (c) => (c.backups[1].region = "mars"), "backups[1].region", /expected a known IBM Cloud Container Registry region/],
  ["ACR registry name too short", (c) => (c.backups[0].registryName = "acr"), "backups[0].registryName", /5-50 letters and digits/],
  ["duplicate backup names", (c) => (c.backups[1].name = "acr-weu"), "backups[1].name", /duplicate backup name "acr-weu"/],
  ["backup named harbor", (c) => (c.backups[0].name = "harbor"), "backups[0].name", /reserved for the primary registry/],
  ["geo-replication without Premium", (c) => (c.backups[0].geoReplicationLocations = ["northeurope"]), "backups[0].geoReplicationLocations", /needs sku Premium, found Standard/],
  ["GAR without repository", (c) => (c.backups[1] = { name: "gar", kind: "gar", project: "my-project-1", location: "europe-west3" }), "backups[1].repositoryId", /expected string, found nothing/],
  ["oci with neither url nor inCluster", (c) => (c.backups[1] = { name: "nas", kind: "oci" }), "backups[1].url", /expected `url` of an existing registry, or `inCluster/],
  ["external oci without push credential", (c) => (c.backups[1] = { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2" }), "backups[1].push", /push credential Harbor replicates with/],
  ["oci URL with trailing slash", (c) => (c.backups[1] = { name: "nas", kind: "oci", url: "https://nas.example.com/", failureDomain: "dc2", push: { username: "u", password: "p" } }), "backups[1].url", /remove the trailing '\/'/],
  ["insecure backup not allowed", (c) => (c.backups[1] = { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", insecure: true, push: { username: "u", password: "p" } }), "backups[1].insecure", /allowInsecureUpstreams: true/],
  ["Alibaba pull credential without password", (c) => (c.backups[1] = { name: "ali", kind: "alibaba", region: "eu-central-1", namespace: "regtopo", pullCredential: { username: "u@1" } }), "backups[1].pullCredential.password", /expected string, found nothing/],
  ["scheduled trigger without cron", (c) => (c.replication = { trigger: "scheduled" }), "replication.cron", /because trigger is scheduled/],
  ["cron firing every minute", (c) => (c.replication = { trigger: "scheduled", cron: "0 * * * * *" }), "replication.cron", /minutes field must not be \*/],
  ["manual trigger", (c) => (c.replication = { trigger: "manual" }), "replication.trigger", /expected one of "event_based" \| "scheduled", found string "manual"/],
  ["region without mirror addresses", (c) => (c.regions[0].mirrorAddresses = []), "regions[0].mirrorAddresses", /at least one address nodes use/],
  ["unknown runtime", (c) => (c.regions[0].runtimes = ["docker"]), "regions[0].runtimes[0]", /expected one of "crio" \| "containerd" \| "k3s" \| "rke2", found string "docker"/],
  ["empty node selector", (c) => (c.regions[0].mirrorNodes.nodeSelector = {}), "regions[0].mirrorNodes.nodeSelector", /at least one label/],
  ["unknown upstream in order", (c) => (c.regions[0].upstreamOrder = ["harbor", "gcr"]), "regions[0].upstreamOrder[1]", /unknown upstream "gcr"/],
  ["mirror address with port", (c) => (c.regions[0].mirrorAddresses = ["10.0.0.1:5000"]), "regions[0].mirrorAddresses[0]", /without scheme or port/],
  ["proxy cache on a replicated project", (c) => (c.harbor.dockerHubProxyCache = { project: "apps" }), "harbor.dockerHubProxyCache.project", /also a replicated project/],
  ["backup named like the Docker Hub endpoint", (c) => {
    c.harbor.dockerHubProxyCache = {};
    c.backups[1].name = "docker-hub";
  }, "backups[1].name", /names Harbor's Docker Hub endpoint/],
  ["misspelled key", (c) => (c.harbor.hostName = "x"), "harbor.hostName", /unknown key; did you mean "hostname"\? remove it or check its spelling/],
  ["misspelled key in a backup of one kind", (c) => (c.backups[0].skuu = "Basic"), "backups[0].skuu", /did you mean "sku"\?/],
  ["transposed letters in a nested key", (c) => (c.regions[0].mirrorAddersses = []), "regions[0].mirrorAddersses", /did you mean "mirrorAddresses"\?/],
  ["unknown key with no near miss", (c) => (c.harbor.colour = "blue"), "harbor.colour", /^harbor\.colour: unknown key; remove it or check its spelling$/],
  ["region name not a DNS label", (c) => (c.regions[0].name = "EU West"), "regions[0].name", /lowercase DNS label/],
];

describe("invalid config: one message per problem, naming the full key path", () => {
  it.each(cases)("%s", (_title, mutate, path, expected) => {
    const raw = base();
    mutate(raw);
    const found = problems(raw);
    const line = found.find((p) => p.startsWith(`${path}: `));
    expect(line, `no problem reported at ${path}; got:\n${found.join("\n")}`).toBeDefined();
    expect(line).toMatch(expected);
  });

  it("reports every problem at once", () => {
    const raw = base();
    raw.environment = "qa";
    raw.backups[1].region = "mars";
    raw.regions[0].runtimes = [];
    const found = problems(raw);
    expect(found.map((p) => p.split(":")[0])).toEqual(expect.arrayContaining(["environment", "backups[1].region", "regions[0].runtimes"]));
  });

  it("never echoes a credential", () => {
    const raw = base();
    raw.backups[1] = { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", push: { username: "u", password: 12345678 } };
    const found = problems(raw);
    const line = found.find((p) => p.startsWith("backups[1].push.password"));
    expect(line).toMatch(/found a value \(not shown: credential\)/);
    expect(found.join("\n")).not.toContain("12345678");
  });

  it("rejects a credential stored in plain text, saying how to store it", () => {
    const raw = base();
    raw.backups[1] = { name: "nas", kind: "oci", url: "https://nas.example.com", failureDomain: "dc2", push: { username: "u", password: "hunter22" } };
    const found = problems(raw, () => false);
    expect(found).toEqual([
      "backups[1].push.password: expected a Pulumi secret, found plain text; run: npx pulumi config set --secret --path 'backups[1].push.password' <value>",
    ]);
  });

  it("the error message lists each problem on its own line", () => {
    const raw = base();
    raw.environment = "qa";
    expect(() => parseTopologyConfig(raw)).toThrow(/Invalid stack configuration \(1 problem\):\n {2}- environment: /);
  });
});

describe("Harbor cron validation", () => {
  it.each([
    ["0 0 */6 * * *", undefined],
    ["0 30 2 * * MON-FRI", undefined],
    ["0 0 0 1 JAN ?", undefined],
    ["0 */15 * * * *", undefined],
    ["* 0 * * * *", /seconds field must be 0/],
    ["0 0 * * *", /expected 6 fields/],
    ["0 61 * * * *", /minutes value "61" is outside 0-59/],
    ["0 0 5-2 * * *", /runs backwards/],
    ["0 0 */0 * * *", /step "0"/],
  ])("%s", (expr, expected) => {
    const problem = harborCronProblem(expr);
    if (expected) expect(problem).toMatch(expected);
    else expect(problem).toBeUndefined();
  });
});

describe("what the stricter checks still accept", () => {
  it.each([
    ["label keys and values", (c: Raw) => (c.regions[0].mirrorNodes.nodeSelector = { "kubernetes.io/os": "linux", "a_b.C-d": "", [`x.example.com/${"n".repeat(63)}`]: "V_1.2-3" })],
    ["IPv6 load-balancer IP and ranges", (c: Raw) => (c.harbor.expose = { type: "loadBalancer", ip: "2001:db8::10", sourceRanges: ["::/0", "10.0.0.0/8", "2001:db8::/32"] })],
    ["an oci URL with an IPv6 host, a port and a path", (c: Raw) => c.backups.push({ name: "nas", kind: "oci", url: "https://[2001:db8::1]:5443/dr/mirror", failureDomain: "dc2", push: { username: "u", password: "p" } })],
    ["an oci URL with an IPv4 host and port 65535", (c: Raw) => c.backups.push({ name: "nas", kind: "oci", url: "http://10.0.0.9:65535", failureDomain: "dc2", push: { username: "u", password: "p" } })],
    ["Redis Sentinel hosts", (c: Raw) => {
      c.harbor.redis = { type: "external", addr: "s1.example.com:26379,10.0.0.2:26379", sentinelMasterSet: "mymaster", passwordSecretName: "redis" };
    }],
    ["mirror ports right below the node-port range", (c: Raw) => (c.regions[0].mirrorPortBase = 29997)],
    ["two regions on different nodes with the same ports", (c: Raw) => c.regions.push({ ...structuredClone(c.regions[0]), name: "us", mirrorNodes: { nodeSelector: { zone: "us" } }, mirrorAddresses: ["10.9.0.1"] })],
    ["each published 1.19 chart", (c: Raw) => (c.harbor.chartVersion = "1.19.0")],
  ])("%s", (_title, mutate) => {
    const raw = base();
    mutate(raw);
    expect(problems(raw)).toEqual([]);
  });

  it("hides a URL's user information even when the URL is wrong for another reason", () => {
    const raw = base();
    raw.backups.push({ name: "nas", kind: "oci", url: "ftp://robot:hunter22@nas.example.com", failureDomain: "dc2", push: { username: "u", password: "p" } });
    const line = problems(raw).find((p) => p.startsWith("backups[2].url: "));
    expect(line).toBe('backups[2].url: expected an http(s) URL such as https://registry.example.com, found string "ftp://<userinfo hidden>@nas.example.com"');
  });
});
