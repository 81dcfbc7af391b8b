// The one rule for host paths the node file writer may touch. nodeFiles.ts applies it to every
// rendered file; writer.sh (path_problem) applies the same rule to every manifest line and every
// state-file entry, with the roots passed in its ALLOWED_ROOTS env (writerDaemonSetSpec). Both are
// held to the same verdicts by HOST_PATH_CASES (test/mirrors-writer-hardening.test.ts). On the
// node the writer also refuses any existing symlink on the path (it cannot be decided here).

/** Host directories the node file writer may touch (mounted into its pod). */
export const HOST_ROOTS = ["/etc", "/var/lib"] as const;

/** Characters a managed path may contain (colons: certs.d/<host:port>/). */
const ALLOWED = /^[A-Za-z0-9._:+/-]+$/;

/** Why `p` is not a path the writer may manage, or undefined when it is. */
export function checkHostPath(p: string, roots: readonly string[] = HOST_ROOTS): string | undefined {
  if (!ALLOWED.test(p)) return `path "${p}" has characters outside [A-Za-z0-9._:+/-]`;
  if (`${p}/`.split("/").slice(1, -1).some((s) => s === "" || s === "." || s === "..")) return `path "${p}" has an empty, '.' or '..' segment`;
  if (!roots.some((r) => p.startsWith(`${r}/`))) return `path "${p}" is not under ${roots.join(" or ")}`;
  return undefined;
}

/** [path, allowed]: the shared table both implementations must agree on. */
export const HOST_PATH_CASES: readonly (readonly [string, boolean])[] = [
  ["/etc/containerd/certs.d/h/hosts.toml", true],
  ["/etc/containers/certs.d/10.1.0.11:5000/ca.crt", true],
  ["/var/lib/rancher/k3s/agent/pod-manifests/registry-mirror-h.yaml", true],
  ["/etc/registry-topology/mirrors/harbor_1/config.yml", true],
  ["/etc/../../escaped", false],
  ["/etc/containerd/../../../tmp/escaped", false],
  ["/var/lib/../../escaped", false],
  ["/etc/./x", false],
  ["/etc//x", false],
  ["/etc/x/", false],
  ["/etc/x/..", false],
  ["/etc", false],
  ["/usr/bin/x", false],
  ["/etcetera/x", false],
  ["/var/libx/y", false],
  ["/etc/x$(id)", false],
  ["/etc/x*", false],
  ["/etc/a\\b", false],
];
