// Entry point for `pulumi up` (Pulumi.yaml main: infra/index.ts).
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { assertNoExampleValues } from "./config/examples";
import { defineStack } from "./program";

// Under the real CLI, refuse the placeholder IDs the shipped stacks carry before any resource is
// registered (under the mock runtime -- render, tests -- examples are fine).
if (!(pulumi.runtime.getMonitor() instanceof MockMonitor)) assertNoExampleValues(pulumi.runtime.allConfig(), pulumi.getStack());

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
