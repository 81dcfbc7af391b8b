// Config that validates key by key but would fail at apply (or break nodes) because two things
// the program creates claim the same name or port. Pure: called from the topology schema.
import type { z } from "zod";
import { formatPath } from "./format";
import { BUILTIN_NAMESPACES } from "./k8sNames";
import { NODE_PORT_RANGE } from "./primitives";
// The checked shape is the component's args (what the parsed config must satisfy), so this file
// does not import the schema that calls it.
import type { RegistryTopologyArgs as TopologyConfig } from "../../components/topology";

type Ctx = z.core.$RefinementCtx<TopologyConfig>;
type Path = (string | number)[];

/**
 * TCP ports already bound on Kubernetes nodes, which a hostNetwork mirror must not take.
 * Kubernetes "Ports and Protocols" (kubernetes.io/docs/reference/networking/ports-and-protocols):
 * 6443, 2379-2380, 10250, 10256, 10257, 10259. Component defaults: kubelet --healthz-port 10248
 * and --read-only-port 10255, kube-proxy --metrics-bind-address :10249. Prometheus
 * node-exporter 9100 (Prometheus "default port allocations" wiki). RKE2 supervisor 9345 (RKE2
 * docs, inbound rules). Taken from those documents as remembered; not re-read on this machine.
 */
export const WELL_KNOWN_NODE_PORTS: ReadonlyMap<number, string> = new Map([
  [2379, "etcd client"],
  [2380, "etcd peer"],
  [6443, "kube-apiserver"],
  [9100, "node-exporter"],
  [9345, "RKE2 supervisor"],
  [10248, "kubelet healthz"],
  [10249, "kube-proxy metrics"],
  [10250, "kubelet API"],
  [10255, "kubelet read-only API"],
  [10256, "kube-proxy healthz"],
  [10257, "kube-controller-manager"],
  [10259, "kube-scheduler"],
]);

function issue(ctx: Ctx, path: Path, message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

const fmt = formatPath;

/** Namespaces this program creates (Harbor's and each in-cluster backup's): each at most once, none built in. */
function namespaces(cfg: TopologyConfig, ctx: Ctx): void {
  const owners = new Map<string, Path>([[cfg.harbor.namespace, ["harbor", "namespace"]]]);
  const builtin = (ns: string, path: Path) => {
    if ((BUILTIN_NAMESPACES as readonly string[]).includes(ns)) {
      issue(ctx, path, `"${ns}" exists in every cluster and this program creates its namespace, which would fail at apply; expected a namespace of its own`);
    }
  };
  builtin(cfg.harbor.namespace, ["harbor", "namespace"]);
  cfg.backups.forEach((b, i) => {
    if (b.kind !== "oci" || !b.inCluster) return;
    const path: Path = ["backups", i, "inCluster", "namespace"];
    const ns = b.inCluster.namespace;
    builtin(ns, path);
    const first = owners.get(ns);
    if (first) {
      issue(ctx, path, `namespace "${ns}" is also created for ${fmt(first)}: two Namespace objects with one name fail at apply; expected a namespace of its own, e.g. registry-backup-${b.name}`);
    } else owners.set(ns, path);
  });
}

/** Secrets the user names in Harbor's namespace must not be the one this program creates there. */
function harborSecrets(cfg: TopologyConfig, ctx: Ctx): void {
  const h = cfg.harbor;
  const ours = `${h.releaseName}-internal-secrets`;
  const named: [Path, string | undefined][] = [
    [["harbor", "expose", "tlsSecretName"], h.expose.tlsSecretName],
    [["harbor", "caBundleSecretName"], h.caBundleSecretName],
    [["harbor", "database", "passwordSecretName"], h.database.type === "external" ? h.database.passwordSecretName : undefined],
    [["harbor", "redis", "passwordSecretName"], h.redis.type === "external" ? h.redis.passwordSecretName : undefined],
  ];
  for (const [path, name] of named) {
    if (name === ours) issue(ctx, path, `"${ours}" is the Secret this program creates in Harbor's namespace (from harbor.releaseName); expected the name of another, existing Secret`);
  }
}

/** Every Service node port is cluster-wide: two Services cannot share one. */
function nodePorts(cfg: TopologyConfig, ctx: Ctx): void {
  const seen = new Map<number, Path>();
  const claim = (port: number, path: Path) => {
    const first = seen.get(port);
    if (first) issue(ctx, path, `node port ${port} is also ${fmt(first)}; node ports are cluster-wide, expected a different one`);
    else seen.set(port, path);
  };
  const e = cfg.harbor.expose;
  if (e.type === "nodePort") {
    claim(e.httpNodePort, ["harbor", "expose", "httpNodePort"]);
    claim(e.httpsNodePort, ["harbor", "expose", "httpsNodePort"]);
  }
  cfg.backups.forEach((b, i) => {
    if (b.kind === "oci" && b.inCluster) claim(b.inCluster.nodePort, ["backups", i, "inCluster", "nodePort"]);
  });
}

/** Upstreams a region's mirrors may serve: Harbor and every backup (an upper bound: one host port each). */
const mirrorCount = (cfg: TopologyConfig) => 1 + cfg.backups.length;

/** Host ports of mirrors: clear of ports nodes already use, of node ports, and of other regions on the same nodes. */
function mirrorPorts(cfg: TopologyConfig, ctx: Ctx): void {
  const n = mirrorCount(cfg);
  const ranges = cfg.regions.map((r) => ({ lo: r.mirrorPortBase, hi: r.mirrorPortBase + n - 1 }));
  cfg.regions.forEach((r, i) => {
    const path: Path = ["regions", i, "mirrorPortBase"];
    const { lo, hi } = ranges[i]!;
    const span = lo === hi ? `port ${lo}` : `ports ${lo}-${hi} (one per upstream)`;
    const taken = [...WELL_KNOWN_NODE_PORTS].filter(([port]) => port >= lo && port <= hi).map(([port, what]) => `${port} (${what})`);
    if (taken.length > 0) issue(ctx, path, `mirror ${span} include ${taken.join(", ")}, already used on nodes; expected a range clear of ${taken.length === 1 ? "it" : "them"}`);
    if (hi >= NODE_PORT_RANGE.min && lo <= NODE_PORT_RANGE.max) {
      issue(ctx, path, `mirror ${span} overlap the Service node-port range ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}: kube-proxy redirects those ports before a host listener sees them; expected ports below ${NODE_PORT_RANGE.min}`);
    }
    for (let j = 0; j < i; j++) {
      const o = cfg.regions[j]!;
      const sameNodes =
        r.mirrorAddresses.some((a) => o.mirrorAddresses.includes(a)) ||
        JSON.stringify(Object.entries(r.mirrorNodes.nodeSelector).sort()) === JSON.stringify(Object.entries(o.mirrorNodes.nodeSelector).sort());
      const other = ranges[j]!;
      if (sameNodes && lo <= other.hi && other.lo <= hi) {
        issue(ctx, path, `mirror ${span} overlap regions[${j}]'s ports ${other.lo}-${other.hi} on the same mirror nodes (shared address or node selector); expected mirrorPortBase ${other.hi + 1} or higher`);
      }
    }
  });
}

/** Lists whose entries become keys or objects of their own: a repeat collides on the node or at apply. */
function duplicates(cfg: TopologyConfig, ctx: Ctx): void {
  const once = <T>(items: readonly T[], path: Path, what: string) => {
    items.forEach((v, k) => {
      const first = items.indexOf(v);
      if (first !== k) issue(ctx, [...path, k], `${JSON.stringify(v)} is listed twice (also ${fmt([...path, first])}); ${what}`);
    });
  };
  cfg.regions.forEach((r, i) => {
    once(r.mirrorAddresses, ["regions", i, "mirrorAddresses"], "each address becomes one mirror host entry in the runtime config, which must be unique");
    if (r.upstreamOrder) once(r.upstreamOrder, ["regions", i, "upstreamOrder"], "each upstream gets one mirror; name it once");
  });
  cfg.backups.forEach((b, i) => {
    if (b.kind === "acr") once(b.geoReplicationLocations, ["backups", i, "geoReplicationLocations"], "each location is one Azure replication; name it once");
  });
}

export function checkCollisions(cfg: TopologyConfig, ctx: Ctx): void {
  namespaces(cfg, ctx);
  harborSecrets(cfg, ctx);
  nodePorts(cfg, ctx);
  mirrorPorts(cfg, ctx);
  duplicates(cfg, ctx);
}
