// The files each kind of node of a region gets: "mirror" nodes run the static pods (manifests and
// their configs), every "node" of the region gets the runtime config.
import type { RegionPlan } from "./plan";
import type { MirrorTls, MirrorTlsPublic } from "./pki";
import { restartDigest } from "./restart";
import { renderRuntimeConfig, type ApplyMode } from "./runtimeConfig";
import {
  MIRROR_SUPERVISOR_PATH,
  mirrorConfigPath,
  mirrorConfigYaml,
  mirrorPodName,
  mirrorReadonlyConfigPath,
  mirrorReadonlyConfigYaml,
  mirrorStaticPodYaml,
  mirrorRelaySecretPath,
  mirrorTokenPath,
  MIRROR_RELAY_PATH,
  RELAY_SCRIPT,
  staticPodDirs,
  SUPERVISOR_SCRIPT,
} from "./staticPods";
import { mirrorTlsFiles, nodeTlsFiles, type TlsRole } from "./tlsFiles";
import { checkHostPath, HOST_ROOTS } from "./hostPaths";

export const ROLES = ["mirror", "node"] as const;
export type Role = (typeof ROLES)[number];

export interface NodeFile {
  role: Role;
  /** Absolute path on the node. */
  path: string;
  /** Octal file mode. */
  mode: "0644" | "0600";
  /** Written only on nodes where this directory exists (it tells which runtime/distribution runs there). */
  anchor: string;
  /** Holds a credential: delivered through a Kubernetes Secret, redacted in offline renders. */
  secret: boolean;
  content: string;
  /** How the writer applies it (default "replace"; see ApplyMode). */
  apply?: ApplyMode;
  /** A node's mTLS material toward the mirrors (CA, client certificate or key): the writer's health probe uses it too. */
  tls?: TlsRole;
  /**
   * The writer's key of a file whose content is not Pulumi's (apply "token": the tokens Secret the
   * refresher writes, projected beside the writer's own files); `content` is then empty.
   */
  sourceKey?: string;
}

export { HOST_ROOTS };

const ANCHORS: [string, string][] = [
  ["/etc/containers/", "/etc/containers"],
  ["/etc/containerd/", "/etc/containerd"],
  ["/etc/rancher/k3s/", "/etc/rancher/k3s"],
  ["/etc/rancher/rke2/", "/etc/rancher/rke2"],
  // Only where k3s/RKE2's embedded containerd has run (it creates this directory).
  ["/var/lib/rancher/k3s/agent/etc/containerd/", "/var/lib/rancher/k3s/agent/etc/containerd"],
  ["/var/lib/rancher/rke2/agent/etc/containerd/", "/var/lib/rancher/rke2/agent/etc/containerd"],
];

function check(f: NodeFile): NodeFile {
  // The writer applies the same rule (hostPaths.ts) and refuses the whole manifest otherwise.
  const problem = checkHostPath(f.path);
  if (problem) throw new Error(`node file: ${problem}; the writer would refuse it`);
  if (!f.path.startsWith(`${f.anchor}/`)) throw new Error(`node file ${f.path} is not under its anchor ${f.anchor}`);
  return f;
}

/**
 * Runtime config and the public TLS files (every node); supervisor, read-only configs, public TLS
 * files and static-pod manifests (mirror nodes): nothing secret. `restartDigests` (per upstream,
 * from mirrorRestartDigests) goes into each manifest so the kubelet restarts a mirror whenever a
 * file it reads changes.
 */
export function publicNodeFiles(plan: RegionPlan, tls: MirrorTlsPublic, restartDigests: Readonly<Record<string, string>>): { files: NodeFile[]; warnings: string[] } {
  if (plan.mirrors.length === 0) return { files: [], warnings: [`region ${plan.region.name}: no upstream with a pull identity, so no mirrors and no node runtime config`] };
  const runtime = renderRuntimeConfig(plan);
  const anchorOf = (p: string) => ANCHORS.find(([prefix]) => p.startsWith(prefix))?.[1] ?? "/etc";
  // Certificates before the runtime config that names them.
  const files: NodeFile[] = [...nodeTlsFiles(plan, pub(tls)), ...runtime.files].map((f) => ({
    role: "node",
    path: f.path,
    mode: "0644",
    anchor: anchorOf(f.path),
    secret: false,
    content: f.content,
    apply: ("apply" in f ? f.apply : undefined) ?? "replace",
    ...("tls" in f ? { tls: f.tls } : {}),
  }));
  // Mirror nodes: what the pods read first, the manifests that start them last.
  files.push({ role: "mirror", path: MIRROR_SUPERVISOR_PATH, mode: "0644", anchor: "/etc", secret: false, content: SUPERVISOR_SCRIPT, apply: "replace" });
  if (plan.mirrors.some((m) => m.relayPort !== undefined)) files.push({ role: "mirror", path: MIRROR_RELAY_PATH, mode: "0644", anchor: "/etc", secret: false, content: RELAY_SCRIPT, apply: "replace" });
  for (const f of mirrorTlsFiles(pub(tls))) files.push({ role: "mirror", path: f.path, mode: "0644", anchor: "/etc", secret: false, content: f.content, apply: "replace" });
  for (const m of plan.mirrors) files.push({ role: "mirror", path: mirrorReadonlyConfigPath(m), mode: "0644", anchor: "/etc", secret: false, content: mirrorReadonlyConfigYaml(plan, m), apply: "replace" });
  for (const m of plan.mirrors) {
    const digest = restartDigests[m.upstream.name];
    if (digest === undefined) throw new Error(`region ${plan.region.name}: no restart digest for the mirror of "${m.upstream.name}"`);
    for (const { dir, anchor } of staticPodDirs(plan.region.runtimes)) {
      files.push({ role: "mirror", path: `${dir}/${mirrorPodName(m)}.yaml`, mode: "0644", anchor, secret: false, content: mirrorStaticPodYaml(plan, m, digest), apply: "static-pod" });
    }
  }
  return { files: files.map(check), warnings: runtime.warnings };
}

/** Only the certificates: a caller may hold the whole MirrorTls; keys never reach public files. */
const pub = (t: MirrorTlsPublic): MirrorTlsPublic => ({ caCertPem: t.caCertPem, serverCertPem: t.serverCertPem, clientCertPem: t.clientCertPem });

const password = (plan: RegionPlan, passwords: Readonly<Record<string, string>>, upstream: string): string => {
  const pw = passwords[upstream];
  if (pw === undefined) throw new Error(`region ${plan.region.name}: no pull password for upstream "${upstream}"`);
  return pw;
};

/** Mirror configs and the server key (mirror nodes), the client key (every node). */
export function secretNodeFiles(plan: RegionPlan, passwords: Readonly<Record<string, string>>, keys: Pick<MirrorTls, "serverKeyPem" | "clientKeyPem">): NodeFile[] {
  if (plan.mirrors.length === 0) return [];
  const out: NodeFile[] = plan.mirrors.map((m) => ({ role: "mirror", path: mirrorConfigPath(m), mode: "0600", anchor: "/etc", secret: true, content: mirrorConfigYaml(plan, m, password(plan, passwords, m.upstream.name)), apply: "replace" }));
  // Token upstreams: the relay's secret (the same as the config's proxy password), and the
  // refresher's token from its key of the tokens Secret; both before the static pods.
  for (const m of plan.mirrors) {
    if (!m.upstream.tokenKey) continue;
    out.push({ role: "mirror", path: mirrorRelaySecretPath(m), mode: "0600", anchor: "/etc", secret: true, content: password(plan, passwords, m.upstream.name), apply: "replace" });
    out.push({ role: "mirror", path: mirrorTokenPath(m), mode: "0600", anchor: "/etc", secret: true, content: "", apply: "token", sourceKey: m.upstream.tokenKey });
  }
  for (const f of mirrorTlsFiles({ serverKeyPem: keys.serverKeyPem })) out.push({ role: "mirror", path: f.path, mode: "0600", anchor: "/etc", secret: true, content: f.content, apply: "replace" });
  for (const f of nodeTlsFiles(plan, { clientKeyPem: keys.clientKeyPem })) {
    out.push({ role: "node", path: f.path, mode: "0600", anchor: ANCHORS.find(([prefix]) => f.path.startsWith(prefix))?.[1] ?? "/etc", secret: true, content: f.content, apply: "replace", tls: f.tls });
  }
  return out.map(check);
}

/**
 * Per upstream: the keyed digest (restart.ts) of every file its mirror pod reads (proxy config
 * with the credential, read-only config, CA, server pair, supervisor).
 */
export function mirrorRestartDigests(plan: RegionPlan, passwords: Readonly<Record<string, string>>, tls: MirrorTls, key: string): Record<string, string> {
  const shared = [{ path: MIRROR_SUPERVISOR_PATH, content: SUPERVISOR_SCRIPT }, ...mirrorTlsFiles(tls)];
  return Object.fromEntries(
    plan.mirrors.map((m) => [
      m.upstream.name,
      restartDigest(key, [
        { path: mirrorConfigPath(m), content: mirrorConfigYaml(plan, m, password(plan, passwords, m.upstream.name)) },
        { path: mirrorReadonlyConfigPath(m), content: mirrorReadonlyConfigYaml(plan, m) },
        ...shared,
        // The relay reads its script at start; the token it reads at every request (no restart).
        ...(m.relayPort !== undefined ? [{ path: MIRROR_RELAY_PATH, content: RELAY_SCRIPT }] : []),
      ]),
    ]),
  );
}

/**
 * The order the writer applies files in: everything a static pod may depend on (configs,
 * certificates) first, kubelet manifests last; otherwise the given order. The writer also skips
 * the manifests of a run in which an earlier file failed.
 */
export function inWriteOrder<T extends Pick<NodeFile, "apply">>(files: readonly T[]): T[] {
  return [...files.filter((f) => f.apply !== "static-pod"), ...files.filter((f) => f.apply === "static-pod")];
}
