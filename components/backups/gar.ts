import * as artifactregistry from "@pulumi/gcp/artifactregistry";
import * as projects from "@pulumi/gcp/projects";
import * as serviceaccount from "@pulumi/gcp/serviceaccount";
import * as pulumi from "@pulumi/pulumi";
import type { GarBackupSettings } from "./args";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../types";
import { gcpAccountId, gcpRoleId } from "../shared/naming";

export const GAR_ROLES = {
  push: "roles/artifactregistry.writer",
  pull: "roles/artifactregistry.reader",
} as const;

/**
 * What Harbor's google-gcr adapter needs to replicate a deletion, and nothing else: it deletes
 * each tag, then the manifest (DeleteManifest: DELETE /v2/<repo>/manifests/<tag>, then
 * .../<digest>; DeleteTag: DELETE .../manifests/<tag>; Harbor v2.15.1
 * src/pkg/reg/adapter/googlegcr/adapter.go). In Artifact Registry's permission model (Google
 * Cloud "Artifact Registry roles and permissions") those are `tags.delete` and `versions.delete`;
 * `roles/artifactregistry.writer` has neither, and the predefined role that has them
 * (`repoAdmin`) also deletes packages and changes tags. Which IAM permission each Docker API
 * DELETE checks is taken from that model, not observed against a live registry here.
 */
export const GAR_DELETE_PERMISSIONS = ["artifactregistry.tags.delete", "artifactregistry.versions.delete"] as const;

/**
 * Harbor adapter for `https://<loc>-docker.pkg.dev` with user `_json_key` and the key file as
 * password. Evidence, from Harbor v2.15.1's source (goharbor/harbor tag v2.15.1):
 * - Push is the same code for `google-gcr` and `docker-registry`: googlegcr.adapter embeds
 *   native.Adapter and overrides only Info, HealthCheck, DeleteManifest and DeleteTag
 *   (src/pkg/reg/adapter/googlegcr/adapter.go); both use native.NewAdapter, i.e. registry basic
 *   credentials exchanged for a bearer token at the realm the registry names
 *   (src/pkg/reg/adapter/native/adapter.go NewAdapter). Nothing in it is gcr.io-specific:
 *   the gcr.io hosts are only the UI's endpoint suggestions (getAdapterInfo), any URL is accepted.
 * - Harbor's authorizer signs only requests whose path contains `/v2/` on the registry host
 *   (src/pkg/registry/auth/authorizer.go isTarget, unchanged since 2020). Artifact Registry
 *   answers a blob-upload POST with a Location under `/artifacts-uploads/...`, which Harbor then
 *   PUTs without an Authorization header (src/pkg/registry/client.go monolithicBlobUpload). That
 *   is what broke pushes in 2021-22 (goharbor/harbor#15980, #16973, PR #17179). It works since
 *   Google made those upload URLs session-signed; Harbor's docs then documented google-gcr for
 *   Artifact Registry (goharbor/website#372, 2022-10-25). This behaviour of Google's side is from
 *   those threads, not observed here.
 * - Deletion decides it: native.Adapter.DeleteTag returns "the tag deletion isn't supported",
 *   so with `docker-registry` a replicated tag deletion fails; google-gcr deletes tags
 *   (DELETE /v2/<repo>/manifests/<tag>) and deletes a manifest's tags before its digest, which
 *   Artifact Registry requires ("Trying to delete an image by digest when the image is still
 *   tagged" fails; gcloud artifacts docker images delete). google-gcr's DeleteManifest reads the
 *   GCR-style `manifest` map of /tags/list; that Artifact Registry returns it is not verified here.
 * Harbor has no dedicated Artifact Registry adapter in v2.15.1 (open PRs #22429/#23446 add one).
 */
export const GAR_HARBOR_ADAPTER = "google-gcr" as const;

/** Artifact Registry's Docker host for a location (region or multi-region). */
export function garHost(location: string): string {
  return `${location}-docker.pkg.dev`;
}

/** Service-account keys arrive as base64 of the JSON key file; Harbor's `_json_key` wants the JSON. */
export function decodeKeyFile(privateKey: string): string {
  return Buffer.from(privateKey, "base64").toString("utf8");
}

export interface GarBackupArgs {
  config: GarBackupSettings;
  /** Harbor replicates deletions: the push account also gets a custom role with GAR_DELETE_PERMISSIONS on this repository. */
  replicateDeletions?: boolean;
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
    const props: BackupComponentProps = { backupName: c.name, kind: "gar", harborAdapter: GAR_HARBOR_ADAPTER, failureDomain: `gcp:${c.location}` };
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

    const identity = (role: "push" | "pull"): { credential: Credential; member: pulumi.Output<string> } => {
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
      return { credential: { username: "_json_key", password: pulumi.secret(key.privateKey.apply(decodeKeyFile)) }, member: account.member };
    };

    const { credential: push, member: pushMember } = identity("push");
    const pull = identity("pull").credential;
    if (args.replicateDeletions) {
      const deleteRole = new projects.IAMCustomRole(
        `${name}-delete`,
        {
          project: c.project,
          roleId: gcpRoleId(pulumi.getStack(), c.name, "delete"),
          title: `registry-topology ${c.name} delete`,
          description: `Harbor replicates deletions to ${c.location}/${c.repositoryId}: delete tags and image versions only`,
          permissions: [...GAR_DELETE_PERMISSIONS],
          stage: "GA",
        },
        { parent: this, dependsOn: apis },
      );
      new artifactregistry.RepositoryIamMember(
        `${name}-push-delete`,
        { project: c.project, location: repository.location, repository: repository.name, role: deleteRole.name, member: pushMember },
        { parent: this },
      );
    }
    const host = pulumi.output(garHost(c.location));
    this.repository = repository;
    this.endpoint = {
      name: c.name,
      kind: "gar",
      host,
      pathPrefix: pulumi.output(`${c.project}/${c.repositoryId}`),
      keepsProjectPath: true,
      url: pulumi.output(`https://${garHost(c.location)}`),
      harborAdapter: GAR_HARBOR_ADAPTER,
      push,
      pull,
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host, pathPrefix: this.endpoint.pathPrefix, registryUri: repository.registryUri });
  }
}
