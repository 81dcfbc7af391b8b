// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Each policy over hand-built graphs that follow the component contract: the healthy graph passes,
// and each way of breaking it yields exactly one, named violation.
import { describe, expect, it } from "vitest";
import {
  backupOutsideHarborFailureDomain,
  credentialsAreSecret,
  mirrorsCoverEveryRegion,
  noInsecureUpstreams,
  noRegistryAdminCredentials,
  pinnedImages,
  policies,
  requiresBackupTarget,
} from "../policy/policies";
import { build, findSpec, healthySpecs, runStackPolicy, secret, type ResourceSpec } from "./helpers/policy-harness";

const HARBOR_URN = "urn:pulumi:test::registry-topology::registry-topology:harbor:Harbor::harbor";
const urnOf = (s: ResourceSpec) => `urn:pulumi:test::registry-topology::${s.type}::${s.name}`;
const without = (specs: ResourceSpec[], pred: (s: ResourceSpec) => boolean) => specs.filter((s) => !pred(s));
const isPolicy = (s: ResourceSpec) => s.type === "pulumi-nodejs:dynamic/harbor:ReplicationPolicy";
const HOW = "Add a backup under `registry-topology:backups` in the stack file";
const PREFIX = "Harbor harbor.example.com needs a backup target with event-based or scheduled replication of every project, but ";

describe("the healthy hand-built stack", () => {
  it.each(policies.map((p) => [p.name, p] as const))("passes %s", async (_name, policy) => {
    const run = await runStackPolicy(policy, build(healthySpecs()));
    expect(run).toEqual({ violations: [] });
  });

  it("every policy is mandatory in code but the archive recommendation, with a description", () => {
    expect(policies.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["requires-backup-target", "mandatory"],
      ["backup-outside-harbor-failure-domain", "mandatory"],
      ["no-registry-admin-credentials", "mandatory"],
      ["credentials-are-secret", "mandatory"],
      ["mirrors-cover-every-region", "mandatory"],
      ["pinned-images", "mandatory"],
      ["no-insecure-upstreams", "mandatory"],
      ["archives-are-immutable", "mandatory"],
      ["prod-has-archive", "advisory"],
    ]);
    for (const p of policies) expect(p.description.length).toBeGreaterThan(20);
  });
});

describe("requires-backup-target", () => {
  const violation = async (specs: ResourceSpec[], config = {}) => {
    const run = await runStackPolicy(requiresBackupTarget, build(specs), config);
    expect(run.violations).toHaveLength(1);
    expect(run.violations[0]!.urn).toBe(HARBOR_URN);
    expect(run.violations[0]!.message).toContain(HOW);
    return run.violations[0]!.message;
  };

  it("blocks a single-registry stack (Harbor, no backup)", async () => {
    const specs = without(healthySpecs(), (s) => s.type.startsWith("registry-topology:backups:") || s.name.includes("acr-weu"));
    expect(await violation(specs)).toMatch(new RegExp(`^${PREFIX.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}it has no backup registry\\. `));
  });

  it("blocks a backup with no replication policy", async () => {
    expect(await violation(without(healthySpecs(), isPolicy))).toContain('but backup "acr-weu": no Harbor replication policy pushes to it. ');
  });

  it("blocks a disabled policy", async () => {
    const specs = healthySpecs();
    for (const s of specs.filter(isPolicy)) s.props!.enabled = false;
    expect(await violation(specs)).toContain('backup "acr-weu": replication policy "acr-weu-library" is disabled; replication policy "acr-weu-apps" is disabled. ');
  });

  it("blocks a manual-only policy", async () => {
    const specs = healthySpecs();
    for (const s of specs.filter(isPolicy)) s.props!.trigger = "manual";
    expect(await violation(specs)).toContain('replication policy "acr-weu-library" has trigger "manual" (only event_based or scheduled replicate on their own)');
  });

  it("accepts a scheduled policy with a cron, not one without", async () => {
    const specs = healthySpecs();
    for (const s of specs.filter(isPolicy)) Object.assign(s.props!, { trigger: "scheduled", cron: "0 0 */6 * * *" });
    expect((await runStackPolicy(requiresBackupTarget, build(specs))).violations).toEqual([]);
    delete findSpec(specs, "harbor-replication-acr-weu-apps").props.cron;
    expect(await violation(specs)).toContain('replication policy "acr-weu-apps" is scheduled without a cron; no enabled replication policy copies the whole of project apps');
  });

  it("blocks a policy set that misses one project", async () => {
    const specs = without(healthySpecs(), (s) => s.name === "harbor-replication-acr-weu-apps");
    expect(await violation(specs)).toContain('backup "acr-weu": no enabled replication policy copies the whole of project apps. ');
  });

  it("blocks a name filter that only covers part of a project, and accepts one policy covering all", async () => {
    const specs = healthySpecs();
    (findSpec(specs, "harbor-replication-acr-weu-apps").props.filters as Record<string, string>).name = "apps/web-*";
    expect(await violation(specs)).toContain('no enabled replication policy copies the whole of project apps ("acr-weu-apps": misses repositories such as apps/a, apps/z9, apps/0)');

    const one = without(healthySpecs(), (s) => s.name === "harbor-replication-acr-weu-apps");
    (findSpec(one, "harbor-replication-acr-weu-library").props.filters as Record<string, string>).name = "{library,apps}/**";
    expect((await runStackPolicy(requiresBackupTarget, build(one))).violations).toEqual([]);
  });

  it("leaves a backup in Harbor's cluster to backup-outside-harbor-failure-domain (it is a backup)", async () => {
    const specs = healthySpecs();
    findSpec(specs, "acr-weu").props.failureDomain = "harbor-cluster";
    expect((await runStackPolicy(requiresBackupTarget, build(specs))).violations).toEqual([]);
  });

  it("passes when one of two backups is usable, and honours minBackups", async () => {
    const specs = healthySpecs();
    specs.push({ type: "registry-topology:backups:OciBackup", name: "local-oci", props: { backupName: "local-oci", kind: "oci", harborAdapter: "docker-registry", failureDomain: "harbor-cluster" } });
    expect((await runStackPolicy(requiresBackupTarget, build(specs))).violations).toEqual([]);
    const msg = await violation(specs, { minBackups: 2 });
    expect(msg).toContain("needs 2 backup targets (found 1 usable)");
    expect(msg).toContain('backup "local-oci": no Harbor replication policy pushes to it.');
  });

  it("is not applicable without a Harbor", async () => {
    const run = await runStackPolicy(requiresBackupTarget, build(without(healthySpecs(), (s) => s.name === "harbor")));
    expect(run).toEqual({ violations: [], notApplicable: "the stack has no Harbor" });
  });
});

describe("backup-outside-harbor-failure-domain", () => {
  const violation = async (specs: ResourceSpec[], config = {}) => {
    const run = await runStackPolicy(backupOutsideHarborFailureDomain, build(specs), config);
    expect(run.violations).toHaveLength(1);
    expect(run.violations[0]!.urn).toBe(HARBOR_URN);
    expect(run.violations[0]!.message).toContain(HOW);
    return run.violations[0]!.message;
  };

  it("blocks a backup in Harbor's cluster (same failure domain)", async () => {
    const specs = healthySpecs();
    findSpec(specs, "acr-weu").props.failureDomain = "harbor-cluster";
    expect(await violation(specs)).toContain(`Harbor harbor.example.com needs a backup target in another failure domain, but backup "acr-weu": it is in Harbor's failure domain "harbor-cluster" (same cluster), so it fails together with Harbor. `);
  });

  it("blocks a backup on Harbor's machine under another port, whatever failure domain it claims", async () => {
    const specs = healthySpecs();
    Object.assign(findSpec(specs, "acr-weu").props, { kind: "oci", failureDomain: "nas-dc2" });
    findSpec(specs, "harbor-endpoint-acr-weu").props.url = "https://HARBOR.example.com:5443/backup";
    expect(await violation(specs)).toContain('backup "acr-weu": its URL https://HARBOR.example.com:5443/backup is on Harbor\'s own machine (harbor.example.com:5443; Harbor is on harbor.example.com:80). ');
  });

  it("stays silent when there is no real backup at all (requires-backup-target reports that)", async () => {
    const specs = without(healthySpecs(), isPolicy);
    findSpec(specs, "acr-weu").props.failureDomain = "harbor-cluster";
    expect((await runStackPolicy(backupOutsideHarborFailureDomain, build(specs))).violations).toEqual([]);
  });
});

describe("no-registry-admin-credentials", () => {
  const single = async (specs: ResourceSpec[], name: string) => {
    const run = await runStackPolicy(noRegistryAdminCredentials, build(specs));
    expect(run.violations).toEqual([{ message: expect.any(String), urn: urnOf(findSpec(specs, name)) }]);
    return run.violations[0]!.message;
  };

  it("blocks an ACR admin user", async () => {
    const specs = healthySpecs();
    findSpec(specs, "acr-weu-registry").props.adminUserEnabled = true;
    expect(await single(specs, "acr-weu-registry")).toBe(
      "Registry::acr-weu-registry enables the ACR admin user (one shared full-access password). Set adminUserEnabled: false; Harbor and mirrors use their own service principals with AcrPush/AcrPull.",
    );
  });

  it("blocks Owner and Contributor role assignments, not AcrPush", async () => {
    const specs = healthySpecs();
    findSpec(specs, "acr-weu-push").props.roleDefinitionId = "/subscriptions/0/providers/Microsoft.Authorization/roleDefinitions/B24988AC-6180-42A0-AB88-20F7382DD24C";
    expect(await single(specs, "acr-weu-push")).toMatch(/^RoleAssignment::acr-weu-push grants Contributor to principal sp-push on \/subscriptions/);
  });

  it("blocks admin roles on GCP, Alibaba and IBM identities", async () => {
    const cases: [ResourceSpec, RegExp][] = [
      [{ type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", name: "gar-push", props: { role: "roles/artifactregistry.repoAdmin", member: "serviceAccount:x@p.iam.gserviceaccount.com", repository: "r" } }, /grants roles\/artifactregistry\.repoAdmin to serviceAccount:x@/],
      [{ type: "gcp:projects/iAMMember:IAMMember", name: "owner", props: { role: "roles/owner", member: "serviceAccount:x" } }, /grants roles\/owner/],
      [{ type: "alicloud:ram/policy:Policy", name: "ali-push", props: { policyDocument: JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["cr:*"], Resource: ["*"] }] }) } }, /allows cr:\* on \*/],
      [{ type: "alicloud:ram/userPolicyAttachment:UserPolicyAttachment", name: "ali-attach", props: { policyName: "AdministratorAccess", policyType: "System", userName: "u" } }, /attaches AdministratorAccess/],
      [{ type: "pulumi-nodejs:dynamic/ibm:IamServicePolicy", name: "icr-push", props: { roles: ["Writer", "Manager"] } }, /grants IBM role Manager\./],
    ];
    for (const [spec, re] of cases) {
      const specs = [...healthySpecs(), spec];
      expect(await single(specs, spec.name)).toMatch(re);
    }
    const ok: ResourceSpec[] = [
      { type: "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember", name: "gar-push", props: { role: "roles/artifactregistry.writer", member: "serviceAccount:x" } },
      { type: "alicloud:ram/policy:Policy", name: "ali-push", props: { policyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["cr:PushRepository", "cr:PullRepository"], Resource: ["acs:cr:*:*:repository/ns/*"] }] }) } },
      { type: "pulumi-nodejs:dynamic/ibm:IamServicePolicy", name: "icr-push", props: { roles: ["Writer"] } },
    ];
    expect((await runStackPolicy(noRegistryAdminCredentials, build([...healthySpecs(), ...ok]))).violations).toEqual([]);
  });

  it("blocks Harbor's admin account on a mirror", async () => {
    const specs = healthySpecs();
    ((findSpec(specs, "eu-west").props.upstreams as Record<string, unknown>[])[0]!).username = "admin";
    expect(await single(specs, "eu-west")).toBe('RegionMirrors::eu-west gives mirror "harbor" Harbor\'s admin account. Mirrors pull with a pull-only robot account.');
  });
});

describe("credentials-are-secret", () => {
  const FIX = "Wrap each with pulumi.secret() and list its property in the resource's additionalSecretOutputs.";

  it("passes the healthy graph in both shapes", async () => {
    for (const shape of ["offline", "cli"] as const) {
      expect((await runStackPolicy(credentialsAreSecret, build(healthySpecs(), shape))).violations).toEqual([]);
    }
  });

  it("blocks a plaintext credential input offline even when its property is declared", async () => {
    const specs = healthySpecs();
    const ep = findSpec(specs, "harbor-endpoint-acr-weu");
    ep.props.accessSecret = "sp-secret";
    const run = await runStackPolicy(credentialsAreSecret, build(specs));
    expect(run.violations).toEqual([{ message: `RegistryEndpoint::harbor-endpoint-acr-weu has credential input that is not secret: accessSecret (plain text). ${FIX}`, urn: urnOf(ep) }]);
  });

  it("blocks an undeclared credential in both shapes (the CLI sees only additionalSecretOutputs)", async () => {
    const specs = healthySpecs();
    findSpec(specs, "harbor-robot-mirror").additionalSecretOutputs = ["secret"];
    for (const shape of ["offline", "cli"] as const) {
      const run = await runStackPolicy(credentialsAreSecret, build(specs, shape));
      expect(run.violations.map((v) => v.message)).toEqual([`RobotAccount::harbor-robot-mirror has credential input that is not secret: harborPassword ("harborPassword" not in additionalSecretOutputs). ${FIX}`]);
    }
  });

  it("finds nested credentials in components and Kubernetes Secrets, ignores names of secrets", async () => {
    const specs = healthySpecs();
    findSpec(specs, "eu-west").props.upstreams = [{ name: "harbor", kind: "harbor", username: "robot$mirror", password: "plain", remoteUrl: "https://harbor.example.com" }];
    findSpec(specs, "harbor-internal-secrets").props.stringData = { key: "v" };
    Object.assign(findSpec(specs, "harbor").props, { tlsSecretName: "harbor-tls", existingSecret: "harbor-internal-secrets", passwordSecretName: "db" });
    const run = await runStackPolicy(credentialsAreSecret, build(specs));
    expect(run.violations.map((v) => v.message)).toEqual([
      `Secret::harbor-internal-secrets has credential input that is not secret: stringData (plain text). ${FIX}`,
      `RegionMirrors::eu-west has credential input that is not secret: upstreams[0].password (plain text). ${FIX}`,
    ]);
    // A component cannot declare additionalSecretOutputs: even a wrapped credential in its props is reported.
    findSpec(specs, "eu-west").props.upstreams = [{ name: "harbor", password: secret("s") }];
    findSpec(specs, "harbor-internal-secrets").props.stringData = secret({ key: "v" });
    expect((await runStackPolicy(credentialsAreSecret, build(specs))).violations.map((v) => v.message)).toEqual([
      `RegionMirrors::eu-west has credential input that is not secret: upstreams[0].password ("upstreams" not in additionalSecretOutputs). ${FIX}`,
    ]);
  });
});

describe("mirrors-cover-every-region", () => {
  it("blocks a region without a backup mirror, and one without Harbor", async () => {
    const specs = healthySpecs();
    const region = findSpec(specs, "eu-west");
    const [harbor, acr] = region.props.upstreams as Record<string, unknown>[];
    region.props.upstreams = [harbor];
    specs.push({ type: "registry-topology:mirrors:RegionMirrors", name: "us-east", props: { region: "us-east", upstreams: [acr] } });
    const run = await runStackPolicy(mirrorsCoverEveryRegion, build(specs));
    expect(run.violations.map((v) => v.message)).toEqual([
      "Region eu-west has no mirror for a backup registry (mirrors: harbor). Nodes there cannot pull when Harbor is down; give the region an upstream for Harbor and a backup (regions[].upstreamOrder).",
      "Region us-east has no mirror for Harbor (mirrors: acr-weu). Nodes there cannot pull when Harbor is down; give the region an upstream for Harbor and a backup (regions[].upstreamOrder).",
    ]);
  });

  it("blocks a stack with Harbor and no region at all (regions: [] does not switch it off)", async () => {
    const run = await runStackPolicy(mirrorsCoverEveryRegion, build(without(healthySpecs(), (s) => s.name === "eu-west")));
    expect(run.violations).toEqual([{ urn: HARBOR_URN, message: expect.stringMatching(/^The stack declares no region, so no node has a pull-through mirror and every pull depends on Harbor harbor\.example\.com\./) }]);
  });

  it("is not applicable without regions and without Harbor", async () => {
    const run = await runStackPolicy(mirrorsCoverEveryRegion, build(without(healthySpecs(), (s) => s.name === "eu-west" || s.name === "harbor")));
    expect(run.notApplicable).toBe("the stack has no regions and no Harbor");
  });
});

describe("pinned-images", () => {
  it("blocks a static pod image and a DaemonSet image pinned only by tag", async () => {
    const specs = healthySpecs();
    findSpec(specs, "eu-west").props.staticPodImages = ["docker.io/library/registry:3.0.0"];
    const ds = findSpec(specs, "eu-west-node-files");
    ((ds.props.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0]!).image = "busybox:latest";
    const run = await runStackPolicy(pinnedImages, build(specs));
    expect(run.violations).toEqual([
      { message: "RegionMirrors::eu-west runs image not pinned by digest: docker.io/library/registry:3.0.0. Use name@sha256:<digest> so every node runs the same bytes.", urn: urnOf(findSpec(specs, "eu-west")) },
      { message: "DaemonSet::eu-west-node-files runs image not pinned by digest: busybox:latest. Use name@sha256:<digest> so every node runs the same bytes.", urn: urnOf(ds) },
    ]);
  });

  it("also blocks a Deployment the program deploys (the in-cluster backup registry)", async () => {
    const specs = healthySpecs();
    const dep = { type: "kubernetes:apps/v1:Deployment", name: "local-oci-registry", props: { spec: { template: { spec: { containers: [{ name: "registry", image: "docker.io/library/registry:2.8.3" }] } } } } };
    const run = await runStackPolicy(pinnedImages, build([...specs, dep]));
    expect(run.violations.map((v) => v.message)).toEqual([
      "Deployment::local-oci-registry runs image not pinned by digest: docker.io/library/registry:2.8.3. Use name@sha256:<digest> so every node runs the same bytes.",
    ]);
  });
});

describe("no-insecure-upstreams", () => {
  const insecure = () => {
    const specs = healthySpecs();
    ((findSpec(specs, "eu-west").props.upstreams as Record<string, unknown>[])[1]!).insecure = true;
    findSpec(specs, "harbor-endpoint-acr-weu").props.insecure = true;
    return specs;
  };

  it("blocks insecure upstreams outside loopback", async () => {
    const run = await runStackPolicy(noInsecureUpstreams, build(insecure()));
    expect(run.violations.map((v) => v.message)).toEqual([
      "RegistryEndpoint::harbor-endpoint-acr-weu skips TLS verification toward insecure -> regtopoweu.azurecr.io. Give the upstream a trusted certificate, or set registry-topology:allowInsecureUpstreams: true to accept the risk.",
      'RegionMirrors::eu-west skips TLS verification toward mirror "acr-weu" -> regtopoweu.azurecr.io. Give the upstream a trusted certificate, or set registry-topology:allowInsecureUpstreams: true to accept the risk.',
    ]);
  });

  it("names Harbor's host when TLS verification toward Harbor itself is off", async () => {
    const specs = healthySpecs();
    findSpec(specs, "harbor-project-library").props.insecure = true;
    findSpec(specs, "harbor-endpoint-acr-weu").props.harborInsecure = true;
    const run = await runStackPolicy(noInsecureUpstreams, build(specs));
    expect(run.violations.map((v) => v.message)).toEqual([
      "Project::harbor-project-library skips TLS verification toward insecure -> harbor.example.com. Give the upstream a trusted certificate, or set registry-topology:allowInsecureUpstreams: true to accept the risk.",
      "RegistryEndpoint::harbor-endpoint-acr-weu skips TLS verification toward harborInsecure -> harbor.example.com. Give the upstream a trusted certificate, or set registry-topology:allowInsecureUpstreams: true to accept the risk.",
    ]);
  });

  it("allows loopback, configured hosts, and stacks that opt in", async () => {
    const specs = insecure();
    expect((await runStackPolicy(noInsecureUpstreams, build(specs), { allowedHosts: ["regtopoweu.azurecr.io"] })).violations).toEqual([]);
    findSpec(specs, "harbor-endpoint-acr-weu").props.url = "http://127.0.0.1:30500";
    ((findSpec(specs, "eu-west").props.upstreams as Record<string, unknown>[])[1]!).remoteUrl = "http://[::1]:5000";
    expect((await runStackPolicy(noInsecureUpstreams, build(specs))).violations).toEqual([]);
    const optIn = insecure();
    findSpec(optIn, "topology").props.allowInsecureUpstreams = true;
    expect((await runStackPolicy(noInsecureUpstreams, build(optIn))).violations).toEqual([]);
  });
});
