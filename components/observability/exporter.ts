/**
 * The exporter's pod, as data (pure): a Deployment of one replica running the transpiled exporter
 * (the program's exporter code, shipped in a ConfigMap) on a pinned Node image; with archives, an init
 * container copies the static rclone binary from the pinned rclone image. Non-root, read-only root
 * filesystem, no service-account token, resource limits; each identity is its own Secret, mounted
 * read-only at credentials/<kind>/<name>/ (what the exporter reads), mode 0440:
 * root-owned with the pod's fsGroup, so the non-root exporter reads them through its group.
 */
import { NODE_IMAGE, RCLONE_IMAGE } from "../shared/images";

export const EXPORTER_NAME = "registry-topology-exporter";
export const EXPORTER_PORT = 9750;
export const CREDENTIALS_ROOT = "/var/run/registry-topology/credentials";
const CODE = "/opt/registry-topology-exporter";
const SETTINGS = "/etc/registry-topology-exporter";

export const exporterLabels = { "app.kubernetes.io/name": EXPORTER_NAME, "app.kubernetes.io/part-of": "registry-topology" };

export interface ExporterPodArgs {
  codeConfigMap: string;
  settingsConfigMap: string;
  entry: string;
  /** [mount path under the credentials root ("source", "backups/acr"), Secret name] */
  secrets: [string, string][];
  withRclone: boolean;
  /** Changes when the code or settings change, so the pod restarts. */
  checksum: string;
}

export function exporterDeploymentSpec(a: ExporterPodArgs): Record<string, unknown> {
  const vol = (p: string) => `cred-${p.replace(/[^a-z0-9]+/g, "-")}`.slice(0, 63).replace(/-+$/, "");
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  return {
    replicas: 1,
    // One exporter at a time: two would double the registry traffic and split the lag memory.
    strategy: { type: "Recreate" },
    selector: { matchLabels: exporterLabels },
    template: {
      metadata: { labels: exporterLabels, annotations: { "registry-topology/checksum": a.checksum } },
      spec: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        ...(a.withRclone
          ? {
              initContainers: [
                {
                  name: "rclone",
                  image: RCLONE_IMAGE,
                  command: ["cp", "/usr/local/bin/rclone", "/tools/rclone"],
                  securityContext: restricted,
                  resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
                  volumeMounts: [{ name: "tools", mountPath: "/tools" }],
                },
              ],
            }
          : {}),
        containers: [
          {
            name: "exporter",
            image: NODE_IMAGE,
            command: ["node", `${CODE}/${a.entry}`, `${SETTINGS}/settings.json`, CREDENTIALS_ROOT],
            env: [
              { name: "PATH", value: "/tools:/usr/local/bin:/usr/bin:/bin" },
              { name: "HOME", value: "/tmp" },
              { name: "NODE_OPTIONS", value: "--max-old-space-size=192" },
            ],
            ports: [{ name: "metrics", containerPort: EXPORTER_PORT }],
            readinessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 10 },
            livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 30, failureThreshold: 5 },
            securityContext: restricted,
            resources: { requests: { cpu: "50m", memory: "96Mi" }, limits: { cpu: "500m", memory: "256Mi" } },
            volumeMounts: [
              { name: "code", mountPath: CODE, readOnly: true },
              { name: "settings", mountPath: SETTINGS, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
              { name: "tools", mountPath: "/tools", readOnly: true },
              ...a.secrets.map(([p]) => ({ name: vol(p), mountPath: `${CREDENTIALS_ROOT}/${p}`, readOnly: true })),
            ],
          },
        ],
        volumes: [
          { name: "code", configMap: { name: a.codeConfigMap } },
          { name: "settings", configMap: { name: a.settingsConfigMap } },
          { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
          { name: "tools", emptyDir: { sizeLimit: "128Mi" } },
          ...a.secrets.map(([p, secretName]) => ({ name: vol(p), secret: { secretName, defaultMode: 0o440 } })),
        ],
      },
    },
  };
}

/** The plain Prometheus scrape config for clusters without the Prometheus Operator (docs/observability.md). */
export function plainScrapeConfig(namespace: string): Record<string, unknown> {
  return {
    job_name: EXPORTER_NAME,
    kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [namespace] } }],
    relabel_configs: [
      { source_labels: ["__meta_kubernetes_service_label_app_kubernetes_io_name"], regex: EXPORTER_NAME, action: "keep" },
      { source_labels: ["__meta_kubernetes_endpoint_port_name"], regex: "metrics", action: "keep" },
    ],
  };
}
