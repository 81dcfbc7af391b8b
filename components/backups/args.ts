// What each backup component takes. The components own these types; the program's config
// loader produces values checked against them at compile time.
import type * as pulumi from "@pulumi/pulumi";
import type { IcrRegion } from "./icr/hosts";

/** A user name and a password that stays a Pulumi secret. */
export interface SecretCredential {
  username: string;
  password: pulumi.Output<string>;
}

interface BackupCommonSettings {
  /** Unique in the stack; names the identities and Harbor's endpoint. */
  name: string;
  /** Change it to rotate the backup's machine credentials. */
  credentialRotation: string;
}

export interface AcrBackupSettings extends BackupCommonSettings {
  kind: "acr";
  resourceGroupName: string;
  location: string;
  registryName: string;
  sku: "Basic" | "Standard" | "Premium";
  geoReplicationLocations: string[];
  credentialLifetimeDays: number;
}

export interface GarBackupSettings extends BackupCommonSettings {
  kind: "gar";
  project: string;
  location: string;
  repositoryId: string;
  description?: string;
}

export interface IcrBackupSettings extends BackupCommonSettings {
  kind: "icr";
  region: IcrRegion;
  namespace: string;
  accountId: string;
  resourceGroupId?: string;
}

export interface AlibabaBackupSettings extends BackupCommonSettings {
  kind: "alibaba";
  region: string;
  namespace: string;
  international: boolean;
  instanceId?: string;
  instanceName?: string;
  pullCredential?: SecretCredential;
}

export interface OciBackupSettings extends BackupCommonSettings {
  kind: "oci";
  insecure: boolean;
  url?: string;
  failureDomain?: string;
  push?: SecretCredential;
  pull?: SecretCredential;
  inCluster?: {
    namespace: string;
    storageSize: string;
    nodePort: number;
    nodeAddress: string;
    storageClass?: string;
  };
}

export interface EcrBackupSettings extends BackupCommonSettings {
  kind: "ecr";
  /** The AWS account that holds the registry (12 digits). */
  accountId: string;
  region: string;
  /** Where Harbor's projects land: `<repositoryPrefix>/<project>/<repository>`. */
  repositoryPrefix: string;
  /** ECR registry replication to these regions (same account). */
  replicationRegions: string[];
  /** Repositories (under repositoryPrefix) the stack creates with the options below. */
  repositories: string[];
  imageTagMutability: "MUTABLE" | "IMMUTABLE";
  encryption: { type: "AES256" } | { type: "KMS"; kmsKeyArn?: string; templateRoleArn?: string };
  scanOnPush: boolean;
  lifecycle?: { untaggedExpireDays?: number; keepTaggedCount?: number };
  /** How the token refresher reads: an access key, or a role (IRSA or EKS Pod Identity). */
  pullIdentity: { kind: "accessKey" } | { kind: "irsa"; oidcProviderArn: string } | { kind: "podIdentity"; clusterName: string };
}

export type BackupSettings = AcrBackupSettings | GarBackupSettings | IcrBackupSettings | AlibabaBackupSettings | OciBackupSettings | EcrBackupSettings;
export type BackupKind = BackupSettings["kind"];
