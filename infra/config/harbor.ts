import { z } from "zod";
import { chartSourceSchema } from "./chart-source";
import { cidrProblem, hostOrIpProblem, ipProblem, portProblem, urlProblem } from "./net";
import { closestName } from "./cloud-regions/closest";
import { CLOUD_DOMAIN_REGIONS, parseCloudDomain } from "./cloud-regions/domains";
import { annotations, checked, credential, dnsLabel, hostname, hostOrIp, k8sName, k8sSubdomain, labels, nodePortNumber, quantity, secretString } from "./primitives";

/** Harbor's official chart 1.19.1 installs Harbor 2.15.1. */
export const HARBOR_CHART_VERSION = "1.19.1";

/**
 * Chart versions this program's values and Harbor API use are written for: the 1.19 line
 * (Harbor 2.15; per-endpoint CA, DeleteTag for azure-acr and the values keys in
 * components/harbor/chart/values.ts). Published versions come from the chart repository's index
 * (goharbor/harbor-helm, branch chart-repository, index.yaml at 85787b1, 2026-05-27):
 * 1.19.0 and 1.19.1; 1.19.2 exists on the release branch but was not published then.
 * A version outside this list would fail at apply (not published) or render values it lacks.
 */
export const SUPPORTED_CHART_VERSIONS = ["1.19.0", "1.19.1"] as const;

/** Largest per-task speed Harbor stores: `speed` is int32 in the v2.0 API (ReplicationPolicy). */
export const MAX_SPEED_KBPS = 2_147_483_647;

/** How Harbor is reached; `tlsSecretName` names a kubernetes.io/tls Secret in Harbor's namespace. */
const expose = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("ingress"),
    className: k8sSubdomain,
    tlsSecretName: k8sName,
    annotations: annotations.optional(),
  }),
  z.strictObject({
    type: z.literal("loadBalancer"),
    tlsSecretName: k8sName.optional(),
    ip: z.string().superRefine(checked(ipProblem)).optional(),
    sourceRanges: z.array(z.string().superRefine(checked(cidrProblem))).optional(),
    annotations: annotations.optional(),
  }),
  z.strictObject({
    type: z.literal("nodePort"),
    httpNodePort: nodePortNumber.default(30002),
    httpsNodePort: nodePortNumber.default(30003),
    tlsSecretName: k8sName.optional(),
  }),
  z.strictObject({
    type: z.literal("clusterIP"),
    tlsSecretName: k8sName.optional(),
  }),
]);

const storage = z
  .strictObject({
    storageClass: k8sSubdomain.optional(),
    registrySize: quantity.default("100Gi"),
    registryAccessMode: z.enum(["ReadWriteOnce", "ReadWriteMany"]).default("ReadWriteOnce"),
    jobLogSize: quantity.default("1Gi"),
    databaseSize: quantity.default("5Gi"),
    redisSize: quantity.default("1Gi"),
    trivySize: quantity.default("5Gi"),
  })
  .default({
    registrySize: "100Gi",
    registryAccessMode: "ReadWriteOnce",
    jobLogSize: "1Gi",
    databaseSize: "5Gi",
    redisSize: "1Gi",
    trivySize: "5Gi",
  });

/** Harbor project names: lowercase, may contain . _ - between alphanumerics. */
const projectName = z
  .string()
  .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, "expected a Harbor project name (lowercase a-z, 0-9, with . _ - between them)")
  .max(255);

const project = z.strictObject({
  name: projectName,
  public: z.boolean().default(false),
  /** Harbor refuses quotas above 1024 TB (the provider's check cites the source); 1024 TB = 1 048 576 GiB. */
  storageQuotaGiB: z.number().int().positive().max(1_048_576).optional(),
  /** Delete the project's repositories when Pulumi deletes the project (destroy, rename); default false. */
  forceDestroy: z.boolean().optional(),
});

const database = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("internal") }),
  z
    .strictObject({
      type: z.literal("external"),
      host: hostOrIp,
      port: z.number().int().min(1).max(65535).default(5432),
      username: z.string().min(1),
      coreDatabase: z.string().min(1).default("registry"),
      sslmode: z.enum(["disable", "require", "verify-ca", "verify-full"]).default("verify-full"),
      /** Existing Secret in Harbor's namespace with key `password` (preferred: nothing secret in Pulumi config). */
      passwordSecretName: k8sName.optional(),
      /** Or the password itself, as a Pulumi secret. */
      password: secretString.optional(),
    }),
]);

const redis = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("internal") }),
  z.strictObject({
    type: z.literal("external"),
    /** host:port, or a comma-separated Sentinel list with `sentinelMasterSet`. */
    addr: z.string().superRefine(checked(redisAddrProblem)),
    sentinelMasterSet: z.string().min(1).optional(),
    username: z.string().optional(),
    /** Existing Secret in Harbor's namespace with key REDIS_PASSWORD. */
    passwordSecretName: k8sName.optional(),
    password: secretString.optional(),
    tls: z.boolean().default(false),
  }),
]);

/** `host:port`, or a comma-separated Sentinel list of them. */
function redisAddrProblem(v: string): string | undefined {
  for (const part of v.split(",")) {
    const m = /^([^\s:]+):(\d{1,5})$/.exec(part);
    if (!m) return "expected host:port or host1:port,host2:port for Sentinel";
    const h = hostOrIpProblem(m[1]!);
    if (h) return `${part}: ${h}`;
    const p = portProblem(Number(m[2]));
    if (p) return `${part}: ${p}`;
  }
  return undefined;
}

const replicaCount = z.number().int().min(1).max(10).default(1);
const replicas = z
  .strictObject({
    core: replicaCount,
    portal: replicaCount,
    registry: replicaCount,
    jobservice: replicaCount,
    nginx: replicaCount,
    trivy: replicaCount,
    exporter: replicaCount,
  })
  .default({ core: 1, portal: 1, registry: 1, jobservice: 1, nginx: 1, trivy: 1, exporter: 1 });

/** A `<cloud>:<region>` failure domain must name a region of that cloud (cited lists in cloud-regions/). */
function harborFailureDomainProblem(v: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9:._-]{0,62}$/.test(v)) return "expected <cloud>:<region> such as aws:eu-central-1, or a site name such as dc1";
  const d = parseCloudDomain(v);
  if (!d) return undefined;
  const list = CLOUD_DOMAIN_REGIONS[d.provider]!;
  if (list.includes(d.region)) return undefined;
  const near = closestName(d.region, list);
  return `"${d.region}" is not a known ${d.provider} region${near ? ` (did you mean "${d.provider}:${near}"?)` : ""}; see infra/config/cloud-regions/`;
}

export const harborSchema = z.strictObject({
  hostname,
  /** Override the URL clients use (e.g. when a proxy fronts Harbor). Derived from hostname and expose otherwise. */
  externalUrl: z
    .string()
    .superRefine(checked((v: string) => urlProblem(v, { path: false, secretHint: "Harbor's URL never carries a credential" })))
    .optional(),
  chartVersion: z.enum(SUPPORTED_CHART_VERSIONS).default(HARBOR_CHART_VERSION),
  /**
   * Where Harbor's cluster runs, as backups name theirs: `<cloud>:<region>` (aws:eu-central-1,
   * azure:westeurope, gcp:..., alibaba:..., ibm:...) or a site name. A backup in the same cloud
   * region is then in Harbor's failure domain (policy rule backup-outside-harbor-failure-domain).
   * Default "harbor-cluster": only in-cluster backups share it.
   */
  failureDomain: z.string().superRefine(checked(harborFailureDomainProblem)).optional(),
  /** Where the chart comes from (default: the official repository); see chart-source.ts. */
  chart: chartSourceSchema,
  namespace: k8sName.default("harbor"),
  releaseName: dnsLabel.default("harbor"),
  expose,
  storage,
  projects: z.array(project).min(1, "expected at least one Harbor project to replicate"),
  database: database.default({ type: "internal" }),
  redis: redis.default({ type: "internal" }),
  replicas,
  trivy: z.strictObject({ enabled: z.boolean().default(true) }).default({ enabled: true }),
  /**
   * Harbor's own Prometheus metrics (chart `metrics.*`): `enabled` exposes core, registry,
   * jobservice and exporter metrics on port 8001; `serviceMonitor` makes the chart create its
   * ServiceMonitor (needs the Prometheus Operator CRDs), with `additionalLabels` for your
   * Prometheus's selector and an optional scrape `interval` ("30s").
   */
  metrics: z
    .strictObject({
      enabled: z.boolean().default(false),
      serviceMonitor: z
        .strictObject({
          enabled: z.boolean().default(false),
          additionalLabels: labels.default({}),
          interval: z.string().regex(/^([0-9]+(ms|s|m|h))+$/, "expected a Prometheus duration such as 30s or 1m").optional(),
        })
        .default({ enabled: false, additionalLabels: {} }),
    })
    .default({ enabled: false, serviceMonitor: { enabled: false, additionalLabels: {} } })
    .superRefine((m, ctx) => {
      if (m.serviceMonitor.enabled && !m.enabled) {
        ctx.addIssue({ code: "custom", path: ["serviceMonitor", "enabled"], message: "Harbor's ServiceMonitor scrapes its metrics endpoints: set harbor.metrics.enabled: true too" });
      }
    }),
  /** Existing Secret with `ca.crt` trusted by core/jobservice/registry (private CAs on backup targets). */
  caBundleSecretName: k8sName.optional(),
  /**
   * A proxy-cache project of Docker Hub: clients pull `<harbor>/<project>/library/nginx` and Harbor
   * fetches and caches it once, which keeps nodes under Docker Hub's pull limits. Not replicated.
   */
  dockerHubProxyCache: z
    .strictObject({
      project: projectName.default("dockerhub"),
      public: z.boolean().default(false),
      /** A Docker Hub account (raises the anonymous pull limit); anonymous when absent. */
      credential: credential.optional(),
      speedLimitKbps: z.number().int().min(0).max(MAX_SPEED_KBPS).default(0),
      /** Delete the cached images when the project is replaced or destroyed; default false. */
      forceDestroy: z.boolean().optional(),
    })
    .optional(),
});

export type HarborConfig = z.infer<typeof harborSchema>;
