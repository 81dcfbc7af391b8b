import * as authorization from "@pulumi/azure-native/authorization";
import * as storage from "@pulumi/azure-native/storage";
import { Application } from "@pulumi/azuread/application";
import { ApplicationPassword } from "@pulumi/azuread/applicationPassword";
import { getClientConfigOutput } from "@pulumi/azuread/getClientConfig";
import { ServicePrincipal } from "@pulumi/azuread/servicePrincipal";
import * as pulumi from "@pulumi/pulumi";
import type { AzureArchiveSettings } from "./args";
import { identityName, passwordEndDate } from "../shared/naming";
import { AZURE_JOB_DATA_ACTIONS } from "./grants";
import { ARCHIVE_TOKENS, RCLONE_REMOTE, rcloneEnv, tierDays, type ArchiveStore, type ArchiveStoreProps } from "./types";

/** Lifetime of the job's service-principal password; a new one comes every half lifetime. */
const PASSWORD_LIFETIME_DAYS = 365;

export interface AzureArchiveArgs {
  config: AzureArchiveSettings;
  now?: Date;
}

/**
 * Azure Blob archive: a StorageV2 account (no shared-key access, no public blobs), blob versioning,
 * one container with version-level immutability (WORM) and a default time-based retention of
 * `retentionDays`, a lifecycle policy that only moves `blobs/` to colder tiers (never deletes), and a
 * service principal holding a custom role that can add and read blobs but not replace or delete them.
 *
 * Facts from Microsoft Learn, from memory (not reachable here; unverified):
 * - version-level immutability needs blob versioning on the account; a container created with
 *   `immutableStorageWithVersioning.enabled` takes its default policy from the same
 *   immutabilityPolicies API as container-level WORM;
 * - lifecycle tiering (Set Blob Tier) is allowed on immutable blobs; deletion is not;
 * - locking an immutability policy is a separate POST (…/immutabilityPolicies/default/lock) that
 *   azure-native 3.x does not model: with `locked: true` this component warns with the command.
 */
export class AzureArchive extends pulumi.ComponentResource {
  declare readonly store: ArchiveStore;

  constructor(name: string, args: AzureArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: ArchiveStoreProps = {
      archiveName: c.name,
      kind: "azure",
      retentionDays: c.retentionDays,
      retentionMechanism: "container-immutability-policy",
      immutability: "provisioned",
      retentionLocked: false,
      versioning: true,
      jobGrants: [...AZURE_JOB_DATA_ACTIONS],
      tiers: tierDays(c.tiers),
      failureDomain: `azure:${c.location}`,
    };
    super(ARCHIVE_TOKENS.azure, name, props, opts);
    const child = { parent: this };

    const account = new storage.StorageAccount(`${name}-account`, {
      resourceGroupName: c.resourceGroupName,
      accountName: c.storageAccountName,
      location: c.location,
      kind: "StorageV2",
      sku: { name: c.sku },
      accessTier: "Hot",
      allowBlobPublicAccess: false,
      // Only Entra identities: nobody can reach the data with an account key.
      allowSharedKeyAccess: false,
      minimumTlsVersion: "TLS1_2",
      enableHttpsTrafficOnly: true,
      tags: { "managed-by": "registry-topology", archive: c.name },
    }, child);
    const blobService = new storage.BlobServiceProperties(`${name}-blob-service`, {
      resourceGroupName: c.resourceGroupName,
      accountName: account.name,
      blobServicesName: "default",
      isVersioningEnabled: true,
      containerDeleteRetentionPolicy: { enabled: true, days: 30 },
    }, child);
    const container = new storage.BlobContainer(`${name}-container`, {
      resourceGroupName: c.resourceGroupName,
      accountName: account.name,
      containerName: c.containerName,
      publicAccess: "None",
      immutableStorageWithVersioning: { enabled: true },
    }, { ...child, dependsOn: [blobService], protect: true });
    new storage.BlobContainerImmutabilityPolicy(`${name}-immutability`, {
      resourceGroupName: c.resourceGroupName,
      accountName: account.name,
      containerName: container.name,
      immutabilityPolicyName: "default",
      immutabilityPeriodSinceCreationInDays: c.retentionDays,
      allowProtectedAppendWrites: false,
    }, child);
    if (c.locked) {
      pulumi.log.warn(
        `archives ${c.name}: azure-native cannot lock an immutability policy; once the retention is final run ` +
          `\`az storage container immutability-policy lock --account-name ${c.storageAccountName} --container-name ${c.containerName} --if-match <etag>\` (irreversible)`,
        this,
      );
    }

    const tiers = {
      ...(c.tiers.coolAfterDays !== undefined ? { tierToCool: { daysAfterModificationGreaterThan: c.tiers.coolAfterDays } } : {}),
      ...(c.tiers.coldAfterDays !== undefined ? { tierToCold: { daysAfterModificationGreaterThan: c.tiers.coldAfterDays } } : {}),
      ...(c.tiers.archiveAfterDays !== undefined ? { tierToArchive: { daysAfterModificationGreaterThan: c.tiers.archiveAfterDays } } : {}),
    };
    if (Object.keys(tiers).length > 0) {
      new storage.ManagementPolicy(`${name}-lifecycle`, {
        resourceGroupName: c.resourceGroupName,
        accountName: account.name,
        managementPolicyName: "default",
        policy: {
          rules: [{
            name: "blobs-to-colder-tiers",
            enabled: true,
            type: "Lifecycle",
            // Only content blobs: snapshot indexes stay hot (read by every run and every restore).
            definition: { filters: { blobTypes: ["blockBlob"], prefixMatch: [`${c.containerName}/blobs/`] }, actions: { baseBlob: tiers } },
          }],
        },
      }, { ...child, dependsOn: [container] });
    }

    // The job's identity: an Entra application with a custom data role on this container only.
    const displayName = identityName(pulumi.getStack(), c.name, "archive", 120);
    // The deployer owns what it creates (Application.ReadWrite.OwnedBy; see backups/acr.ts).
    const deployer = getClientConfigOutput({ parent: this }).objectId;
    const app = new Application(`${name}-job`, { displayName, owners: [deployer], notes: `registry-topology archive ${c.name}: add and read blobs only` }, child);
    const sp = new ServicePrincipal(`${name}-job`, { clientId: app.clientId, owners: [deployer] }, child);
    const password = new ApplicationPassword(`${name}-job`, {
      applicationId: app.id,
      displayName: "registry-topology archive job",
      endDate: passwordEndDate(args.now ?? new Date(), PASSWORD_LIFETIME_DAYS),
    }, { ...child, additionalSecretOutputs: ["value"] });
    const role = new authorization.RoleDefinition(`${name}-job-role`, {
      roleName: `registry-topology archive writer (${pulumi.getStack()}/${c.name})`,
      description: "Add and read blobs; no overwrite, no delete (registry-topology archive job).",
      scope: account.id,
      assignableScopes: [account.id],
      permissions: [{ actions: [], dataActions: [...AZURE_JOB_DATA_ACTIONS], notActions: [], notDataActions: [] }],
    }, child);
    new authorization.RoleAssignment(`${name}-job`, {
      principalId: sp.objectId,
      principalType: "ServicePrincipal",
      roleDefinitionId: role.id,
      scope: container.id,
      description: `registry-topology archive ${c.name}: job identity`,
    }, child);

    const tenant = getClientConfigOutput({ parent: this }).tenantId;
    this.store = {
      name: c.name,
      kind: "azure",
      path: pulumi.output(`${RCLONE_REMOTE}:${c.containerName}`),
      // rclone azureblob: service principal with client secret; no container creation (the job may not).
      // These options came with rclone 1.61's azureblob rewrite (Debian 12's rclone 1.60 lacks them,
      // checked with `rclone help backend azureblob`); the job's image is 1.69.
      env: pulumi.secret(pulumi.all([tenant, app.clientId, password.value]).apply(([t, id, secret]) =>
        rcloneEnv({ type: "azureblob", account: c.storageAccountName, tenant: t, client_id: id, client_secret: secret, no_check_container: "true" }))),
      failureDomain: props.failureDomain,
    };
    this.registerOutputs({ accountName: account.name, containerName: container.name, jobClientId: app.clientId });
  }
}
