// Amazon ECR backups (issue 19 part 1): config, pure policy builders, the render under mocks, the
// mocks' refusals, the example-value guard and the policy's failure-domain rule.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ecrHost, ecrPolicyDocument, HARBOR_ECR_PATTERN, harborEcrUrl, iamPolicySize, irsaTrustPolicy, lifecyclePolicyText, repositoryArns } from "../components/backups/ecrPolicy";
import { TOKENS } from "../components/types";
import { backupSchema } from "../infra/config/backups";
import { sameFailureDomain } from "../infra/config/cloud-regions/domains";
import { ecrRepositoryNameProblem } from "../infra/config/ecr";
import { findExampleValues } from "../infra/config/examples";
import { harborSchema } from "../infra/config/harbor";
import { runMockChecks, takeMockRefusals } from "../infra/offline/mocks/refusals";
import "../infra/offline/mocks";
import { checkStack } from "../policy/check";
import { byType, one, renderStack, type RenderResult } from "./helpers/render";

const ECR = { name: "ecr-fra", kind: "ecr", accountId: "493817264501", region: "eu-central-1" };
const harbor = (extra: Record<string, unknown> = {}) => ({ hostname: "harbor.test.example.com", expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" }, projects: [{ name: "library" }, { name: "apps" }], ...extra });
const REGION = { name: "eu", mirrorNodes: { nodeSelector: { "registry-mirror": "true" } }, mirrorAddresses: ["10.0.0.5"], runtimes: ["containerd"] };

function stackFile(dir: string, name: string, backups: Record<string, unknown>[], h = harbor(), replication: Record<string, unknown> = {}): string {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  const config: Record<string, unknown> = {
    "registry-topology:environment": "staging",
    "registry-topology:harbor": h,
    "registry-topology:backups": backups,
    "registry-topology:regions": [REGION],
  };
  if (Object.keys(replication).length > 0) config["registry-topology:replication"] = replication;
  fs.writeFileSync(file, stringify({ config }));
  return file;
}

describe("ecr config", () => {
  const parse = (extra: Record<string, unknown>) => backupSchema.safeParse({ ...ECR, ...extra });
  const messages = (extra: Record<string, unknown>) => {
    const r = parse(extra);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  };

  it("accepts a minimal backup with defaults (prefix harbor-backup, AES256, mutable, access-key pull identity)", () => {
    const r = parse({});
    expect(r.success).toBe(true);
    expect(r.data).toMatchObject({ repositoryPrefix: "harbor-backup", encryption: { type: "AES256" }, imageTagMutability: "MUTABLE", scanOnPush: false, pullIdentity: { kind: "accessKey" }, replicationRegions: [] });
  });

  it("refuses an unknown region with the closest name and the escape key, and accepts it with allowUnlistedRegion", () => {
    expect(messages({ region: "eu-centrl-1" }).join()).toMatch(/region: expected a known Amazon ECR region \(did you mean "eu-central-1"\?\).*allowUnlistedRegion: true/);
    expect(messages({ region: "eu-central-9", allowUnlistedRegion: true })).toEqual([]);
  });

  it("refuses replication into the home region, twice the same region, and a typo", () => {
    expect(messages({ replicationRegions: ["eu-central-1"] })).toEqual(["replicationRegions.0: cannot replicate into the home region eu-central-1"]);
    expect(messages({ replicationRegions: ["eu-west-1", "eu-west-1"] })).toEqual(["replicationRegions.1: eu-west-1 is listed twice"]);
    expect(messages({ replicationRegions: ["eu-wset-1"] }).join()).toContain('did you mean "eu-west-1"');
  });

  it("refuses repository names ECR refuses (upper case, double separators, too long)", () => {
    expect(messages({ repositoryPrefix: "Harbor" }).join()).toContain("lowercase letters and digits");
    expect(messages({ repositories: ["library//app"] }).join()).toContain("repositories.0");
    expect(messages({ repositories: ["app-"] }).join()).toContain("repositories.0");
    expect(messages({ repositories: ["a".repeat(250)] }).join()).toContain("2-256 characters");
    expect(ecrRepositoryNameProblem("harbor-backup/library/nginx")).toBeUndefined();
    expect(ecrRepositoryNameProblem("a")).toContain("2-256");
  });

  it("ties KMS keys to the region and IRSA providers to the account", () => {
    expect(messages({ encryption: { type: "KMS", kmsKeyArn: "arn:aws:kms:eu-west-1:493817264501:key/1234abcd-12ab-34cd-56ef-1234567890ab" } }).join()).toContain("a KMS key is regional: expected a key in eu-central-1");
    expect(messages({ encryption: { type: "KMS" }, replicationRegions: ["eu-west-1"] }).join()).toContain("encryption.templateRoleArn");
    expect(messages({ pullIdentity: { kind: "irsa", oidcProviderArn: "arn:aws:iam::111111111112:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC" } }).join()).toContain("must be in account 493817264501");
    expect(messages({ pullIdentity: { kind: "podIdentity", clusterName: "prod-eu" } })).toEqual([]);
  });

  it("the example-value guard names the AWS account id (AWS's documentation ids and counting placeholders)", () => {
    for (const id of ["123456789012", "111122223333", "000000000000"]) {
      const found = findExampleValues({ "registry-topology:backups": JSON.stringify([{ ...ECR, accountId: id }]) }, "prod");
      expect(found.map((f) => f.key)).toEqual(["backups[0].accountId"]);
      expect(found[0]!.fix).toContain("12-digit AWS account id");
    }
    expect(findExampleValues({ "registry-topology:backups": JSON.stringify([ECR]) }, "prod")).toEqual([]);
  });

  it("harbor.failureDomain takes <cloud>:<region> of a known region, or a site name", () => {
    const p = (failureDomain: string) => harborSchema.safeParse({ ...harbor(), failureDomain });
    expect(p("aws:eu-central-1").success).toBe(true);
    expect(p("dc1").success).toBe(true);
    const bad = p("aws:eu-centrl-1");
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.message).toContain('did you mean "aws:eu-central-1"');
  });
});

describe("ecr policy documents (pure)", () => {
  const scope = { accountId: "493817264501", regions: ["eu-central-1", "eu-west-1"], repositoryPrefix: "harbor-backup" };

  it("push: GetAuthorizationToken on * only, push actions on the home region's prefix ARNs only, no delete", () => {
    const doc = ecrPolicyDocument(scope, "push");
    expect(doc.Statement[0]).toEqual({ Sid: "DockerToken", Effect: "Allow", Action: ["ecr:GetAuthorizationToken"], Resource: ["*"] });
    expect(doc.Statement[1]!.Resource).toEqual(["arn:aws:ecr:eu-central-1:493817264501:repository/harbor-backup/*"]);
    expect(doc.Statement[1]!.Action).toContain("ecr:CreateRepository");
    expect(doc.Statement[1]!.Action).toContain("ecr:PutImage");
    expect(JSON.stringify(doc)).not.toContain("BatchDeleteImage");
    expect(JSON.stringify(doc)).not.toMatch(/"ecr:\*"|"\*:\*"/);
    expect(doc.Statement[1]!.Action).toContain("ecr:DescribeRepositories");
  });

  it("push with replication.deletion adds BatchDeleteImage (Harbor's DeleteManifest/DeleteTag) and nothing else", () => {
    const a = ecrPolicyDocument(scope, "push").Statement[1]!.Action;
    const b = ecrPolicyDocument(scope, "push", { replicateDeletions: true }).Statement[1]!.Action;
    expect(b.filter((x) => !a.includes(x))).toEqual(["ecr:BatchDeleteImage"]);
  });

  it("pull: read actions only, in every region the repositories exist in", () => {
    const doc = ecrPolicyDocument(scope, "pull");
    expect(doc.Statement[1]!.Action).toEqual(["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]);
    expect(doc.Statement[1]!.Resource).toEqual(repositoryArns(scope));
    expect(repositoryArns({ ...scope, regions: ["cn-north-1"] })).toEqual(["arn:aws-cn:ecr:cn-north-1:493817264501:repository/harbor-backup/*"]);
  });

  it("the Harbor URL is the registry host, which Harbor's ecrPattern parses into account and region", () => {
    const url = harborEcrUrl("493817264501", "eu-central-1");
    expect(url).toBe("https://493817264501.dkr.ecr.eu-central-1.amazonaws.com");
    const m = HARBOR_ECR_PATTERN.exec(url)!;
    expect([m[1], m[3]]).toEqual(["493817264501", "eu-central-1"]);
    expect(ecrHost("493817264501", "cn-north-1")).toBe("493817264501.dkr.ecr.cn-north-1.amazonaws.com.cn");
    expect(HARBOR_ECR_PATTERN.exec(harborEcrUrl("493817264501", "cn-north-1"))![3]).toBe("cn-north-1");
  });

  it("lifecycle rules only when configured; IRSA trust pinned to one service account and audience", () => {
    expect(lifecyclePolicyText(undefined)).toBeUndefined();
    const rules = JSON.parse(lifecyclePolicyText({ untaggedExpireDays: 14, keepTaggedCount: 100 })!).rules;
    expect(rules.map((r: { rulePriority: number }) => r.rulePriority)).toEqual([1, 2]);
    expect(rules[1].selection).toEqual({ tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: 100 });
    const trust = irsaTrustPolicy("arn:aws:iam::493817264501:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABC", { namespace: "kube-system", name: "rt" });
    expect(JSON.stringify(trust)).toContain('"oidc.eks.eu-central-1.amazonaws.com/id/ABC:sub":"system:serviceaccount:kube-system:rt"');
  });
});

describe("mock refusals (what AWS would refuse)", () => {
  const check = (type: string, inputs: Record<string, unknown>) => {
    takeMockRefusals();
    runMockChecks({ type, name: "x", inputs } as never);
    return takeMockRefusals().map((r) => r.problem);
  };
  it("ECR repository names and creation-template prefixes", () => {
    expect(check("aws:ecr/repository:Repository", { name: "Harbor/App" })).toHaveLength(1);
    expect(check("aws:ecr/repository:Repository", { name: "harbor/app" })).toEqual([]);
    expect(check("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate", { prefix: "bad__-x", region: "eu-west-1" })).toHaveLength(1);
  });
  it("IAM managed policy size (6,144 characters without whitespace) and names", () => {
    const big = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["ecr:BatchGetImage"], Resource: Array.from({ length: 120 }, (_, i) => `arn:aws:ecr:eu-central-1:493817264501:repository/harbor-backup/r${i}/*`) }] });
    expect(iamPolicySize(big)).toBeGreaterThan(6144);
    expect(check("aws:iam/policy:Policy", { name: "p", policy: big }).join()).toContain("IAM allows 6144");
    const doc = JSON.stringify(ecrPolicyDocument({ accountId: "493817264501", regions: ["eu-central-1"], repositoryPrefix: "harbor-backup" }, "push", { replicateDeletions: true }), null, 2);
    expect(check("aws:iam/policy:Policy", { name: "p", policy: doc })).toEqual([]);
    expect(check("aws:iam/user:User", { name: "x".repeat(65) })).toHaveLength(1);
  });
  it("regions of providers", () => {
    expect(check("pulumi:providers:aws", { region: "eu-centrl-1" }).join()).toContain('did you mean "eu-central-1"');
  });
});

describe("ecr render and policy", () => {
  let dir: string;
  let r: RenderResult;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecr-stack-"));
    r = await renderStack(
      stackFile(dir, "ecr-all", [
        { ...ECR, replicationRegions: ["eu-west-1"], repositories: ["library/app"], imageTagMutability: "IMMUTABLE", scanOnPush: true, lifecycle: { untaggedExpireDays: 30 } },
        { ...ECR, name: "ecr-irsa", region: "us-east-2", pullIdentity: { kind: "irsa", oidcProviderArn: "arn:aws:iam::493817264501:oidc-provider/oidc.eks.us-east-2.amazonaws.com/id/ABC" } },
      ], harbor(), { deletion: true }),
    );
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("registers the component with the aws-ecr adapter and an aws:<region> failure domain", () => {
    expect(one(r, TOKENS.ecrBackup, "ecr-fra").inputs).toEqual({ backupName: "ecr-fra", kind: "ecr", harborAdapter: "aws-ecr", failureDomain: "aws:eu-central-1" });
  });

  it("Harbor's endpoint is type aws-ecr with the registry URL naming account and region", () => {
    const eps = byType(r, TOKENS.harborRegistryEndpoint).filter((e) => String(e.inputs.name).startsWith("ecr-"));
    expect(eps.map((e) => [e.inputs.name, e.inputs.type, e.inputs.url])).toEqual([
      ["ecr-fra", "aws-ecr", "https://493817264501.dkr.ecr.eu-central-1.amazonaws.com"],
      ["ecr-irsa", "aws-ecr", "https://493817264501.dkr.ecr.us-east-2.amazonaws.com"],
    ]);
    for (const e of eps) expect(e.inputs.accessKey).toMatch(/^AKIA[A-Z0-9]{16}$/);
  });

  it("the provider pins region and account; only listed repositories are created, with the options", () => {
    const provider = one(r, "pulumi:providers:aws", "ecr-fra-provider");
    expect(provider.inputs).toMatchObject({ region: "eu-central-1" });
    expect(JSON.stringify(provider.inputs.allowedAccountIds)).toContain("493817264501");
    const repos = byType(r, "aws:ecr/repository:Repository");
    expect(repos.map((x) => x.inputs.name)).toEqual(["harbor-backup/library/app"]);
    expect(repos[0]!.inputs).toMatchObject({ imageTagMutability: "IMMUTABLE", imageScanningConfiguration: { scanOnPush: true }, encryptionConfigurations: [{ encryptionType: "AES256" }] });
    expect(byType(r, "aws:ecr/lifecyclePolicy:LifecyclePolicy")).toHaveLength(1);
  });

  it("replication to the other region, for the stack's prefix only, with a creation template there", () => {
    const rc = one(r, "aws:ecr/replicationConfiguration:ReplicationConfiguration");
    expect(rc.inputs.replicationConfiguration).toEqual({ rules: [{ destinations: [{ region: "eu-west-1", registryId: "493817264501" }], repositoryFilters: [{ filter: "harbor-backup", filterType: "PREFIX_MATCH" }] }] });
    const t = one(r, "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate");
    expect(t.inputs).toMatchObject({ region: "eu-west-1", prefix: "harbor-backup", appliedFors: ["REPLICATION"], imageTagMutability: "IMMUTABLE" });
  });

  it("identities: push and pull users with one policy each; delete only because replication.deletion is on; IRSA role without key", () => {
    const policies = Object.fromEntries(byType(r, "aws:iam/policy:Policy").map((p) => [p.name, JSON.parse(String(p.inputs.policy))]));
    expect(Object.keys(policies).sort()).toEqual(["ecr-fra-pull", "ecr-fra-push", "ecr-irsa-pull", "ecr-irsa-push"]);
    expect(policies["ecr-fra-push"].Statement[1].Action).toContain("ecr:BatchDeleteImage");
    expect(policies["ecr-fra-pull"].Statement[1].Resource).toEqual(["arn:aws:ecr:eu-central-1:493817264501:repository/harbor-backup/*", "arn:aws:ecr:eu-west-1:493817264501:repository/harbor-backup/*"]);
    expect(byType(r, "aws:iam/user:User").map((u) => u.name).sort()).toEqual(["ecr-fra-pull", "ecr-fra-push", "ecr-irsa-push"]);
    const role = one(r, "aws:iam/role:Role", "ecr-irsa-pull");
    expect(String(role.inputs.assumeRolePolicy)).toContain("system:serviceaccount:kube-system:registry-topology-token-refresher");
    for (const k of byType(r, "aws:iam/accessKey:AccessKey")) expect(k.additionalSecretOutputs).toContain("secret");
  });

  it("credentials reach the stack outputs only as a secret; the ECR pull identity is the access key (verify mints its own token)", () => {
    expect(r.outputs.registryCredentials?.secret).toBe(true);
    const creds = r.outputs.registryCredentials?.value as Record<string, { push: { username: string }; pull?: { username: string } }>;
    expect(creds["ecr-fra"]?.pull?.username).toMatch(/^AKIA/);
    expect(creds["ecr-irsa"]?.pull).toBeUndefined();
  });

  it("passes the policy when Harbor is elsewhere; an ECR backup in Harbor's own AWS region is flagged", async () => {
    // A second backup with a static pull credential gives region "eu" its backup mirror.
    const nas = { name: "nas", kind: "oci", url: "https://nas.dc2.example.com:5000/harbor-backup", failureDomain: "dc2", push: { username: "harbor", password: { secure: "v1:CCCC" } }, pull: { username: "mirror", password: { secure: "v1:DDDD" } } };
    const ok = await checkStack(stackFile(dir, "ecr-ok", [ECR, nas], harbor({ failureDomain: "aws:us-east-1" })));
    expect(ok.result.violations).toEqual([]);
    // An ECR backup alone covers the region: its mirror takes the token refresher's tokens.
    const alone = await checkStack(stackFile(dir, "ecr-alone", [ECR], harbor({ failureDomain: "aws:us-east-1" })));
    expect(alone.result.violations).toEqual([]);
    const same = await checkStack(stackFile(dir, "ecr-same", [ECR], harbor({ failureDomain: "aws:eu-central-1" })));
    expect(same.result.violations.map((v) => v.policy)).toEqual(["backup-outside-harbor-failure-domain"]);
    expect(same.result.violations[0]!.message).toContain(`backup "ecr-fra": it is in Harbor's failure domain "aws:eu-central-1" (same cloud region)`);
    expect(sameFailureDomain("aws:eu-central-1", "AWS:eu-central-1")).toBe(true);
    expect(sameFailureDomain("aws:eu-central-1", "aws:eu-west-1")).toBe(false);
    expect(sameFailureDomain("aws:eu-central-1", "azure:eu-central-1")).toBe(false);
  });
});

describe("no-registry-admin-credentials knows AWS", () => {
  it("flags *, ecr:*, iam:* and ECR actions on every repository, and admin managed policies; passes the stack's own policies", async () => {
    const { awsAdminStatements } = await import("../policy/policies");
    const scope = { accountId: "493817264501", regions: ["eu-central-1"], repositoryPrefix: "harbor-backup" };
    for (const role of ["push", "pull"] as const) expect(awsAdminStatements(JSON.stringify(ecrPolicyDocument(scope, role, { replicateDeletions: true })))).toEqual([]);
    const doc = (Action: unknown, Resource: unknown) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action, Resource }] });
    expect(awsAdminStatements(doc("*", "*"))).toEqual(["* on *"]);
    expect(awsAdminStatements(doc(["ecr:*"], ["arn:aws:ecr:eu-central-1:493817264501:repository/x/*"]))).toHaveLength(1);
    expect(awsAdminStatements(doc(["ecr:PutImage"], "*"))).toEqual(["ecr:PutImage on every repository (*)"]);
  });
});
