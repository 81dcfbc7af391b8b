import { z } from "zod";
import { dnsLabel, hostOrIp, nodeSelector } from "./primitives";

import { RUNTIMES } from "../../components/mirrors/args";

export { RUNTIMES, type Runtime } from "../../components/mirrors/args";

export const regionSchema = z.strictObject({
  name: dnsLabel,
  /** Nodes that run the mirror static pods. */
  mirrorNodes: z.strictObject({ nodeSelector }),
  /** Nodes whose runtime is pointed at the mirrors; all nodes when no selector is given. */
  nodes: z.strictObject({ nodeSelector: nodeSelector.optional() }).default({}),
  /** Addresses nodes dial to reach the mirror nodes (tried in this order). */
  mirrorAddresses: z.array(hostOrIp).min(1, "expected at least one address nodes use to reach the mirrors"),
  runtimes: z.array(z.enum(RUNTIMES)).min(1, "expected at least one of crio, containerd, k3s, rke2"),
  /** First host port for mirrors; one port per upstream, in upstream order. */
  mirrorPortBase: z.number().int().min(1024).max(65000).default(5000),
  /** Upstream order nodes try, by name ("harbor" and backup names); default: harbor, then backups in config order. */
  upstreamOrder: z.array(z.string().min(1)).optional(),
  /** How long a runtime waits to connect to a mirror before trying the next (where the runtime supports it). */
  dialTimeoutSeconds: z.number().int().min(1).max(30).default(3),
  /**
   * Generation of the region's mirror PKI (components/mirrors/pki.ts). Raising it replaces the CA
   * key and every key and certificate under it on the next `up`: the way to cut off a leaked node
   * client key, since mirrors have no revocation (docs/certificates.md, "Rotate the CA").
   */
  pkiGeneration: z.number().int().min(1).max(999).default(1),
  /**
   * Mirror cache policy (components/mirrors/cachePolicy.ts). `ttlHours`: cached content expires
   * this long after it was cached (distribution v3 `proxy.ttl`; 0 = never). `maxSizeGiB`: when a
   * mirror's cache grows past it while its upstream answers, the mirror empties it and refills on
   * demand (never during an upstream outage).
   */
  cache: z
    .strictObject({
      ttlHours: z.number().int().min(0).max(87600).default(168),
      maxSizeGiB: z.number().int().min(1).max(4096).default(20),
    })
    .default({ ttlHours: 168, maxSizeGiB: 20 }),
});

export type RegionConfig = z.infer<typeof regionSchema>;
