import type * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "./args";
import type { RegistryEndpoint } from "../types";
import { AcrBackup } from "./acr";
import { AlibabaBackup } from "./alibaba";
import { EcrBackup } from "./ecr";
import { GarBackup } from "./gar";
import { IcrBackup } from "./icr";
import { OciBackup } from "./oci";

/** What a backup registry may need to know about the rest of the topology. */
export interface BackupContext {
  /** Failure domain of Harbor's cluster; an in-cluster backup shares it. */
  harborFailureDomain: string;
  /**
   * Harbor replicates deletions (`replication.deletion`): the push identity also gets the one
   * delete right its cloud needs. Off: it cannot delete at all.
   */
  replicateDeletions: boolean;
}

/** One backup component for one config entry. */
function createBackup(config: BackupSettings, ctx: BackupContext, parent: pulumi.Resource): RegistryEndpoint {
  const opts = { parent };
  switch (config.kind) {
    case "acr":
      return new AcrBackup(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "gar":
      return new GarBackup(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "icr":
      return new IcrBackup(config.name, { config }, opts).endpoint;
    case "alibaba":
      return new AlibabaBackup(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "ecr":
      return new EcrBackup(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "oci":
      return new OciBackup(config.name, { config, harborFailureDomain: ctx.harborFailureDomain }, opts).endpoint;
  }
}

/**
 * The backup registries (one file per kind under components/backups/), one RegistryEndpoint per
 * backup in config order.
 */
export function createBackups(configs: readonly BackupSettings[], ctx: BackupContext, parent: pulumi.Resource): RegistryEndpoint[] {
  return configs.map((c) => createBackup(c, ctx, parent));
}
