import type * as pulumi from "@pulumi/pulumi";
import type { HarborConfig, ReplicationConfig } from "../../infra/config";
import type { Credential, RegistryEndpoint } from "../types";
import type { Harbor } from "./harbor";
import { Replication } from "./replication";

export interface ReplicationWiringArgs {
  harbor: Harbor;
  backups: readonly RegistryEndpoint[];
  replication: ReplicationConfig;
  /** Harbor projects with their settings (public, quota); names only from `harbor.projects` otherwise. */
  projects?: HarborConfig["projects"];
  /** Optional Docker Hub proxy-cache project (not replicated). */
  dockerHubProxyCache?: HarborConfig["dockerHubProxyCache"];
}

export interface ReplicationWiring {
  /** Pull-only robot account the region mirrors use toward Harbor (never the admin). */
  mirrorPull?: Credential;
  replication?: Replication;
}

/** Harbor's registry endpoints, replication policies, projects and the mirror robot account. */
export function wireReplication(args: ReplicationWiringArgs, parent: pulumi.Resource): ReplicationWiring {
  const h = args.harbor;
  const replication = new Replication("replication", {
    harborUrl: h.url,
    harborUsername: h.adminUsername,
    harborPassword: h.adminPassword,
    harborRelease: h.release,
    projects: args.projects ?? h.projects.map((name) => ({ name, public: false })),
    backups: args.backups,
    replication: args.replication,
    dockerHubProxyCache: args.dockerHubProxyCache,
  }, { parent });
  return { mirrorPull: replication.mirrorPull, replication };
}
