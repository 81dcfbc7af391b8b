// Node runtime config for one region, rendered with TOML/YAML libraries. Each renderer lists the
// mirrors in the plan's order; the real Harbor host stays the registry name and the last fallback.
import * as TOML from "smol-toml";
import YAML from "yaml";
import { hostPathPrefix, mirrorPath, type RegionPlan } from "./plan";

/** Files a runtime reads, with the warnings a reader of the plan should see. */
export interface Rendered {
  files: { path: string; content: string }[];
  warnings: string[];
}

export const CRIO_DROPIN = "/etc/containers/registries.conf.d/50-registry-topology.conf";
export const CONTAINERD_CERTS_D = "/etc/containerd/certs.d";
export const CONTAINERD_FRAGMENT_DIR = "/etc/containerd/registry-topology";
export const K3S_REGISTRIES = "/etc/rancher/k3s/registries.yaml";
export const RKE2_REGISTRIES = "/etc/rancher/rke2/registries.yaml";

// mTLS toward the mirrors (components/mirrors/tlsFiles.ts writes these files).
/** c/image reads certs.d/<host:port>/ (docker/docker_client.go dockerCertDir, c/image v5.23.1): *.crt CAs, X.cert + X.key pairs. */
export const CONTAINERS_CERTS_D = "/etc/containers/certs.d";
/** containerd: relative `ca`/`client` paths are resolved against the hosts.toml directory (remotes/docker/config/hosts.go makeAbsPath, 1.6.20). */
export const CONTAINERD_TLS_NAMES = { ca: "registry-topology-mirror-ca.crt", cert: "registry-topology-mirror-client.cert", key: "registry-topology-mirror-client.key" } as const;
/** k3s/RKE2: `configs.<host:port>.tls` takes absolute paths. */
export const rancherTlsDir = (flavour: "k3s" | "rke2"): string => `/etc/rancher/${flavour}/registry-topology`;
export const RANCHER_TLS_NAMES = { ca: "mirror-ca.crt", cert: "mirror-client.cert", key: "mirror-client.key" } as const;

const header = (what: string, reload: string): string =>
  `# Managed by registry-topology (Pulumi): ${what}. Local edits are overwritten.\n# ${reload}\n`;

/**
 * CRI-O / podman: one `[[registry]]` per Harbor project (longest prefix wins, so other prefixes
 * on the Harbor host are left alone), mirrors in order, each carrying the backup's path layout.
 * Mirrors speak TLS with client certificates: c/image finds the CA and the client pair in
 * certs.d/<mirror host:port>/, so no `insecure` on them.
 */
export function renderCrio(plan: RegionPlan): Rendered {
  const registry = plan.harbor.projects.map((project) => ({
    prefix: `${plan.harbor.host}/${project}`,
    location: `${plan.harbor.host}/${project}`,
    insecure: plan.harbor.insecure,
    mirror: plan.endpoints.map((e) => ({ location: `${e.address}/${mirrorPath(e.mirror.upstream, project)}`, insecure: false })),
  }));
  const content = header("registries.conf.d drop-in for Harbor's projects", "CRI-O re-reads it on SIGHUP (systemctl reload crio); the node file writer sends it.") + TOML.stringify({ registry });
  return { files: [{ path: CRIO_DROPIN, content }], warnings: [] };
}

/** Mirrors a whole-host mapping can express, and a warning for each it cannot. */
function hostMappedEndpoints(plan: RegionPlan, runtime: string): { urls: string[]; overridePath: boolean[]; warnings: string[] } {
  const urls: string[] = [];
  const overridePath: boolean[] = [];
  const skipped = new Set<string>();
  for (const e of plan.endpoints) {
    const prefix = hostPathPrefix(e.mirror.upstream);
    if (prefix === undefined) {
      skipped.add(e.upstream);
      continue;
    }
    urls.push(prefix ? `https://${e.address}/v2/${prefix}` : `https://${e.address}`);
    overridePath.push(prefix !== "");
  }
  const warnings = [...skipped].map(
    (u) =>
      `region ${plan.region.name}: ${runtime} cannot use the mirror of "${u}": that registry drops Harbor's project level, which ${runtime} cannot rewrite per mirror; CRI-O nodes still use it`,
  );
  return { urls, overridePath, warnings };
}

/** Directory name containerd looks up for a host with a port ("host:port"). */
export function containerdHostsPath(harborHost: string): string {
  return `${CONTAINERD_CERTS_D}/${harborHost}/hosts.toml`;
}

/**
 * containerd: `certs.d/<harbor-host>/hosts.toml` (mirrors with pull+resolve, `override_path` for
 * path-prefixed backups, `server` = Harbor), and the fragments that set `config_path` for config
 * version 2 (containerd 1.5-1.7) and 3 (2.x).
 */
export function renderContainerd(plan: RegionPlan): Rendered {
  const { urls, overridePath, warnings } = hostMappedEndpoints(plan, "containerd");
  const host: Record<string, Record<string, unknown>> = {};
  urls.forEach((url, i) => {
    host[url] = {
      capabilities: ["pull", "resolve"],
      ...(overridePath[i] ? { override_path: true } : {}),
      // Relative to this file's directory (containerd resolves them there).
      ca: CONTAINERD_TLS_NAMES.ca,
      client: [[CONTAINERD_TLS_NAMES.cert, CONTAINERD_TLS_NAMES.key]],
      // containerd >= 2.1 honours it; older releases ignore the key (measured on 1.6.20).
      dial_timeout: `${plan.region.dialTimeoutSeconds}s`,
    };
  });
  const hosts = { server: plan.harbor.url, ...(plan.harbor.insecure ? { skip_verify: true } : {}), host };
  const reload = "containerd reads it on the next pull; no restart needed.";
  const fragmentNote =
    "Add this file to `imports` in /etc/containerd/config.toml (matching its `version`) and restart containerd once.\n" +
    "# WARNING: never keep a legacy `registry.mirrors` table next to config_path: the CRI plugin then fails to load and kubelet cannot run pods.";
  const v2 = { version: 2, plugins: { "io.containerd.grpc.v1.cri": { registry: { config_path: CONTAINERD_CERTS_D } } } };
  const v3 = { version: 3, plugins: { "io.containerd.cri.v1.images": { registry: { config_path: CONTAINERD_CERTS_D } } } };
  return {
    files: [
      { path: containerdHostsPath(plan.harbor.host), content: header(`mirrors for ${plan.harbor.host}`, reload) + TOML.stringify(hosts) },
      { path: `${CONTAINERD_FRAGMENT_DIR}/config-path-v2.toml`, content: header("config_path for containerd 1.5-1.7 (config version 2)", fragmentNote) + TOML.stringify(v2) },
      { path: `${CONTAINERD_FRAGMENT_DIR}/config-path-v3.toml`, content: header("config_path for containerd 2.x (config version 3)", fragmentNote) + TOML.stringify(v3) },
    ],
    warnings,
  };
}

/**
 * k3s / RKE2 `registries.yaml`: endpoints in order (https, with `configs.<host:port>.tls` per
 * mirror address: CA and client certificate); a backup's path
 * prefix is carried by the endpoint path (`/v2/<prefix>` becomes `override_path`). `rewrite`
 * is not used: k3s copies a mirror's rewrites to every endpoint, which would break the Harbor
 * mirror that keeps Harbor's layout.
 */
export function renderRancher(plan: RegionPlan, flavour: "k3s" | "rke2"): Rendered {
  const { urls, warnings } = hostMappedEndpoints(plan, flavour);
  const dir = rancherTlsDir(flavour);
  const tls = { ca_file: `${dir}/${RANCHER_TLS_NAMES.ca}`, cert_file: `${dir}/${RANCHER_TLS_NAMES.cert}`, key_file: `${dir}/${RANCHER_TLS_NAMES.key}` };
  const configs = Object.fromEntries([...new Set(plan.endpoints.map((e) => e.address))].map((a) => [a, { tls }]));
  const doc = { mirrors: { [plan.harbor.host]: { endpoint: urls } }, configs };
  const content =
    header(`${flavour} registry mirrors for ${plan.harbor.host}`, `${flavour} reads it at start only: restart the ${flavour} service after a change.`) + YAML.stringify(doc);
  return { files: [{ path: flavour === "k3s" ? K3S_REGISTRIES : RKE2_REGISTRIES, content }], warnings };
}

/** Every runtime file the region asks for. */
export function renderRuntimeConfig(plan: RegionPlan): Rendered {
  const parts: Rendered[] = plan.region.runtimes.map((r) => {
    switch (r) {
      case "crio":
        return renderCrio(plan);
      case "containerd":
        return renderContainerd(plan);
      case "k3s":
      case "rke2":
        return renderRancher(plan, r);
    }
  });
  return { files: parts.flatMap((p) => p.files), warnings: [...new Set(parts.flatMap((p) => p.warnings))] };
}
