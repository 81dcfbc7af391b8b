import { z } from "zod";
import { ALIBABA_OSS_REGION_LIST } from "./cloud-regions/alibaba";
import { AZURE_REGION_LIST } from "./cloud-regions/azure";
import { allowUnlistedRegion, checkRegion } from "./cloud-regions/check";
import { GCS_LOCATION_LIST } from "./cloud-regions/gcp";
import { dnsLabel, httpsUrl, secretString } from "./primitives";

/**
 * `registry-topology:archives`: point-in-time, write-once archives of Harbor's projects in object
 * storage (components/archives). One entry per store.
 */

/** Kubernetes CronJob schedule: five fields (minute hour day-of-month month day-of-week) or a macro. */
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const CRON_RANGES: [number, number][] = [[0, 59], [0, 23], [1, 31], [1, 12], [0, 7]];

/** Why `expr` is not a Kubernetes CronJob schedule, or undefined when it is one. Pure. */
export function cronJobScheduleProblem(expr: string): string | undefined {
  if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(expr)) return undefined;
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) return `expected 5 fields (minute hour day-of-month month day-of-week), found ${fields.length}`;
  for (const [i, f] of fields.entries()) {
    if (!CRON_FIELD.test(f)) return `field ${i + 1} "${f}" is not a number, range, list, step or *`;
    const [lo, hi] = CRON_RANGES[i]!;
    for (const n of f.match(/\d+/g) ?? []) {
      if (f.includes(`/${n}`)) continue;
      if (Number(n) < lo || Number(n) > hi) return `field ${i + 1}: ${n} is outside ${lo}-${hi}`;
    }
  }
  return undefined;
}

const schedule = z.string().superRefine((v, ctx) => {
  const problem = cronJobScheduleProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}; e.g. "17 2 * * *" (daily at 02:17 UTC)` });
});

const days = z.number().int().min(1).max(36500);

const common = {
  name: dnsLabel,
  /** When the archive job runs (Kubernetes CronJob syntax, UTC). */
  schedule: schedule.default("17 2 * * *"),
  /** Days during which no stored object can be deleted or overwritten (measured from its upload). */
  retentionDays: days,
  /**
   * Lock the retention policy so nobody (not even an owner) can shorten or remove it. Irreversible
   * on every cloud; leave false until the retention period is the one you want for good.
   */
  locked: z.boolean().default(false),
  /** Harbor projects to archive; default: every project in harbor.projects. */
  projects: z.array(z.string().min(1)).min(1).optional(),
};

/** Colder tiers after N days must come in increasing order. */
function increasing(keys: readonly string[]) {
  return (t: Record<string, number | undefined>, ctx: z.RefinementCtx): void => {
    let last: { key: string; value: number } | undefined;
    for (const k of keys) {
      const v = t[k];
      if (v === undefined) continue;
      if (last && v <= last.value) ctx.addIssue({ code: "custom", path: [k], message: `must be more days than ${last.key} (${last.value}): tiers only get colder` });
      last = { key: k, value: v };
    }
  };
}

export const AZURE_TIERS = ["coolAfterDays", "coldAfterDays", "archiveAfterDays"] as const;
export const GCS_TIERS = ["nearlineAfterDays", "coldlineAfterDays", "archiveAfterDays"] as const;
export const OSS_TIERS = ["iaAfterDays", "archiveAfterDays", "coldArchiveAfterDays"] as const;

const azureTiers = z.strictObject({ coolAfterDays: days.optional(), coldAfterDays: days.optional(), archiveAfterDays: days.optional() }).superRefine(increasing(AZURE_TIERS)).prefault({});
const gcsTiers = z.strictObject({ nearlineAfterDays: days.optional(), coldlineAfterDays: days.optional(), archiveAfterDays: days.optional() }).superRefine(increasing(GCS_TIERS)).prefault({});
const ossTiers = z.strictObject({ iaAfterDays: days.optional(), archiveAfterDays: days.optional(), coldArchiveAfterDays: days.optional() }).superRefine(increasing(OSS_TIERS)).prefault({});

const azure = z.strictObject({
  ...common,
  kind: z.literal("azure"),
  resourceGroupName: z.string().min(1),
  location: z.string().min(1),
  storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, "expected 3-24 lowercase letters and digits (globally unique)"),
  containerName: z.string().regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, "expected 3-63 lowercase letters, digits and single '-'").default("registry-archive"),
  /** Redundancy of the storage account. */
  sku: z.enum(["Standard_LRS", "Standard_ZRS", "Standard_GRS", "Standard_GZRS", "Standard_RAGRS", "Standard_RAGZRS"]).default("Standard_GRS"),
  tiers: azureTiers,
  allowUnlistedRegion,
}).superRefine((v, ctx) => checkRegion(ctx, ["location"], v.location, AZURE_REGION_LIST, v.allowUnlistedRegion));

const gcs = z.strictObject({
  ...common,
  kind: z.literal("gcs"),
  project: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "expected a GCP project id"),
  location: z.string().min(1),
  bucketName: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/, "expected 3-63 lowercase letters, digits, '-', '_' or '.' (globally unique)"),
  tiers: gcsTiers,
  allowUnlistedRegion,
}).superRefine((v, ctx) => checkRegion(ctx, ["location"], v.location, GCS_LOCATION_LIST, v.allowUnlistedRegion));

const oss = z.strictObject({
  ...common,
  kind: z.literal("oss"),
  region: z.string().min(1),
  bucketName: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "expected 3-63 lowercase letters, digits and '-' (globally unique)"),
  tiers: ossTiers,
  allowUnlistedRegion,
}).superRefine((v, ctx) => checkRegion(ctx, ["region"], v.region, ALIBABA_OSS_REGION_LIST, v.allowUnlistedRegion));

/**
 * Any S3-compatible store (a NAS, MinIO, Ceph RGW). Nothing is provisioned: the bucket, its object
 * lock and the job's key exist already; this program only uses them.
 */
const s3 = z
  .strictObject({
    ...common,
    kind: z.literal("s3"),
    endpoint: httpsUrl,
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "expected an S3 bucket name (3-63 lowercase letters, digits, '.' or '-')"),
    prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*[A-Za-z0-9._-]+$/, "expected a key prefix such as harbor/prod (no leading or trailing '/')").optional(),
    region: z.string().min(1).default("us-east-1"),
    /** rclone's S3 provider name (quirks per implementation). */
    provider: z.enum(["Minio", "Ceph", "Other"]).default("Other"),
    /** The job's key: may add objects, must not delete them (and the bucket lock stops overwrites). */
    credential: z.strictObject({ accessKey: z.string().min(1), accessSecret: secretString }),
    /**
     * true: the bucket has S3 Object Lock on, with a default retention of at least retentionDays
     * (set when the bucket was created; checked by `npm run verify` where the store reports it).
     * false only for a store without Object Lock: then `objectLockUnsupportedReason` says why.
     */
    objectLock: z.boolean().default(true),
    objectLockUnsupportedReason: z.string().min(10).optional(),
  })
  .superRefine((v, ctx) => {
    if (!v.objectLock && !v.objectLockUnsupportedReason) {
      ctx.addIssue({ code: "custom", path: ["objectLockUnsupportedReason"], message: "objectLock is false: say why the store cannot lock objects (policy archives-are-immutable still blocks it unless relaxed)" });
    }
    if (v.objectLock && v.objectLockUnsupportedReason) {
      ctx.addIssue({ code: "custom", path: ["objectLockUnsupportedReason"], message: "only used with objectLock: false; remove it" });
    }
    if (v.locked) {
      ctx.addIssue({ code: "custom", path: ["locked"], message: "an S3-compatible bucket's lock mode (COMPLIANCE) is set on the store itself; remove this key" });
    }
  });

export const archiveSchema = z.discriminatedUnion("kind", [azure, gcs, oss, s3]);

export type ArchiveConfig = z.infer<typeof archiveSchema>;
export type AzureArchiveConfig = z.infer<typeof azure>;
export type GcsArchiveConfig = z.infer<typeof gcs>;
export type OssArchiveConfig = z.infer<typeof oss>;
export type S3ArchiveConfig = z.infer<typeof s3>;
export type ArchiveKind = ArchiveConfig["kind"];

/** Cross-key checks (unique names, projects known to Harbor); called from the topology schema. */
export function checkArchives(
  cfg: { archives: readonly ArchiveConfig[]; harbor: { projects: readonly { name: string }[] } },
  ctx: z.RefinementCtx,
): void {
  const names = new Map<string, number>();
  const known = new Set(cfg.harbor.projects.map((p) => p.name));
  cfg.archives.forEach((a, i) => {
    const first = names.get(a.name);
    if (first !== undefined) ctx.addIssue({ code: "custom", path: ["archives", i, "name"], message: `duplicate archive name "${a.name}" (also archives[${first}].name)` });
    else names.set(a.name, i);
    a.projects?.forEach((p, j) => {
      if (!known.has(p)) ctx.addIssue({ code: "custom", path: ["archives", i, "projects", j], message: `"${p}" is not in harbor.projects (${[...known].join(", ")})` });
    });
  });
}
