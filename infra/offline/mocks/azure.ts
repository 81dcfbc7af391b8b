import { defineMockInvoke, defineMockOutputs } from "./registry";
import { fakeAlnum, fakeHex } from "./fake";

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
  objectId: fakeGuid("deployer-object"),
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
