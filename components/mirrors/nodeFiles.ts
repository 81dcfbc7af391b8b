// The files each kind of node of a region gets: "mirror" nodes run the static pods (manifests and
// their configs), every "node" of the region gets the runtime config.
import type { RegionPlan } from "./plan";
import { renderRuntimeConfig, type ApplyMode } from "./runtimeConfig";
import { mirrorConfigPath, mirrorConfigYaml, mirrorPodName, mirrorStaticPodYaml, staticPodDirs } from "./staticPods";

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
}

/** Host directories the node file writer may touch (mounted into its pod). */
export const HOST_ROOTS = ["/etc", "/var/lib"] as const;

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
  if (!f.path.startsWith("/") || /\s/.test(f.path) || f.path.split("/").includes("..")) {
    throw new Error(`node file path "${f.path}" must be absolute, without spaces or '..'`);
  }
  if (!HOST_ROOTS.some((r) => f.path.startsWith(`${r}/`))) throw new Error(`node file ${f.path} is outside ${HOST_ROOTS.join(" and ")}; the writer cannot reach it`);
  if (!f.path.startsWith(`${f.anchor}/`)) throw new Error(`node file ${f.path} is not under its anchor ${f.anchor}`);
  return f;
}

/** Runtime config (every node) and static-pod manifests (mirror nodes): nothing secret. */
export function publicNodeFiles(plan: RegionPlan): { files: NodeFile[]; warnings: string[] } {
  if (plan.mirrors.length === 0) return { files: [], warnings: [`region ${plan.region.name}: no upstream with a pull identity, so no mirrors and no node runtime config`] };
  const runtime = renderRuntimeConfig(plan);
  const files: NodeFile[] = runtime.files.map((f) => ({
    role: "node",
    path: f.path,
    mode: "0644",
    anchor: ANCHORS.find(([prefix]) => f.path.startsWith(prefix))?.[1] ?? "/etc",
    secret: false,
    content: f.content,
    apply: f.apply ?? "replace",
  }));
  for (const m of plan.mirrors) {
    for (const { dir, anchor } of staticPodDirs(plan.region.runtimes)) {
      files.push({ role: "mirror", path: `${dir}/${mirrorPodName(m)}.yaml`, mode: "0644", anchor, secret: false, content: mirrorStaticPodYaml(plan, m), apply: "static-pod" });
    }
  }
  return { files: files.map(check), warnings: runtime.warnings };
}

/** Mirror configs (mirror nodes): each holds its upstream's pull credential. */
export function secretNodeFiles(plan: RegionPlan, passwords: Readonly<Record<string, string>>): NodeFile[] {
  return plan.mirrors.map((m) => {
    const password = passwords[m.upstream.name];
    if (password === undefined) throw new Error(`region ${plan.region.name}: no pull password for upstream "${m.upstream.name}"`);
    return check({ role: "mirror", path: mirrorConfigPath(m), mode: "0600", anchor: "/etc", secret: true, content: mirrorConfigYaml(plan, m, password), apply: "replace" });
  });
}

/**
 * The order the writer applies files in: everything a static pod may depend on (configs,
 * certificates) first, kubelet manifests last; otherwise the given order. The writer also skips
 * the manifests of a run in which an earlier file failed.
 */
export function inWriteOrder<T extends Pick<NodeFile, "apply">>(files: readonly T[]): T[] {
  return [...files.filter((f) => f.apply !== "static-pod"), ...files.filter((f) => f.apply === "static-pod")];
}
