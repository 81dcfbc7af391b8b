import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { Harbor } from "../components/harbor/chart/harbor";
import { destinationPath, policyFilters, policyName } from "../components/harbor/replication/plan";
import { Replication } from "../components/harbor/replication/replication";
import { TOKENS, type RegistryEndpoint } from "../components/types";
import { harborSchema } from "../infra/config/harbor";
import { REPLICATION_DEFAULTS, replicationSchema } from "../infra/config/replication";
import { installMockRuntime, promiseOf, settle, type RecordedResource } from "../infra/offline/mockRuntime";
import { isSecret, unwrapSecret } from "./helpers/secrets";
import { byType, renderStack } from "./helpers/render";

const PUSH_SECRET = "nas-Push-Secret-1";

function backup(name: string, keepsProjectPath: boolean, pathPrefix: string): RegistryEndpoint {
  return {
    name, kind: "oci", host: pulumi.output(`${name}.example.net`), pathPrefix: pulumi.output(pathPrefix), keepsProjectPath,
    url: pulumi.output(`https://${name}.example.net`), harborAdapter: "docker-registry",
    push: { username: `${name}-pusher`, password: pulumi.secret(PUSH_SECRET) }, failureDomain: `${name}-dc`, insecure: false,
  };
}

describe("replication plan (pure)", () => {
  it("keeps the project level or drops it, with an explicit replace count", () => {
    expect(destinationPath("mirror/harbor", true)).toEqual({ namespace: "mirror/harbor", replaceCount: 0 });
    expect(destinationPath("", true)).toEqual({ namespace: "", replaceCount: 0 });
    expect(destinationPath("ns/", false)).toEqual({ namespace: "ns", replaceCount: 1 });
    expect(policyName("acr-weu", "library")).toBe("acr-weu-library");
    const r = replicationSchema.parse({ repositoryFilter: "app-*", tagFilter: { pattern: "*-snapshot", decoration: "excludes" } });
    expect(policyFilters("apps", r)).toEqual({ name: "apps/app-*", tag: { pattern: "*-snapshot", decoration: "excludes" } });
  });
});

describe("Replication under the mock runtime", () => {
  let recorded: RecordedResource[];
  let replication: Replication;
  let harbor: Harbor;
  beforeAll(async () => {
    recorded = await installMockRuntime("registry-topology", "wiring");
    const root = new pulumi.ComponentResource("test:index:Root", "root");
    const config = harborSchema.parse({
      hostname: "harbor.example.com",
      expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" },
      projects: [{ name: "library" }, { name: "apps", public: true, storageQuotaGiB: 50, forceDestroy: true }],
    });
    harbor = new Harbor("harbor", config, { parent: root });
    replication = new Replication("replication", {
      harborUrl: harbor.url,
      harborUsername: harbor.adminUsername,
      harborPassword: harbor.adminPassword,
      harborRelease: harbor.release,
      projects: config.projects,
      backups: [backup("nas", true, "mirror/harbor"), backup("ali", false, "ns")],
      replication: REPLICATION_DEFAULTS,
    }, { parent: root });
    await promiseOf(replication.mirrorPull.username as pulumi.Output<string>);
    await settle();
  });

  const of = (type: string) => recorded.filter((r) => r.type === type);

  it("registers the component with non-secret props and parents every Harbor resource to it", () => {
    const [component] = of(TOKENS.harborReplication);
    expect(component!.inputs).toEqual({ backups: ["nas", "ali"], projects: ["library", "apps"], trigger: "event_based", enabled: true });
    const harborTypes = [TOKENS.harborProject, TOKENS.harborRegistryEndpoint, TOKENS.harborReplicationPolicy, TOKENS.harborRobotAccount];
    const children = recorded.filter((r) => harborTypes.includes(r.type as (typeof harborTypes)[number]));
    expect(children).toHaveLength(2 + 2 + 4 + 1);
    const release = of("kubernetes:helm.sh/v3:Release")[0]!;
    for (const c of children) {
      expect(c.parent).toBe(component!.urn);
      expect(c.dependencies).toContain(release.urn);
      expect(isSecret(c.inputs.harborPassword)).toBe(true);
      expect(c.inputs.harborUrl).toBe("https://harbor.example.com");
      expect(c.inputs.harborUsername).toBe("admin");
    }
  });

  it("one project per config entry, adopting Harbor's built-in library", () => {
    const projects = of(TOKENS.harborProject).map((p) => ({ name: p.inputs.name, public: p.inputs.public, quota: p.inputs.storageQuotaGiB, adopt: p.inputs.adoptExisting, force: p.inputs.forceDestroy }));
    expect(projects).toEqual([
      { name: "library", public: false, quota: undefined, adopt: true, force: false },
      { name: "apps", public: true, quota: 50, adopt: false, force: true },
    ]);
  });

  it("one endpoint per backup with the push credential as a secret", () => {
    const eps = of(TOKENS.harborRegistryEndpoint);
    expect(eps.map((e) => [e.inputs.name, e.inputs.type, e.inputs.url, e.inputs.accessKey, e.inputs.insecure])).toEqual([
      ["nas", "docker-registry", "https://nas.example.net", "nas-pusher", false],
      ["ali", "docker-registry", "https://ali.example.net", "ali-pusher", false],
    ]);
    for (const e of eps) {
      expect(isSecret(e.inputs.accessSecret)).toBe(true);
      expect(unwrapSecret(e.inputs.accessSecret)).toBe(PUSH_SECRET);
      // Issue 13 item 9: the salted hash of a (possibly low-entropy) secret is a secret output too.
      expect(e.additionalSecretOutputs).toEqual(expect.arrayContaining(["harborPassword", "accessSecret", "accessSecretHash"]));
    }
  });

  it("one event-based policy per (backup, project) with the destination path of the backup", () => {
    const policies = of(TOKENS.harborReplicationPolicy);
    const rows = policies.map((p) => [p.inputs.name, p.inputs.destinationRegistryName, p.inputs.projectName, p.inputs.destinationNamespace, p.inputs.destinationNamespaceReplaceCount, (p.inputs.filters as { name: string }).name]);
    expect(rows).toEqual([
      ["nas-library", "nas", "library", "mirror/harbor", 0, "library/**"],
      ["nas-apps", "nas", "apps", "mirror/harbor", 0, "apps/**"],
      ["ali-library", "ali", "library", "ns", 1, "library/**"],
      ["ali-apps", "ali", "apps", "ns", 1, "apps/**"],
    ]);
    for (const p of policies) {
      expect(p.inputs).toMatchObject({ trigger: "event_based", deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true });
      expect(typeof p.inputs.destinationRegistryId).toBe("number");
      const project = of(TOKENS.harborProject).find((x) => x.inputs.name === p.inputs.projectName)!;
      expect(p.dependencies).toContain(project.urn);
    }
  });

  it("a pull-only system robot for the mirrors, never the admin credential", async () => {
    const [robot] = of(TOKENS.harborRobotAccount);
    expect(robot!.inputs).toMatchObject({ name: "region-mirrors", level: "system", projects: ["library", "apps"], access: [{ resource: "repository", action: "pull" }], duration: -1 });
    expect(robot!.additionalSecretOutputs).toContain("secret");
    const pull = replication.mirrorPull;
    expect(await promiseOf(pull.username as pulumi.Output<string>)).toBe("robot$region-mirrors");
    expect(await pulumi.isSecret(pull.password)).toBe(true);
    expect(await promiseOf(pull.password)).not.toBe(await promiseOf(harbor.adminPassword));
  });
});

describe("shipped stacks", () => {
  it("dev wires Harbor's projects and the mirror robot into the topology", async () => {
    const result = await renderStack("dev");
    const [component] = byType(result, TOKENS.harborReplication);
    expect(component!.inputs.projects).toEqual(["library", "platform", "apps"]);
    // The replicated projects plus dev's Docker Hub proxy-cache project and its endpoint.
    expect(byType(result, TOKENS.harborProject)).toHaveLength(3 + 1);
    expect(byType(result, TOKENS.harborRobotAccount)).toHaveLength(1);
    const backups = component!.inputs.backups as string[];
    expect(byType(result, TOKENS.harborRegistryEndpoint)).toHaveLength(backups.length + 1);
    expect(byType(result, TOKENS.harborReplicationPolicy)).toHaveLength(backups.length * 3);
  });
});

describe("Docker Hub proxy cache (dev stack)", () => {
  it("adds a docker-hub endpoint and a proxy-cache project that is not replicated", async () => {
    const r = await renderStack("dev");
    const hub = r.resources.find((x) => x.type === TOKENS.harborRegistryEndpoint && x.inputs.name === "docker-hub");
    expect(hub?.inputs).toMatchObject({ type: "docker-hub", url: "https://hub.docker.com" });
    const project = r.resources.find((x) => x.type === TOKENS.harborProject && x.inputs.name === "dockerhub");
    expect(project?.inputs.proxyCache).toMatchObject({ speedKbps: -1 });
    expect(typeof (project?.inputs.proxyCache as { registryId: unknown }).registryId).toBe("number");
    const policies = r.resources.filter((x) => x.type === TOKENS.harborReplicationPolicy);
    expect(policies.map((p) => p.inputs.projectName)).not.toContain("dockerhub");
    const robot = r.resources.find((x) => x.type === TOKENS.harborRobotAccount);
    expect(robot?.inputs.projects).not.toContain("dockerhub");
  });
});
