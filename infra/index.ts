// Entry point for `pulumi up` (Pulumi.yaml main: infra/index.ts).
import { defineStack } from "./program";

const outputs = defineStack();

export const environment = outputs.environment;
export const harborUrl = outputs.harborUrl;
export const harborHost = outputs.harborHost;
export const harborNamespace = outputs.harborNamespace;
export const harborAdminUsername = outputs.harborAdminUsername;
export const harborAdminPassword = outputs.harborAdminPassword;
export const harborProjects = outputs.harborProjects;
export const registries = outputs.registries;
export const registryCredentials = outputs.registryCredentials;
export const regions = outputs.regions;
export const archives = outputs.archives;
export const archiveCredentials = outputs.archiveCredentials;
