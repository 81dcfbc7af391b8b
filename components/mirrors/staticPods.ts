// Mirror static pods: one distribution (v3, proxy mode) per upstream, run by the kubelet from a
// local file so it survives an API-server outage. Pure renderers; the caller keeps the config
// (it holds the upstream's pull credential) a Pulumi secret.
import YAML from "yaml";
import type { Runtime } from "../../infra/config/regions";
import { MIRROR_IMAGE, type PlannedMirror, type RegionPlan } from "./plan";

export const MIRROR_CONFIG_DIR = "/etc/registry-topology/mirrors";
export const MIRROR_DATA_DIR = "/var/lib/registry-topology/mirrors";

/** Where the kubelet of each distribution looks for static pods, and the directory that proves it is that distribution. */
export const STATIC_POD_DIRS: Record<"kubeadm" | "k3s" | "rke2", { dir: string; anchor: string }> = {
  kubeadm: { dir: "/etc/kubernetes/manifests", anchor: "/etc/kubernetes" },
  k3s: { dir: "/var/lib/rancher/k3s/agent/pod-manifests", anchor: "/var/lib/rancher/k3s/agent" },
  rke2: { dir: "/var/lib/rancher/rke2/agent/pod-manifests", anchor: "/var/lib/rancher/rke2/agent" },
};

export function staticPodDirs(runtimes: readonly Runtime[]): { dir: string; anchor: string }[] {
  const kinds = new Set<keyof typeof STATIC_POD_DIRS>();
  for (const r of runtimes) kinds.add(r === "k3s" || r === "rke2" ? r : "kubeadm");
  return [...kinds].map((k) => STATIC_POD_DIRS[k]);
}

export const mirrorConfigPath = (m: PlannedMirror): string => `${MIRROR_CONFIG_DIR}/${m.upstream.name}/config.yml`;
export const mirrorPodName = (m: PlannedMirror): string => `registry-mirror-${m.upstream.name}`;

/**
 * distribution's config.yml for the mirror of one upstream.
 * - `ttl: 0s` (v3): cached content never expires, so a long upstream outage does not empty the
 *   cache (2.8 has a fixed 7-day TTL and ignores the key).
 * - No `health.http` check on the upstream: a failing check turns every answer into 503, i.e.
 *   the mirror would stop serving its cache exactly when the upstream is down.
 * - The storage-driver check stays: a mirror whose disk is broken cannot serve anything.
 */
export function mirrorConfig(plan: RegionPlan, m: PlannedMirror, password: string): Record<string, unknown> {
  return {
    version: 0.1,
    log: { level: "info", formatter: "text", fields: { service: "registry-mirror", region: plan.region.name, upstream: m.upstream.name } },
    storage: {
      filesystem: { rootdirectory: "/var/lib/registry" },
      // The proxy's expiry scheduler deletes through the storage API.
      delete: { enabled: true },
    },
    http: {
      addr: `${plan.bindHost}:${m.port}`,
      headers: { "X-Content-Type-Options": ["nosniff"] },
    },
    proxy: {
      remoteurl: m.upstream.url,
      username: m.upstream.username,
      password,
      ttl: "0s",
    },
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
  };
}

export function mirrorConfigYaml(plan: RegionPlan, m: PlannedMirror, password: string): string {
  return `# Managed by registry-topology: pull-through mirror of "${m.upstream.name}" (contains its pull credential; root, 0600).\n${YAML.stringify(mirrorConfig(plan, m, password))}`;
}

/**
 * The static pod. Probes only look at the mirror itself (GET / and /v2/ never contact the
 * upstream), so an upstream outage never restarts a healthy mirror; a mirror that hangs fails
 * its liveness probe and is restarted, which turns "hangs" (no runtime times it out) into
 * "connection refused" (runtimes move to the next mirror at once).
 */
export function mirrorStaticPod(plan: RegionPlan, m: PlannedMirror): Record<string, unknown> {
  const probe = (path: string) => ({ httpGet: { host: "127.0.0.1", path, port: m.port, scheme: "HTTP" } });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: mirrorPodName(m),
      namespace: "kube-system",
      labels: {
        "app.kubernetes.io/name": "registry-mirror",
        "app.kubernetes.io/part-of": "registry-topology",
        "registry-topology/region": plan.region.name,
        "registry-topology/upstream": m.upstream.name,
      },
    },
    spec: {
      hostNetwork: true,
      dnsPolicy: "ClusterFirstWithHostNet",
      priorityClassName: "system-node-critical",
      restartPolicy: "Always",
      terminationGracePeriodSeconds: 10,
      containers: [
        {
          name: "registry",
          // Pinned by digest and not on the Harbor host, so pulling it never depends on a mirror.
          image: MIRROR_IMAGE,
          imagePullPolicy: "IfNotPresent",
          args: ["serve", "/etc/distribution/config.yml"],
          ports: [{ name: "http", containerPort: m.port, hostPort: m.port, protocol: "TCP" }],
          livenessProbe: { ...probe("/"), initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
          readinessProbe: { ...probe("/v2/"), periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            // Root without capabilities: reads the root-owned 0600 config, writes its hostPath cache.
            runAsUser: 0,
          },
          volumeMounts: [
            { name: "config", mountPath: "/etc/distribution/config.yml", readOnly: true },
            { name: "data", mountPath: "/var/lib/registry" },
          ],
        },
      ],
      volumes: [
        { name: "config", hostPath: { path: mirrorConfigPath(m), type: "File" } },
        { name: "data", hostPath: { path: `${MIRROR_DATA_DIR}/${m.upstream.name}`, type: "DirectoryOrCreate" } },
      ],
    },
  };
}

export function mirrorStaticPodYaml(plan: RegionPlan, m: PlannedMirror): string {
  return `# Managed by registry-topology: static pod, started by the kubelet without the API server.\n${YAML.stringify(mirrorStaticPod(plan, m))}`;
}
