import * as pulumi from "@pulumi/pulumi";
import {
  accessPolicyProvider, apiKeyProvider, namespaceProvider, serviceIdProvider,
  type AccessPolicyInputs, type ApiKeyInputs, type NamespaceInputs, type ServiceIdInputs,
} from "./provider";
import { DynamicResource } from "../../shared/dynamic-resource";

/** Dynamic resource type tokens (pulumi-nodejs:dynamic/ibm:<Type>); the policy pack matches on them. */
export const IBM_TOKENS = {
  namespace: "pulumi-nodejs:dynamic/ibm:CrNamespace",
  serviceId: "pulumi-nodejs:dynamic/ibm:ServiceId",
  apiKey: "pulumi-nodejs:dynamic/ibm:ServiceIdApiKey",
  accessPolicy: "pulumi-nodejs:dynamic/ibm:AccessPolicy",
} as const;

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export type CrNamespaceArgs = Inputs<NamespaceInputs>;

/** An IBM Cloud Container Registry namespace. Deleting it deletes every image in it. */
export class CrNamespace extends DynamicResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly crn: pulumi.Output<string>;

  constructor(name: string, args: CrNamespaceArgs, opts?: pulumi.CustomResourceOptions) {
    super(namespaceProvider, name, { crn: undefined, ...args }, opts, "ibm", "CrNamespace");
  }
}

export type ServiceIdArgs = Inputs<ServiceIdInputs>;

/** An IAM service ID (a machine identity with no access of its own). */
export class ServiceId extends DynamicResource {
  declare readonly iamId: pulumi.Output<string>;
  declare readonly crn: pulumi.Output<string>;

  constructor(name: string, args: ServiceIdArgs, opts?: pulumi.CustomResourceOptions) {
    super(serviceIdProvider, name, { iamId: undefined, crn: undefined, entityTag: undefined, ...args }, opts, "ibm", "ServiceId");
  }
}

export type ServiceIdApiKeyArgs = Inputs<ApiKeyInputs>;

/** An API key of a service ID. `apikey` is a secret, known only from the create call. */
export class ServiceIdApiKey extends DynamicResource {
  declare readonly apikey: pulumi.Output<string>;

  constructor(name: string, args: ServiceIdApiKeyArgs, opts?: pulumi.CustomResourceOptions) {
    super(apiKeyProvider, name, { apikey: undefined, ...args }, pulumi.mergeOptions(opts, { additionalSecretOutputs: ["apikey"] }), "ibm", "ServiceIdApiKey");
  }
}

/** Machine identities get Reader or Writer; `check` refuses anything else. */
export type AccessPolicyArgs = Inputs<Omit<AccessPolicyInputs, "roles"> & { roles: ("Reader" | "Writer")[] }>;

/** An IAM access policy granting a subject roles on one container-registry namespace. */
export class AccessPolicy extends DynamicResource {
  declare readonly policyId: pulumi.Output<string>;

  constructor(name: string, args: AccessPolicyArgs, opts?: pulumi.CustomResourceOptions) {
    super(accessPolicyProvider, name, { policyId: undefined, ...args }, opts, "ibm", "AccessPolicy");
  }
}
