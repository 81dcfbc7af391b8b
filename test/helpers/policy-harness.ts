// Runs policy objects without the CLI or a PolicyPack (which would start a gRPC server):
// hand-built PolicyResources, real renders turned into PolicyResources, and a runner that behaves
// like @pulumi/policy's analyzer (getConfig() returns the policy's config, notApplicable() throws).
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { evaluatePolicies } from "../../policy/evaluate";
import { SECRET_SIG, SIG_KEY, unwrapSecrets } from "../../policy/graph";
import { policyResourceOf, toPolicyResources } from "../../policy/offline";
import { renderStack } from "../../infra/offline/render";

export interface ResourceSpec {
  type: string;
  name: string;
  props?: Record<string, unknown>;
  additionalSecretOutputs?: string[];
  parent?: PolicyResource;
  /** Names of resources (in the same build) this one depends on, as the engine records it. */
  dependsOn?: string[];
  /** Per-property dependencies, as the CLI's analyzer hands them over (names in the same build). */
  propertyDependsOn?: Record<string, string[]>;
}

/** Wrap a value in Pulumi's secret wire marker, as recorded inputs carry it. */
export function secret<T>(value: T): { value: T } {
  return { [SIG_KEY]: SECRET_SIG, value } as unknown as { value: T };
}

/**
 * "offline": props keep secret markers and the resource is tagged as the offline check tags it.
 * "cli": plain props, as @pulumi/policy's analyzer hands them to stack policies.
 */
export type Shape = "offline" | "cli";

export function policyResource(spec: ResourceSpec, shape: Shape = "offline"): PolicyResource {
  return policyResourceOf({
    type: spec.type,
    name: spec.name,
    urn: `urn:pulumi:test::registry-topology::${spec.type}::${spec.name}`,
    props: shape === "cli" ? (unwrapSecrets(spec.props ?? {}) as Record<string, unknown>) : (spec.props ?? {}),
    additionalSecretOutputs: spec.additionalSecretOutputs,
    parent: spec.parent,
    secretMarkersKept: shape === "offline",
  });
}

export interface PolicyRun {
  violations: { message: string; urn?: string }[];
  notApplicable?: string;
}

/** One policy at its level in code, with `config` as its properties, through the offline evaluator. */
export async function runStackPolicy(policy: StackValidationPolicy, resources: PolicyResource[], config: Record<string, unknown> = {}): Promise<PolicyRun> {
  const level = policy.enforcementLevel ?? "mandatory";
  const result = await evaluatePolicies([policy], resources, { [policy.name]: { ...config, enforcementLevel: level } });
  return {
    violations: result.violations.map(({ message, urn }) => ({ message, urn })),
    ...(result.notApplicable[0] ? { notApplicable: result.notApplicable[0].reason } : {}),
  };
}

/** A stack (name or Pulumi.<name>.yaml path) rendered under mocks, as the offline check sees it. */
export async function renderPolicyResources(stackOrFile: string): Promise<PolicyResource[]> {
  return toPolicyResources((await renderStack(stackOrFile)).resources);
}

export const DIGEST = `sha256:${"ab12".repeat(16)}`;

/**
 * A hand-built graph of a healthy stack, following the resource contract the components register:
 * Harbor with two projects, an ACR backup in Azure with an endpoint and one event-based policy per
 * project, one region mirroring Harbor and the backup with pinned images. Tests mutate a copy.
 */
export function healthySpecs(): ResourceSpec[] {
  const conn = { harborUrl: "https://harbor.example.com", harborUsername: "admin", harborPassword: secret("harbor-admin-pw") };
  const connSecret = ["harborPassword"];
  return [
    { type: "registry-topology:index:RegistryTopology", name: "topology", props: { environment: "prod", allowInsecureUpstreams: false } },
    { type: "registry-topology:harbor:Harbor", name: "harbor", props: { hostname: "harbor.example.com", projects: ["library", "apps"], failureDomain: "harbor-cluster" } },
    { type: "kubernetes:core/v1:Secret", name: "harbor-internal-secrets", props: { stringData: secret({ secretKey: "0123456789abcdef" }) }, additionalSecretOutputs: ["data", "stringData"] },
    { type: "registry-topology:archives:S3Archive", name: "archive-nas", props: { archiveName: "nas", kind: "s3", retentionDays: 30, retentionMechanism: "object-lock", retentionLocked: true, versioning: true, jobGrants: [], tiers: {}, failureDomain: "s3:nas.example.com" } },
    { type: "registry-topology:backups:AcrBackup", name: "acr-weu", props: { backupName: "acr-weu", kind: "acr", harborAdapter: "azure-acr", failureDomain: "azure:westeurope" } },
    { type: "azure-native:containerregistry:Registry", name: "acr-weu-registry", props: { registryName: "regtopoweu", adminUserEnabled: false, sku: { name: "Standard" } } },
    {
      type: "azure-native:authorization:RoleAssignment",
      name: "acr-weu-push",
      props: { roleDefinitionId: "/providers/Microsoft.Authorization/roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec", scope: "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/regtopoweu", principalId: "sp-push" },
    },
    { type: "pulumi-nodejs:dynamic/harbor:Project", name: "harbor-project-library", props: { ...conn, name: "library" }, additionalSecretOutputs: connSecret },
    { type: "pulumi-nodejs:dynamic/harbor:Project", name: "harbor-project-apps", props: { ...conn, name: "apps" }, additionalSecretOutputs: connSecret },
    {
      type: "pulumi-nodejs:dynamic/harbor:RegistryEndpoint",
      name: "harbor-endpoint-acr-weu",
      props: { ...conn, name: "acr-weu", type: "azure-acr", url: "https://regtopoweu.azurecr.io", accessKey: "app-id", accessSecret: secret("sp-secret"), insecure: false },
      additionalSecretOutputs: ["harborPassword", "accessSecret", "accessSecretHash"],
    },
    ...["library", "apps"].map((project) => ({
      type: "pulumi-nodejs:dynamic/harbor:ReplicationPolicy",
      name: `harbor-replication-acr-weu-${project}`,
      props: { ...conn, name: `acr-weu-${project}`, destinationRegistryName: "acr-weu", projectName: project, trigger: "event_based", enabled: true, filters: { name: `${project}/**` }, deletion: false },
      additionalSecretOutputs: connSecret,
    })),
    { type: "pulumi-nodejs:dynamic/harbor:RobotAccount", name: "harbor-robot-mirror", props: { ...conn, name: "mirror", projects: ["library", "apps"] }, additionalSecretOutputs: ["harborPassword", "secret"] },
    {
      type: "registry-topology:mirrors:RegionMirrors",
      name: "eu-west",
      props: {
        region: "eu-west",
        upstreams: [
          { name: "harbor", kind: "harbor", remoteUrl: "https://harbor.example.com", insecure: false, username: "robot$mirror" },
          { name: "acr-weu", kind: "acr", remoteUrl: "https://regtopoweu.azurecr.io", insecure: false, username: "sp-pull" },
        ],
        staticPodImages: [`docker.io/library/registry:3.0.0@${DIGEST}`],
        mirrorAddresses: ["10.0.0.11"],
        runtimes: ["containerd"],
      },
    },
    {
      type: "kubernetes:apps/v1:DaemonSet",
      name: "eu-west-node-files",
      props: { spec: { template: { spec: { initContainers: [{ name: "init", image: `docker.io/library/busybox:1.37@${DIGEST}` }], containers: [{ name: "sync", image: `docker.io/library/busybox:1.37@${DIGEST}` }] } } } },
    },
  ];
}

export function findSpec(specs: ResourceSpec[], name: string): ResourceSpec & { props: Record<string, unknown> } {
  const s = specs.find((x) => x.name === name);
  if (!s || !s.props) throw new Error(`no spec ${name}`);
  return s as ResourceSpec & { props: Record<string, unknown> };
}

export function build(specs: ResourceSpec[], shape: Shape = "offline"): PolicyResource[] {
  const out = specs.map((s) => policyResource(s, shape));
  const byName = (n: string) => {
    const r = out[specs.findIndex((s) => s.name === n)];
    if (!r) throw new Error(`no spec ${n}`);
    return r;
  };
  specs.forEach((s, i) => {
    const r = out[i]!;
    const props = Object.entries(s.propertyDependsOn ?? {});
    r.dependencies = [...new Set([...(s.dependsOn ?? []), ...props.flatMap(([, ns]) => ns)])].map(byName);
    r.propertyDependencies = Object.fromEntries(props.map(([k, ns]) => [k, ns.map(byName)]));
  });
  return out;
}
