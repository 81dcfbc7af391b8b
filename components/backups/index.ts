import type * as pulumi from "@pulumi/pulumi";
import type { BackupConfig, TopologyConfig } from "../../infra/config";
import type { RegistryEndpoint } from "../types";

/** What a backup registry may need to know about the rest of the topology. */
export interface BackupContext {
  environment: TopologyConfig["environment"];
  /** Failure domain of Harbor's cluster; an in-cluster backup shares it. */
  harborFailureDomain: string;
}

/**
 * Seam for the backup registries (one file per kind under components/backups/).
 * Each backup is a component that returns the RegistryEndpoint value from the design.
 */
export function createBackups(
  configs: readonly BackupConfig[],
  _ctx: BackupContext,
  _parent: pulumi.Resource,
): RegistryEndpoint[] {
  return configs.length === 0 ? [] : [];
}
