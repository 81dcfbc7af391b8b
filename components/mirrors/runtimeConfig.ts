// Node runtime config for one region, rendered with TOML/YAML libraries. Each renderer lists the
// mirrors in the plan's order; the real Harbor host stays the registry name and the last fallback.
import * as TOML from "smol-toml";
import YAML from "yaml";
import { hostPathPrefix, mirrorPath, type RegionPlan } from "./plan";

/**
 * How the node file writer applies a file (components/mirrors/writer.sh):
 * - replace: the whole file is ours;
 * - merge-yaml: our entries in a marked block of an operator-owned YAML file (k3s/RKE2 registries.yaml);
 * - containerd-config-path: one marked `config_path` line in containerd's config.toml, nothing else;
 * - token: the whole file is ours, but its content is the token refresher's (a key of the tokens
 *   Secret, NodeFile.sourceKey): absent or malformed, the node keeps the token it has.
 * (static-pod is set by nodeFiles.ts for kubelet manifests.)
 */
export type ApplyMode = "replace" | "static-pod" | "merge-yaml" | "containerd-config-path" | "token";

/** Files a runtime reads, with the warnings a reader of the plan should see. */
export interface Rendered {
  files: { path: string; content: string; apply?: ApplyMode }[];
  warnings: string[];
}

export const CRIO_DROPIN = "/etc/containers/registries.conf.d/50-registry-topology.conf";
export const CONTAINERD_CERTS_D = "/etc/containerd/certs.d";
export const CONTAINERD_CONFIG = "/etc/containerd/config.toml";
export const K3S_REGISTRIES = "/etc/rancher/k3s/registries.yaml";
export const RKE2_REGISTRIES = "/etc/rancher/rke2/registries.yaml";

/**
 * Health-aware blocks: the writer probes `<url>/v2/` of every mirror named in a `#@mirror <url>`
 * line (over mTLS, with the node's client certificate) and leaves the lines up to the next `#@end`
 * out while that mirror fails its probe. Both are comments to TOML, so the file is valid with or
 * without any block.
 */
export const MIRROR_BLOCK_START = "#@mirror ";
export const MIRROR_BLOCK_END = "#@end";
const mirrorBlock = (probeUrl: string, toml: string): string => `${MIRROR_BLOCK_START}${probeUrl}\n${toml}${MIRROR_BLOCK_END}\n`;

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
  const parts = plan.harbor.projects.map((project) => {
    const registry = TOML.stringify({ registry: [{ prefix: `${plan.harbor.host}/${project}`, location: `${plan.harbor.host}/${project}`, insecure: plan.harbor.insecure }] });
    // `[[registry.mirror]]` appends to the [[registry]] above it; the keys come from the TOML library.
    const mirrors = plan.endpoints.map((e) => mirrorBlock(`https://${e.address}`, `[[registry.mirror]]\n${TOML.stringify({ location: `${e.address}/${mirrorPath(e.mirror.upstream, project)}`, insecure: false })}`));
    return `${registry}\n${mirrors.join("")}`;
  });
  const content =
    header("registries.conf.d drop-in for Harbor's projects", "CRI-O re-reads it on SIGHUP (the node file writer sends it); podman/skopeo read it on every run.") +
    "# Mirrors that fail the writer's health probe are left out until they answer again.\n" +
    parts.join("\n");
  return { files: [{ path: CRIO_DROPIN, content, apply: "replace" }], warnings: [] };
}

/** Mirrors a whole-host mapping can express, and a warning for each it cannot. */
function hostMappedEndpoints(plan: RegionPlan, runtime: string): { urls: string[]; probes: string[]; overridePath: boolean[]; warnings: string[] } {
  const urls: string[] = [];
  const probes: string[] = [];
  const overridePath: boolean[] = [];
  const skipped = new Set<string>();
  for (const e of plan.endpoints) {
    const prefix = hostPathPrefix(e.mirror.upstream);
    if (prefix === undefined) {
      skipped.add(e.upstream);
      continue;
    }
    urls.push(prefix ? `https://${e.address}/v2/${prefix}` : `https://${e.address}`);
    probes.push(`https://${e.address}`);
    overridePath.push(prefix !== "");
  }
  const warnings = [...skipped].map(
    (u) =>
      `region ${plan.region.name}: ${runtime} cannot use the mirror of "${u}": that registry drops Harbor's project level, which ${runtime} cannot rewrite per mirror; CRI-O nodes still use it`,
  );
  return { urls, probes, overridePath, warnings };
}

/** Directory name containerd looks up for a host with a port ("host:port"). */
export function containerdHostsPath(harborHost: string): string {
  return `${CONTAINERD_CERTS_D}/${harborHost}/hosts.toml`;
}

/**
 * containerd: `certs.d/<harbor-host>/hosts.toml` (mirrors with pull+resolve, `override_path` for
 * path-prefixed backups, `server` = Harbor), and the activation: `config_path` in config.toml.
 *
 * Activation changes one key and nothing else. On containerd 1.6/1.7 an `imports` file cannot do
 * that: `mergeConfig` replaces each plugin table an import names as a whole
 * (services/server/config/config.go, "Replace entire sections instead of merging map's values",
 * v1.6.20 and v1.7.x), so SystemdCgroup, sandbox_image, snapshotter and CNI dirs would fall back
 * to defaults. containerd 2.0+ merges plugin tables key by key (commit a21e379b6, in v2.0.0), but
 * its default config has no `imports` either. So the writer puts one marked line into the CRI
 * registry table of the node's own config.toml (version 2: io.containerd.grpc.v1.cri, version 3:
 * io.containerd.cri.v1.images) and takes it out again when no longer managed; it refuses, and
 * reports why, where that is not safe (see writer.sh `ctrd_activate`). The content below is what
 * a node without any config.toml gets (containerd's defaults plus config_path).
 */
export function renderContainerd(plan: RegionPlan): Rendered {
  const hosts = hostsToml(plan, "containerd", { ca: CONTAINERD_TLS_NAMES.ca, cert: CONTAINERD_TLS_NAMES.cert, key: CONTAINERD_TLS_NAMES.key });
  const activation = TOML.stringify({ version: 2, plugins: { "io.containerd.grpc.v1.cri": { registry: { config_path: CONTAINERD_CERTS_D } } } });
  return {
    files: [
      { path: containerdHostsPath(plan.harbor.host), content: hosts.content, apply: "replace" },
      { path: CONTAINERD_CONFIG, content: activation, apply: "containerd-config-path" },
    ],
    warnings: hosts.warnings,
  };
}

/** hosts.toml for the Harbor host: health-aware mirror blocks in order, then `server` = Harbor. */
function hostsToml(plan: RegionPlan, runtime: string, tls: { ca: string; cert: string; key: string }): { content: string; warnings: string[] } {
  const { urls, probes, overridePath, warnings } = hostMappedEndpoints(plan, runtime);
  const blocks = urls.map((url, i) =>
    mirrorBlock(
      probes[i]!,
      TOML.stringify({
        host: {
          [url]: {
            capabilities: ["pull", "resolve"],
            ...(overridePath[i] ? { override_path: true } : {}),
            // mTLS: relative paths resolve against this file's directory (hosts.go makeAbsPath).
            ca: tls.ca,
            client: [[tls.cert, tls.key]],
            // containerd >= 2.1 honours it; older releases ignore the key (measured on 1.6.20).
            dial_timeout: `${plan.region.dialTimeoutSeconds}s`,
          },
        },
      }),
    ),
  );
  const server = TOML.stringify({ server: plan.harbor.url, ...(plan.harbor.insecure ? { skip_verify: true } : {}) });
  const reload = "containerd reads it on every pull (where config_path is set); no restart needed. Mirrors failing the writer's health probe are left out.";
  return { content: `${header(`mirrors for ${plan.harbor.host}`, reload)}${server}\n${blocks.join("")}`, warnings };
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
  const tlsPaths = { ca: `${dir}/${RANCHER_TLS_NAMES.ca}`, cert: `${dir}/${RANCHER_TLS_NAMES.cert}`, key: `${dir}/${RANCHER_TLS_NAMES.key}` };
  const tls = { ca_file: tlsPaths.ca, cert_file: tlsPaths.cert, key_file: tlsPaths.key };
  // configs.<mirror host:port> entries are ours too: the writer merges them like the mirrors entry.
  const configs = Object.fromEntries([...new Set(plan.endpoints.map((e) => e.address))].map((a) => [a, { tls }]));
  const doc = { mirrors: { [plan.harbor.host]: { endpoint: urls } }, configs };
  // Merged by the writer into the operator's file (only our entries, in marked blocks).
  const content = YAML.stringify(doc);
  // k3s/RKE2 point their embedded containerd's config_path at this directory and turn
  // registries.yaml into hosts.toml there at start only (k3s pkg/agent/containerd/config.go).
  // Writing the health-aware hosts.toml there too lets a dead mirror be skipped without a
  // restart; after a restart k3s regenerates the file and the writer replaces it again. Its TLS
  // paths are absolute (the files live in the k3s/RKE2 config dir, as registries.yaml names them).
  const hosts = hostsToml(plan, flavour, tlsPaths);
  return {
    files: [
      { path: flavour === "k3s" ? K3S_REGISTRIES : RKE2_REGISTRIES, content, apply: "merge-yaml" },
      { path: `${rancherCertsD(flavour)}/${plan.harbor.host}/hosts.toml`, content: hosts.content, apply: "replace" },
    ],
    warnings,
  };
}

/** The certs.d directory k3s/RKE2 give their embedded containerd (`config_path`). */
export const rancherCertsD = (flavour: "k3s" | "rke2"): string => `/var/lib/rancher/${flavour}/agent/etc/containerd/certs.d`;

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
