import * as oss from "@pulumi/alicloud/oss";
import { Provider } from "@pulumi/alicloud/provider";
import * as ram from "@pulumi/alicloud/ram";
import * as pulumi from "@pulumi/pulumi";
import type { OssArchiveSettings } from "./args";
import { identityName } from "../shared/naming";
import { OSS_JOB_ACTIONS, ossJobPolicyDocument } from "./grants";
import { ARCHIVE_TOKENS, RCLONE_REMOTE, rcloneEnv, tierDays, type ArchiveStore, type ArchiveStoreProps } from "./types";

/** OSS storage classes of the lifecycle transitions (OSS "Storage classes"; names as the provider takes them). */
const OSS_CLASSES = { iaAfterDays: "IA", archiveAfterDays: "Archive", coldArchiveAfterDays: "ColdArchive" } as const;

export interface OssArchiveArgs {
  config: OssArchiveSettings;
}

/**
 * Alibaba Cloud OSS archive: a private bucket with versioning, an object-level WORM default retention
 * (COMPLIANCE when `locked`, GOVERNANCE otherwise), a forbid-overwrite rule for everyone, lifecycle
 * transitions of `blobs/` to IA/Archive/ColdArchive (never expiration), and a RAM user whose policy
 * allows PutObject/GetObject/ListObjects on this bucket only.
 *
 * From the alicloud 3.108 typings: BucketObjectWormConfiguration (PutBucketObjectWormConfiguration,
 * shown there on a versioned bucket), BucketOverwriteConfig (action "forbid"; principals empty means
 * nobody may overwrite). That OSS accepts GOVERNANCE mode in the object-level rule is unverified here.
 */
export class OssArchive extends pulumi.ComponentResource {
  declare readonly store: ArchiveStore;

  constructor(name: string, args: OssArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: ArchiveStoreProps = {
      archiveName: c.name,
      kind: "oss",
      retentionDays: c.retentionDays,
      retentionMechanism: "object-worm",
      immutability: "provisioned",
      retentionLocked: c.locked,
      versioning: true,
      jobGrants: [...OSS_JOB_ACTIONS],
      tiers: tierDays(c.tiers),
      failureDomain: `alibaba:${c.region}`,
    };
    super(ARCHIVE_TOKENS.oss, name, props, opts);
    const provider = new Provider(`${name}-provider`, { region: c.region }, { parent: this });
    const child = { parent: this, provider };

    const transitions = (Object.keys(OSS_CLASSES) as (keyof typeof OSS_CLASSES)[])
      .filter((k) => c.tiers[k] !== undefined)
      .map((k) => ({ days: c.tiers[k]!, storageClass: OSS_CLASSES[k] }));
    const bucket = new oss.Bucket(`${name}-bucket`, {
      bucket: c.bucketName,
      storageClass: "Standard",
      versioning: { status: "Enabled" },
      forceDestroy: false,
      lifecycleRules: transitions.length > 0
        ? [{ id: "blobs-to-colder-tiers", enabled: true, prefix: "blobs/", transitions, noncurrentVersionTransitions: transitions }]
        : undefined,
      tags: { "managed-by": "registry-topology", archive: c.name },
    }, { ...child, protect: true });
    new oss.BucketObjectWormConfiguration(`${name}-worm`, {
      bucketName: bucket.id,
      objectWormEnabled: "Enabled",
      rule: { defaultRetention: { mode: c.locked ? "COMPLIANCE" : "GOVERNANCE", days: c.retentionDays } },
    }, child);
    new oss.BucketOverwriteConfig(`${name}-no-overwrite`, {
      bucket: bucket.id,
      rules: [{ id: "archive-write-once", action: "forbid", prefix: "" }],
    }, child);

    const userName = identityName(pulumi.getStack(), c.name, "archive");
    const user = new ram.User(`${name}-job`, { name: userName, displayName: `registry-topology archive ${c.name}`, comments: `OSS ${c.bucketName}: add and read objects only`, force: true }, child);
    const policy = new ram.Policy(`${name}-job`, {
      policyName: userName,
      description: `registry-topology: add/read objects in OSS bucket ${c.bucketName} only`,
      policyDocument: JSON.stringify(ossJobPolicyDocument(c.bucketName)),
      force: true,
    }, { ...child, dependsOn: [bucket] });
    new ram.UserPolicyAttachment(`${name}-job`, { userName: user.name, policyName: policy.policyName, policyType: "Custom" }, child);
    const key = new ram.AccessKey(`${name}-job`, { userName: user.name }, { ...child, additionalSecretOutputs: ["secret"] });

    this.store = {
      name: c.name,
      kind: "oss",
      path: pulumi.output(`${RCLONE_REMOTE}:${c.bucketName}`),
      // rclone's s3 backend with provider Alibaba; no bucket creation or check (the user may not).
      env: pulumi.secret(pulumi.all([key.id, key.secret]).apply(([id, secret]) =>
        rcloneEnv({ type: "s3", provider: "Alibaba", endpoint: `oss-${c.region}.aliyuncs.com`, access_key_id: id, secret_access_key: secret ?? "", no_check_bucket: "true" }))),
      failureDomain: props.failureDomain,
    };
    this.registerOutputs({ bucket: bucket.id, jobUser: user.name });
  }
}
