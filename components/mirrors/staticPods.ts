// Mirror static pods: one distribution (v3, proxy or read-only, see supervisor.sh) per upstream, run by the kubelet from a
// local file so it survives an API-server outage. Pure renderers; the caller keeps the config
// (it holds the upstream's pull credential) a Pulumi secret.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { NODE_IMAGE } from "../shared/images";
import type { Runtime } from "./args";
import { DEFAULT_CACHE_POLICY, MIRROR_IMAGE, type PlannedMirror, type RegionPlan } from "./plan";

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
/** A token upstream's credential on the node (token file format, components/refresher/tokenFile.ts), from the refresher. */
export const mirrorTokenPath = (m: PlannedMirror): string => `${MIRROR_CONFIG_DIR}/${m.upstream.name}/token`;
/** The secret distribution authenticates to its token relay with (token-relay.cjs). */
export const mirrorRelaySecretPath = (m: PlannedMirror): string => `${MIRROR_CONFIG_DIR}/${m.upstream.name}/relay-secret`;
export const mirrorPodName = (m: PlannedMirror): string => `registry-mirror-${m.upstream.name}`;

/** Host directories of the files every mirror pod of the node shares. */
export const MIRROR_TLS_DIR = "/etc/registry-topology/mirror-tls";
export const MIRROR_SUPERVISOR_PATH = "/etc/registry-topology/mirror-bin/supervisor.sh";
export const SUPERVISOR_SCRIPT = fs.readFileSync(path.join(__dirname, "supervisor.sh"), "utf8");
/** The token relay (token-relay.cjs) of token upstreams' mirrors, and the user distribution gives it. */
export const MIRROR_RELAY_PATH = "/etc/registry-topology/mirror-bin/token-relay.cjs";
export const RELAY_SCRIPT = fs.readFileSync(path.join(__dirname, "token-relay.cjs"), "utf8");
export const RELAY_USER = "registry-topology-relay";

/** Paths inside the mirror container. */
export const IN_POD = {
  configDir: "/etc/distribution",
  proxyConfig: "/etc/distribution/config.yml",
  readonlyConfig: "/etc/distribution/readonly.yml",
  tlsDir: "/etc/distribution-tls",
  supervisor: "/usr/local/bin/registry-topology-supervisor",
  cache: "/var/lib/registry",
  relayDir: "/etc/registry-topology-relay",
  relayScript: "/usr/local/lib/registry-topology-token-relay.cjs",
} as const;
export const TLS_FILE_NAMES = { ca: "ca.crt", cert: "server.crt", key: "server.key" } as const;

/**
 * How long a stopping mirror finishes the pulls it is serving. distribution drains only when
 * `http.draintimeout` is set: on SIGTERM it closes its listener and waits for open requests up to
 * that long (registry/registry.go, ListenAndServe, in v2.8.2 and v3.0.0); without it SIGTERM ends
 * the process at once and a layer in transfer is cut. New pulls meanwhile are refused at once, so
 * the runtime goes on to its next mirror. The pod's grace period covers the drain plus the
 * supervisor's own stop.
 */
export const MIRROR_DRAIN_SECONDS = 25;

export const mirrorReadonlyConfigPath = (m: PlannedMirror): string => `${MIRROR_CONFIG_DIR}/${m.upstream.name}/readonly.yml`;
export const mirrorDataDir = (m: PlannedMirror): string => `${MIRROR_DATA_DIR}/${m.upstream.name}`;

/**
 * What both modes share: storage, TLS with required client certificates, loopback debug server.
 * - `http.tls.clientcas` makes distribution require and verify a client certificate
 *   (registry/registry.go: `tlsConf.ClientAuth = tls.RequireAndVerifyClientCert`, v2.8.2 and
 *   v3.0.0 when `clientauth` is unset): only holders of the region's client key pull.
 * - `http.debug.addr` on 127.0.0.1 serves /debug/health (health/health.go init, both versions)
 *   for the kubelet's probes, which cannot present a client certificate.
 * - No `health.http` check on the upstream: a failing check turns every answer into 503, i.e.
 *   the mirror would stop serving its cache exactly when the upstream is down.
 * - The storage-driver check stays: a mirror whose disk is broken cannot serve anything.
 */
function commonConfig(plan: RegionPlan, m: PlannedMirror, mode: "proxy" | "readonly"): Record<string, unknown> {
  const tlsFile = (f: string) => `${IN_POD.tlsDir}/${f}`;
  return {
    version: 0.1,
    log: { level: "info", formatter: "text", fields: { service: "registry-mirror", region: plan.region.name, upstream: m.upstream.name, mode } },
    storage: {
      filesystem: { rootdirectory: IN_POD.cache },
      // The proxy's expiry scheduler deletes through the storage API.
      delete: { enabled: true },
      ...(mode === "readonly" ? { maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } } } : {}),
    },
    http: {
      addr: `${plan.bindHost}:${m.port}`,
      headers: { "X-Content-Type-Options": ["nosniff"] },
      tls: { certificate: tlsFile(TLS_FILE_NAMES.cert), key: tlsFile(TLS_FILE_NAMES.key), clientcas: [tlsFile(TLS_FILE_NAMES.ca)], minimumtls: "tls1.2" },
      debug: { addr: `127.0.0.1:${m.debugPort}` },
      draintimeout: `${MIRROR_DRAIN_SECONDS}s`,
    },
    health: { storagedriver: { enabled: true, interval: "10s", threshold: 3 } },
  };
}

/**
 * distribution's config.yml (proxy mode) for the mirror of one upstream.
 * `proxy.ttl` is the region's cache expiry (v3: registry/proxy/proxyregistry.go, `0s` disables
 * expiry); distribution 2.8 has a fixed 7-day TTL and ignores the key.
 * A token upstream is proxied through the pod's token relay on loopback (token-relay.cjs says why);
 * `password` is then the relay secret, not a registry credential.
 */
export function mirrorConfig(plan: RegionPlan, m: PlannedMirror, password: string): Record<string, unknown> {
  const cache = plan.region.cache ?? DEFAULT_CACHE_POLICY;
  const relay = m.relayPort !== undefined;
  return {
    ...commonConfig(plan, m, "proxy"),
    proxy: {
      remoteurl: relay ? `http://127.0.0.1:${m.relayPort}` : m.upstream.url,
      username: relay ? RELAY_USER : m.upstream.username,
      password,
      ttl: `${cache.ttlHours}h`,
    },
  };
}

/** The token relay container of a token upstream's mirror pod (none for other upstreams). */
function relayContainer(m: PlannedMirror): Record<string, unknown>[] {
  if (m.relayPort === undefined) return [];
  const probe = { httpGet: { host: "127.0.0.1", path: "/healthz", port: m.relayPort, scheme: "HTTP" } };
  return [
    {
      name: "token-relay",
      // Pinned by digest, like the exporter's and the refresher's Node (components/shared/images.ts).
      image: NODE_IMAGE,
      imagePullPolicy: "IfNotPresent",
      command: ["node", IN_POD.relayScript],
      env: [
        { name: "LISTEN_PORT", value: String(m.relayPort) },
        { name: "UPSTREAM_URL", value: m.upstream.url },
        { name: "CREDENTIAL_FILE", value: `${IN_POD.relayDir}/token` },
        { name: "RELAY_SECRET_FILE", value: `${IN_POD.relayDir}/relay-secret` },
        ...(m.upstream.insecure ? [{ name: "UPSTREAM_INSECURE", value: "1" }] : []),
      ],
      livenessProbe: { ...probe, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
      resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "500m", memory: "128Mi" } },
      securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] }, runAsUser: 0 },
      volumeMounts: [
        { name: "config", mountPath: IN_POD.relayDir, readOnly: true },
        { name: "token-relay", mountPath: IN_POD.relayScript, readOnly: true },
      ],
    },
  ];
}

/** The read-only server the supervisor runs while the upstream does not answer: no credential. */
export function mirrorReadonlyConfig(plan: RegionPlan, m: PlannedMirror): Record<string, unknown> {
  return commonConfig(plan, m, "readonly");
}

export function mirrorConfigYaml(plan: RegionPlan, m: PlannedMirror, password: string): string {
  return `# Managed by registry-topology: pull-through mirror of "${m.upstream.name}" (contains its pull credential; root, 0600).\n${YAML.stringify(mirrorConfig(plan, m, password))}`;
}

export function mirrorReadonlyConfigYaml(plan: RegionPlan, m: PlannedMirror): string {
  return `# Managed by registry-topology: read-only server of the "${m.upstream.name}" mirror's cache, used while that upstream does not answer.\n${YAML.stringify(mirrorReadonlyConfig(plan, m))}`;
}

/** Annotation carrying the keyed digest of everything the pod reads (see restart.ts). */
export const RESTART_ANNOTATION = "registry-topology/restart-digest";

/**
 * The static pod: the supervisor (supervisor.sh) as PID 1 runs distribution in proxy or read-only
 * mode. Probes go to the loopback debug server (GET /debug/health never contacts the upstream),
 * so an upstream outage never restarts a healthy mirror; a mirror whose probes fail is restarted.
 * `restartDigest` changes whenever a file the pod reads changes (credential, certificates,
 * configs, supervisor): the kubelet restarts a static pod only when its manifest changes.
 */
export function mirrorStaticPod(plan: RegionPlan, m: PlannedMirror, restartDigest: string): Record<string, unknown> {
  const probe = { httpGet: { host: "127.0.0.1", path: "/debug/health", port: m.debugPort, scheme: "HTTP" } };
  const cache = plan.region.cache ?? DEFAULT_CACHE_POLICY;
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
      annotations: { [RESTART_ANNOTATION]: restartDigest },
    },
    spec: {
      hostNetwork: true,
      // Host DNS, never cluster DNS: the mirror must start when CoreDNS (or its images) cannot.
      dnsPolicy: "Default",
      priorityClassName: "system-node-critical",
      restartPolicy: "Always",
      terminationGracePeriodSeconds: MIRROR_DRAIN_SECONDS + 10,
      containers: [
        {
          name: "registry",
          // Pinned by digest and not on the Harbor host, so pulling it never depends on a mirror.
          image: MIRROR_IMAGE,
          imagePullPolicy: "IfNotPresent",
          command: ["/bin/sh", IN_POD.supervisor],
          env: [
            { name: "UPSTREAM_URL", value: m.upstream.url },
            { name: "PROXY_CONFIG", value: IN_POD.proxyConfig },
            { name: "READONLY_CONFIG", value: IN_POD.readonlyConfig },
            { name: "CACHE_DIR", value: IN_POD.cache },
            { name: "CACHE_MAX_KIB", value: String(cache.maxSizeGiB * 1024 * 1024) },
            { name: "REGISTRY_BIN", value: "/bin/registry" },
            // Hang watchdog (supervisor.sh): distribution's loopback debug server must answer within
            // 3 s; two silent probes in a row (1 s apart) and distribution is killed and restarted,
            // which cuts pulls stuck on it within 2 * (1 + 3) = 8 s (no runtime has a response timeout).
            { name: "LOCAL_PROBE_URL", value: `http://127.0.0.1:${m.debugPort}/debug/health` },
            { name: "HANG_PROBE_INTERVAL_SECONDS", value: "1" },
            { name: "HANG_PROBE_TIMEOUT_SECONDS", value: "3" },
            { name: "HANG_AFTER_PROBES", value: "2" },
            // The pod stopping (a restart after a credential or config change): pulls in flight finish.
            { name: "DRAIN_SECONDS", value: String(MIRROR_DRAIN_SECONDS) },
          ],
          ports: [{ name: "https", containerPort: m.port, hostPort: m.port, protocol: "TCP" }],
          livenessProbe: { ...probe, initialDelaySeconds: 5, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3 },
          readinessProbe: { ...probe, periodSeconds: 5, timeoutSeconds: 2, failureThreshold: 2 },
          resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "1", memory: "512Mi" } },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
            // Root without capabilities: reads the root-owned 0600 config and key, writes its hostPath cache.
            runAsUser: 0,
          },
          volumeMounts: [
            { name: "config", mountPath: IN_POD.configDir, readOnly: true },
            { name: "tls", mountPath: IN_POD.tlsDir, readOnly: true },
            { name: "supervisor", mountPath: IN_POD.supervisor, readOnly: true },
            { name: "data", mountPath: IN_POD.cache },
          ],
        },
        ...relayContainer(m),
      ],
      volumes: [
        { name: "config", hostPath: { path: `${MIRROR_CONFIG_DIR}/${m.upstream.name}`, type: "Directory" } },
        { name: "tls", hostPath: { path: MIRROR_TLS_DIR, type: "Directory" } },
        { name: "supervisor", hostPath: { path: MIRROR_SUPERVISOR_PATH, type: "File" } },
        { name: "data", hostPath: { path: mirrorDataDir(m), type: "DirectoryOrCreate" } },
        ...(m.relayPort !== undefined ? [{ name: "token-relay", hostPath: { path: MIRROR_RELAY_PATH, type: "File" } }] : []),
      ],
    },
  };
}

export function mirrorStaticPodYaml(plan: RegionPlan, m: PlannedMirror, restartDigest: string): string {
  return `# Managed by registry-topology: static pod, started by the kubelet without the API server.\n${YAML.stringify(mirrorStaticPod(plan, m, restartDigest))}`;
}
