// What the archive components take. The components own these types; the program's config
// loader produces values checked against them at compile time.
import type * as pulumi from "@pulumi/pulumi";

interface ArchiveCommonSettings {
  /** Unique in the stack; names the store's identities and the job. */
  name: string;
  /** Cron (5 fields) of the archive job. */
  schedule: string;
  /** Days nothing stored can be deleted or replaced. */
  retentionDays: number;
  /** Lock the retention so not even the owner can shorten it. */
  locked: boolean;
  /** Harbor projects archived; all of them when absent. */
  projects?: string[];
}

export interface AzureArchiveSettings extends ArchiveCommonSettings {
  kind: "azure";
  resourceGroupName: string;
  location: string;
  storageAccountName: string;
  containerName: string;
  sku: "Standard_LRS" | "Standard_ZRS" | "Standard_GRS" | "Standard_GZRS" | "Standard_RAGRS" | "Standard_RAGZRS";
  tiers: { coolAfterDays?: number; coldAfterDays?: number; archiveAfterDays?: number };
}

export interface GcsArchiveSettings extends ArchiveCommonSettings {
  kind: "gcs";
  project: string;
  location: string;
  bucketName: string;
  tiers: { nearlineAfterDays?: number; coldlineAfterDays?: number; archiveAfterDays?: number };
}

export interface OssArchiveSettings extends ArchiveCommonSettings {
  kind: "oss";
  region: string;
  bucketName: string;
  tiers: { iaAfterDays?: number; archiveAfterDays?: number; coldArchiveAfterDays?: number };
}

export interface S3ArchiveSettings extends ArchiveCommonSettings {
  kind: "s3";
  endpoint: string;
  bucket: string;
  region: string;
  provider: "Minio" | "Ceph" | "Other";
  credential: { accessKey: string; accessSecret: pulumi.Output<string> };
  objectLock: boolean;
  prefix?: string;
  objectLockUnsupportedReason?: string;
}

export type ArchiveSettings = AzureArchiveSettings | GcsArchiveSettings | OssArchiveSettings | S3ArchiveSettings;
export type ArchiveKind = ArchiveSettings["kind"];
