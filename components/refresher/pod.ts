/**
 * The token refresher's Kubernetes objects, as data (pure): its Role, and its Deployment of one
 * replica running the bundled refresher (main.ts) on the pinned Node image, as the exporter does
 * (components/observability/exporter.ts). Non-root, read-only root filesystem, no privilege; the
 * service-account token is mounted (it is how the refresher writes its one Secret), and the Role
 * grants exactly `get` and `patch` of that Secret by name: no create, list, watch or other Secret.
 */
import { NODE_IMAGE } from "../shared/images";
import { REFRESHER_SERVICE_ACCOUNT, REFRESHER_TOKENS_SECRET } from "./names";

export const REFRESHER_NAME = "registry-topology-token-refresher";
export const REFRESHER_CODE_DIR = "/opt/registry-topology-token-refresher";
export const REFRESHER_CREDENTIALS_DIR = "/var/run/registry-topology/token-refresher";
export const refresherLabels = { "app.kubernetes.io/name": REFRESHER_NAME, "app.kubernetes.io/part-of": "registry-topology" };

/** The Role's rules (rbac.authorization.k8s.io/v1 PolicyRule list). */
export function refresherRoleRules(secretName = REFRESHER_TOKENS_SECRET): { apiGroups: string[]; resources: string[]; resourceNames: string[]; verbs: string[] }[] {
  return [{ apiGroups: [""], resources: ["secrets"], resourceNames: [secretName], verbs: ["get", "patch"] }];
}

export interface RefresherPodArgs {
  codeConfigMap: string;
  credentialsSecret: string;
  /** Changes with the code or the settings, so the pod restarts. */
  checksum: string;
}

export function refresherDeploymentSpec(a: RefresherPodArgs): Record<string, unknown> {
  const restricted = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } };
  return {
    replicas: 1,
    // Two refreshers would mint twice as often; nothing breaks, but one is enough.
    strategy: { type: "Recreate" },
    selector: { matchLabels: refresherLabels },
    template: {
      metadata: { labels: refresherLabels, annotations: { "registry-topology/checksum": a.checksum } },
      spec: {
        serviceAccountName: REFRESHER_SERVICE_ACCOUNT,
        automountServiceAccountToken: true,
        enableServiceLinks: false,
        // Mirrors' credentials depend on it: not the first pod evicted under pressure.
        priorityClassName: "system-cluster-critical",
        securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
        containers: [
          {
            name: "refresher",
            image: NODE_IMAGE,
            command: ["node", `${REFRESHER_CODE_DIR}/refresher.js`],
            env: [
              { name: "REFRESHER_SETTINGS", value: `${REFRESHER_CODE_DIR}/settings.json` },
              { name: "HOME", value: "/tmp" },
              { name: "NODE_OPTIONS", value: "--max-old-space-size=96" },
            ],
            securityContext: restricted,
            resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { cpu: "200m", memory: "160Mi" } },
            volumeMounts: [
              { name: "code", mountPath: REFRESHER_CODE_DIR, readOnly: true },
              { name: "credentials", mountPath: REFRESHER_CREDENTIALS_DIR, readOnly: true },
              { name: "tmp", mountPath: "/tmp" },
            ],
          },
        ],
        volumes: [
          { name: "code", configMap: { name: a.codeConfigMap } },
          // Root-owned 0440 with the pod's fsGroup: the non-root refresher reads them through its group.
          { name: "credentials", secret: { secretName: a.credentialsSecret, defaultMode: 0o440, optional: true } },
          { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
        ],
      },
    },
  };
}
