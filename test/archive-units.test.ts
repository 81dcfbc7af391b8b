import { describe, expect, it } from "vitest";
import { AZURE_JOB_DATA_ACTIONS, GCS_JOB_ROLES, grantsThatDelete, OSS_JOB_ACTIONS, ossJobPolicyDocument } from "../components/archives/grants";
import { archivePodSpec } from "../components/archives/job";
import { rcloneEnv, tierDays } from "../components/archives/types";
import { parseTime } from "../infra/restore/cli";
import { restoreSnapshot } from "../infra/restore/restore";
import { archiveLocation, parseArchiveOutputs, pushCredentials } from "../infra/restore/outputs";
import { blobPath, chooseSnapshot, completeSnapshots, layoutIndex, manifestReferences, parseRefs, refsOfProject, snapshotTime } from "../infra/restore/snapshots";

const D = (c: string) => `sha256:${c.repeat(64)}`;

describe("snapshots", () => {
  const names = ["20261128T021700Z", "20261129T021700Z", "20261130T021700Z"];

  it("keeps only complete snapshots (with index.json), oldest first", () => {
    expect(completeSnapshots(["20261130T021700Z/index.json", "20261129T021700Z/refs.tsv", "20261128T021700Z/index.json", "junk/index.json", ""])).toEqual(["20261128T021700Z", "20261130T021700Z"]);
  });

  it("chooses the newest at or before a time", () => {
    expect(chooseSnapshot(names)).toBe("20261130T021700Z");
    expect(chooseSnapshot(names, new Date("2026-11-29T02:17:00Z"))).toBe("20261129T021700Z");
    expect(chooseSnapshot(names, new Date("2026-11-29T02:16:59Z"))).toBe("20261128T021700Z");
    expect(chooseSnapshot(names, new Date("2026-11-01T00:00:00Z"))).toBeUndefined();
    expect(snapshotTime("20261129T021700Z")?.toISOString()).toBe("2026-11-29T02:17:00.000Z");
    expect(snapshotTime("2026-11-29")).toBeUndefined();
  });

  it("parses refs.tsv (the last ':' splits repository and tag) and rejects bad lines by number", () => {
    const refs = parseRefs(`library/app:v1\t${D("a")}\tapplication/vnd.oci.image.manifest.v1+json\t420\napps/x/y:1.0\t${D("b")}\tapplication/vnd.oci.image.index.v1+json\t900\n`);
    expect(refs.map((r) => [r.repository, r.tag, r.size])).toEqual([["library/app", "v1", 420], ["apps/x/y", "1.0", 900]]);
    expect(refsOfProject(refs, "apps").map((r) => r.repository)).toEqual(["apps/x/y"]);
    expect(() => parseRefs(`ok:v1\t${D("a")}\tm\t1\nbroken\tsha256:xyz\tm\t1`)).toThrow(/line 2/);
  });

  it("names what a manifest refers to, leaving foreign layers out", () => {
    expect(manifestReferences(JSON.stringify({ manifests: [{ digest: D("1") }, { digest: D("2") }] }))).toEqual({ manifests: [D("1"), D("2")], blobs: [] });
    expect(manifestReferences(JSON.stringify({ config: { digest: D("c") }, layers: [{ digest: D("l") }, { digest: D("f"), urls: ["https://mcr"] }] }))).toEqual({ manifests: [], blobs: [D("c"), D("l")] });
    expect(blobPath(D("e"))).toBe(`blobs/sha256/${"e".repeat(64)}`);
    expect(() => blobPath("sha256:../../etc/passwd")).toThrow(/not a sha256 digest/);
  });

  it("writes the same OCI index the job writes", () => {
    expect(JSON.parse(layoutIndex([{ repository: "library/app", tag: "v1", digest: D("a"), mediaType: "application/vnd.docker.distribution.manifest.v2+json", size: 5 }]))).toEqual({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{ mediaType: "application/vnd.docker.distribution.manifest.v2+json", digest: D("a"), size: 5, annotations: { "org.opencontainers.image.ref.name": "library/app:v1" } }],
    });
  });
});

describe("job grants", () => {
  it("the grants the components give pass; anything that deletes, overwrites or is a wildcard does not", () => {
    expect(grantsThatDelete("azure", AZURE_JOB_DATA_ACTIONS)).toEqual([]);
    expect(grantsThatDelete("gcs", GCS_JOB_ROLES)).toEqual([]);
    expect(grantsThatDelete("oss", OSS_JOB_ACTIONS)).toEqual([]);
    expect(grantsThatDelete("azure", ["Microsoft.Storage/storageAccounts/blobServices/containers/blobs/delete", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/*", "Microsoft.Storage/storageAccounts/blobServices/containers/blobs/deleteBlobVersion/action"])).toHaveLength(4);
    expect(grantsThatDelete("gcs", ["roles/storage.objectAdmin", "roles/storage.objectUser", "roles/storage.admin", "roles/editor", "roles/storage.legacyBucketWriter"])).toHaveLength(5);
    expect(grantsThatDelete("oss", ["oss:*", "oss:DeleteObject", "oss:PutBucketLifecycle", "oss:AbortBucketWorm"])).toHaveLength(4);
  });

  it("the OSS job policy names one bucket and its objects", () => {
    expect(ossJobPolicyDocument("b").Statement[0]!.Resource).toEqual(["acs:oss:*:*:b", "acs:oss:*:*:b/*"]);
  });

  it("rclone variables and tier names", () => {
    expect(rcloneEnv({ type: "s3", no_check_bucket: "true" })).toEqual({ RCLONE_CONFIG_STORE_TYPE: "s3", RCLONE_CONFIG_STORE_NO_CHECK_BUCKET: "true" });
    expect(tierDays({ coolAfterDays: 30, archiveAfterDays: undefined })).toEqual({ cool: 30 });
  });

  it("the pod runs non-root on a read-only root filesystem, scratch and temp in the emptyDir", () => {
    const pod = archivePodSpec({ store: "store:b", harborUrl: "https://h", projects: ["a", "b"], storeSecretName: "s1", harborSecretName: "s2", configMapName: "c" });
    const c = pod.containers as unknown as { securityContext: Record<string, unknown>; env: { name: string; value: string }[] }[];
    expect(c[0]!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(Object.fromEntries(c[0]!.env.map((e) => [e.name, e.value]))).toMatchObject({ WORK: "/work/run", TMPDIR: "/work/tmp", PROJECTS: "a b" });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
  });
});

describe("restore inputs", () => {
  const outputs = JSON.stringify({
    harborUrl: "https://harbor.example.com",
    harborAdminUsername: "admin",
    harborAdminPassword: "pw",
    registries: [{ name: "harbor", kind: "harbor", host: "harbor.example.com" }, { name: "nas", kind: "oci", host: "nas.example.com:5000" }],
    registryCredentials: { nas: { push: { username: "harbor", password: "nas-pw" } } },
    archives: [{ name: "blob", kind: "azure", path: "store:registry-archive", projects: ["library"] }],
    archiveCredentials: { blob: { RCLONE_CONFIG_STORE_TYPE: "azureblob" } },
  });

  it("finds the archive and its identity, and whom to push as", () => {
    const o = parseArchiveOutputs(outputs);
    expect(archiveLocation(o, "blob")).toEqual({ path: "store:registry-archive", env: { RCLONE_CONFIG_STORE_TYPE: "azureblob" } });
    expect(() => archiveLocation(o, "nope")).toThrow(/no archive "nope" .*archives: blob/);
    expect(pushCredentials(o, "https://harbor.example.com")).toMatchObject({ username: "admin", source: "harbor admin (stack outputs)" });
    expect(pushCredentials(o, "https://nas.example.com:5000")).toMatchObject({ username: "harbor", password: "nas-pw" });
    expect(pushCredentials(o, "https://elsewhere.example.com", { RESTORE_USERNAME: "u", RESTORE_PASSWORD: "p" })).toMatchObject({ username: "u", password: "p" });
    expect(pushCredentials(o, "https://elsewhere.example.com", {})).toEqual({ source: "anonymous" });
  });

  it("refuses [secret] placeholders and never quotes the input on bad JSON", () => {
    expect(() => parseArchiveOutputs(JSON.stringify({ archiveCredentials: "[secret]" }))).toThrow(/--show-secrets/);
    expect(() => parseArchiveOutputs('{"archiveCredentials": {"x": "hunter2"')).toThrow(/^the stack outputs are not valid JSON/);
    try {
      parseArchiveOutputs('{"archiveCredentials": {"x": "hunter2"');
    } catch (e) {
      expect((e as Error).message).not.toContain("hunter2");
    }
  });

  it("--to is a registry, not a path inside one", async () => {
    await expect(restoreSnapshot({ store: { path: "store:/nowhere", env: {} }, to: { url: "https://nas.example.com/harbor-backup" } })).rejects.toThrow(/without a path/);
    await expect(restoreSnapshot({ store: { path: "store:/nowhere", env: {} }, to: { url: "ftp://nas.example.com" } })).rejects.toThrow(/http\(s\)/);
  });

  it("--at takes ISO times and dates", () => {
    expect(parseTime("2026-11-29").toISOString()).toBe("2026-11-29T00:00:00.000Z");
    expect(() => parseTime("last tuesday")).toThrow(/--at last tuesday/);
  });
});
