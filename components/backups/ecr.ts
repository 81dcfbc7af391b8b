import * as ecr from "@pulumi/aws/ecr";
import * as eks from "@pulumi/aws/eks";
import * as iam from "@pulumi/aws/iam";
import { Provider } from "@pulumi/aws/provider";
import * as pulumi from "@pulumi/pulumi";
import type { EcrBackupSettings } from "./args";
import { REFRESHER_NAMESPACE, REFRESHER_SERVICE_ACCOUNT } from "../refresher/names";
import { TOKENS, type BackupComponentProps, type RegistryEndpoint } from "../types";
import { ecrHost, ecrPolicyDocument, harborEcrUrl, irsaTrustPolicy, lifecyclePolicyText, podIdentityTrustPolicy } from "./ecrPolicy";
import { identityName, rotationSuffix } from "../shared/naming";

export interface EcrBackupArgs {
  config: EcrBackupSettings;
  /** Harbor replicates deletions: the push user may also delete images (ecr:BatchDeleteImage). */
  replicateDeletions?: boolean;
}

/**
 * Amazon ECR backup. Harbor's aws-ecr adapter creates every repository it pushes to (v2.15.1
 * PrepareForPush: DescribeRepositories, then CreateRepository with the name only), so the stack
 * creates only the repositories listed in config (they carry the options), a creation template
 * for the repositories ECR replication creates in the other regions, the registry replication
 * rule, and the identities: an IAM user + access key for Harbor (push), and a pull identity for
 * the token refresher (IAM user + key, or a role for IRSA / Pod Identity).
 */
export class EcrBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;

  constructor(name: string, args: EcrBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: BackupComponentProps = { backupName: c.name, kind: "ecr", harborAdapter: "aws-ecr", failureDomain: `aws:${c.region}` };
    super(TOKENS.ecrBackup, name, props, opts);

    // Region from this backup; allowedAccountIds: a deploy with credentials of any other account fails before creating anything.
    const provider = new Provider(`${name}-provider`, { region: c.region, allowedAccountIds: [c.accountId] }, { parent: this });
    const child = { parent: this, provider };
    const stack = pulumi.getStack();
    const scope = { accountId: c.accountId, regions: [c.region, ...c.replicationRegions], repositoryPrefix: c.repositoryPrefix };
    const tags = { "managed-by": "registry-topology", "registry-topology/stack": stack, "registry-topology/backup": c.name };

    const encryptionConfigurations = [c.encryption.type === "KMS" ? { encryptionType: "KMS", kmsKey: c.encryption.kmsKeyArn } : { encryptionType: "AES256" }];
    const lifecycle = lifecyclePolicyText(c.lifecycle);
    for (const path of c.repositories) {
      const repositoryName = `${c.repositoryPrefix}/${path}`;
      const safe = path.replace(/[^a-z0-9-]/g, "-");
      const repo = new ecr.Repository(
        `${name}-${safe}`,
        { name: repositoryName, imageTagMutability: c.imageTagMutability, encryptionConfigurations, imageScanningConfiguration: { scanOnPush: c.scanOnPush }, forceDelete: false, tags },
        { ...child, protect: false },
      );
      if (lifecycle) new ecr.LifecyclePolicy(`${name}-${safe}`, { repository: repo.name, policy: lifecycle }, child);
    }

    if (c.replicationRegions.length > 0) {
      // One rule for the stack's prefix. PutReplicationConfiguration replaces the registry's whole
      // configuration: docs/backups-ecr.md says so (one stack per account and region owns it).
      new ecr.ReplicationConfiguration(
        `${name}-replication`,
        {
          replicationConfiguration: {
            rules: [{ destinations: c.replicationRegions.map((region) => ({ region, registryId: c.accountId })), repositoryFilters: [{ filter: c.repositoryPrefix, filterType: "PREFIX_MATCH" }] }],
          },
        },
        child,
      );
      // Replicated repositories are created by ECR in each destination region, with the settings
      // of a creation template for their prefix (appliedFor REPLICATION), else ECR's defaults.
      for (const region of c.replicationRegions) {
        new ecr.RepositoryCreationTemplate(
          `${name}-template-${region}`,
          {
            region,
            prefix: c.repositoryPrefix,
            appliedFors: ["REPLICATION"],
            description: `registry-topology ${stack} ${c.name}: replicas of Harbor's backup`,
            imageTagMutability: c.imageTagMutability,
            // A KMS key is regional: replicas use the AWS managed key of their region.
            encryptionConfigurations: [c.encryption.type === "KMS" ? { encryptionType: "KMS" } : { encryptionType: "AES256" }],
            customRoleArn: c.encryption.type === "KMS" ? c.encryption.templateRoleArn : undefined,
            lifecyclePolicy: lifecycle,
            resourceTags: tags,
          },
          child,
        );
      }
    }

    const policy = (role: "push" | "pull") =>
      new iam.Policy(
        `${name}-${role}`,
        {
          name: identityName(stack, c.name, role, 128),
          description: `registry-topology: ECR ${role} on ${c.repositoryPrefix}/* only`,
          policy: JSON.stringify(ecrPolicyDocument(scope, role, { replicateDeletions: args.replicateDeletions })),
          tags,
        },
        child,
      );
    const user = (role: "push" | "pull") => {
      const u = new iam.User(`${name}-${role}`, { name: identityName(stack, c.name, role), path: "/registry-topology/", forceDestroy: true, tags }, child);
      new iam.UserPolicyAttachment(`${name}-${role}`, { user: u.name, policyArn: policy(role).arn }, child);
      // A new logical name per rotation value: the new key exists before the old one is deleted.
      return new iam.AccessKey(`${name}-${role}-${rotationSuffix(c.credentialRotation)}`, { user: u.name }, { ...child, additionalSecretOutputs: ["secret"] });
    };

    const pushKey = user("push");
    let pull: RegistryEndpoint["pull"];
    let roleArn: pulumi.Output<string> | undefined;
    const pi = c.pullIdentity;
    if (pi.kind === "accessKey") {
      const pullKey = user("pull");
      pull = { username: pullKey.id, password: pulumi.secret(pullKey.secret) };
    } else {
      const sa = { namespace: REFRESHER_NAMESPACE, name: REFRESHER_SERVICE_ACCOUNT };
      const trust = pi.kind === "irsa" ? irsaTrustPolicy(pi.oidcProviderArn, sa) : podIdentityTrustPolicy();
      const role = new iam.Role(`${name}-pull`, { name: identityName(stack, c.name, "pull"), path: "/registry-topology/", assumeRolePolicy: JSON.stringify(trust), maxSessionDuration: 3600, tags }, child);
      new iam.RolePolicyAttachment(`${name}-pull`, { role: role.name, policyArn: policy("pull").arn }, child);
      if (pi.kind === "podIdentity") {
        new eks.PodIdentityAssociation(`${name}-pull`, { clusterName: pi.clusterName, namespace: sa.namespace, serviceAccount: sa.name, roleArn: role.arn, tags }, child);
      }
      roleArn = role.arn;
    }

    const host = ecrHost(c.accountId, c.region);
    this.endpoint = {
      name: c.name,
      kind: "ecr",
      host: pulumi.output(host),
      pathPrefix: pulumi.output(c.repositoryPrefix),
      keepsProjectPath: true,
      url: pulumi.output(harborEcrUrl(c.accountId, c.region)),
      harborAdapter: "aws-ecr",
      push: { username: pushKey.id, password: pulumi.secret(pushKey.secret) },
      pull,
      tokenMint: { kind: "ecr", region: c.region, registryId: c.accountId, identity: pi.kind, ...(roleArn ? { roleArn } : {}) },
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host: this.endpoint.host, repositoryPrefix: c.repositoryPrefix, pushUser: identityName(stack, c.name, "push") });
  }
}
