import { z } from "zod";
import { ALIBABA_REGION_LIST } from "./cloud-regions/alibaba";
import { AZURE_REGION_LIST } from "./cloud-regions/azure";
import { allowUnlistedRegion, checkRegion } from "./cloud-regions/check";
import { GAR_LOCATION_LIST } from "./cloud-regions/gcp";
import { icrRegionProblem, type IcrRegion } from "./cloud-regions/ibm";
import { checkEcr, ecrFields } from "./ecr";
import { credential, dnsLabel, hostOrIp, httpsUrl, k8sName, k8sSubdomain, nodePortNumber, quantity } from "./primitives";

export { ICR_HOSTS, type IcrRegion } from "./cloud-regions/ibm";


const common = {
  /** Unique in the stack; used in resource names, Harbor endpoint names and outputs. */
  name: dnsLabel.refine((v) => v !== "harbor", "the name \"harbor\" is reserved for the primary registry"),
  /** Bump to rotate this backup's machine credentials. */
  credentialRotation: z.string().min(1).default("1"),
};

const acr = z.strictObject({
  ...common,
  kind: z.literal("acr"),
  resourceGroupName: z.string().min(1),
  location: z.string().regex(/^[a-z0-9]+$/, "expected an Azure region name such as westeurope"),
  registryName: z.string().regex(/^[a-zA-Z0-9]{5,50}$/, "expected 5-50 letters and digits (globally unique)"),
  sku: z.enum(["Basic", "Standard", "Premium"]).default("Standard"),
  /** Extra Azure regions to geo-replicate into (Premium only). */
  geoReplicationLocations: z.array(z.string().regex(/^[a-z0-9]+$/, "expected an Azure region name")).default([]),
  /** Lifetime of the push/pull service-principal passwords. */
  credentialLifetimeDays: z.number().int().min(1).max(730).default(180),
  allowUnlistedRegion,
}).superRefine((v, ctx) => {
  checkRegion(ctx, ["location"], v.location, AZURE_REGION_LIST, v.allowUnlistedRegion);
  v.geoReplicationLocations.forEach((l, i) => checkRegion(ctx, ["geoReplicationLocations", i], l, AZURE_REGION_LIST, v.allowUnlistedRegion));
});

const gar = z.strictObject({
  ...common,
  kind: z.literal("gar"),
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "expected a GCP project id"),
  location: z.string().regex(/^[a-z]+(-[a-z]+\d*)?$/, "expected a region such as europe-west3 or a multi-region such as europe"),
  repositoryId: z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, "expected a repository id (lowercase letters, digits, '-')"),
  description: z.string().optional(),
  allowUnlistedRegion,
}).superRefine((v, ctx) => checkRegion(ctx, ["location"], v.location, GAR_LOCATION_LIST, v.allowUnlistedRegion));

const icr = z.strictObject({
  ...common,
  kind: z.literal("icr"),
  /** A regional registry (infra/config/cloud-regions/ibm.ts); `global` holds no customer namespaces. */
  region: z
    .string()
    .superRefine((v, ctx) => {
      const problem = icrRegionProblem(v);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .transform((v) => v as IcrRegion),
  namespace: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{2,28}[a-z0-9]$/, "expected 4-30 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit"),
  accountId: z.string().regex(/^[a-f0-9]{32}$/, "expected the 32-character IBM Cloud account id"),
  resourceGroupId: z.string().regex(/^[a-f0-9]{32}$/, "expected a 32-character resource group id").optional(),
});

const alibaba = z
  .strictObject({
    ...common,
    kind: z.literal("alibaba"),
    region: z.string().regex(/^[a-z]{2}-[a-z0-9-]+$/, "expected an Alibaba Cloud region such as eu-central-1"),
    namespace: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,28}[a-z0-9]$/, "expected 2-30 lowercase letters, digits, '-' or '_'"),
    /** Enterprise Edition instance id (cri-...). Personal Edition when absent. */
    instanceId: z.string().regex(/^cri-[a-z0-9]+$/, "expected an Enterprise Edition instance id such as cri-abc123").optional(),
    /** Enterprise Edition instance name: its login host is `<instanceName>-registry.<region>.cr.aliyuncs.com`. */
    instanceName: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "expected the Enterprise Edition instance name (lowercase letters, digits, '-')").optional(),
    /** International site endpoints (registry-intl.*) instead of the China site. */
    international: z.boolean().default(true),
    /**
     * Alibaba has no API to mint a long-lived registry password: after the first deploy, set one in
     * the console for the pull RAM user this backup creates and store it here. Until then the
     * backup is deployed and replicated to, but no region mirror serves it (a warning says so).
     */
    pullCredential: credential.optional(),
    allowUnlistedRegion,
  })
  .superRefine((v, ctx) => {
    checkRegion(ctx, ["region"], v.region, ALIBABA_REGION_LIST, v.allowUnlistedRegion);
    if (v.instanceId && !v.instanceName) {
      ctx.addIssue({ code: "custom", path: ["instanceName"], message: "an Enterprise Edition instance (instanceId) also needs its instanceName, which names its login host" });
    }
    if (v.instanceName && !v.instanceId) {
      ctx.addIssue({ code: "custom", path: ["instanceId"], message: "instanceName is only used with an Enterprise Edition instanceId (cri-...)" });
    }
  });

const inCluster = z.strictObject({
  namespace: k8sName.default("registry-backup"),
  storageSize: quantity.default("20Gi"),
  storageClass: k8sSubdomain.optional(),
  /** Node port the registry is published on, so host-network mirrors and Harbor can reach it. */
  nodePort: nodePortNumber.default(30500),
  /** Address nodes and Harbor use to reach that node port. */
  nodeAddress: hostOrIp,
});

/**
 * `oci` is either an existing registry (`url`, `failureDomain`, `push`, optional `pull`) or one
 * deployed in the cluster (`inCluster`, credentials generated). Exactly one of the two.
 */
const oci = z
  .strictObject({
    ...common,
    kind: z.literal("oci"),
    /** Registry base URL; a path becomes the prefix images land under. */
    url: httpsUrl.optional(),
    /** Where this registry fails independently of Harbor, e.g. "nas-dc2". */
    failureDomain: z.string().min(1).optional(),
    push: credential.optional(),
    pull: credential.optional(),
    insecure: z.boolean().default(false),
    inCluster: inCluster.optional(),
  })
  .superRefine((v, ctx) => {
    if (v.url && v.inCluster) {
      ctx.addIssue({ code: "custom", path: ["inCluster"], message: "set either `url` (existing registry) or `inCluster` (deployed here), not both" });
    } else if (!v.url && !v.inCluster) {
      ctx.addIssue({ code: "custom", path: ["url"], message: "expected `url` of an existing registry, or `inCluster: {...}` to deploy one in the cluster" });
    } else if (v.url) {
      if (!v.failureDomain) ctx.addIssue({ code: "custom", path: ["failureDomain"], message: "expected where this registry fails independently of Harbor, e.g. \"nas-dc2\"" });
      if (!v.push) ctx.addIssue({ code: "custom", path: ["push"], message: "expected the push credential Harbor replicates with: { username, password (secret) }" });
    } else if (v.push || v.pull) {
      ctx.addIssue({ code: "custom", path: [v.push ? "push" : "pull"], message: "an inCluster registry generates its own credentials; remove this key" });
    }
  });

/** Amazon ECR (infra/config/ecr.ts). */
const ecr = z.strictObject({ ...common, ...ecrFields }).superRefine(checkEcr);

export const backupSchema = z.discriminatedUnion("kind", [acr, gar, icr, alibaba, oci, ecr]);

export type BackupConfig = z.infer<typeof backupSchema>;
export type AcrBackupConfig = z.infer<typeof acr>;
export type GarBackupConfig = z.infer<typeof gar>;
export type IcrBackupConfig = z.infer<typeof icr>;
export type AlibabaBackupConfig = z.infer<typeof alibaba>;
export type OciBackupConfig = z.infer<typeof oci>;
export type EcrBackupConfig = z.infer<typeof ecr>;
export type BackupKind = BackupConfig["kind"];
