import type * as pulumi from "@pulumi/pulumi";
import type { BackupConfig } from "../../infra/config";
import type { RegistryEndpoint } from "../types";
// Each kind's module (and with it its cloud SDK: @pulumi/azure-native, azuread, gcp, alicloud) is
// loaded only when a stack has a backup of that kind: a stack with none pays nothing for it.
const load = {
  acr: () => require("./acr") as typeof import("./acr"),
  alibaba: () => require("./alibaba") as typeof import("./alibaba"),
  gar: () => require("./gar") as typeof import("./gar"),
  icr: () => require("./icr") as typeof import("./icr"),
  oci: () => require("./oci") as typeof import("./oci"),
};

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
function createBackup(config: BackupConfig, ctx: BackupContext, parent: pulumi.Resource): RegistryEndpoint {
  const opts = { parent };
  switch (config.kind) {
    case "acr":
      return new (load.acr().AcrBackup)(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "gar":
      return new (load.gar().GarBackup)(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "icr":
      return new (load.icr().IcrBackup)(config.name, { config }, opts).endpoint;
    case "alibaba":
      return new (load.alibaba().AlibabaBackup)(config.name, { config, replicateDeletions: ctx.replicateDeletions }, opts).endpoint;
    case "oci":
      return new (load.oci().OciBackup)(config.name, { config, harborFailureDomain: ctx.harborFailureDomain }, opts).endpoint;
  }
}

/**
 * The backup registries (one file per kind under components/backups/), one RegistryEndpoint per
 * backup in config order.
 */
export function createBackups(configs: readonly BackupConfig[], ctx: BackupContext, parent: pulumi.Resource): RegistryEndpoint[] {
  return configs.map((c) => createBackup(c, ctx, parent));
}
