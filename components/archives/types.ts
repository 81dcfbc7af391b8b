import type * as pulumi from "@pulumi/pulumi";
import type { ArchiveKind } from "./args";

/** Type tokens of the archive components (the policy pack matches on these). */
export const ARCHIVE_TOKENS = {
  azure: "registry-topology:archives:AzureArchive",
  gcs: "registry-topology:archives:GcsArchive",
  oss: "registry-topology:archives:OssArchive",
  s3: "registry-topology:archives:S3Archive",
  job: "registry-topology:archives:ArchiveJob",
} as const;

export const ARCHIVE_STORE_TYPES: readonly string[] = [ARCHIVE_TOKENS.azure, ARCHIVE_TOKENS.gcs, ARCHIVE_TOKENS.oss, ARCHIVE_TOKENS.s3];

/** Name of the rclone remote the job and `npm run restore` configure through RCLONE_CONFIG_STORE_*. */
export const RCLONE_REMOTE = "store";

/** How nothing can be deleted or replaced during the retention period. */
export type RetentionMechanism =
  | "container-immutability-policy" // Azure: version-level WORM with a container default policy
  | "bucket-retention-policy" // GCS: bucket retention policy (Bucket Lock when locked)
  | "object-worm" // OSS: object-level WORM default retention
  | "object-lock" // S3: Object Lock default retention, configured on the store
  | "none";

/** Inputs every archive store component registers: what the policy pack checks; nothing secret. */
export interface ArchiveStoreProps {
  archiveName: string;
  kind: ArchiveKind;
  retentionDays: number;
  retentionMechanism: RetentionMechanism;
  /**
   * Who makes the archive add-only. provisioned: this program creates the lock and the job's
   * grants as resources the policy pack checks (Azure, GCS, OSS). declared: the store's
   * administrator set it (S3-compatible with objectLock: true); nothing here can see it. none: the
   * store is NOT immutable (S3-compatible with objectLock: false): whoever holds the job's key can
   * delete or replace archived objects (docs/archive-trust.md).
   */
  immutability: "provisioned" | "declared" | "none";
  /** The retention policy itself can no longer be shortened or removed. */
  retentionLocked: boolean;
  versioning: boolean;
  /** Roles/actions the archive job's identity holds on the store. */
  jobGrants: string[];
  /** Colder tiers: tier -> days after upload. */
  tiers: Record<string, number>;
  failureDomain: string;
}

/** One provisioned (or configured) store, as the archive job and stack outputs see it. */
export interface ArchiveStore {
  name: string;
  kind: ArchiveKind;
  /** rclone path of the archive root, e.g. store:registry-archive. */
  path: pulumi.Output<string>;
  /** Secret: RCLONE_CONFIG_STORE_* variables with the job's write-only identity. */
  env: pulumi.Output<Record<string, string>>;
  failureDomain: string;
}

/** RCLONE_CONFIG_STORE_<KEY> for each option (rclone: "Config file / environment variables"). */
export function rcloneEnv(options: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [`RCLONE_CONFIG_${RCLONE_REMOTE.toUpperCase()}_${k.toUpperCase()}`, v]));
}

/** Tier map without the unset entries, keys without the "AfterDays" suffix. */
export function tierDays(tiers: Record<string, number | undefined>): Record<string, number> {
  return Object.fromEntries(Object.entries(tiers).filter((e): e is [string, number] => e[1] !== undefined).map(([k, v]) => [k.replace(/AfterDays$/, ""), v]));
}
