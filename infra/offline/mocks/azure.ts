import { AZURE_REGIONS } from "../../config/cloud-regions/azure";
import { defineMockInvoke, defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";
import { defineMockCheck, regionRefusal, str } from "./refusals";

/** A GUID derived from a seed: stable across runs. */
export function fakeGuid(seed: string): string {
  const h = fakeHex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export const MOCK_AZURE = {
  subscriptionId: "3f2b7c1e-5d4a-4e8b-9c6f-1a2b3c4d5e6f",
  tenantId: "00000000-0000-0000-0000-000000000000",
};

defineMockInvoke("azure-native:authorization:getClientConfig", () => ({
  subscriptionId: MOCK_AZURE.subscriptionId,
  tenantId: MOCK_AZURE.tenantId,
  clientId: fakeGuid("deployer-client"),
  objectId: MOCK_DEPLOYER_OBJECT_ID,
}));

defineMockOutputs("azure-native:containerregistry:Registry", (a) => {
  const name = String(a.inputs.registryName ?? a.name);
  return {
    name,
    loginServer: `${name.toLowerCase()}.azurecr.io`,
    provisioningState: "Succeeded",
    azureApiVersion: "2023-01-01-preview",
  };
});

defineMockOutputs("azuread:index/application:Application", (a) => {
  const objectId = fakeGuid(`app-object/${a.name}`);
  return { clientId: fakeGuid(`app-client/${a.name}`), objectId, applicationId: `/applications/${objectId}` };
});

defineMockOutputs("azuread:index/servicePrincipal:ServicePrincipal", (a) => ({
  objectId: fakeGuid(`sp-object/${a.name}`),
  applicationTenantId: MOCK_AZURE.tenantId,
  type: "Application",
}));

// Entra client secrets look like `abc8Q~...` (40 chars).
defineMockOutputs("azuread:index/applicationPassword:ApplicationPassword", (a) => ({
  keyId: fakeGuid(`password-key/${a.name}`),
  value: `${fakeAlnum(`password/${a.name}`, 3)}8Q~${fakeAlnum(`password-body/${a.name}`, 34)}`,
}));

// A custom role's ARM ID is subscription-scoped whatever scope it was created at (ARM REST
// "Role Definitions - Create Or Update", example response), and role assignments refer to it.
defineMockOutputs("azure-native:authorization:RoleDefinition", (a) => ({
  id: `/subscriptions/${MOCK_AZURE.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${fakeGuid(`role-definition/${a.name}`)}`,
}));

// ---- What Azure and Entra refuse (checked on every registration under mocks) ----

/** The deploying principal (getClientConfig of azuread and azure-native both name it). */
export const MOCK_DEPLOYER_OBJECT_ID = fakeGuid("deployer-object");

defineMockInvoke("azuread:index/getClientConfig:getClientConfig", () => ({
  clientId: fakeGuid("deployer-client"),
  objectId: MOCK_DEPLOYER_OBJECT_ID,
  tenantId: MOCK_AZURE.tenantId,
}));

/**
 * Registry and replication names: 5-50 letters and digits (Microsoft.ContainerRegistry
 * registries and registries/replications `name`: minLength 5, maxLength 50, pattern
 * ^[a-zA-Z0-9]*$; Azure/bicep-types-az generated/containerregistry/microsoft.containerregistry/
 * 2024-11-01-preview/types.md). Without an explicit name azure-native auto-names the resource
 * `<pulumi name>-<8 random hex>`, so the name ARM receives is computed the same way here.
 */
const ACR_NAME = /^[a-zA-Z0-9]{5,50}$/;
function acrName(explicit: unknown, pulumiName: string, key: string): string[] {
  const name = str(explicit) ?? `${pulumiName}-${fakeHex(pulumiName, 8)}`;
  return ACR_NAME.test(name) ? [] : [`${key} "${name}"${str(explicit) ? "" : " (auto-named)"} must be 5-50 letters and digits`];
}
const AZURE_LOCATION = /^[a-z][a-z0-9]+$/;

defineMockCheck("azure-native:containerregistry:Registry", (a) => [
  ...acrName(a.inputs.registryName, a.name, "registryName"),
  ...regionRefusal(a.inputs.location, AZURE_LOCATION, AZURE_REGIONS, "location"),
]);
defineMockCheck("azure-native:containerregistry:Replication", (a) => [
  ...acrName(a.inputs.replicationName, a.name, "replicationName"),
  ...regionRefusal(a.inputs.location, AZURE_LOCATION, AZURE_REGIONS, "location"),
]);

/**
 * With Graph `Application.ReadWrite.OwnedBy` (the least docs/backups-acr.md asks of the deployer) the
 * deploying principal can manage only applications and service principals it owns: azuread 6.9.1
 * docs, Application ("ensure that the principal being used to run Terraform is included in the
 * owners property") and ServicePrincipal ("must be an owner of both the linked application
 * registration, and the service principal being managed"). ApplicationPassword then works on an
 * owned application.
 */
function ownedByDeployer(owners: unknown, what: string): string[] {
  const list = Array.isArray(owners) ? owners : [];
  return list.includes(MOCK_DEPLOYER_OBJECT_ID)
    ? []
    : [`owners must include the deploying principal (${MOCK_DEPLOYER_OBJECT_ID}): with Application.ReadWrite.OwnedBy it cannot manage a ${what} it does not own`];
}
defineMockCheck("azuread:index/application:Application", (a) => ownedByDeployer(a.inputs.owners, "application"));
defineMockCheck("azuread:index/servicePrincipal:ServicePrincipal", (a) => ownedByDeployer(a.inputs.owners, "service principal"));

/** ARM wants the full role definition id (Microsoft.Authorization roleAssignments, 2022-04-01). */
const ROLE_DEFINITION_ID = /^\/subscriptions\/[0-9a-f-]{36}\/providers\/Microsoft\.Authorization\/roleDefinitions\/[0-9a-f-]{36}$/;
defineMockCheck("azure-native:authorization:RoleAssignment", (a) => {
  const id = str(a.inputs.roleDefinitionId);
  return id === undefined || ROLE_DEFINITION_ID.test(id) ? [] : [`roleDefinitionId "${id}" is not /subscriptions/<id>/providers/Microsoft.Authorization/roleDefinitions/<guid>`];
});
