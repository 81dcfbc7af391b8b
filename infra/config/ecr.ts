import { z } from "zod";
import { AWS_REGION_LIST } from "./cloud-regions/aws";
import { allowUnlistedRegion, checkRegion } from "./cloud-regions/check";

/**
 * One segment of an ECR repository name: lowercase letters and digits, separated by single `.`,
 * `_`, `-` (`__` also allowed). Amazon ECR API Reference, CreateRepository `repositoryName`:
 * length 2-256, pattern `(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*` (the regex below).
 */
export const ECR_NAME_SEGMENT = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const ECR_REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

/** Why `name` is not a valid ECR repository name (CreateRepository rules), or undefined. */
export function ecrRepositoryNameProblem(name: string): string | undefined {
  if (name.length < 2 || name.length > 256) return `"${name}" must be 2-256 characters (ECR repository names)`;
  if (!ECR_REPOSITORY_NAME.test(name)) return `"${name}" must be lowercase letters and digits in '/'-separated segments, each separated inside by single '.', '_' or '-' (ECR repository names)`;
  return undefined;
}

const repositoryPath = z.string().superRefine((v, ctx) => {
  const problem = ecrRepositoryNameProblem(v);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/** How the region mirrors' token refresher gets the pull identity (docs/backups-ecr.md). */
const pullIdentity = z.discriminatedUnion("kind", [
  /** An IAM user with an access key, held in a Kubernetes Secret the refresher reads. */
  z.strictObject({ kind: z.literal("accessKey") }),
  /** EKS IAM roles for service accounts: a role trusted by the cluster's OIDC provider for the refresher's service account. */
  z.strictObject({
    kind: z.literal("irsa"),
    oidcProviderArn: z.string().regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:oidc-provider\/.+$/, "expected the cluster's IAM OIDC provider ARN, arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>"),
  }),
  /** EKS Pod Identity: a role trusted by pods.eks.amazonaws.com, associated with the refresher's service account. */
  z.strictObject({
    kind: z.literal("podIdentity"),
    clusterName: z.string().regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, "expected the EKS cluster name"),
  }),
]);

const encryption = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("AES256") }),
  z.strictObject({
    type: z.literal("KMS"),
    /** A key in the backup's region; absent: the AWS managed key aws/ecr. */
    kmsKeyArn: z.string().regex(/^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key\/[0-9a-f-]+$/, "expected a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>").optional(),
    /**
     * An existing IAM role ECR assumes to create replicated repositories with KMS encryption
     * (RepositoryCreationTemplate `customRoleArn`, "required if using ... KMS encryption").
     */
    templateRoleArn: z.string().regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/.+$/, "expected an IAM role ARN").optional(),
  }),
]);

/** The ecr backup's own keys; backups.ts adds the keys every kind shares. */
export const ecrFields = {
      kind: z.literal("ecr"),
      /** The AWS account that holds the registry (12 digits); deploys refuse any other account. */
      accountId: z.string().regex(/^\d{12}$/, "expected the 12-digit AWS account id"),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "expected an AWS region such as eu-central-1"),
      /** Where Harbor's projects land: `<repositoryPrefix>/<project>/<repository>`. */
      repositoryPrefix: repositoryPath.default("harbor-backup"),
      /** ECR registry replication to these regions (same account), for the stack's repositories only. */
      replicationRegions: z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "expected an AWS region such as eu-west-1")).default([]),
      /**
       * Repositories (paths under repositoryPrefix, e.g. "library/app") created by the stack with the
       * options below. Harbor's aws-ecr adapter creates any other repository itself, by name only
       * (ECR defaults: AES256, mutable tags, no lifecycle, no scan): docs/backups-ecr.md.
       */
      repositories: z.array(repositoryPath).default([]),
      imageTagMutability: z.enum(["MUTABLE", "IMMUTABLE"]).default("MUTABLE"),
      encryption: encryption.default({ type: "AES256" }),
      scanOnPush: z.boolean().default(false),
      /** Lifecycle rules for the stack's repositories (none by default: a backup keeps everything). */
      lifecycle: z
        .strictObject({
          /** Expire untagged images this many days after push. */
          untaggedExpireDays: z.number().int().min(1).max(3650).optional(),
          /** Keep only this many most recent tagged images per repository. */
          keepTaggedCount: z.number().int().min(1).max(10000).optional(),
        })
        .optional(),
      pullIdentity: pullIdentity.default({ kind: "accessKey" }),
      allowUnlistedRegion,
};

// Only its type is used (the checked value of checkEcr).
const _ecrOnly = z.strictObject(ecrFields);

/** Cross-key checks of an ecr backup (regions, names, KMS, identity account). */
export function checkEcr(v: z.output<typeof _ecrOnly>, ctx: z.RefinementCtx): void {
      checkRegion(ctx, ["region"], v.region, AWS_REGION_LIST, v.allowUnlistedRegion);
      v.replicationRegions.forEach((r, i) => {
        checkRegion(ctx, ["replicationRegions", i], r, AWS_REGION_LIST, v.allowUnlistedRegion);
        if (r === v.region) ctx.addIssue({ code: "custom", path: ["replicationRegions", i], message: `cannot replicate into the home region ${v.region}` });
        if (v.replicationRegions.indexOf(r) !== i) ctx.addIssue({ code: "custom", path: ["replicationRegions", i], message: `${r} is listed twice` });
      });
      // ECR PutReplicationConfiguration: at most 25 destinations per rule.
      if (v.replicationRegions.length > 25) ctx.addIssue({ code: "custom", path: ["replicationRegions"], message: "ECR replicates to at most 25 destinations per rule" });
      const full = (p: string) => `${v.repositoryPrefix}/${p}`;
      v.repositories.forEach((p, i) => {
        const problem = ecrRepositoryNameProblem(full(p));
        if (problem) ctx.addIssue({ code: "custom", path: ["repositories", i], message: problem });
      });
      if (v.encryption.type === "KMS" && v.encryption.kmsKeyArn && !v.encryption.kmsKeyArn.includes(`:kms:${v.region}:`)) {
        ctx.addIssue({ code: "custom", path: ["encryption", "kmsKeyArn"], message: `a KMS key is regional: expected a key in ${v.region}` });
      }
      if (v.encryption.type === "KMS" && v.replicationRegions.length > 0 && !v.encryption.templateRoleArn) {
        ctx.addIssue({ code: "custom", path: ["encryption", "templateRoleArn"], message: "KMS encryption of replicated repositories needs a role ECR assumes (RepositoryCreationTemplate customRoleArn); set templateRoleArn or use AES256" });
      }
      if (v.pullIdentity.kind === "irsa") {
        const acct = /:iam::(\d{12}):/.exec(v.pullIdentity.oidcProviderArn)?.[1];
        if (acct !== v.accountId) ctx.addIssue({ code: "custom", path: ["pullIdentity", "oidcProviderArn"], message: `the OIDC provider must be in account ${v.accountId} (where the role is created)` });
      }
}
