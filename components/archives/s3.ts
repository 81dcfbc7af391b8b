import * as pulumi from "@pulumi/pulumi";
import type { S3ArchiveSettings } from "./args";
import { S3_JOB_GRANTS } from "./grants";
import { ARCHIVE_TOKENS, RCLONE_REMOTE, rcloneEnv, type ArchiveStore, type ArchiveStoreProps } from "./types";

export interface S3ArchiveArgs {
  config: S3ArchiveSettings;
}

/**
 * Any S3-compatible store (NAS, MinIO, Ceph RGW). Nothing is provisioned: on such stores the bucket,
 * its Object Lock (only settable when the bucket is created, per the S3 API) and the job's key are
 * made by the store's administrator. This component records what the config promises, so the policy
 * pack can check it, and hands the key to the archive job as a secret.
 */
export class S3Archive extends pulumi.ComponentResource {
  declare readonly store: ArchiveStore;

  constructor(name: string, args: S3ArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const host = new URL(c.endpoint).host;
    const props: ArchiveStoreProps & { endpoint: string; bucket: string } = {
      archiveName: c.name,
      kind: "s3",
      retentionDays: c.retentionDays,
      retentionMechanism: c.objectLock ? "object-lock" : "none",
      // Nothing here can set or see an S3-compatible store's Object Lock or the key's rights (no
      // provider for it; the lock exists only if the bucket was created with it): with objectLock
      // true the lock is the store administrator's declaration, with false the store is mutable.
      immutability: c.objectLock ? "declared" : "none",
      retentionLocked: c.objectLock,
      versioning: c.objectLock, // S3 Object Lock requires versioning
      jobGrants: [...S3_JOB_GRANTS],
      tiers: {},
      failureDomain: `s3:${host}`,
      endpoint: c.endpoint,
      bucket: c.bucket,
    };
    super(ARCHIVE_TOKENS.s3, name, props, opts);
    this.store = {
      name: c.name,
      kind: "s3",
      path: pulumi.output(`${RCLONE_REMOTE}:${c.bucket}${c.prefix ? `/${c.prefix}` : ""}`),
      env: pulumi.secret(pulumi.output(c.credential.accessSecret).apply((secret) =>
        rcloneEnv({
          type: "s3",
          provider: c.provider,
          endpoint: c.endpoint,
          region: c.region,
          access_key_id: c.credential.accessKey,
          secret_access_key: secret,
          // The bucket exists; the job's key need not be allowed to create or inspect buckets.
          no_check_bucket: "true",
        }))),
      failureDomain: props.failureDomain,
    };
    this.registerOutputs({ endpoint: c.endpoint, bucket: c.bucket });
  }
}
