// Mirror status as the supervisor (supervisor.sh) reports it on the mirror node, for node status
// reporting (kubectl). The supervisor rewrites one line of space-separated key=value pairs every
// probe interval (5 s) at STATUS_FILE, atomically (write + rename):
//   mode=proxy|readonly upstream=up|down|unknown cache_kib=<KiB, -1 unknown> max_kib=<KiB, 0 none>
//   evictions=<times the size bound emptied the cache since start>
//   hang_restarts=<times the hang watchdog killed and restarted distribution since start> updated=<unix seconds>
// On the host that file is /var/lib/registry-topology/mirrors/<upstream>/registry-topology-status
// (the cache hostPath), readable by the node file writer (it mounts /var/lib).
import { MIRROR_DATA_DIR } from "./staticPods";

export const MIRROR_STATUS_FILE = "registry-topology-status";

/** Host path of the status file of the mirror of `upstream`. */
export const mirrorStatusPath = (upstream: string): string => `${MIRROR_DATA_DIR}/${upstream}/${MIRROR_STATUS_FILE}`;

export interface MirrorStatus {
  mode: "proxy" | "readonly";
  upstream: "up" | "down" | "unknown";
  /** Cache size in KiB (undefined: not measured yet). */
  cacheKiB?: number;
  /** Size bound in KiB (undefined: none). */
  maxKiB?: number;
  evictions: number;
  /** Times the supervisor's hang watchdog killed a distribution that stopped answering. */
  hangRestarts: number;
  /** When the supervisor last wrote it (unix seconds). */
  updated: number;
}

/** Parse one status line; undefined when it is not one the supervisor writes. */
export function parseMirrorStatus(text: string): MirrorStatus | undefined {
  const kv = new Map(
    text
      .trim()
      .split(/\s+/)
      .map((p) => p.split("=", 2) as [string, string]),
  );
  const int = (k: string): number | undefined => (/^-?\d+$/.test(kv.get(k) ?? "") ? Number(kv.get(k)) : undefined);
  const mode = kv.get("mode");
  const upstream = kv.get("upstream");
  const updated = int("updated");
  if ((mode !== "proxy" && mode !== "readonly") || (upstream !== "up" && upstream !== "down" && upstream !== "unknown") || updated === undefined) return undefined;
  const cache = int("cache_kib");
  const max = int("max_kib");
  return { mode, upstream, cacheKiB: cache !== undefined && cache >= 0 ? cache : undefined, maxKiB: max ? max : undefined, evictions: int("evictions") ?? 0, hangRestarts: int("hang_restarts") ?? 0, updated };
}

/** Short human text for a status column: "proxy, cache 1.2/20.0 GiB" or "read-only (upstream down), cache 3.4 GiB". */
export function describeMirrorStatus(s: MirrorStatus, nowSeconds: number): string {
  const gib = (k: number) => (k / 1024 / 1024).toFixed(1);
  const size = s.cacheKiB === undefined ? "cache size unknown" : `cache ${gib(s.cacheKiB)}${s.maxKiB ? `/${gib(s.maxKiB)}` : ""} GiB`;
  const mode = s.mode === "proxy" ? "proxy" : `read-only (upstream ${s.upstream})`;
  const stale = nowSeconds - s.updated > 60 ? `, stale ${nowSeconds - s.updated}s` : "";
  const hangs = s.hangRestarts > 0 ? `, restarted ${s.hangRestarts}x after hanging` : "";
  return `${mode}, ${size}${hangs}${stale}`;
}
