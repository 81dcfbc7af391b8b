// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// archives-are-immutable and prod-has-archive over real renders (the archives fixture and prod)
// and over deliberately broken copies of them, through the offline evaluator.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ARCHIVE_TOKENS } from "../components/archives/types";
import type { RecordedResource } from "../infra/offline/mockRuntime";
import { renderStack } from "../infra/offline/render";
import { archivesAreImmutable, prodHasArchive } from "../policy/archives";
import { ENVIRONMENT_LEVELS, ENVIRONMENTS } from "../policy/levels";
import { toPolicyResources } from "../policy/offline";
import { runStackPolicy } from "./helpers/policy-harness";

let archives: RecordedResource[];
let prod: RecordedResource[];
let staging: RecordedResource[];

beforeAll(async () => {
  archives = (await renderStack(path.join(__dirname, "fixtures", "stacks", "Pulumi.archives.yaml"))).resources;
  prod = (await renderStack("prod")).resources;
  staging = (await renderStack("staging")).resources;
});

/** A copy of `recorded` with `edit` applied to the inputs of the one resource of `type` (optionally by name prefix). */
function broken(recorded: RecordedResource[], type: string, edit: (inputs: Record<string, any>) => void, prefix = ""): RecordedResource[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const copy = structuredClone(recorded);
  const targets = copy.filter((r) => r.type === type && r.name.startsWith(prefix));
  if (targets.length !== 1) throw new Error(`expected one ${type} ${prefix}, found ${targets.length}`);
  edit(targets[0]!.inputs);
  return copy;
}

const run = (recorded: RecordedResource[]) => runStackPolicy(archivesAreImmutable, toPolicyResources(recorded));

describe("archives-are-immutable", () => {
  it("passes every store kind as the components build them, and prod", async () => {
    expect((await run(archives)).violations).toEqual([]);
    expect((await run(prod)).violations).toEqual([]);
  });

  it("knows who enforces add-only: provisioned for Azure, GCS and OSS; declared for an S3-compatible store with Object Lock; none without", async () => {
    const immutability = (type: string) => archives.find((r) => r.type === type)!.inputs.immutability;
    expect([ARCHIVE_TOKENS.azure, ARCHIVE_TOKENS.gcs, ARCHIVE_TOKENS.oss].map(immutability)).toEqual(["provisioned", "provisioned", "provisioned"]);
    expect(immutability(ARCHIVE_TOKENS.s3)).toBe("declared");
    const fixture = fs.readFileSync(path.join(__dirname, "fixtures", "stacks", "Pulumi.archives.yaml"), "utf8");
    const mutable = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "archive-policy-")), "Pulumi.archives-mutable.yaml");
    fs.writeFileSync(mutable, fixture.replace("      kind: s3\n", "      kind: s3\n      objectLock: false\n      objectLockUnsupportedReason: this NAS firmware has no S3 Object Lock\n"));
    const rendered = (await renderStack(mutable)).resources;
    expect(rendered.find((r) => r.type === ARCHIVE_TOKENS.s3)!.inputs.immutability).toBe("none");
    const { violations } = await run(rendered);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/Archive nas .*NOT immutable/);
  });

  it("is not applicable to a stack without archives", async () => {
    expect((await run(staging)).notApplicable).toBe("the stack has no archives");
  });

  it.each([
    ["Azure: no immutability policy", () => archives.filter((r) => r.type !== "azure-native:storage:BlobContainerImmutabilityPolicy"), /blob-weu.*no time-based retention/],
    ["Azure: the job's role may overwrite", () => broken(archives, "azure-native:authorization:RoleDefinition", (i) => i.permissions[0].dataActions.push("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write")), /blob-weu.*can delete or overwrite: .*blobs\/write/],
    ["Azure: a lifecycle rule deletes", () => broken(archives, "azure-native:storage:ManagementPolicy", (i) => (i.policy.rules[0].definition.actions.baseBlob.delete = { daysAfterModificationGreaterThan: 400 })), /blob-weu.*deletes blobs/],
    ["GCS: no retention policy", () => broken(archives, "gcp:storage/bucket:Bucket", (i) => delete i.retentionPolicy), /gcs-eu.*no time-based retention/],
    ["GCS: the job is objectAdmin", () => broken(archives, "gcp:storage/bucketIAMMember:BucketIAMMember", (i) => (i.role = "roles/storage.objectAdmin"), "archive-gcs-eu-job-objectCreator"), /gcs-eu.*roles\/storage\.objectAdmin/],
    ["OSS: the RAM policy allows DeleteObject", () => broken(archives, "alicloud:ram/policy:Policy", (i) => (i.policyDocument = JSON.stringify({ Version: "1", Statement: [{ Effect: "Allow", Action: ["oss:PutObject", "oss:DeleteObject"], Resource: ["*"] }] }))), /oss-fra.*oss:DeleteObject/],
    ["OSS: WORM off", () => broken(archives, "alicloud:oss/bucketObjectWormConfiguration:BucketObjectWormConfiguration", (i) => (i.objectWormEnabled = "Disabled")), /oss-fra.*no time-based retention/],
    ["S3: no Object Lock", () => broken(archives, ARCHIVE_TOKENS.s3, (i) => (i.retentionMechanism = "none")), /nas.*NOT immutable.*no Object Lock/],
    ["S3: a store the component records as not immutable", () => broken(archives, ARCHIVE_TOKENS.s3, (i) => (i.immutability = "none")), /nas.*NOT immutable/],
    ["Azure: a lock only declared, not provisioned", () => broken(archives, ARCHIVE_TOKENS.azure, (i) => (i.immutability = "declared")), /blob-weu.*does not record who enforces add-only \(immutability: declared/],
  ])("blocks %s", async (_case, graph, message) => {
    const { violations } = await run(graph());
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(message);
  });
});

describe("prod-has-archive", () => {
  it("is advisory in code and in every environment: it never blocks, whatever the stack declares", () => {
    expect(prodHasArchive.enforcementLevel).toBe("advisory");
    for (const env of ENVIRONMENTS) expect(ENVIRONMENT_LEVELS[env]["prod-has-archive"]).toBeUndefined();
  });

  it("passes prod with its archive; reports prod without one; not applicable elsewhere", async () => {
    expect((await runStackPolicy(prodHasArchive, toPolicyResources(prod))).violations).toEqual([]);
    const withoutArchive = prod.filter((r) => !r.type.startsWith("registry-topology:archives:"));
    const { violations } = await runStackPolicy(prodHasArchive, toPolicyResources(withoutArchive));
    expect(violations).toHaveLength(1);
    expect(violations[0]!.message).toMatch(/no point-in-time archive/);
    expect((await runStackPolicy(prodHasArchive, toPolicyResources(staging))).notApplicable).toBe("only prod stacks need an archive");
  });
});
