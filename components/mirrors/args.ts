// What the region-mirrors component takes. The component owns these types; the program's
// config loader produces values checked against them at compile time.

/** Node container runtimes whose registry config the writer manages. */
export const RUNTIMES = ["crio", "containerd", "k3s", "rke2"] as const;
export type Runtime = (typeof RUNTIMES)[number];

export interface RegionSettings {
  /** DNS label, unique in the stack. */
  name: string;
  /** Nodes that run the mirror static pods. */
  mirrorNodes: { nodeSelector: Record<string, string> };
  /** Nodes whose runtime is pointed at the mirrors; all nodes without a selector. */
  nodes: { nodeSelector?: Record<string, string> };
  /** Addresses nodes dial to reach the mirror nodes, in order. */
  mirrorAddresses: string[];
  runtimes: Runtime[];
  /** First host port; one port per upstream. */
  mirrorPortBase: number;
  dialTimeoutSeconds: number;
  cache: { ttlHours: number; maxSizeGiB: number };
  /** Order runtimes try the mirrors, by upstream name (harbor, then backups, by default). */
  upstreamOrder?: string[];
}
