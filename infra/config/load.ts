// The running stack's config (CLI or mocks), validated: the program's one entry into config.
import * as pulumi from "@pulumi/pulumi";
import { topologyConfigFromEntries } from "./loader";
import type { TopologyConfig } from "./schema";

/** Read the running stack's config (CLI or mocks) and validate it (see config/loader.ts). */
export function loadTopologyConfig(): TopologyConfig {
  const runtime = pulumi.runtime as unknown as { isConfigSecret(k: string): boolean };
  return topologyConfigFromEntries(pulumi.runtime.allConfig(), (fullKey) => runtime.isConfigSecret(fullKey));
}
