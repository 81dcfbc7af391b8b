// The archive resources under the mock runtime: a stack with one archive of every store kind
// (test/fixtures/stacks/Pulumi.archives.yaml), asserting retention, lifecycle, identities and the
// CronJob on the inputs the program registers. Plus prod, which declares one archive.
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { AZURE_JOB_DATA_ACTIONS, GCS_JOB_ROLES, grantsThatDelete, OSS_JOB_ACTIONS } from "../components/archives/grants";
import { ARCHIVE_ROBOT_ACCESS } from "../components/archives/job";
import { ARCHIVE_SCRIPT_PATH } from "../components/archives/script";
import { ARCHIVE_TOKENS } from "../components/archives/types";
import { RCLONE_IMAGE, SKOPEO_IMAGE } from "../components/shared/images";
import { byType, one, renderStack, type RecordedResource, type RenderResult } from "./helpers/render";
import { isSecret, unwrapSecret } from "./helpers/secrets";

const FIXTURE = path.join(__dirname, "fixtures", "stacks", "Pulumi.archives.yaml");
let r: RenderResult;
let prod: RenderResult;

beforeAll(async () => {
  r = await renderStack(FIXTURE);
  prod = await renderStack("prod");
});

const inputs = (x: RecordedResource) => x.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const named = (type: string, prefix: string) => byType(r, type).filter((x) => x.name.startsWith(prefix));

describe("archive store components", () => {
  it("register one component per archive with what the policy pack checks", () => {
    const props = [ARCHIVE_TOKENS.azure, ARCHIVE_TOKENS.gcs, ARCHIVE_TOKENS.oss, ARCHIVE_TOKENS.s3].map((t) => inputs(one(r, t)));
    expect(props.map((p) => [p.archiveName, p.kind, p.retentionDays, p.retentionMechanism])).toEqual([
      ["blob-weu", "azure", 90, "container-immutability-policy"],
      ["gcs-eu", "gcs", 365, "bucket-retention-policy"],
      ["oss-fra", "oss", 30, "object-worm"],
      ["nas", "s3", 60, "object-lock"],
    ]);
    for (const p of props) expect(grantsThatDelete(p.kind, p.jobGrants)).toEqual([]);
  });

  it("Azure: versioning, version-level WORM with the retention as default policy, lifecycle only to colder tiers", () => {
    const account = inputs(one(r, "azure-native:storage:StorageAccount", "archive-blob-weu-account"));
    expect(account).toMatchObject({ accountName: "regtopotestarchive", kind: "StorageV2", allowBlobPublicAccess: false, allowSharedKeyAccess: false, minimumTlsVersion: "TLS1_2" });
    expect(inputs(one(r, "azure-native:storage:BlobServiceProperties")).isVersioningEnabled).toBe(true);
    const container = one(r, "azure-native:storage:BlobContainer");
    expect(inputs(container)).toMatchObject({ containerName: "registry-archive", publicAccess: "None", immutableStorageWithVersioning: { enabled: true } });
    expect(inputs(one(r, "azure-native:storage:BlobContainerImmutabilityPolicy"))).toMatchObject({ immutabilityPeriodSinceCreationInDays: 90, allowProtectedAppendWrites: false });
    const rule = inputs(one(r, "azure-native:storage:ManagementPolicy")).policy.rules[0];
    expect(rule.definition.filters.prefixMatch).toEqual(["registry-archive/blobs/"]);
    expect(rule.definition.actions).toEqual({ baseBlob: { tierToCool: { daysAfterModificationGreaterThan: 30 }, tierToArchive: { daysAfterModificationGreaterThan: 180 } } });
  });

  it("Azure: the job's custom role adds and reads blobs only, assigned on the container", () => {
    const role = inputs(one(r, "azure-native:authorization:RoleDefinition"));
    expect(role.permissions).toEqual([{ actions: [], dataActions: [...AZURE_JOB_DATA_ACTIONS], notActions: [], notDataActions: [] }]);
    expect(role.permissions[0].dataActions.some((a: string) => /delete|\/write$/.test(a))).toBe(false);
    const assignment = named("azure-native:authorization:RoleAssignment", "archive-blob-weu").map(inputs);
    expect(assignment).toHaveLength(1);
    expect(assignment[0]!.principalType).toBe("ServicePrincipal");
    expect(String(assignment[0]!.scope)).toContain("container");
  });

  it("GCS: retention policy (locked), no versioning, SetStorageClass on blobs/ only, add/read roles on the bucket", () => {
    const bucket = inputs(one(r, "gcp:storage/bucket:Bucket"));
    expect(bucket).toMatchObject({ name: "regtopo-test-archive", uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", versioning: { enabled: false } });
    expect(bucket.retentionPolicy).toEqual({ retentionPeriod: String(365 * 86400), isLocked: true });
    expect(bucket.lifecycleRules.map((l: any) => [l.action.type, l.action.storageClass, l.condition.age, l.condition.matchesPrefixes])).toEqual([ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["SetStorageClass", "NEARLINE", 30, ["blobs/"]],
      ["SetStorageClass", "COLDLINE", 90, ["blobs/"]],
      ["SetStorageClass", "ARCHIVE", 365, ["blobs/"]],
    ]);
    const roles = byType(r, "gcp:storage/bucketIAMMember:BucketIAMMember").map((m) => inputs(m).role).sort();
    expect(roles).toEqual([...GCS_JOB_ROLES].sort());
  });

  it("OSS: versioning, object WORM (COMPLIANCE unless unlocked: GOVERNANCE), overwrite forbidden, transitions without expiration, RAM policy on the bucket", () => {
    const bucket = inputs(one(r, "alicloud:oss/bucket:Bucket"));
    expect(bucket.versioning).toEqual({ status: "Enabled" });
    expect(bucket.lifecycleRules).toHaveLength(1);
    expect(bucket.lifecycleRules[0].prefix).toBe("blobs/");
    expect(bucket.lifecycleRules[0].transitions).toEqual([{ days: 30, storageClass: "IA" }, { days: 60, storageClass: "Archive" }]);
    expect(bucket.lifecycleRules[0].expirations).toBeUndefined();
    expect(inputs(one(r, "alicloud:oss/bucketObjectWormConfiguration:BucketObjectWormConfiguration")).rule).toEqual({ defaultRetention: { mode: "GOVERNANCE", days: 30 } });
    expect(inputs(one(r, "alicloud:oss/bucketOverwriteConfig:BucketOverwriteConfig")).rules).toEqual([{ id: "archive-write-once", action: "forbid", prefix: "" }]);
    const doc = JSON.parse(String(inputs(one(r, "alicloud:ram/policy:Policy")).policyDocument));
    expect(doc.Statement).toEqual([{ Effect: "Allow", Action: [...OSS_JOB_ACTIONS], Resource: ["acs:oss:*:*:regtopo-test-archive", "acs:oss:*:*:regtopo-test-archive/*"] }]);
  });

  it("S3-compatible: nothing provisioned, the key stays a secret", () => {
    const s3 = one(r, ARCHIVE_TOKENS.s3);
    expect(r.resources.filter((x) => x.parent === s3.urn)).toEqual([]);
    const creds = r.outputs.archiveCredentials!;
    expect(creds.secret).toBe(true);
    const nas = (creds.value as Record<string, Record<string, string>>).nas!;
    expect(nas).toMatchObject({ RCLONE_CONFIG_STORE_TYPE: "s3", RCLONE_CONFIG_STORE_PROVIDER: "Minio", RCLONE_CONFIG_STORE_ENDPOINT: "https://nas.dc2.example.com:9000", RCLONE_CONFIG_STORE_NO_CHECK_BUCKET: "true" });
  });
});

describe("archive job", () => {
  it("one CronJob per archive in Harbor's namespace, pinned images, the script file verbatim, credentials from a secret", () => {
    const jobs = byType(r, "kubernetes:batch/v1:CronJob").map(inputs).sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    expect(jobs.map((j) => [j.metadata.name, j.metadata.namespace, j.spec.schedule, j.spec.concurrencyPolicy])).toEqual([
      ["registry-archive-blob-weu", "harbor", "17 2 * * *", "Forbid"],
      ["registry-archive-gcs-eu", "harbor", "0 */6 * * *", "Forbid"],
      ["registry-archive-nas", "harbor", "17 2 * * *", "Forbid"],
      ["registry-archive-oss-fra", "harbor", "17 2 * * *", "Forbid"],
    ]);
    const pod = jobs[1]!.spec.jobTemplate.spec.template.spec;
    expect([...pod.initContainers, ...pod.containers].map((c: any) => [c.name, c.image, c.command.join(" ")])).toEqual([ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["state", RCLONE_IMAGE, "/bin/sh /scripts/archive.sh state"],
      ["collect", SKOPEO_IMAGE, "/bin/sh /scripts/archive.sh collect"],
      ["upload", RCLONE_IMAGE, "/bin/sh /scripts/archive.sh upload"],
    ]);
    const env = Object.fromEntries(pod.containers[0].env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ STORE: "store:regtopo-test-archive", PROJECTS: "apps", HARBOR_URL: "https://harbor.test.example.com", TLS_VERIFY: "true" });
    // Each container sees only the identity it uses.
    expect([...pod.initContainers, ...pod.containers].map((c: any) => [c.name, c.envFrom])).toEqual([ // eslint-disable-line @typescript-eslint/no-explicit-any
      ["state", [{ secretRef: { name: "registry-archive-gcs-eu-store" } }]],
      ["collect", [{ secretRef: { name: "registry-archive-gcs-eu-harbor" } }]],
      ["upload", [{ secretRef: { name: "registry-archive-gcs-eu-store" } }]],
    ]);
    const script = one(r, "kubernetes:core/v1:ConfigMap", "archive-gcs-eu-job-script");
    expect(inputs(script).data["archive.sh"]).toBe(fs.readFileSync(ARCHIVE_SCRIPT_PATH, "utf8"));
    const storeSecret = one(r, "kubernetes:core/v1:Secret", "archive-gcs-eu-job-store-credentials");
    const harborSecret = one(r, "kubernetes:core/v1:Secret", "archive-gcs-eu-job-harbor-credentials");
    for (const x of [storeSecret, harborSecret]) expect(isSecret(inputs(x).stringData)).toBe(true);
    expect(Object.keys(unwrapSecret(inputs(storeSecret).stringData) as object)).toContain("RCLONE_CONFIG_STORE_SERVICE_ACCOUNT_CREDENTIALS");
    expect(Object.keys(unwrapSecret(inputs(storeSecret).stringData) as object)).not.toContain("HARBOR_PASSWORD");
    expect(Object.keys(unwrapSecret(inputs(harborSecret).stringData) as object).sort()).toEqual(["HARBOR_PASSWORD", "HARBOR_USERNAME"]);
  });

  it("each job reads Harbor through a robot of its own: pull and list on its projects only", () => {
    const robots = byType(r, "pulumi-nodejs:dynamic/harbor:RobotAccount").filter((x) => x.name.startsWith("archive-")).map(inputs);
    expect(robots.map((x) => [x.name, x.projects, x.access]).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ["archive-blob-weu", ["library", "apps"], ARCHIVE_ROBOT_ACCESS],
      ["archive-gcs-eu", ["apps"], ARCHIVE_ROBOT_ACCESS],
      ["archive-nas", ["library", "apps"], ARCHIVE_ROBOT_ACCESS],
      ["archive-oss-fra", ["library", "apps"], ARCHIVE_ROBOT_ACCESS],
    ]);
  });

  it("stack outputs describe each archive for npm run restore, without credentials", () => {
    const archives = r.outputs.archives!;
    expect(archives.secret).toBe(false);
    expect((archives.value as { name: string; path: string }[]).map((a) => [a.name, a.path])).toEqual([
      ["blob-weu", "store:registry-archive"],
      ["gcs-eu", "store:regtopo-test-archive"],
      ["oss-fra", "store:regtopo-test-archive"],
      ["nas", "store:harbor-archive/prod"],
    ]);
  });

  it("prod declares an archive: its store and its CronJob are rendered", () => {
    expect(byType(prod, ARCHIVE_TOKENS.azure)).toHaveLength(1);
    expect(byType(prod, "kubernetes:batch/v1:CronJob").map((c) => inputs(c).metadata.name)).toContain("registry-archive-blob-weu");
  });
});
