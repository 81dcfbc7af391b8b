import type * as pulumi from "@pulumi/pulumi";
import type { RegionConfig } from "../../infra/config";
import type { Credential, RegistryEndpoint } from "../types";

/** An upstream a region mirrors: Harbor or a backup, with the read-only identity the mirror uses. */
export interface MirrorUpstream {
  endpoint: Pick<RegistryEndpoint, "name" | "kind" | "host" | "pathPrefix" | "url" | "insecure">;
  pull: Credential;
}

export interface RegionMirrorsSummary {
  region: string;
  /** host:port nodes dial, per upstream, in the order runtimes try them. */
  mirrors: pulumi.Output<{ upstream: string; address: string }[]>;
}

/** Seam for region mirrors (static pods) and node runtime config. */
export function createRegionMirrors(
  _regions: readonly RegionConfig[],
  _upstreams: readonly MirrorUpstream[],
  _parent: pulumi.Resource,
): RegionMirrorsSummary[] {
  return [];
}
