// Policies for the point-in-time archives (components/archives): every archive is write-once for
// its retention period, and prod has one. Azure, GCS and OSS locks are resources this program
// provisions and this policy reads; an S3-compatible store's Object Lock is only declared in config
// (immutability: "declared", accepted: nothing here can see the store), and an S3-compatible store
// without it is reported as NOT immutable (docs/archive-trust.md). Only type imports from @pulumi/policy; the archive
// modules imported here have no runtime imports (the pack stays self-contained).
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { grantsThatDelete } from "../components/archives/grants";
import { ARCHIVE_STORE_TYPES } from "../components/archives/types";
import type { ArchiveKind } from "../infra/config/archives";
import { label, ofType, plainProps, record, records, str, strings, topologyOf } from "./graph";
import type { PolicyName } from "./levels";

type Policy = StackValidationPolicy & { name: PolicyName };

/** Resources below `root` in the component tree (children, grandchildren, ...). */
export function descendantsOf(resources: readonly PolicyResource[], root: PolicyResource): PolicyResource[] {
  return resources.filter((r) => {
    for (let p = r.parent, depth = 0; p && depth < 32; p = p.parent, depth++) if (p.urn === root.urn) return true;
    return false;
  });
}

const num = (v: unknown): number | undefined => (typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

/** What the store's own resources say, per kind: retention present, grants, lifecycle deletions. */
function storeFindings(kind: ArchiveKind, below: PolicyResource[]): { retention?: boolean; grants: string[]; deletes: string[] } {
  const of = (type: string) => ofType(below, type).map(plainProps);
  switch (kind) {
    case "azure": {
      const policy = of("azure-native:storage:BlobContainerImmutabilityPolicy");
      const roles = of("azure-native:authorization:RoleDefinition");
      const lifecycle = of("azure-native:storage:ManagementPolicy");
      return {
        retention: policy.some((p) => (num(p.immutabilityPeriodSinceCreationInDays) ?? 0) >= 1),
        grants: roles.flatMap((r) => records(r.permissions).flatMap((p) => [...strings(p.actions), ...strings(p.dataActions)])),
        deletes: lifecycle.flatMap((l) => records(record(l.policy).rules))
          .filter((rule) => { const a = record(record(rule.definition).actions); return [a.baseBlob, a.version, a.snapshot].some((x) => record(x).delete !== undefined); })
          .map((rule) => `lifecycle rule ${str(rule.name) ?? "?"} deletes blobs`),
      };
    }
    case "gcs": {
      const buckets = of("gcp:storage/bucket:Bucket");
      return {
        retention: buckets.some((b) => (num(record(b.retentionPolicy).retentionPeriod) ?? 0) > 0),
        grants: of("gcp:storage/bucketIAMMember:BucketIAMMember").map((m) => str(m.role) ?? ""),
        deletes: buckets.flatMap((b) => records(b.lifecycleRules)).filter((r) => str(record(r.action).type) === "Delete").map(() => "a lifecycle rule deletes objects"),
      };
    }
    case "oss": {
      const worm = of("alicloud:oss/bucketObjectWormConfiguration:BucketObjectWormConfiguration");
      const docs = of("alicloud:ram/policy:Policy").map((p) => {
        try {
          return JSON.parse(str(p.policyDocument) ?? "{}") as { Statement?: { Action?: string | string[] }[] };
        } catch {
          return { Statement: [{ Action: ["<unreadable policy document>*"] }] };
        }
      });
      return {
        retention: worm.some((w) => str(w.objectWormEnabled) === "Enabled" && (num(record(record(w.rule).defaultRetention).days) ?? 0) >= 1),
        grants: docs.flatMap((d) => (d.Statement ?? []).flatMap((s) => (Array.isArray(s.Action) ? s.Action : s.Action ? [s.Action] : []))),
        deletes: of("alicloud:oss/bucket:Bucket").flatMap((b) => records(b.lifecycleRules)).filter((r) => records(r.expirations).length > 0 || records(r.noncurrentVersionExpirations).length > 0).map(() => "a lifecycle rule expires objects"),
      };
    }
    case "s3":
      // Nothing is provisioned: the bucket's Object Lock is what the config declares.
      return { grants: [], deletes: [] };
  }
}

export const archivesAreImmutable: Policy = {
  name: "archives-are-immutable",
  description: "Every point-in-time archive has a retention lock, no lifecycle rule that deletes, and a job identity that cannot delete or overwrite archived objects.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const stores = ofType(args.resources, ...ARCHIVE_STORE_TYPES);
    if (stores.length === 0) args.notApplicable("the stack has no archives");
    for (const s of stores) {
      const p = plainProps(s);
      const kind = str(p.kind) as ArchiveKind | undefined;
      const name = str(p.archiveName) ?? s.name;
      const problems: string[] = [];
      const days = num(p.retentionDays) ?? 0;
      const immutability = str(p.immutability);
      if (kind === "s3" && (immutability === "none" || str(p.retentionMechanism) === "none")) {
        problems.push("it is NOT immutable: the bucket has no Object Lock (objectLock: false), so the job's key, or anyone holding it, can delete or replace archived images (the job, restore and verify still detect a replaced or planted object by its hash, but nothing brings back a deleted one)");
      } else if (str(p.retentionMechanism) === undefined || str(p.retentionMechanism) === "none" || days < 1) {
        problems.push("it has no retention lock: archived images can be deleted or overwritten");
      } else if (immutability !== undefined && kind !== "s3" && immutability !== "provisioned") {
        // Azure, GCS and OSS locks are provisioned here and checked below; anything else is a claim.
        // (Absent: a component from before this field; its store resources are still checked.)
        problems.push(`it does not record who enforces add-only (immutability: ${immutability}; expected provisioned)`);
      }
      if (kind) {
        const found = storeFindings(kind, descendantsOf(args.resources, s));
        if (found.retention === false) problems.push("its storage resources carry no time-based retention (immutability policy / retention policy / WORM rule)");
        const deleting = [...new Set([...grantsThatDelete(kind, strings(p.jobGrants)), ...grantsThatDelete(kind, found.grants)])];
        if (deleting.length > 0) problems.push(`its job identity can delete or overwrite: ${deleting.join(", ")}`);
        problems.push(...found.deletes);
      }
      if (problems.length > 0) {
        report(`Archive ${name} (${label(s)}) is not immutable: ${problems.join("; ")}. A deleted tag or a stolen credential must not be able to reach the archive: keep retentionDays >= 1 and grant the job only add and read (docs/archives.md).`, s.urn);
      }
    }
  },
};

export const prodHasArchive: Policy = {
  name: "prod-has-archive",
  // Advisory in code and in every environment: a recommendation never blocks a deploy, so a stack
  // that declares another `environment:` to escape it gains nothing (levels.ts holds no entry).
  description: "A prod stack keeps a point-in-time archive of Harbor's projects (registry-topology:archives). Advisory.",
  enforcementLevel: "advisory",
  validateStack: (args, report) => {
    if (topologyOf(args.resources)?.environment !== "prod") args.notApplicable("only prod stacks need an archive");
    if (ofType(args.resources, ...ARCHIVE_STORE_TYPES).length === 0) {
      const t = ofType(args.resources, "registry-topology:index:RegistryTopology")[0];
      report(
        "This prod stack has no point-in-time archive. Replication copies mistakes: a deleted or overwritten tag, or a stolen Harbor admin credential, reaches every backup within seconds. Add registry-topology:archives (docs/archives.md).",
        t?.urn,
      );
    }
  },
};
