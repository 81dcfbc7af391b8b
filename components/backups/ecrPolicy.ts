/** IAM policy documents, names and URLs for an Amazon ECR backup (pure, unit-tested). */
import { awsPartition } from "./awsPartition";

export interface EcrScope {
  accountId: string;
  /** Home region first, then the replication regions (replicated repositories keep their names). */
  regions: readonly string[];
  repositoryPrefix: string;
}

export interface IamStatement {
  Sid: string;
  Effect: "Allow";
  Action: string[];
  Resource: string[];
}

export interface IamPolicyDocument {
  Version: "2012-10-17";
  Statement: IamStatement[];
}

/**
 * Every repository under the prefix, in every region the stack's repositories exist in. ECR
 * repository ARN: `arn:${Partition}:ecr:${Region}:${Account}:repository/${RepositoryName}`
 * (AWS Service Authorization Reference, "Actions, resources, and condition keys for Amazon
 * Elastic Container Registry", resource type `repository`).
 */
export function repositoryArns(s: EcrScope): string[] {
  return s.regions.map((r) => `arn:${awsPartition(r)}:ecr:${r}:${s.accountId}:repository/${s.repositoryPrefix}/*`);
}

/*
 * Actions, each one a call Harbor's aws-ecr adapter (v2.15.1, src/pkg/reg/adapter/awsecr) or a
 * region mirror makes, as named in AWS's Service Authorization Reference for ECR and the ECR User
 * Guide ("Private repository policies" / "Pushing an image": the push and pull permission sets):
 * - GetAuthorizationToken: the docker credential (awsecr/auth.go getAuthorization for Harbor; the
 *   token refresher for mirrors). Its only resource type is `*`: scoped to a repository it never
 *   matches.
 * - DescribeRepositories + CreateRepository: Harbor's PrepareForPush checks each repository and
 *   creates it, by name only, when missing (adapter.go checkRepository / createRepository).
 * - BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
 *   PutImage: a docker push (native adapter PushBlob / PushManifest through the ECR registry API).
 * - BatchGetImage: manifest reads and HEADs (native ManifestExist before a push; mirror pulls).
 * - GetDownloadUrlForLayer: blob reads (mirror pulls; Harbor's blob-exists HEAD).
 * - BatchDeleteImage: DeleteManifest / DeleteTag (adapter.go), only when Harbor replicates deletions.
 */
export const ECR_TOKEN_ACTIONS = ["ecr:GetAuthorizationToken"] as const;
export const ECR_PULL_ACTIONS = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"] as const;
export const ECR_PUSH_ACTIONS = [
  "ecr:BatchCheckLayerAvailability",
  "ecr:BatchGetImage",
  "ecr:CompleteLayerUpload",
  "ecr:CreateRepository",
  "ecr:DescribeRepositories",
  "ecr:GetDownloadUrlForLayer",
  "ecr:InitiateLayerUpload",
  "ecr:PutImage",
  "ecr:UploadLayerPart",
] as const;
export const ECR_DELETE_ACTIONS = ["ecr:BatchDeleteImage"] as const;

export function ecrPolicyDocument(s: EcrScope, role: "push" | "pull", opts: { replicateDeletions?: boolean } = {}): IamPolicyDocument {
  // Harbor pushes only to the home region; ECR's own replication fills the others.
  const scope = role === "push" ? { ...s, regions: s.regions.slice(0, 1) } : s;
  const actions = role === "pull" ? [...ECR_PULL_ACTIONS] : [...ECR_PUSH_ACTIONS, ...(opts.replicateDeletions ? ECR_DELETE_ACTIONS : [])];
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "DockerToken", Effect: "Allow", Action: [...ECR_TOKEN_ACTIONS], Resource: ["*"] },
      { Sid: role === "push" ? "HarborPush" : "MirrorPull", Effect: "Allow", Action: actions.sort(), Resource: repositoryArns(scope) },
    ],
  };
}

/** ECR's registry host: `<account>.dkr.ecr.<region>.amazonaws.com` (`.com.cn` in China). */
export function ecrHost(accountId: string, region: string): string {
  return `${accountId}.dkr.ecr.${region}.amazonaws.com${awsPartition(region) === "aws-cn" ? ".cn" : ""}`;
}

/**
 * The URL Harbor's aws-ecr endpoint takes. The adapter reads the account and the region out of
 * it with `ecrPattern` = `https://(?:api|(\d+)\.dkr)\.ecr(\-fips)?\.([\w\-]+)\.(amazonaws\.com(\.cn)?|...)`
 * (adapter.go parseAccountRegion) and then asks GetAuthorizationToken for that account
 * (auth.go getAuthorization: RegistryIds = [account] when the URL names one) and sends registry
 * calls to the token's proxyEndpoint. The registry host form names the account, so the token is
 * the one for the stack's registry.
 */
export const HARBOR_ECR_PATTERN = /^https:\/\/(?:api|(\d+)\.dkr)\.ecr(-fips)?\.([\w-]+)\.(amazonaws\.com(\.cn)?|sc2s\.sgov\.gov|c2s\.ic\.gov)/;
export function harborEcrUrl(accountId: string, region: string): string {
  return `https://${ecrHost(accountId, region)}`;
}

/**
 * ECR lifecycle policy text (ECR User Guide, "Lifecycle policy parameters"): rule priorities
 * unique, `tagStatus` untagged/tagged/any, `countType` sinceImagePushed (with countUnit days) or
 * imageCountMoreThan. `tagged` needs a tagPatternList or tagPrefixList: ["*"] matches every tag.
 */
export function lifecyclePolicyText(l: { untaggedExpireDays?: number; keepTaggedCount?: number } | undefined): string | undefined {
  const rules: Record<string, unknown>[] = [];
  if (l?.untaggedExpireDays !== undefined) {
    rules.push({
      rulePriority: rules.length + 1,
      description: `expire untagged images after ${l.untaggedExpireDays} days`,
      selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: l.untaggedExpireDays },
      action: { type: "expire" },
    });
  }
  if (l?.keepTaggedCount !== undefined) {
    rules.push({
      rulePriority: rules.length + 1,
      description: `keep the ${l.keepTaggedCount} most recent tagged images`,
      selection: { tagStatus: "tagged", tagPatternList: ["*"], countType: "imageCountMoreThan", countNumber: l.keepTaggedCount },
      action: { type: "expire" },
    });
  }
  return rules.length > 0 ? JSON.stringify({ rules }) : undefined;
}

/** IRSA trust: the cluster's OIDC provider, for one service account only (sub and aud pinned). */
export function irsaTrustPolicy(oidcProviderArn: string, serviceAccount: { namespace: string; name: string }): Record<string, unknown> {
  const issuer = oidcProviderArn.replace(/^arn:[^:]+:iam::\d{12}:oidc-provider\//, "");
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidcProviderArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: { StringEquals: { [`${issuer}:sub`]: `system:serviceaccount:${serviceAccount.namespace}:${serviceAccount.name}`, [`${issuer}:aud`]: "sts.amazonaws.com" } },
      },
    ],
  };
}

/** EKS Pod Identity trust (EKS User Guide, "Pod Identity": principal pods.eks.amazonaws.com, AssumeRole + TagSession). */
export function podIdentityTrustPolicy(): Record<string, unknown> {
  return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }] };
}

/** IAM managed policies: at most 6,144 characters, whitespace not counted (IAM User Guide, "IAM and AWS STS quotas"). */
export const IAM_MANAGED_POLICY_MAX_CHARS = 6144;
export function iamPolicySize(document: string): number {
  return document.replace(/\s/g, "").length;
}
