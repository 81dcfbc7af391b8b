import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import { Application } from "@pulumi/azuread/application";
import { ApplicationPassword } from "@pulumi/azuread/applicationPassword";
import { getClientConfigOutput } from "@pulumi/azuread/getClientConfig";
import { ServicePrincipal } from "@pulumi/azuread/servicePrincipal";
import * as pulumi from "@pulumi/pulumi";
import type { AcrBackupSettings } from "./args";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../types";
import { acrReplicationName, identityName, passwordEndDate } from "../shared/naming";

/**
 * Built-in Azure role definition GUIDs (the same in every tenant; Microsoft Learn "Azure built-in
 * roles for Containers"). AcrPush = push and pull; AcrDelete = only
 * Microsoft.ContainerRegistry/registries/artifacts/delete, which AcrPush does not include.
 */
export const ACR_ROLES = {
  AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
  AcrDelete: "c2f4ef07-c644-48eb-af81-4b1b4947fb11",
} as const;

export interface AcrBackupArgs {
  config: AcrBackupSettings;
  /** Harbor replicates deletions: the push principal also gets AcrDelete on this registry. */
  replicateDeletions?: boolean;
  /** Clock for the password end date (tests pin it). */
  now?: Date;
}

/**
 * Azure Container Registry backup: the registry (admin user off), optional Premium
 * geo-replicas, and two Entra service principals: AcrPush for Harbor, AcrPull for mirrors,
 * each role assigned on this registry only.
 */
export class AcrBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;
  declare readonly registry: containerregistry.Registry;

  constructor(name: string, args: AcrBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const props: BackupComponentProps = { backupName: c.name, kind: "acr", harborAdapter: "azure-acr", failureDomain: `azure:${c.location}` };
    super(TOKENS.acrBackup, name, props, opts);

    const registry = new containerregistry.Registry(
      `${name}-registry`,
      {
        resourceGroupName: c.resourceGroupName,
        registryName: c.registryName,
        location: c.location,
        sku: { name: c.sku },
        adminUserEnabled: false,
        anonymousPullEnabled: false,
        publicNetworkAccess: "Enabled",
      },
      { parent: this },
    );
    for (const location of c.geoReplicationLocations) {
      new containerregistry.Replication(
        `${name}-replica-${location}`,
        { resourceGroupName: c.resourceGroupName, registryName: registry.name, location, replicationName: acrReplicationName(location) },
        { parent: this },
      );
    }

    const subscriptionId = authorization.getClientConfigOutput({ parent: this }).subscriptionId;
    // The deploying principal owns what it creates: with Graph Application.ReadWrite.OwnedBy it can
    // only manage applications and service principals it owns (azuread 6.9.1 docs for Application,
    // ServicePrincipal: "must be an owner of both"), so without owners the next update or the
    // password rotation would be refused.
    const deployer = getClientConfigOutput({ parent: this }).objectId;
    const endDate = passwordEndDate(args.now ?? new Date(), c.credentialLifetimeDays);
    const roleDefinition = (guid: string) => pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${guid}`;
    const identity = (role: "push" | "pull", roles: (keyof typeof ACR_ROLES)[]): Credential => {
      const displayName = identityName(pulumi.getStack(), c.name, role, 120);
      const app = new Application(`${name}-${role}`, { displayName, owners: [deployer], notes: `${roles.join("+")} on ${c.registryName} (registry-topology)` }, { parent: this });
      const sp = new ServicePrincipal(`${name}-${role}`, { clientId: app.clientId, owners: [deployer] }, { parent: this });
      const password = new ApplicationPassword(
        `${name}-${role}`,
        { applicationId: app.id, displayName: `registry-topology ${role}`, endDate, rotateWhenChanged: { rotation: c.credentialRotation } },
        { parent: this, additionalSecretOutputs: ["value"] },
      );
      for (const roleName of roles) {
        // The first role keeps the historical logical name, so adding AcrDelete replaces nothing.
        const logical = roleName === roles[0] ? `${name}-${role}` : `${name}-${role}-${roleName.toLowerCase()}`;
        new authorization.RoleAssignment(
          logical,
          {
            principalId: sp.objectId,
            principalType: "ServicePrincipal",
            roleDefinitionId: roleDefinition(ACR_ROLES[roleName]),
            scope: registry.id,
            description: `registry-topology ${c.name}: ${roleName} (${role})`,
          },
          { parent: this },
        );
      }
      return { username: app.clientId, password: pulumi.secret(password.value) };
    };

    // Harbor's azure-acr adapter (v2.15.1 src/pkg/reg/adapter/azurecr/adapter.go) pushes with this
    // principal through native.Adapter, deletes manifests through the registry API and tags through
    // ACR's untag API (DeleteTag): both are Microsoft.ContainerRegistry/registries/artifacts/delete,
    // i.e. AcrDelete, which AcrPush lacks. Granted only when Harbor replicates deletions.
    const push = identity("push", args.replicateDeletions ? ["AcrPush", "AcrDelete"] : ["AcrPush"]);
    const pull = identity("pull", ["AcrPull"]);
    const host = registry.loginServer;
    this.registry = registry;
    this.endpoint = {
      name: c.name,
      kind: "acr",
      host,
      pathPrefix: pulumi.output(""),
      keepsProjectPath: true,
      url: pulumi.interpolate`https://${host}`,
      harborAdapter: "azure-acr",
      push,
      pull,
      failureDomain: props.failureDomain,
      insecure: false,
    };
    this.registerOutputs({ host, url: this.endpoint.url, pushUsername: push.username, pullUsername: pull.username });
  }
}
