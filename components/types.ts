import type * as pulumi from "@pulumi/pulumi";

/** A user name and a password/token. `password` is always a Pulumi secret. */
export interface Credential {
  username: pulumi.Input<string>;
  password: pulumi.Output<string>;
}

export type RegistryKind = "harbor" | "acr" | "gar" | "icr" | "alibaba" | "oci" | "ecr";

/** Harbor replication adapter type for a backup's endpoint. */
export type HarborAdapter = "azure-acr" | "google-gcr" | "docker-registry" | "ali-acr" | "harbor" | "aws-ecr";

/**
 * Where a registry is and how images are laid out on it, without credentials: Harbor itself
 * (for the region mirrors and the stack outputs) and every backup.
 */
export interface RegistryRef {
  /** Unique in the stack: "harbor", "acr-weu". */
  name: string;
  kind: RegistryKind;
  /** Login host, no scheme (may carry a port). */
  host: pulumi.Output<string>;
  /** Where Harbor projects land on this registry ("" or "proj/repo"). */
  pathPrefix: pulumi.Output<string>;
  /**
   * true: Harbor's `library/app` lands at `<pathPrefix>/library/app` (replace count 0).
   * false: the project level is dropped, `<pathPrefix>/app` (registries with a fixed
   * namespace/repository depth, e.g. Alibaba ACR).
   */
  keepsProjectPath: boolean;
  /** URL Harbor's registry endpoint uses (Artifact Registry: https://<loc>-docker.pkg.dev). */
  url: pulumi.Output<string>;
  harborAdapter: HarborAdapter;
  /** What fails together with this registry, e.g. "azure:westeurope", "harbor-cluster". */
  failureDomain: string;
  /** TLS verification off toward this registry (only with allowInsecureUpstreams). */
  insecure: boolean;
}

/**
 * The one value that crosses every boundary between a backup registry and its consumers
 * (Harbor replication, region mirrors, the policy pack, stack outputs).
 */
export interface RegistryEndpoint extends RegistryRef {
  /** Harbor replication: write on that path only. */
  push: Credential;
  /** Region mirrors: read-only. */
  pull?: Credential;
  /**
   * Set when `pull` is not a docker password but a cloud identity the registry's docker tokens
   * are minted from (ECR: an IAM access key, docker user "AWS" + GetAuthorizationToken). Mirrors
   * take such a backup only through the token refresher (docs/token-refresher.md).
   */
  tokenMint?: TokenMint;
}

/**
 * How a short-lived docker credential is minted for a backup (no secret in it): by the token
 * refresher for the mirrors (components/refresher), by `npm run verify` for its reads.
 * - ECR: GetAuthorizationToken in `region` for `registryId`, as the pull identity: its access key
 *   (`identity: "accessKey"`, the backup's `pull` credential) or the role the refresher's service
 *   account holds (IRSA or EKS Pod Identity, `roleArn`).
 * - Alibaba: GetAuthorizationToken (Enterprise Edition of instance `instanceId`, else Personal
 *   Edition), with the pull RAM user's AccessKey (the backup's `pull` credential).
 */
export type TokenMint =
  | { kind: "ecr"; region: string; registryId: string; identity: "accessKey" | "irsa" | "podIdentity"; roleArn?: pulumi.Output<string> }
  | { kind: "alibaba"; region: string; instanceId?: string };

/**
 * Type tokens of this package: registry-topology:<module>:<Type> for components, and
 * pulumi-nodejs:dynamic/<module>:<Type> for dynamic resources. The policy pack matches on these.
 */
export const TOKENS = {
  topology: "registry-topology:index:RegistryTopology",
  harbor: "registry-topology:harbor:Harbor",
  harborReplication: "registry-topology:harbor:Replication",
  acrBackup: "registry-topology:backups:AcrBackup",
  garBackup: "registry-topology:backups:GarBackup",
  icrBackup: "registry-topology:backups:IcrBackup",
  alibabaBackup: "registry-topology:backups:AlibabaBackup",
  ociBackup: "registry-topology:backups:OciBackup",
  ecrBackup: "registry-topology:backups:EcrBackup",
  regionMirrors: "registry-topology:mirrors:RegionMirrors",
  tokenRefresher: "registry-topology:refresher:TokenRefresher",
  harborProject: "pulumi-nodejs:dynamic/harbor:Project",
  harborRegistryEndpoint: "pulumi-nodejs:dynamic/harbor:RegistryEndpoint",
  harborReplicationPolicy: "pulumi-nodejs:dynamic/harbor:ReplicationPolicy",
  harborRobotAccount: "pulumi-nodejs:dynamic/harbor:RobotAccount",
} as const;

/** Inputs every backup component registers (visible to the policy pack; nothing secret). */
export interface BackupComponentProps {
  backupName: string;
  kind: RegistryKind;
  harborAdapter: HarborAdapter;
  failureDomain: string;
}
