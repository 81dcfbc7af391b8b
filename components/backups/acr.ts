import * as authorization from "@pulumi/azure-native/authorization";
import * as containerregistry from "@pulumi/azure-native/containerregistry";
import { Application } from "@pulumi/azuread/application";
import { ApplicationPassword } from "@pulumi/azuread/applicationPassword";
import { ServicePrincipal } from "@pulumi/azuread/servicePrincipal";
import * as pulumi from "@pulumi/pulumi";
import type { AcrBackupConfig } from "../../infra/config/backups";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../types";
import { identityName, passwordEndDate } from "./naming";

/** Built-in Azure role definition GUIDs (the same in every tenant). */
export const ACR_ROLES = {
  AcrPush: "8311e382-0749-4cb8-b61a-304f252e45ec",
  AcrPull: "7f951dda-4ed3-4680-a7ca-43fe172d538d",
} as const;

export interface AcrBackupArgs {
  config: AcrBackupConfig;
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
        { resourceGroupName: c.resourceGroupName, registryName: registry.name, location },
        { parent: this },
      );
    }

    const subscriptionId = authorization.getClientConfigOutput({ parent: this }).subscriptionId;
    const endDate = passwordEndDate(args.now ?? new Date(), c.credentialLifetimeDays);
    const identity = (role: "push" | "pull", roleName: keyof typeof ACR_ROLES): Credential => {
      const displayName = identityName(pulumi.getStack(), c.name, role, 120);
      const app = new Application(`${name}-${role}`, { displayName, notes: `${roleName} on ${c.registryName} (registry-topology)` }, { parent: this });
      const sp = new ServicePrincipal(`${name}-${role}`, { clientId: app.clientId }, { parent: this });
      const password = new ApplicationPassword(
        `${name}-${role}`,
        { applicationId: app.id, displayName: `registry-topology ${role}`, endDate, rotateWhenChanged: { rotation: c.credentialRotation } },
        { parent: this, additionalSecretOutputs: ["value"] },
      );
      new authorization.RoleAssignment(
        `${name}-${role}`,
        {
          principalId: sp.objectId,
          principalType: "ServicePrincipal",
          roleDefinitionId: pulumi.interpolate`/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${ACR_ROLES[roleName]}`,
          scope: registry.id,
          description: `registry-topology ${c.name}: ${role} only`,
        },
        { parent: this },
      );
      return { username: app.clientId, password: pulumi.secret(password.value) };
    };

    const push = identity("push", "AcrPush");
    const pull = identity("pull", "AcrPull");
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
