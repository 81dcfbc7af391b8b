import type * as pulumi from "@pulumi/pulumi";
import type { ReplicationConfig } from "../../infra/config";
import type { Credential, RegistryEndpoint } from "../types";
import type { Harbor } from "./harbor";

export interface ReplicationWiringArgs {
  harbor: Harbor;
  backups: readonly RegistryEndpoint[];
  replication: ReplicationConfig;
}

export interface ReplicationWiring {
  /** Pull-only robot account the region mirrors use toward Harbor (undefined until wired). */
  mirrorPull?: Credential;
}

/** Seam for Harbor's registry endpoints, replication policies and the mirror robot account. */
export function wireReplication(_args: ReplicationWiringArgs, _parent: pulumi.Resource): ReplicationWiring {
  return {};
}
