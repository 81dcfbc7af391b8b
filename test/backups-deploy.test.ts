// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Issue 10: what a first real `pulumi up` of the backups needs, proven under the mock runtime
// (whose mocks refuse what the clouds refuse) and on the pure helpers.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ACR_ROLES } from "../components/backups/acr";
import { alibabaPolicyDocument, type RamPolicyDocument } from "../components/backups/alibabaPolicy";
import { GAR_DELETE_PERMISSIONS, GAR_HARBOR_ADAPTER } from "../components/backups/gar";
import { acrReplicationName, gcpRoleId } from "../components/shared/naming";
import { TOKENS } from "../components/types";
import { ConfigError, parseTopologyConfig } from "../infra/config";
import { closestName } from "../infra/config/cloud-regions/closest";
import { assertNoExampleValues, ExampleValueError, findExampleValues, isExampleValue } from "../infra/config/examples";
import { MOCK_ALIBABA_ACCOUNT_ID } from "../infra/offline/mocks/alibaba";
import { MOCK_DEPLOYER_OBJECT_ID } from "../infra/offline/mocks/azure";
import { MockRefusalError, synthesizeOutputs, takeMockRefusals } from "../infra/offline/mocks";
import { listStacks, readStackConfig, REPO_ROOT } from "../infra/offline/stackFiles";
import { byType, one, renderStack, type RenderResult } from "./helpers/render";

const harbor = { hostname: "harbor.test.example.com", expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" }, projects: [{ name: "library" }] };
const BACKUPS = [
  { name: "acr-weu", kind: "acr", resourceGroupName: "rg-reg", location: "westeurope", registryName: "regtopotestweu", sku: "Premium", geoReplicationLocations: ["northeurope", "eastus2"] },
  { name: "gar-euw3", kind: "gar", project: "regtopo-test", location: "europe-west3", repositoryId: "harbor-backup" },
  { name: "icr-es", kind: "icr", region: "eu-es", namespace: "regtopo-test", accountId: "5f2c9a7e1b3d4c6e8a0b2d4f6e8c0a1b" },
  { name: "ali-ee", kind: "alibaba", region: "cn-hangzhou", namespace: "backup", instanceId: "cri-abc123", instanceName: "regtopo", international: false },
];

let dir: string;
const render = async (name: string, deletion: boolean, backups: unknown[] = BACKUPS): Promise<RenderResult> => {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, stringify({ config: { "registry-topology:environment": "staging", "registry-topology:harbor": harbor, "registry-topology:backups": backups, "registry-topology:replication": { deletion } } }));
  return renderStack(file);
};

let keep: RenderResult;
let del: RenderResult;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "backups-deploy-"));
  keep = await render("keep", false);
  del = await render("del", true);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const mock = (type: string, name: string, inputs: Record<string, unknown>) => {
  takeMockRefusals();
  synthesizeOutputs({ type, name, inputs, provider: "", id: "", custom: true });
  return takeMockRefusals().map((r) => r.problem);
};

describe("1. ACR geo-replica and registry names", () => {
  it("names every replica explicitly with letters and digits only", () => {
    const replicas = byType(keep, "azure-native:containerregistry:Replication");
    expect(replicas.map((r) => r.inputs.replicationName)).toEqual(["northeurope", "eastus2"]);
    expect(acrReplicationName("eu-1")).toBe("eu1replica");
    expect(acrReplicationName("west-eu")).toBe("westeu");
  });

  it("the Azure mock refuses what ARM refuses: auto-named or dashed replicas, bad registry names, unknown regions", () => {
    expect(mock("azure-native:containerregistry:Replication", "acr-weu-replica-northeurope", { location: "northeurope" })).toEqual([
      expect.stringMatching(/^replicationName "acr-weu-replica-northeurope-[0-9a-f]{8}" \(auto-named\) must be 5-50 letters and digits/),
    ]);
    expect(mock("azure-native:containerregistry:Replication", "r", { location: "northeurope", replicationName: "north-eu" })).toHaveLength(1);
    expect(mock("azure-native:containerregistry:Registry", "r", { location: "westeurope", registryName: "reg" })).toEqual([expect.stringMatching(/registryName "reg" must be 5-50/)]);
    expect(mock("azure-native:containerregistry:Registry", "r", { location: "westeurop", registryName: "regtopo1" })).toEqual([expect.stringMatching(/did you mean "westeurope"/)]);
    expect(mock("azure-native:containerregistry:Replication", "r", { location: "eastus2", replicationName: "eastus2" })).toEqual([]);
  });
});

describe("2. Entra applications and service principals are owned by the deployer", () => {
  it("sets owners to the deploying principal on every application and service principal", () => {
    for (const type of ["azuread:index/application:Application", "azuread:index/servicePrincipal:ServicePrincipal"]) {
      const objs = byType(keep, type);
      expect(objs).toHaveLength(2);
      for (const o of objs) expect(o.inputs.owners).toEqual([MOCK_DEPLOYER_OBJECT_ID]);
    }
  });

  it("the Entra mock refuses objects the deployer (Application.ReadWrite.OwnedBy) would not own", () => {
    expect(mock("azuread:index/application:Application", "a", { displayName: "x" })).toEqual([expect.stringMatching(/owners must include the deploying principal/)]);
    expect(mock("azuread:index/servicePrincipal:ServicePrincipal", "s", { clientId: "c", owners: ["someone-else"] })).toHaveLength(1);
  });
});

describe("3. example IDs are refused before any resource, outside the mock runtime", () => {
  it("recognises placeholders and leaves real-looking IDs alone", () => {
    for (const v of ["00000000-0000-0000-0000-000000000000", "0123456789abcdef0123456789abcdef", "regtopo-example-prod", "cri-00000000", "ffffffff"]) expect(isExampleValue(v)).toBe(true);
    for (const v of ["5f2c9a7e1b3d4c6e8a0b2d4f6e8c0a1b", "3f2b7c1e-5d4a-4e8b-9c6f-1a2b3c4d5e6f", "my-prod-project", "rg-registry", "counterexamples-rg"]) expect(isExampleValue(v)).toBe(false);
  });

  it("names each example key of the shipped stacks with the command that fixes it", () => {
    const keys = Object.fromEntries(listStacks().map((s) => [s, findExampleValues(readStackConfig(s).config, s).map((e) => e.key)]));
    expect(keys).toEqual({
      local: [],
      dev: ["backups[0].resourceGroupName"],
      staging: ["backups[0].project", "backups[1].accountId"],
      prod: ["backups[0].resourceGroupName", "backups[1].project", "archives[0].resourceGroupName"],
    });
    const staging = findExampleValues(readStackConfig("staging").config, "staging");
    expect(staging[1]!.fix).toBe("set your 32-character IBM Cloud account id: npx pulumi config set --path 'backups[1].accountId' <value> --stack staging");
  });

  it("ships no provider-level IDs (the environment, ARM_* and GOOGLE_*, is their source) and flags one if set", () => {
    for (const s of listStacks()) {
      expect(Object.keys(readStackConfig(s).config).filter((k) => /^(azuread|azure-native|gcp|alicloud):(tenantId|subscriptionId|clientId|project|accountId)$/.test(k))).toEqual([]);
    }
    const e = findExampleValues({ "azuread:tenantId": "00000000-0000-0000-0000-000000000000" }, "dev");
    expect(e).toEqual([{ key: "azuread:tenantId", value: "00000000-0000-0000-0000-000000000000", fix: expect.stringContaining("npx pulumi config rm azuread:tenantId --stack dev, and set ARM_TENANT_ID") }]);
    expect(() => assertNoExampleValues({ "azuread:tenantId": "00000000-0000-0000-0000-000000000000" }, "dev")).toThrow(ExampleValueError);
  });

  it("the program itself, outside the mock runtime, refuses them before registering anything", async () => {
    // The engine hands config to the program as PULUMI_CONFIG; there is no monitor here, so any
    // resource registration would fail differently: the error must be the example-value one.
    const config = { "azuread:tenantId": "00000000-0000-0000-0000-000000000000", "registry-topology:backups": JSON.stringify([{ name: "icr", kind: "icr", accountId: "0123456789abcdef0123456789abcdef" }]) };
    const run = promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", 'require("./infra/index.ts")'], {
      cwd: REPO_ROOT, env: { ...process.env, PULUMI_CONFIG: JSON.stringify(config) }, timeout: 120_000,
    });
    const failed = await run.then(() => undefined, (e: { stderr: string }) => e);
    expect(failed?.stderr).toMatch(/ExampleValueError: Stack \S+ still holds 2 example values/);
    expect(failed?.stderr).toContain("azuread:tenantId = 00000000-0000-0000-0000-000000000000");
    expect(failed?.stderr).toContain("npx pulumi config set --path 'backups[0].accountId' <value>");
  });

  it("npm run up stops before the Pulumi CLI with each example key; render still renders", async () => {
    const bin = path.join(REPO_ROOT, "node_modules", ".bin", "pulumi");
    const env = { ...process.env, PULUMI_CONFIG_PASSPHRASE: "x", PULUMI_BACKEND_URL: `file://${dir}/state`, PATH: "/nonexistent" };
    const run = promisify(execFile)(process.execPath, ["-r", "ts-node/register/transpile-only", "infra/offline/up-cli.ts", "--stack", "staging"], { cwd: REPO_ROOT, env, timeout: 120_000 });
    const failed = await run.then(() => undefined, (e: { code: number; stderr: string; stdout: string }) => e);
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain("backups[0].project = regtopo-example-staging");
    expect(failed?.stderr).toContain("npx pulumi config set --path 'backups[1].accountId' <value> --stack staging");
    expect(failed?.stdout).not.toMatch(/Using the local file backend/); // stopped before anything else
    expect(fs.existsSync(path.join(dir, "state"))).toBe(false);
    expect(fs.existsSync(bin)).toBe(true);
    const rendered = await renderStack("staging");
    expect(rendered.resources.length).toBeGreaterThan(20);
  });
});

/** Minimal RAM evaluation: an explicit Allow whose Action and Resource patterns match. */
function ramAllows(doc: RamPolicyDocument, action: string, resource: string): boolean {
  const match = (pattern: string, value: string) => new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`).test(value);
  return doc.Statement.some((s) => s.Effect === "Allow" && s.Action.some((a) => match(a, action)) && s.Resource.some((r) => match(r, resource)));
}

describe("4 and 6. Alibaba RAM policies: the actions ali-acr calls, on the resources RAM checks", () => {
  const ee = { region: "cn-hangzhou", accountId: "1", namespace: "backup", instanceId: "cri-abc" };
  const repo = "acs:cr:cn-hangzhou:1:repository/cri-abc/backup/app";

  it("allows GetAuthorizationToken where RAM authorizes it (`*`), also for Enterprise Edition", () => {
    for (const role of ["push", "pull"] as const) expect(ramAllows(alibabaPolicyDocument(ee, role), "cr:GetAuthorizationToken", "*")).toBe(true);
  });

  it("grants the push user push and pull on the namespace only, and no wildcards or instance reads", () => {
    const push = alibabaPolicyDocument(ee, "push");
    expect(ramAllows(push, "cr:PushRepository", repo)).toBe(true);
    expect(ramAllows(push, "cr:PullRepository", repo)).toBe(true);
    expect(ramAllows(push, "cr:PushRepository", "acs:cr:cn-hangzhou:1:repository/cri-abc/other/app")).toBe(false);
    const actions = push.Statement.flatMap((s) => s.Action);
    expect(actions.filter((a) => a.includes("*"))).toEqual([]);
    expect(actions.filter((a) => /Instance|ListNamespace|ListRepository|GetRepository/.test(a))).toEqual([]);
    expect(push.Statement.flatMap((s) => s.Resource).filter((r) => r.includes(":instance/"))).toEqual([]);
    expect(alibabaPolicyDocument(ee, "pull").Statement.flatMap((s) => s.Action)).toEqual(["cr:GetAuthorizationToken", "cr:PullRepository"]);
  });

  it("renders those documents, and the RAM mock accepts them", () => {
    const docs = byType(keep, "alicloud:ram/policy:Policy").map((p) => JSON.parse(String(p.inputs.policyDocument)) as RamPolicyDocument);
    expect(docs).toHaveLength(2);
    expect(ramAllows(docs[0]!, "cr:GetAuthorizationToken", "*")).toBe(true);
    expect(ramAllows(docs[0]!, "cr:PushRepository", `acs:cr:cn-hangzhou:${MOCK_ALIBABA_ACCOUNT_ID}:repository/cri-abc123/backup/app`)).toBe(true);
    expect(mock("alicloud:ram/policy:Policy", "p", { policyDocument: JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["cr:Get*"], Resource: ["instance/x"] }] }) })).toEqual([
      "Statement[0].Resource must be * or acs: ARNs",
    ]);
  });
});

describe("5. deletion rights exactly when replication.deletion is true", () => {
  const roleIds = (r: RenderResult) => byType(r, "azure-native:authorization:RoleAssignment").map((a) => [a.name, String(a.inputs.roleDefinitionId).split("/").pop()]);

  it("ACR: AcrDelete for the push principal only, and only with deletion", () => {
    expect(roleIds(keep)).toEqual([["acr-weu-push", ACR_ROLES.AcrPush], ["acr-weu-pull", ACR_ROLES.AcrPull]]);
    expect(roleIds(del)).toEqual([["acr-weu-push", ACR_ROLES.AcrPush], ["acr-weu-push-acrdelete", ACR_ROLES.AcrDelete], ["acr-weu-pull", ACR_ROLES.AcrPull]]);
    const push = one(del, "azure-native:authorization:RoleAssignment", "acr-weu-push");
    expect(one(del, "azure-native:authorization:RoleAssignment", "acr-weu-push-acrdelete").inputs).toMatchObject({ principalId: push.inputs.principalId, scope: push.inputs.scope });
  });

  it("Artifact Registry: a custom role with only tag and version delete, bound on the repository to the push account", () => {
    expect(byType(keep, "gcp:projects/iAMCustomRole:IAMCustomRole")).toEqual([]);
    const role = one(del, "gcp:projects/iAMCustomRole:IAMCustomRole");
    expect(role.inputs).toMatchObject({ project: "regtopo-test", roleId: gcpRoleId("del", "gar-euw3", "delete"), permissions: [...GAR_DELETE_PERMISSIONS] });
    const binding = one(del, "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", "gar-euw3-push-delete");
    expect(binding.inputs).toMatchObject({ role: `projects/regtopo-test/roles/${gcpRoleId("del", "gar-euw3", "delete")}`, repository: "harbor-backup", member: "serviceAccount:gar-euw3-push@regtopo-test.iam.gserviceaccount.com" });
  });

  it("Alibaba: DeleteRepositoryTag on the namespace for the push user, only with deletion", () => {
    const actions = (r: RenderResult, name: string) => (JSON.parse(String(one(r, "alicloud:ram/policy:Policy", name).inputs.policyDocument)) as RamPolicyDocument).Statement.flatMap((s) => s.Action);
    expect(actions(keep, "ali-ee-push")).not.toContain("cr:DeleteRepositoryTag");
    expect(actions(del, "ali-ee-push")).toContain("cr:DeleteRepositoryTag");
    expect(actions(del, "ali-ee-pull")).not.toContain("cr:DeleteRepositoryTag");
  });

  it("IBM: Writer, which covers image deletion, in both cases (no extra grant)", () => {
    const roles = (r: RenderResult) => byType(r, "pulumi-nodejs:dynamic/ibm:AccessPolicy").map((p) => p.inputs.roles);
    expect(roles(del)).toEqual(roles(keep));
  });
});

function problems(backup: Record<string, unknown>): string[] {
  try {
    parseTopologyConfig({ environment: "dev", harbor, backups: [backup] });
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe("7. regions are checked against the cited lists", () => {
  it.each([
    [{ ...BACKUPS[0], location: "westeurop", geoReplicationLocations: [] }, /^backups\[0\]\.location: expected a known Azure region \(did you mean "westeurope"\?\), from infra\/config\/cloud-regions\/azure\.ts .*set allowUnlistedRegion: true, found string "westeurop"$/],
    [{ ...BACKUPS[0], geoReplicationLocations: ["northeurop"] }, /^backups\[0\]\.geoReplicationLocations\[0\]: .*did you mean "northeurope"/],
    [{ ...BACKUPS[1], location: "mars-central1" }, /^backups\[0\]\.location: expected a known Artifact Registry location/],
    [{ ...BACKUPS[1], location: "europe-west33" }, /did you mean "europe-west3"/],
    [{ ...BACKUPS[3], region: "eu-central-2" }, /^backups\[0\]\.region: expected a known Alibaba Cloud Container Registry region \(did you mean "eu-central-1"\?\)/],
    [{ ...BACKUPS[2], region: "global" }, /^backups\[0\]\.region: IBM's global registry \(icr\.io\) holds only IBM-provided public images/],
    [{ ...BACKUPS[2], region: "eu-ess" }, /did you mean "eu-es"/],
  ])("refuses %j", (backup, expected) => {
    const found = problems(backup as Record<string, unknown>);
    expect(found.some((p) => expected.test(p)), found.join("\n")).toBe(true);
  });

  it("accepts the listed names, IBM's newer registries, and an unlisted region with the explicit escape hatch", () => {
    for (const b of BACKUPS) expect(problems(b)).toEqual([]);
    expect(problems({ ...BACKUPS[2], region: "ca-mon" })).toEqual([]);
    expect(problems({ ...BACKUPS[1], location: "europe-west15", allowUnlistedRegion: true })).toEqual([]);
    expect(problems({ ...BACKUPS[0], location: "newregioncentral", geoReplicationLocations: [], allowUnlistedRegion: true })).toEqual([]);
    expect(closestName("mars", ["westeurope", "northeurope"])).toBeUndefined();
  });

  it("puts IBM's newer registries on their hosts", () => {
    const registries = keep.outputs.registries?.value as { name: string; host: string }[];
    expect(registries.find((r) => r.name === "icr-es")?.host).toBe("es.icr.io");
  });

  it("the mocks refuse region typos the config escape hatch cannot have meant", async () => {
    expect(mock("gcp:artifactregistry/repository:Repository", "r", { location: "europe-wst3", repositoryId: "x" })).toEqual([expect.stringMatching(/did you mean "europe-west3"/)]);
    expect(mock("pulumi:providers:alicloud", "p", { region: "cn-hangzou" })).toEqual([expect.stringMatching(/did you mean "cn-hangzhou"/)]);
    expect(mock("gcp:artifactregistry/repository:Repository", "r", { location: "europe-west15", repositoryId: "x" })).toEqual([]);
    await expect(render("typo", false, [{ ...BACKUPS[1], location: "europe-wst3", allowUnlistedRegion: true }])).rejects.toThrow(MockRefusalError);
  });
});

describe("9. Artifact Registry through Harbor's google-gcr adapter", () => {
  it("registers the Harbor endpoint with google-gcr, the regional pkg.dev URL and _json_key", () => {
    expect(GAR_HARBOR_ADAPTER).toBe("google-gcr");
    const ep = byType(keep, TOKENS.harborRegistryEndpoint).find((e) => e.name.includes("gar-euw3"));
    expect(ep?.inputs).toMatchObject({ type: "google-gcr", url: "https://europe-west3-docker.pkg.dev", accessKey: "_json_key" });
  });
});
