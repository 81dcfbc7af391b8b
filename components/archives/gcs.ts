import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as storage from "@pulumi/gcp/storage";
import * as pulumi from "@pulumi/pulumi";
import type { GcsArchiveSettings } from "./args";
import { decodeKeyFile } from "../backups/gar";
import { gcpAccountId } from "../shared/naming";
import { GCS_JOB_ROLES, retentionSeconds } from "./grants";
import { ARCHIVE_TOKENS, RCLONE_REMOTE, rcloneEnv, tierDays, type ArchiveStore, type ArchiveStoreProps } from "./types";

const GCS_CLASSES = { nearlineAfterDays: "NEARLINE", coldlineAfterDays: "COLDLINE", archiveAfterDays: "ARCHIVE" } as const;

export interface GcsArchiveArgs {
  config: GcsArchiveSettings;
}

/**
 * Google Cloud Storage archive: a bucket with uniform access, public access prevention, a retention
 * policy of `retentionDays` (Bucket Lock when `locked`), lifecycle SetStorageClass rules for `blobs/`
 * (never Delete), and a service account bound on this bucket to objectCreator + objectViewer: it
 * can add and read objects, not replace or delete them.
 *
 * Object Versioning stays off: it cannot be enabled on a bucket with a retention policy (stated by
 * SonarSource rule RSPEC-6412 for google_storage_bucket; Google's page not read here). Under the
 * retention policy no object can be deleted or replaced until it is `retentionDays` old
 * (cloud.google.com/storage/docs/bucket-lock, "Overview"), which is what versioning would protect.
 */
export class GcsArchive extends pulumi.ComponentResource {
  declare readonly store: ArchiveStore;

  constructor(name: string, args: GcsArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: ArchiveStoreProps = {
      archiveName: c.name,
      kind: "gcs",
      retentionDays: c.retentionDays,
      retentionMechanism: "bucket-retention-policy",
      immutability: "provisioned",
      retentionLocked: c.locked,
      versioning: false,
      jobGrants: [...GCS_JOB_ROLES],
      tiers: tierDays(c.tiers),
      failureDomain: `gcp:${c.location.toLowerCase()}`,
    };
    super(ARCHIVE_TOKENS.gcs, name, props, opts);
    const child = { parent: this };

    const apis = ["storage.googleapis.com", "iam.googleapis.com"].map(
      (service) => new projects.Service(`${name}-${service.split(".")[0]}`, { project: c.project, service, disableOnDestroy: false }, child),
    );
    const lifecycleRules = (Object.keys(GCS_CLASSES) as (keyof typeof GCS_CLASSES)[])
      .filter((k) => c.tiers[k] !== undefined)
      .map((k) => ({ action: { type: "SetStorageClass", storageClass: GCS_CLASSES[k] }, condition: { age: c.tiers[k]!, matchesPrefixes: ["blobs/"] } }));
    const bucket = new storage.Bucket(`${name}-bucket`, {
      project: c.project,
      name: c.bucketName,
      location: c.location,
      storageClass: "STANDARD",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      versioning: { enabled: false },
      retentionPolicy: { retentionPeriod: String(retentionSeconds(c.retentionDays)), isLocked: c.locked },
      lifecycleRules,
      forceDestroy: false,
      labels: { "managed-by": "registry-topology", archive: c.name },
    }, { ...child, dependsOn: apis, protect: true });

    const account = new serviceaccount.Account(`${name}-job`, {
      project: c.project,
      accountId: gcpAccountId(c.name, "archive"),
      displayName: `registry-topology archive ${c.name}`,
      description: `add and read objects in gs://${c.bucketName} only`,
    }, { ...child, dependsOn: apis });
    const key = new serviceaccount.Key(`${name}-job`, { serviceAccountId: account.name }, { ...child, additionalSecretOutputs: ["privateKey"] });
    for (const role of GCS_JOB_ROLES) {
      new storage.BucketIAMMember(`${name}-job-${role.split(".").pop()}`, { bucket: bucket.name, role, member: account.member }, child);
    }

    this.store = {
      name: c.name,
      kind: "gcs",
      path: pulumi.output(`${RCLONE_REMOTE}:${c.bucketName}`),
      // bucket_policy_only: uniform access, rclone sets no object ACLs (it could not);
      // no_check_bucket: rclone neither reads nor creates the bucket (the identity may not).
      env: pulumi.secret(key.privateKey.apply((k) =>
        rcloneEnv({ type: "google cloud storage", service_account_credentials: decodeKeyFile(k), bucket_policy_only: "true", no_check_bucket: "true" }))),
      failureDomain: props.failureDomain,
    };
    this.registerOutputs({ bucket: bucket.name, jobServiceAccount: account.email });
  }
}
