/**
 * What the archive job's identity may do, per store kind: add objects and read/list them, never
 * delete or replace one. Pure; the components grant exactly these, the policy pack
 * (archives-are-immutable) checks the registered grants with `grantsThatDelete`.
 */
import type { ArchiveKind } from "./args";

/**
 * Azure custom role data actions. Per Microsoft's "Authorize access to blob data" permission table
 * (not reachable from here; from memory, unverified): creating a new block blob (Put Blob, Put Block
 * List) needs `blobs/add/action` OR `blobs/write`, while overwriting an existing blob needs
 * `blobs/write`. So `add/action` without `write`/`delete` can add but not replace or delete. The
 * container's immutability policy forbids both anyway, whatever the role.
 */
export const AZURE_JOB_DATA_ACTIONS = [
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read",
  "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action",
] as const;

/**
 * GCS predefined roles bound on the bucket. objectCreator = storage.objects.create (+ multipart);
 * replacing an existing object needs both storage.objects.create and storage.objects.delete
 * (Google's "IAM permissions for Cloud Storage" note, read here only as quoted by a secondary page),
 * and none of these roles holds delete. Independently, the bucket's retention policy lets an object
 * be deleted or replaced only once it is older than the retention period
 * (cloud.google.com/storage/docs/bucket-lock, "Overview"). objectViewer lists and reads (the job
 * skips blobs already stored). No bucket-level role: rclone runs with no_check_bucket, so it never
 * asks for the bucket itself (`rclone help backend "google cloud storage"`, --gcs-no-check-bucket).
 */
export const GCS_JOB_ROLES = ["roles/storage.objectCreator", "roles/storage.objectViewer"] as const;

/**
 * Alibaba OSS RAM actions. oss:PutObject also covers multipart uploads (unverified). OSS lets
 * PutObject replace an object; with versioning on the replaced bytes stay as a noncurrent version,
 * and the object-level WORM rule (COMPLIANCE) refuses deleting any version before its retention ends.
 */
export const OSS_JOB_ACTIONS = ["oss:PutObject", "oss:GetObject", "oss:ListObjects", "oss:GetBucketInfo"] as const;

/** S3-compatible: the key comes from config; what it may do is decided on the store, not here. */
export const S3_JOB_GRANTS = ["credential from config (rights set on the store)"] as const;

const DELETING: Record<ArchiveKind, RegExp> = {
  // delete, write (overwrite), wildcards, version deletion, policy changes.
  azure: /\*|\/delete$|\/write$|deleteBlobVersion|permanentDelete|immutableStorage|\/move\/action$/i,
  gcs: /admin|objectUser|legacyBucketWriter|legacyBucketOwner|legacyObjectOwner|roles\/(owner|editor)$|storage\.objects\.(delete|\*)|\*/i,
  oss: /\*|Delete|PutBucket|AbortBucketWorm|PutObjectRetention|PutBucketVersioning/i,
  s3: /s3:(\*|Delete|PutBucket|BypassGovernance|PutObjectRetention)/i,
};

/** Grants in `grants` that allow deleting or replacing archived objects (or undoing the lock). */
export function grantsThatDelete(kind: ArchiveKind, grants: readonly string[]): string[] {
  const re = DELETING[kind];
  return grants.filter((g) => re.test(g));
}

/** The RAM policy document of the OSS job user: object actions on one bucket only. */
export function ossJobPolicyDocument(bucket: string): { Version: "1"; Statement: { Effect: "Allow"; Action: string[]; Resource: string[] }[] } {
  return {
    Version: "1",
    Statement: [{ Effect: "Allow", Action: [...OSS_JOB_ACTIONS], Resource: [`acs:oss:*:*:${bucket}`, `acs:oss:*:*:${bucket}/*`] }],
  };
}

/** Retention in seconds (GCS retentionPolicy.retentionPeriod is a number of seconds). */
export function retentionSeconds(days: number): number {
  return days * 24 * 60 * 60;
}
