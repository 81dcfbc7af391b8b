import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ACR_ROLES } from "../components/backups/acr";
import { IBM_TOKENS } from "../components/backups/icr";
import { TOKENS } from "../components/types";
import { buildPlan } from "../infra/offline/plan";
import { MOCK_AZURE } from "../infra/offline/mocks/azure";
import { MOCK_ALIBABA_ACCOUNT_ID } from "../infra/offline/mocks/alibaba";
import { htpasswdMatches } from "../components/shared/htpasswd";
import { byType, one, renderStack, type RenderResult } from "./helpers/render";
import { isSecret, unwrapSecret } from "./helpers/secrets";

// One stack with every backup kind, written the way a user would (secrets as `secure:` values).
const ALL_KINDS = {
  config: {
    "registry-topology:environment": "staging",
    "registry-topology:harbor": { hostname: "harbor.test.example.com", expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" }, projects: [{ name: "library" }] },
    "registry-topology:backups": [
      { name: "acr-weu", kind: "acr", resourceGroupName: "rg-reg", location: "westeurope", registryName: "regtopotestweu", sku: "Premium", geoReplicationLocations: ["northeurope"], credentialLifetimeDays: 90 },
      { name: "gar-euw3", kind: "gar", project: "regtopo-test", location: "europe-west3", repositoryId: "harbor-backup" },
      { name: "icr-de", kind: "icr", region: "eu-de", namespace: "regtopo-test", accountId: "0123456789abcdef0123456789abcdef" },
      { name: "ali-fra", kind: "alibaba", region: "eu-central-1", namespace: "regtopo-test", pullCredential: { username: "regtopo-test-ali-fra-pull@5123456789012345", password: { secure: "v1:AAAA" } } },
      { name: "ali-ee", kind: "alibaba", region: "cn-hangzhou", namespace: "backup", instanceId: "cri-abc123", instanceName: "regtopo", international: false, pullCredential: { username: "puller", password: { secure: "v1:BBBB" } } },
      { name: "nas", kind: "oci", url: "https://nas.dc2.example.com:5000/harbor-backup", failureDomain: "dc2", push: { username: "harbor", password: { secure: "v1:CCCC" } }, pull: { username: "mirror", password: { secure: "v1:DDDD" } } },
    ],
  },
};

let dir: string;
let all: RenderResult;
let local: RenderResult;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "backups-stack-"));
  const file = path.join(dir, "Pulumi.backups-all.yaml");
  fs.writeFileSync(file, stringify(ALL_KINDS));
  all = await renderStack(file);
  local = await renderStack("local");
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const named = (r: RenderResult, type: string, prefix: string) => byType(r, type).filter((x) => x.name.startsWith(prefix));
const urnOf = (r: RenderResult, type: string, name: string) => one(r, type, name).urn;

describe("backup components", () => {
  it("register one component per backup, in config order, with the contract's props and the topology as parent", () => {
    const tokens = [TOKENS.acrBackup, TOKENS.garBackup, TOKENS.icrBackup, TOKENS.alibabaBackup, TOKENS.ociBackup];
    const comps = all.resources.filter((r) => (tokens as string[]).includes(r.type));
    expect(comps.map((c) => c.name)).toEqual(["acr-weu", "gar-euw3", "icr-de", "ali-fra", "ali-ee", "nas"]);
    const topology = one(all, TOKENS.topology).urn;
    for (const c of comps) expect(c.parent).toBe(topology);
    expect(comps.map((c) => c.inputs)).toEqual([
      { backupName: "acr-weu", kind: "acr", harborAdapter: "azure-acr", failureDomain: "azure:westeurope" },
      { backupName: "gar-euw3", kind: "gar", harborAdapter: "google-gcr", failureDomain: "gcp:europe-west3" },
      { backupName: "icr-de", kind: "icr", harborAdapter: "docker-registry", failureDomain: "ibm:eu-de" },
      { backupName: "ali-fra", kind: "alibaba", harborAdapter: "ali-acr", failureDomain: "alibaba:eu-central-1" },
      { backupName: "ali-ee", kind: "alibaba", harborAdapter: "ali-acr", failureDomain: "alibaba:cn-hangzhou" },
      { backupName: "nas", kind: "oci", harborAdapter: "docker-registry", failureDomain: "dc2" },
    ]);
  });

  it("publish host, path and url per backup in the stack outputs, credentials only as a secret", () => {
    const registries = all.outputs.registries?.value as { name: string; host: string; pathPrefix: string; url: string }[];
    const byName = Object.fromEntries(registries.map((r) => [r.name, r]));
    expect(byName["acr-weu"]).toMatchObject({ host: "regtopotestweu.azurecr.io", pathPrefix: "", url: "https://regtopotestweu.azurecr.io" });
    expect(byName["gar-euw3"]).toMatchObject({ host: "europe-west3-docker.pkg.dev", pathPrefix: "regtopo-test/harbor-backup", url: "https://europe-west3-docker.pkg.dev" });
    expect(byName["icr-de"]).toMatchObject({ host: "de.icr.io", pathPrefix: "regtopo-test", url: "https://de.icr.io" });
    expect(byName["ali-fra"]).toMatchObject({ host: "registry-intl.eu-central-1.aliyuncs.com", pathPrefix: "regtopo-test" });
    expect(byName["ali-ee"]).toMatchObject({ host: "regtopo-registry.cn-hangzhou.cr.aliyuncs.com", pathPrefix: "backup" });
    expect(byName.nas).toMatchObject({ host: "nas.dc2.example.com:5000", pathPrefix: "harbor-backup", url: "https://nas.dc2.example.com:5000" });
    expect(JSON.stringify(registries)).not.toMatch(/password/i);

    expect(all.outputs.registryCredentials?.secret).toBe(true);
    const creds = all.outputs.registryCredentials?.value as Record<string, { push: { username: string; password: string }; pull?: { username: string; password: string } }>;
    expect(creds["gar-euw3"]?.push.username).toBe("_json_key");
    expect(JSON.parse(creds["gar-euw3"]!.push.password)).toMatchObject({ type: "service_account", client_email: "gar-euw3-push@regtopo-test.iam.gserviceaccount.com" });
    expect(JSON.parse(creds["gar-euw3"]!.pull!.password)).toMatchObject({ client_email: "gar-euw3-pull@regtopo-test.iam.gserviceaccount.com" });
    expect(creds["icr-de"]?.push.username).toBe("iamapikey");
    expect(creds["icr-de"]?.push.password).toHaveLength(44);
    expect(creds["icr-de"]?.pull?.password).not.toBe(creds["icr-de"]?.push.password);
    expect(creds["ali-fra"]?.pull?.username).toBe("regtopo-test-ali-fra-pull@5123456789012345");
    expect(creds["acr-weu"]?.push.password).toMatch(/8Q~/);
  });

  it("puts no credential value into plan.json", () => {
    const text = JSON.stringify(buildPlan(all));
    const creds = all.outputs.registryCredentials?.value as Record<string, { push: { password: string }; pull?: { password: string } }>;
    const values = Object.values(creds).flatMap((c) => [c.push.password, c.pull?.password]).filter((v): v is string => !!v && v !== "offline-secret-placeholder");
    expect(values.length).toBeGreaterThanOrEqual(8);
    for (const v of values) expect(text).not.toContain(v);
    // Even the base64 form of the GCP key files.
    for (const v of values) expect(text).not.toContain(Buffer.from(v).toString("base64").slice(0, 40));
  });
});

describe("acr", () => {
  it("creates the registry without admin user and a geo-replica for Premium", () => {
    const reg = one(all, "azure-native:containerregistry:Registry", "acr-weu-registry");
    expect(reg.inputs).toMatchObject({ registryName: "regtopotestweu", resourceGroupName: "rg-reg", location: "westeurope", sku: { name: "Premium" }, adminUserEnabled: false, anonymousPullEnabled: false });
    expect(named(all, "azure-native:containerregistry:Replication", "acr-weu").map((r) => r.inputs.location)).toEqual(["northeurope"]);
  });

  it("assigns exactly AcrPush and AcrPull on this registry, nothing else, to the two service principals", () => {
    const assignments = named(all, "azure-native:authorization:RoleAssignment", "acr-weu");
    expect(assignments).toHaveLength(2);
    const roleDef = (guid: string) => `/subscriptions/${MOCK_AZURE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const byRole = Object.fromEntries(assignments.map((a) => [a.name, a.inputs]));
    expect(byRole["acr-weu-push"]).toMatchObject({ roleDefinitionId: roleDef(ACR_ROLES.AcrPush), scope: "acr-weu-registry-id", principalType: "ServicePrincipal" });
    expect(byRole["acr-weu-pull"]).toMatchObject({ roleDefinitionId: roleDef(ACR_ROLES.AcrPull), scope: "acr-weu-registry-id", principalType: "ServicePrincipal" });
    expect(byRole["acr-weu-push"]?.principalId).not.toBe(byRole["acr-weu-pull"]?.principalId);
    const allRoleIds = byType(all, "azure-native:authorization:RoleAssignment").map((a) => String(a.inputs.roleDefinitionId));
    // Owner, Contributor, User Access Administrator never appear.
    for (const wide of ["8e3af657-a8ff-443c-a75c-2fe8c4bcb635", "b24988ac-6180-42a0-ab88-20f7382dd24c", "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"]) {
      expect(allRoleIds.join(" ")).not.toContain(wide);
    }
  });

  it("keeps SP passwords secret, with an end date within the configured lifetime and rotation from config", () => {
    const pws = named(all, "azuread:index/applicationPassword:ApplicationPassword", "acr-weu");
    expect(pws).toHaveLength(2);
    for (const pw of pws) {
      expect(pw.additionalSecretOutputs).toContain("value");
      expect(pw.inputs.rotateWhenChanged).toEqual({ rotation: "1" });
      const days = (Date.parse(String(pw.inputs.endDate)) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(44);
      expect(days).toBeLessThanOrEqual(90);
    }
  });
});

describe("gar", () => {
  it("creates one Docker repository and binds writer/reader on that repository only", () => {
    const repo = one(all, "gcp:artifactregistry/repository:Repository", "gar-euw3-repository");
    expect(repo.inputs).toMatchObject({ project: "regtopo-test", location: "europe-west3", repositoryId: "harbor-backup", format: "DOCKER" });
    const members = named(all, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "gar-euw3");
    expect(members.map((m) => [m.name, m.inputs.role, m.inputs.repository, m.inputs.location, m.inputs.member])).toEqual([
      ["gar-euw3-push", "roles/artifactregistry.writer", "harbor-backup", "europe-west3", "serviceAccount:gar-euw3-push@regtopo-test.iam.gserviceaccount.com"],
      ["gar-euw3-pull", "roles/artifactregistry.reader", "harbor-backup", "europe-west3", "serviceAccount:gar-euw3-pull@regtopo-test.iam.gserviceaccount.com"],
    ]);
    // No project-, folder- or org-level grants anywhere.
    expect(all.resources.filter((r) => /^gcp:(projects|organizations|folders)\/iAM/.test(r.type) || /IamBinding|IamPolicy/.test(r.type))).toEqual([]);
    for (const key of named(all, "gcp:serviceaccount/key:Key", "gar-euw3")) {
      expect(key.additionalSecretOutputs).toContain("privateKey");
      expect(key.inputs.keepers).toEqual({ rotation: "1" });
    }
  });
});

describe("icr", () => {
  it("grants Writer (push) and Reader (pull) on the one namespace through the IBM dynamic provider", () => {
    expect(one(all, IBM_TOKENS.namespace).inputs).toMatchObject({ name: "regtopo-test", accountId: "0123456789abcdef0123456789abcdef", registryApiUrl: "https://de.icr.io", iamUrl: "https://iam.cloud.ibm.com" });
    const policies = byType(all, IBM_TOKENS.accessPolicy);
    expect(policies.map((p) => [p.name, p.inputs.roles, p.inputs.serviceName, p.inputs.resourceType, p.inputs.resource, p.inputs.region])).toEqual([
      ["icr-de-push", ["Writer"], "container-registry", "namespace", "regtopo-test", "eu-de"],
      ["icr-de-pull", ["Reader"], "container-registry", "namespace", "regtopo-test", "eu-de"],
    ]);
    const ids = byType(all, IBM_TOKENS.serviceId);
    expect(ids).toHaveLength(2);
    for (const key of byType(all, IBM_TOKENS.apiKey)) {
      expect(key.additionalSecretOutputs).toContain("apikey");
      expect(key.inputs.rotation).toBe("1");
    }
    for (const r of [...policies, ...ids, ...byType(all, IBM_TOKENS.apiKey), one(all, IBM_TOKENS.namespace)]) {
      const provider = String(r.inputs.__provider);
      expect(provider).toMatch(/^exports\.handler = __f0;/);
      expect(provider).not.toMatch(/IBMCLOUD_API_KEY"?\s*:/); // read from env, never captured as a value
      expect(provider).not.toContain("offline-secret-placeholder");
    }
  });
});

describe("alibaba", () => {
  const docs = (r: RenderResult, prefix: string) =>
    Object.fromEntries(named(r, "alicloud:ram/policy:Policy", prefix).map((p) => [p.name, JSON.parse(String(p.inputs.policyDocument)) as { Statement: { Action: string[]; Resource: string[] }[] }]));

  it("limits every RAM policy to the namespace ARNs (Personal Edition)", () => {
    const d = docs(all, "ali-fra");
    const ns = `acs:cr:eu-central-1:${MOCK_ALIBABA_ACCOUNT_ID}:repository/regtopo-test`;
    for (const name of ["ali-fra-push", "ali-fra-pull"]) {
      const [token, repo, ...rest] = d[name]!.Statement;
      expect(token).toEqual({ Effect: "Allow", Action: ["cr:GetAuthorizationToken"], Resource: ["*"] });
      expect(repo!.Resource).toEqual([ns, `${ns}/*`]);
      expect(rest).toEqual([]);
      expect(repo!.Action).not.toContain("cr:*");
    }
    expect(d["ali-fra-push"]!.Statement[1]!.Action).toContain("cr:PushRepository");
    expect(d["ali-fra-pull"]!.Statement[1]!.Action.filter((a) => /Push|Create|Update|Delete/.test(a))).toEqual([]);
    const attachments = named(all, "alicloud:ram/userPolicyAttachment:UserPolicyAttachment", "ali-fra");
    expect(attachments.map((a) => a.inputs.policyType)).toEqual(["Custom", "Custom"]);
    expect(one(all, "alicloud:cr/namespace:Namespace", "ali-fra-namespace").inputs).toMatchObject({ name: "regtopo-test", autoCreate: true, defaultVisibility: "PRIVATE" });
    expect(one(all, "pulumi:providers:alicloud", "ali-fra-provider").inputs.region).toBe("eu-central-1");
  });

  it("uses Enterprise ARNs with the instance id, and `*` only for the token", () => {
    const d = docs(all, "ali-ee");
    const ns = `acs:cr:cn-hangzhou:${MOCK_ALIBABA_ACCOUNT_ID}:repository/cri-abc123/backup`;
    for (const doc of Object.values(d)) {
      const [token, ...rest] = doc.Statement;
      expect(token).toEqual({ Effect: "Allow", Action: ["cr:GetAuthorizationToken"], Resource: ["*"] });
      for (const s of rest) for (const res of s.Resource) expect([ns, `${ns}/*`]).toContain(res);
    }
    expect(one(all, "alicloud:cs/registryEnterpriseNamespace:RegistryEnterpriseNamespace").inputs).toMatchObject({ instanceId: "cri-abc123", name: "backup" });
  });

  it("gives only the push user an AccessKey, kept secret", () => {
    const keys = byType(all, "alicloud:ram/accessKey:AccessKey");
    expect(keys.map((k) => k.name)).toEqual(["ali-fra-push-1", "ali-ee-push-1"]);
    for (const k of keys) expect(k.additionalSecretOutputs).toContain("secret");
  });
});

describe("oci", () => {
  it("uses an existing registry's URL path as prefix and keeps configured passwords secret", () => {
    expect(urnOf(all, TOKENS.ociBackup, "nas")).toBeTruthy();
    expect(all.resources.filter((r) => r.type.startsWith("kubernetes:") && r.name.startsWith("nas"))).toEqual([]);
  });

  it("deploys distribution with a PVC, a NodePort Service and bcrypt htpasswd users in the local stack", () => {
    const comp = one(local, TOKENS.ociBackup, "local-oci");
    expect(comp.inputs).toEqual({ backupName: "local-oci", kind: "oci", harborAdapter: "docker-registry", failureDomain: "harbor-cluster" });
    const dep = one(local, "kubernetes:apps/v1:Deployment", "local-oci-registry").inputs as { spec: { template: { spec: { containers: { image: string; env: { name: string; value: string }[] }[]; volumes: unknown[] } } } };
    const container = dep.spec.template.spec.containers[0]!;
    expect(container.image).toMatch(/^docker\.io\/library\/registry:3\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    expect(container.env).toContainEqual({ name: "REGISTRY_AUTH", value: "htpasswd" });
    expect(one(local, "kubernetes:core/v1:PersistentVolumeClaim", "local-oci-data").inputs).toMatchObject({ spec: { resources: { requests: { storage: "10Gi" } } } });
    expect(one(local, "kubernetes:core/v1:Service", "local-oci-service").inputs).toMatchObject({ spec: { type: "NodePort", ports: [{ nodePort: 30500, port: 5000 }] } });

    const secret = one(local, "kubernetes:core/v1:Secret", "local-oci-htpasswd");
    const data = unwrapSecret(secret.inputs.stringData) as Record<string, unknown>;
    const htpasswd = unwrapSecret(data.htpasswd) as string;
    expect(isSecret(secret.inputs.stringData) || isSecret(data.htpasswd)).toBe(true);
    const creds = local.outputs.registryCredentials?.value as Record<string, { push: { username: string; password: string }; pull: { username: string; password: string } }>;
    const lines = htpasswd.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(htpasswdMatches(lines[0]!, creds["local-oci"]!.push.username, creds["local-oci"]!.push.password)).toBe(true);
    expect(htpasswdMatches(lines[1]!, creds["local-oci"]!.pull.username, creds["local-oci"]!.pull.password)).toBe(true);
    expect(htpasswdMatches(lines[1]!, creds["local-oci"]!.pull.username, creds["local-oci"]!.push.password)).toBe(false);

    const registries = local.outputs.registries?.value as { name: string; host: string; url: string }[];
    expect(registries.find((r) => r.name === "local-oci")).toMatchObject({ host: "127.0.0.1:30500", url: "http://127.0.0.1:30500" });
    const plan = JSON.stringify(buildPlan(local));
    expect(plan).not.toContain(creds["local-oci"]!.push.password);
    expect(plan).not.toContain(creds["local-oci"]!.pull.password);
  });
});

describe("Alibaba without a fixed pull password (the default)", () => {
  it("the pull user gets an AccessKey, the mirrors get tokens from the refresher (Personal and Enterprise), no bootstrap step", async () => {
    const stack = {
      config: {
        "registry-topology:environment": "dev",
        "registry-topology:harbor": { hostname: "harbor.test.example.com", expose: { type: "clusterIP" }, projects: [{ name: "library" }] },
        "registry-topology:backups": [
          { name: "ali-fra", kind: "alibaba", region: "eu-central-1", namespace: "regtopo-test" },
          { name: "ali-ee", kind: "alibaba", region: "cn-hangzhou", namespace: "backup", instanceId: "cri-abc123", instanceName: "regtopo", international: false },
        ],
        "registry-topology:regions": [{ name: "eu", mirrorNodes: { nodeSelector: { mirror: "true" } }, mirrorAddresses: ["10.0.0.1"], runtimes: ["containerd"] }],
      },
    };
    const file = path.join(dir, "Pulumi.ali-tokens.yaml");
    fs.writeFileSync(file, stringify(stack));
    const r = await renderStack(file);
    const keys = byType(r, "alicloud:ram/accessKey:AccessKey").map((k) => k.name).sort();
    expect(keys).toEqual(["ali-ee-pull-1", "ali-ee-push-1", "ali-fra-pull-1", "ali-fra-push-1"]);
    for (const k of byType(r, "alicloud:ram/accessKey:AccessKey")) expect(k.additionalSecretOutputs).toContain("secret");
    const registries = r.outputs.registries?.value as { name: string; tokenMint?: unknown }[];
    expect(registries.find((x) => x.name === "ali-fra")?.tokenMint).toEqual({ kind: "alibaba", region: "eu-central-1" });
    expect(registries.find((x) => x.name === "ali-ee")?.tokenMint).toEqual({ kind: "alibaba", region: "cn-hangzhou", instanceId: "cri-abc123" });
    const mirrors = one(r, TOKENS.regionMirrors).inputs as { upstreams: { name: string; credential?: string }[] };
    expect(mirrors.upstreams.filter((u) => u.credential === "token").map((u) => u.name)).toEqual(["ali-fra", "ali-ee"]);
    expect(byType(r, TOKENS.tokenRefresher)).toHaveLength(1);
  });
});
