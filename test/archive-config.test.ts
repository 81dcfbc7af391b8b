import { describe, expect, it } from "vitest";
import { parseTopologyConfig } from "../infra/config";
import { problems } from "./helpers/config-problems";
import { cronJobScheduleProblem } from "../infra/config/archives";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

function base(archives: Raw[]): Raw {
  return {
    environment: "prod",
    harbor: { hostname: "harbor.example.com", expose: { type: "clusterIP" }, projects: [{ name: "library" }, { name: "apps" }] },
    archives,
  };
}

const azure = (over: Raw = {}): Raw => ({ name: "blob", kind: "azure", resourceGroupName: "rg", location: "westeurope", storageAccountName: "regtopoarchive", retentionDays: 30, ...over });
const gcs = (over: Raw = {}): Raw => ({ name: "gcs", kind: "gcs", project: "regtopo-prod", location: "EU", bucketName: "regtopo-archive", retentionDays: 30, ...over });
const oss = (over: Raw = {}): Raw => ({ name: "oss", kind: "oss", region: "eu-central-1", bucketName: "regtopo-archive", retentionDays: 30, ...over });
const s3 = (over: Raw = {}): Raw => ({ name: "nas", kind: "s3", endpoint: "https://nas.example.com:9000", bucket: "archive", retentionDays: 30, credential: { accessKey: "job", accessSecret: "s3cr3t-value" }, ...over });

describe("registry-topology:archives", () => {
  it("accepts one archive of each kind, with defaults", () => {
    const cfg = parseTopologyConfig(base([azure(), gcs(), oss(), s3()]));
    expect(cfg.archives.map((a) => [a.name, a.kind, a.schedule, a.locked])).toEqual([
      ["blob", "azure", "17 2 * * *", false],
      ["gcs", "gcs", "17 2 * * *", false],
      ["oss", "oss", "17 2 * * *", false],
      ["nas", "s3", "17 2 * * *", false],
    ]);
    expect(cfg.archives[0]).toMatchObject({ containerName: "registry-archive", sku: "Standard_GRS", tiers: {} });
    expect(cfg.archives[3]).toMatchObject({ objectLock: true, region: "us-east-1", provider: "Other" });
  });

  it("is optional: no key, no archives", () => {
    expect(parseTopologyConfig({ ...base([]), archives: undefined }).archives).toEqual([]);
  });

  it("names the key of each bad value", () => {
    const found = problems(base([
      azure({ retentionDays: 0, storageAccountName: "Bad_Name" }),
      gcs({ schedule: "every day" }),
      oss({ tiers: { iaAfterDays: 60, archiveAfterDays: 30 } }),
      s3({ objectLock: false }),
    ]));
    expect(found).toEqual(expect.arrayContaining([
      expect.stringMatching(/^archives\[0\]\.retentionDays: /),
      expect.stringMatching(/^archives\[0\]\.storageAccountName: .*3-24 lowercase/),
      expect.stringMatching(/^archives\[1\]\.schedule: expected 5 fields/),
      expect.stringMatching(/^archives\[2\]\.tiers\.archiveAfterDays: must be more days than iaAfterDays \(60\)/),
      expect.stringMatching(/^archives\[3\]\.objectLockUnsupportedReason: objectLock is false/),
    ]));
  });

  it("checks each store's region against the same cited lists as the backups, with a hint and an escape hatch", () => {
    const found = problems(base([azure({ location: "westeurop" }), gcs({ location: "europe-wst3" }), oss({ region: "eu-centrl-1" })]));
    expect(found).toEqual([
      expect.stringMatching(/^archives\[0\]\.location: expected a known Azure region \(did you mean "westeurope"\?\).*allowUnlistedRegion: true/),
      expect.stringMatching(/^archives\[1\]\.location: expected a known Cloud Storage location \(did you mean "europe-west3"\?\)/),
      expect.stringMatching(/^archives\[2\]\.region: expected a known Alibaba Cloud OSS region \(did you mean "eu-central-1"\?\)/),
    ]);
    expect(problems(base([gcs({ location: "EUR4", allowUnlistedRegion: true })]))).toEqual([]);
  });

  it("rejects tiers the store kind does not have, and unknown kinds", () => {
    const found = problems(base([azure({ tiers: { nearlineAfterDays: 30 } }), { ...gcs(), kind: "b2" }]));
    expect(found).toEqual([
      expect.stringMatching(/^archives\[0\]\.tiers\.nearlineAfterDays: unknown key/),
      expect.stringMatching(/^archives\[1\]\.kind: expected kind to be one of "azure" \| "gcs" \| "oss" \| "s3"/),
    ]);
  });

  it("rejects duplicate names and projects Harbor does not have", () => {
    const found = problems(base([azure(), azure({ projects: ["apps", "nope"] })]));
    expect(found).toEqual([
      expect.stringMatching(/^archives\[1\]\.name: duplicate archive name "blob" \(also archives\[0\]\.name\)/),
      expect.stringMatching(/^archives\[1\]\.projects\[1\]: "nope" is not in harbor\.projects \(library, apps\)/),
    ]);
  });

  it("wants the S3 key as a secret and never echoes it", () => {
    const found = problems(base([s3({ credential: { accessKey: "job", accessSecret: "plain-text-key" } })]), (p) => !p.endsWith("accessSecret"));
    expect(found).toEqual([expect.stringMatching(/^archives\[0\]\.credential\.accessSecret: expected a Pulumi secret/)]);
    expect(found.join("\n")).not.toContain("plain-text-key");
    const bad = problems(base([s3({ credential: { accessKey: "job", accessSecret: 42 } })]));
    expect(bad.join("\n")).toContain("archives[0].credential.accessSecret");
    expect(bad.join("\n")).not.toContain("42");
  });

  it("S3: `locked` belongs to the store itself", () => {
    expect(problems(base([s3({ locked: true })]))).toEqual([expect.stringMatching(/^archives\[0\]\.locked: /)]);
  });
});

describe("cronJobScheduleProblem", () => {
  it.each([["17 2 * * *"], ["*/15 * * * *"], ["0 0 1,15 * 1-5"], ["@daily"]])("accepts %s", (s) => {
    expect(cronJobScheduleProblem(s)).toBeUndefined();
  });
  it.each([["0 0 * *", /5 fields/], ["61 * * * *", /outside 0-59/], ["0 24 * * *", /outside 0-23/], ["0 0 * * mon!", /field 5/], ["0 0 0 12 7 2026", /5 fields/]])("rejects %s", (s, re) => {
    expect(cronJobScheduleProblem(s)).toMatch(re);
  });
});
