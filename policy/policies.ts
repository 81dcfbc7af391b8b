// The registry-topology policies, as plain objects so tests and the offline check can run them
// without a PolicyPack (constructing one starts the analyzer's gRPC server). Only type imports from
// @pulumi/policy: the policies run the same under the CLI's analyzer and under policy/evaluate.ts.
import type { PolicyResource, ReportViolation, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import {
  BACKUP_TYPES,
  label,
  leaves,
  ofType,
  plainProps,
  rawProps,
  record,
  records,
  SECRET_MARKERS_KEPT,
  str,
  strings,
  topologyOf,
  TOKENS,
  UNKNOWN,
} from "./graph";
import { archivesAreImmutable, prodHasArchive } from "./archives";
import type { PolicyName } from "./levels";
import { hostOf, isDigestPinned, isLoopbackHost } from "./patterns";

type Policy = StackValidationPolicy & { name: PolicyName };

// ---------------------------------------------------------------------------------------------
// requires-backup-target, backup-outside-harbor-failure-domain (assessment in ./backups.ts)

export { assessBackups, type BackupAssessment } from "./backups";
import { assessBackups } from "./backups";

const HOW_TO_ADD_BACKUP =
  "Add a backup under `registry-topology:backups` in the stack file (kind acr, gar, icr, alibaba, ecr, " +
  "or oci with a `url` outside Harbor's cluster and host), keep `registry-topology:replication` " +
  "enabled with trigger event_based or scheduled, then preview again.";

const MIN_BACKUPS_SCHEMA = {
  properties: {
    minBackups: { type: "integer" as const, minimum: 1, default: 1, description: "How many usable backup targets the stack needs." },
  },
};

/**
 * A real backup: not Harbor under another spelling, and replication that runs and copies every
 * project. Mandatory in every environment (levels.ts never relaxes it): a stack with zero
 * backups is blocked even in `local`.
 */
export const requiresBackupTarget: Policy = {
  name: "requires-backup-target",
  description:
    "The stack has a Harbor and at least one backup registry that is not Harbor itself, " +
    "with an enabled event_based or scheduled replication policy to it that can run and whose filters copy every Harbor project.",
  enforcementLevel: "mandatory",
  configSchema: MIN_BACKUPS_SCHEMA,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const { minBackups = 1 } = args.getConfig<{ minBackups?: number }>();
    const harbors = ofType(args.resources, TOKENS.harbor);
    if (harbors.length === 0) args.notApplicable("the stack has no Harbor");
    for (const harbor of harbors) {
      const host = str(plainProps(harbor).hostname) ?? harbor.name;
      const assessed = assessBackups(args.resources, harbor);
      const usable = assessed.filter((a) => a.hard.length === 0);
      if (usable.length >= minBackups) continue;
      const found =
        assessed.length === 0
          ? "it has no backup registry"
          : assessed
              .filter((a) => a.hard.length > 0)
              .map((a) => `backup "${a.backup}": ${a.hard.join("; ")}`)
              .join(". ");
      const need = minBackups === 1 ? "a backup target" : `${minBackups} backup targets (found ${usable.length} usable)`;
      report(`Harbor ${host} needs ${need} with event-based or scheduled replication of every project, but ${found}. ${HOW_TO_ADD_BACKUP}`, harbor.urn);
    }
  },
};

/**
 * The backups of requires-backup-target must not fail together with Harbor: another failure
 * domain, not Harbor's machine (any port, any loopback form), not a name inside Harbor's cluster.
 * The one rule `local` relaxes to advisory (its backup runs in the same cluster).
 */
export const backupOutsideHarborFailureDomain: Policy = {
  name: "backup-outside-harbor-failure-domain",
  description: "Harbor's usable backup targets are outside Harbor's failure domain: not in its cluster, not on its machine (any port or loopback form).",
  enforcementLevel: "mandatory",
  configSchema: MIN_BACKUPS_SCHEMA,
  validateStack: (args: StackValidationArgs, report: ReportViolation) => {
    const { minBackups = 1 } = args.getConfig<{ minBackups?: number }>();
    const harbors = ofType(args.resources, TOKENS.harbor);
    if (harbors.length === 0) args.notApplicable("the stack has no Harbor");
    for (const harbor of harbors) {
      const host = str(plainProps(harbor).hostname) ?? harbor.name;
      const real = assessBackups(args.resources, harbor).filter((a) => a.hard.length === 0);
      // No real backup at all is requires-backup-target's violation (mandatory everywhere); not repeated here.
      if (real.length === 0) continue;
      const outside = real.filter((a) => a.domain.length === 0);
      if (outside.length >= minBackups) continue;
      const found = real
        .filter((a) => a.domain.length > 0)
        .map((a) => `backup "${a.backup}": ${a.domain.join("; ")}`)
        .join(". ");
      const need = minBackups === 1 ? "a backup target" : `${minBackups} backup targets (found ${outside.length})`;
      report(`Harbor ${host} needs ${need} in another failure domain, but ${found}. ${HOW_TO_ADD_BACKUP}`, harbor.urn);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// no-registry-admin-credentials

/** Azure built-in roles that administer resources or access: Owner, Contributor, User Access Administrator, RBAC Administrator. */
export const AZURE_ADMIN_ROLE_IDS: Record<string, string> = {
  "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
  "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
  "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
  "f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator",
};

export function azureAdminRole(roleDefinitionId: string): string | undefined {
  const guid = roleDefinitionId.trim().toLowerCase().split("/").pop() ?? "";
  return AZURE_ADMIN_ROLE_IDS[guid];
}

export function isGcpAdminRole(role: string): boolean {
  return role === "roles/owner" || role === "roles/editor" || /admin/i.test(role);
}

/** IBM IAM roles above Writer/Reader/Viewer/Operator/Editor: Manager (service) and Administrator (platform). */
export function isIbmAdminRole(role: string): boolean {
  const last = role.split(":").pop() ?? role;
  return last === "Manager" || last === "Administrator";
}

/** Admin-level statements in a RAM policy document: any action on everything, all of RAM, or all of CR account-wide. */
export function alicloudAdminStatements(policyDocument: string): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(policyDocument);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const s of records(record(doc).Statement)) {
    if (s.Effect !== "Allow") continue;
    const actions = Array.isArray(s.Action) ? strings(s.Action) : strings([s.Action]);
    const resources = Array.isArray(s.Resource) ? strings(s.Resource) : strings([s.Resource]);
    for (const a of actions) {
      if (a === "*" || a === "ram:*" || (a === "cr:*" && resources.includes("*"))) found.push(`${a} on ${resources.join(",") || "?"}`);
    }
  }
  return found;
}

const ALICLOUD_ADMIN_POLICIES = ["AdministratorAccess", "AliyunContainerRegistryFullAccess", "AliyunRAMFullAccess"];

/** AWS managed policies broader than one backup's repositories (AWS managed policy names). */
const AWS_ADMIN_POLICIES = /:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|AmazonEC2ContainerRegistryFullAccess|AmazonEC2ContainerRegistryPowerUser|AmazonElasticContainerRegistryPublicFullAccess)$/;

/** IAM statements that allow everything, all of ECR or all of IAM, or ECR actions on every repository. */
export function awsAdminStatements(text: string): string[] {
  let doc: { Statement?: unknown };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch {
    return [];
  }
  const out: string[] = [];
  const list = (v: unknown) => (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
  for (const st of Array.isArray(doc.Statement) ? (doc.Statement as Record<string, unknown>[]) : doc.Statement ? [doc.Statement as Record<string, unknown>] : []) {
    if (st.Effect !== "Allow") continue;
    const actions = list(st.Action);
    const resources = list(st.Resource);
    for (const a of actions.filter((x) => x === "*" || /^(ecr|iam|sts):\*$/i.test(x))) out.push(`${a} on ${resources.join(", ") || "?"}`);
    if (resources.includes("*") && actions.some((a) => /^ecr:/i.test(a) && a !== "ecr:GetAuthorizationToken")) out.push(`${actions.filter((a) => a !== "ecr:GetAuthorizationToken").join(", ")} on every repository (*)`);
  }
  return out;
}

/** Harbor's built-in administrator account name. */
export const HARBOR_ADMIN_USERNAME = "admin";

export const noRegistryAdminCredentials: Policy = {
  name: "no-registry-admin-credentials",
  description: "No ACR admin user, no owner/admin-level role for any registry identity, and no Harbor admin credential given to mirrors.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources) {
      const p = plainProps(r);
      if (r.type === "azure-native:containerregistry:Registry" && p.adminUserEnabled === true) {
        report(`${label(r)} enables the ACR admin user (one shared full-access password). Set adminUserEnabled: false; Harbor and mirrors use their own service principals with AcrPush/AcrPull.`, r.urn);
      }
      if (r.type === "azure-native:authorization:RoleAssignment") {
        const role = azureAdminRole(str(p.roleDefinitionId) ?? "");
        if (role) report(`${label(r)} grants ${role} to principal ${str(p.principalId) ?? "?"} on ${str(p.scope) ?? "?"}. Registry identities get AcrPush or AcrPull on their registry only.`, r.urn);
      }
      if (/^gcp:.*iam(member|binding)$/i.test(r.type)) {
        const role = str(p.role);
        if (role && isGcpAdminRole(role)) report(`${label(r)} grants ${role}${str(p.member) ? ` to ${str(p.member)}` : ""}. Registry identities get roles/artifactregistry.writer or .reader on their repository only.`, r.urn);
      }
      if (r.type === "alicloud:ram/policy:Policy") {
        const admin = alicloudAdminStatements(str(p.policyDocument) ?? "");
        if (admin.length > 0) report(`${label(r)} allows ${admin.join("; ")}. Grant only the cr: push/pull actions on the backup's namespace.`, r.urn);
      }
      if (/^alicloud:ram\/.*PolicyAttachment:/.test(r.type) && ALICLOUD_ADMIN_POLICIES.includes(str(p.policyName) ?? "")) {
        report(`${label(r)} attaches ${str(p.policyName)}. Attach a custom policy limited to the backup's namespace instead.`, r.urn);
      }
      if (r.type === "aws:iam/policy:Policy" || r.type === "aws:iam/userPolicy:UserPolicy" || r.type === "aws:iam/rolePolicy:RolePolicy") {
        const admin = awsAdminStatements(str(p.policy) ?? "");
        if (admin.length > 0) report(`${label(r)} allows ${admin.join("; ")}. Grant ecr:GetAuthorizationToken on * and the push/pull actions on the backup's repository ARNs only.`, r.urn);
      }
      if (/^aws:iam\/(user|role|group)PolicyAttachment:/.test(r.type) && AWS_ADMIN_POLICIES.test(str(p.policyArn) ?? "")) {
        report(`${label(r)} attaches ${str(p.policyArn)}. Attach the backup's own policy limited to its repositories instead.`, r.urn);
      }
      if (r.type.startsWith("pulumi-nodejs:dynamic/ibm:")) {
        const roles = leaves(p, (k) => /^roles?$/i.test(k)).flatMap((l) => (Array.isArray(l.value) ? strings(l.value) : strings([l.value])));
        const admin = roles.filter(isIbmAdminRole);
        if (admin.length > 0) report(`${label(r)} grants IBM role${admin.length > 1 ? "s" : ""} ${admin.join(", ")}. Registry identities get Writer (push) or Reader (pull) on their namespace only.`, r.urn);
      }
      if (r.type === TOKENS.regionMirrors) {
        for (const u of records(p.upstreams)) {
          if ((str(u.username) ?? "").toLowerCase() === HARBOR_ADMIN_USERNAME && (str(u.kind) ?? "harbor") === "harbor") {
            report(`${label(r)} gives mirror "${str(u.name) ?? "?"}" Harbor's admin account. Mirrors pull with a pull-only robot account.`, r.urn);
          }
        }
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// credentials-are-secret

/** Property names that hold a credential (not `secretName`, `accessKey` ids or `username`). */
export function isCredentialKey(key: string): boolean {
  return /(?:^|[a-z0-9_])(?:password|passwd|secret|token|api_?key|private_?key|htpasswd)$/i.test(key) && !/^(?:existing|tls|image_?pull)_?secret$/i.test(key);
}

function inScope(type: string): boolean {
  return type.startsWith("pulumi-nodejs:dynamic/") || type.startsWith("registry-topology:") || type === "kubernetes:core/v1:Secret";
}

/**
 * Resources that generate a value, and the outputs that carry it. These outputs are in clear in
 * the state unless the resource lists them in additionalSecretOutputs. RandomPassword, RandomBytes
 * and tls.PrivateKey do so by themselves (their SDK classes, e.g. @pulumi/random 4.21
 * randomBytes.js); RandomString and RandomId do not, and also carry the value in their ID
 * (VALUE_IN_ID below).
 */
export const GENERATED_VALUE_OUTPUTS: Record<string, readonly string[]> = {
  "random:index/randomString:RandomString": ["result"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "random:index/randomBytes:RandomBytes": ["base64", "hex"],
  "random:index/randomId:RandomId": ["b64Std", "b64Url", "hex", "dec"],
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
};

/**
 * Generators whose resource ID is the value itself: terraform-provider-random sets a RandomString's
 * ID to its result (internal/provider/resource_string.go `createStringFunc`: `d.SetId(result)`
 * unless sensitive) and a RandomId's to its b64_url. The engine never encrypts IDs, so no
 * additionalSecretOutputs hides them: such a resource must not feed a credential at all.
 */
export const VALUE_IN_ID: ReadonlySet<string> = new Set(["random:index/randomString:RandomString", "random:index/randomId:RandomId"]);

/** Does `r` hold a credential: a Kubernetes Secret, or a resource with a non-empty credential-named property? */
function holdsCredential(r: PolicyResource): boolean {
  if (r.type === "kubernetes:core/v1:Secret") return true;
  return leaves(plainProps(r), isCredentialKey).some((l) => l.value !== undefined && l.value !== null && l.value !== "");
}

/**
 * Generated-value resources that feed a credential (a resource holding one depends on them: the
 * engine's dependency list, or, where the analyzer hands them over, a credential-named or Secret
 * property's dependencies) while some of their value outputs are not declared secret. The engine
 * sends both lists to AnalyzeStack (pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go
 * `AnalyzeStack`: Dependencies, PropertyDependencies); the offline check has the dependency list.
 */
export function generatedCredentialsInClear(resources: readonly PolicyResource[]): { resource: PolicyResource; plain: string[]; feeds: PolicyResource[] }[] {
  const out: { resource: PolicyResource; plain: string[]; feeds: PolicyResource[] }[] = [];
  for (const g of resources.filter((r) => GENERATED_VALUE_OUTPUTS[r.type] !== undefined)) {
    const feeds = resources.filter((r) => {
      if (r === g) return false;
      const byProperty = Object.entries(r.propertyDependencies ?? {}).filter(([, deps]) => deps.some((d) => d.urn === g.urn));
      if (byProperty.length > 0) return r.type === "kubernetes:core/v1:Secret" || byProperty.some(([k]) => isCredentialKey(k));
      return (r.dependencies ?? []).some((d) => d.urn === g.urn) && holdsCredential(r);
    });
    if (feeds.length === 0) continue;
    const declared = new Set(g.opts?.additionalSecretOutputs ?? []);
    const plain = [...(VALUE_IN_ID.has(g.type) ? ["id"] : []), ...GENERATED_VALUE_OUTPUTS[g.type]!.filter((o) => !declared.has(o))];
    if (plain.length > 0) out.push({ resource: g, plain, feeds });
  }
  return out;
}

/**
 * Every credential input of our own resources (dynamic resources, components, Kubernetes Secrets)
 * must be a secret. The two evaluators show secretness differently, so the rule has two readings:
 * - `pulumi preview/up --policy-pack`: @pulumi/policy hands stack policies plain values (its
 *   deserializer drops the engine's secret markers), so the only visible signal is the resource
 *   option `additionalSecretOutputs`. A credential passes when its top-level property is listed
 *   there: the engine then encrypts it in state and masks it in the plan. (Component resources
 *   cannot declare it, so a component must not register a credential in its props at all.)
 * - offline check (policy/offline.ts tags its resources with SECRET_MARKERS_KEPT): props are the raw
 *   serialized inputs, where a secret input is still wrapped in Pulumi's secret marker. A credential
 *   passes only when it (or an enclosing value) is wrapped AND its property is declared as above, so
 *   the offline check is at least as strict as the CLI and also catches a plaintext input whose
 *   property is merely declared (that plaintext would still sit in the state's inputs).
 */
export const credentialsAreSecret: Policy = {
  name: "credentials-are-secret",
  description:
    "Every credential input of our own resources (dynamic resources, components, Kubernetes Secrets) is a Pulumi secret, " +
    "and every generated value (random:*, tls private keys) that feeds a credential is secret in state.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources.filter((x) => inScope(x.type))) {
      const declared = new Set(r.opts?.additionalSecretOutputs ?? []);
      const markersKept = (r as unknown as Record<symbol, unknown>)[SECRET_MARKERS_KEPT] === true;
      const isSecretKey = r.type === "kubernetes:core/v1:Secret" ? (k: string) => k === "data" || k === "stringData" || isCredentialKey(k) : isCredentialKey;
      const problems = new Map<string, string>();
      for (const l of leaves(rawProps(r), isSecretKey)) {
        if (l.value === undefined || l.value === null || l.value === "" || l.value === UNKNOWN) continue;
        if (typeof l.value !== "string" && typeof l.value !== "object") continue;
        if (markersKept && !l.underSecret) problems.set(l.path, "plain text");
        else if (!declared.has(l.top) && !problems.has(l.path)) problems.set(l.path, `"${l.top}" not in additionalSecretOutputs`);
      }
      if (problems.size > 0) {
        const list = [...problems].map(([path, why]) => `${path} (${why})`).join(", ");
        report(`${label(r)} has credential input${problems.size > 1 ? "s" : ""} that ${problems.size > 1 ? "are" : "is"} not secret: ${list}. Wrap each with pulumi.secret() and list its property in the resource's additionalSecretOutputs.`, r.urn);
      }
    }
    for (const { resource, plain, feeds } of generatedCredentialsInClear(args.resources)) {
      report(
        `${label(resource)} generates a value that becomes a credential or key (it feeds ${feeds.map(label).join(", ")}), but its output${plain.length > 1 ? "s" : ""} ${plain.join(", ")} ${plain.length > 1 ? "are" : "is"} stored in clear in the state. ` +
          (VALUE_IN_ID.has(resource.type)
            ? "Its resource ID is the value itself, and IDs are never encrypted: use random.RandomPassword (or RandomBytes) instead."
            : `Use random.RandomPassword, or give the resource additionalSecretOutputs: [${plain.map((x) => JSON.stringify(x)).join(", ")}].`),
        resource.urn,
      );
    }
  },
};

// ---------------------------------------------------------------------------------------------
// mirrors-cover-every-region

export const mirrorsCoverEveryRegion: Policy = {
  name: "mirrors-cover-every-region",
  description: "Every region has pull-through mirrors for Harbor and for at least one backup registry.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const regions = ofType(args.resources, TOKENS.regionMirrors);
    if (regions.length === 0) {
      // `regions: []` must not switch the rule off: a stack with Harbor and no region leaves every
      // node pulling from Harbor alone.
      const harbors = ofType(args.resources, TOKENS.harbor);
      if (harbors.length === 0) args.notApplicable("the stack has no regions and no Harbor");
      for (const h of harbors) {
        report(`The stack declares no region, so no node has a pull-through mirror and every pull depends on Harbor ${str(plainProps(h).hostname) ?? h.name}. Add registry-topology:regions with mirrors for Harbor and a backup.`, h.urn);
      }
      return;
    }
    const backups = new Set(ofType(args.resources, ...BACKUP_TYPES).map((b) => str(plainProps(b).backupName) ?? b.name));
    for (const r of regions) {
      const p = plainProps(r);
      const upstreams = records(p.upstreams);
      const missing: string[] = [];
      if (!upstreams.some((u) => str(u.kind) === "harbor")) missing.push("Harbor");
      if (!upstreams.some((u) => str(u.kind) !== "harbor" && backups.has(str(u.name) ?? ""))) missing.push("a backup registry");
      if (missing.length > 0) {
        report(`Region ${str(p.region) ?? r.name} has no mirror for ${missing.join(" or ")} (mirrors: ${upstreams.map((u) => str(u.name)).join(", ") || "none"}). Nodes there cannot pull when Harbor is down; give the region an upstream for Harbor and a backup (regions[].upstreamOrder).`, r.urn);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// pinned-images

function podImages(spec: Record<string, unknown>, type: string): string[] {
  // A CronJob's pod template sits one level deeper (spec.jobTemplate.spec.template).
  const workload = type === CRONJOB_TYPE ? record(record(spec.spec).jobTemplate) : spec;
  const pod = record(record(record(workload.spec).template).spec);
  return [...records(pod.initContainers), ...records(pod.containers)].map((c) => str(c.image)).filter((i): i is string => i !== undefined);
}

const CRONJOB_TYPE = "kubernetes:batch/v1:CronJob";
/** Workloads this program deploys itself (Harbor's chart images are pinned by the chart version). */
const WORKLOAD_TYPES = ["kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", CRONJOB_TYPE];

export const pinnedImages: Policy = {
  name: "pinned-images",
  description: "Mirror static pods and the DaemonSets, Deployments, StatefulSets and CronJobs this program deploys run images pinned by digest (name@sha256:...).",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources) {
      const p = plainProps(r);
      const images = r.type === TOKENS.regionMirrors ? strings(p.staticPodImages) : WORKLOAD_TYPES.includes(r.type) ? podImages(p, r.type) : [];
      const unpinned = [...new Set(images.filter((i) => !isDigestPinned(i)))];
      if (unpinned.length > 0) {
        report(`${label(r)} runs image${unpinned.length > 1 ? "s" : ""} not pinned by digest: ${unpinned.join(", ")}. Use name@sha256:<digest> so every node runs the same bytes.`, r.urn);
      }
    }
  },
};

// ---------------------------------------------------------------------------------------------
// no-insecure-upstreams

/** Every object in a plain value tree, the root included. */
function objectsIn(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.flatMap(objectsIn);
  if (v === null || typeof v !== "object") return [];
  return [v as Record<string, unknown>, ...Object.values(v as Record<string, unknown>).flatMap(objectsIn)];
}

export const noInsecureUpstreams: Policy = {
  name: "no-insecure-upstreams",
  description: "No insecure (skip TLS verification) connection to an upstream outside loopback, unless the stack sets allowInsecureUpstreams.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedHosts: { type: "array", items: { type: "string" }, default: [], description: "Extra hosts that may be reached without TLS verification." },
    },
  },
  validateStack: (args, report) => {
    if (topologyOf(args.resources)?.allowInsecureUpstreams) return;
    const { allowedHosts = [] } = args.getConfig<{ allowedHosts?: string[] }>();
    const allowed = (host: string) => isLoopbackHost(host) || allowedHosts.map((h) => h.toLowerCase()).includes(host);
    for (const r of args.resources) {
      const p = plainProps(r);
      const bad: string[] = [];
      if (r.type === TOKENS.regionMirrors) {
        for (const u of records(p.upstreams)) {
          const host = hostOf(str(u.remoteUrl) ?? "");
          if (u.insecure === true && host && !allowed(host)) bad.push(`mirror "${str(u.name) ?? "?"}" -> ${host}`);
        }
      } else if (r.type.startsWith("pulumi-nodejs:dynamic/")) {
        for (const o of objectsIn(p)) {
          const flag = Object.keys(o).find((k) => /^(insecure|skip_?verify|insecure_?skip_?verify|harbor_?insecure)$/i.test(k) && o[k] === true);
          if (!flag) continue;
          // Harbor's dynamic resources name the flag toward Harbor `insecure` (no remote URL
          // beside it) or, on RegistryEndpoint, `harborInsecure`: the host is then Harbor's.
          const towardHarbor = /^harbor/i.test(flag) || (str(o.url) ?? str(o.remoteUrl) ?? str(o.endpoint) ?? str(o.server)) === undefined;
          const host = hostOf((towardHarbor ? str(o.harborUrl) : str(o.url) ?? str(o.remoteUrl) ?? str(o.endpoint) ?? str(o.server)) ?? "");
          if (host === undefined || !allowed(host)) bad.push(`${flag} -> ${host ?? "unknown host"}`);
        }
      }
      if (bad.length > 0) {
        report(`${label(r)} skips TLS verification toward ${bad.join(", ")}. Give the upstream a trusted certificate, or set registry-topology:allowInsecureUpstreams: true to accept the risk.`, r.urn);
      }
    }
  },
};

/** Every policy of the pack, in the order reports list them. */
export const policies: Policy[] = [
  requiresBackupTarget,
  backupOutsideHarborFailureDomain,
  noRegistryAdminCredentials,
  credentialsAreSecret,
  mirrorsCoverEveryRegion,
  pinnedImages,
  noInsecureUpstreams,
  archivesAreImmutable,
  prodHasArchive,
];
