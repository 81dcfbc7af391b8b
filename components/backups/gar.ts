import * as artifactregistry from "@pulumi/gcp/artifactregistry";
import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as pulumi from "@pulumi/pulumi";
import type { GarBackupConfig } from "../../infra/config/backups";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../types";
import { gcpAccountId } from "./naming";

export const GAR_ROLES = {
  push: "roles/artifactregistry.writer",
  pull: "roles/artifactregistry.reader",
} as const;

/** Artifact Registry's Docker host for a location (region or multi-region). */
export function garHost(location: string): string {
  return `${location}-docker.pkg.dev`;
}

/** Service-account keys arrive as base64 of the JSON key file; Harbor's `_json_key` wants the JSON. */
export function decodeKeyFile(privateKey: string): string {
  return Buffer.from(privateKey, "base64").toString("utf8");
}

export interface GarBackupArgs {
  config: GarBackupConfig;
}

/**
 * Google Artifact Registry backup: one Docker repository and two service accounts with keys,
 * writer (Harbor) and reader (mirrors), each bound on this repository only.
 */
export class GarBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;
  declare readonly repository: artifactregistry.Repository;

  constructor(name: string, args: GarBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: BackupComponentProps = { backupName: c.name, kind: "gar", harborAdapter: "google-gcr", failureDomain: `gcp:${c.location}` };
    super(TOKENS.garBackup, name, props, opts);

    // Enabling an API is idempotent; leave it on when this stack goes away (others may use it).
    const apis = ["artifactregistry.googleapis.com", "iam.googleapis.com"].map(
      (service) => new projects.Service(`${name}-${service.split(".")[0]}`, { project: c.project, service, disableOnDestroy: false }, { parent: this }),
    );
    const repository = new artifactregistry.Repository(
      `${name}-repository`,
      {
        project: c.project,
        location: c.location,
        repositoryId: c.repositoryId,
        format: "DOCKER",
        mode: "STANDARD_REPOSITORY",
        description: c.description ?? `Harbor backup (registry-topology ${pulumi.getStack()})`,
        labels: { "managed-by": "registry-topology", backup: c.name },
      },
      { parent: this, dependsOn: apis },
    );

    const identity = (role: "push" | "pull"): Credential => {
      const account = new serviceaccount.Account(
        `${name}-${role}`,
        {
          project: c.project,
          accountId: gcpAccountId(c.name, role),
          displayName: `registry-topology ${c.name} ${role}`,
          description: `${GAR_ROLES[role]} on ${c.location}/${c.repositoryId} only`,
        },
        { parent: this, dependsOn: apis },
      );
      const key = new serviceaccount.Key(
        `${name}-${role}`,
        { serviceAccountId: account.name, keepers: { rotation: c.credentialRotation } },
        { parent: this, additionalSecretOutputs: ["privateKey"] },
      );
      new artifactregistry.RepositoryIamMember(
        `${name}-${role}`,
        { project: c.project, location: repository.location, repository: repository.name, role: GAR_ROLES[role], member: account.member },
        { parent: this },
      );
      return { username: "_json_key", password: pulumi.secret(key.privateKey.apply(decodeKeyFile)) };
    };

    const push = identity("push");
    const pull = identity("pull");
    const host = pulumi.output(garHost(c.location));
    this.repository = repository;
    this.endpoint = {
      name: c.name,
      kind: "gar",
      host,
      pathPrefix: pulumi.output(`${c.project}/${c.repositoryId}`),
      keepsProjectPath: true,
      url: pulumi.output(`https://${garHost(c.location)}`),
      harborAdapter: "google-gcr",
      push,
      pull,
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host, pathPrefix: this.endpoint.pathPrefix, registryUri: repository.registryUri });
  }
}
