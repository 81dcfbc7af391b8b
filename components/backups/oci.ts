import { createHash } from "node:crypto";
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import * as pulumi from "@pulumi/pulumi";
import type { OciBackupSettings } from "./args";
import { generatedHtpasswdUser } from "../shared/generated-user";
import { DISTRIBUTION_IMAGE } from "../shared/images";
import { TOKENS, type BackupComponentProps, type Credential, type RegistryEndpoint } from "../types";

export { DISTRIBUTION_IMAGE };
export const OCI_PUSH_USER = "harbor-push";
export const OCI_PULL_USER = "mirror-pull";

/** Host (with port) and path of a registry URL: `https://nas:5000/backup` -> `nas:5000`, `backup`. */
export function splitRegistryUrl(url: string): { host: string; pathPrefix: string } {
  const u = new URL(url);
  return { host: u.host, pathPrefix: u.pathname.replace(/^\/+|\/+$/g, "") };
}

export interface OciBackupArgs {
  config: OciBackupSettings;
  /** Failure domain of Harbor's cluster: an in-cluster registry shares it. */
  harborFailureDomain: string;
}

/**
 * Any OCI registry as a backup: an existing one reached by URL with configured credentials, or
 * (the `local` stack) a distribution registry deployed in the cluster with generated htpasswd users.
 */
export class OciBackup extends pulumi.ComponentResource {
  declare readonly endpoint: RegistryEndpoint;

  constructor(name: string, args: OciBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    const failureDomain = c.inCluster ? args.harborFailureDomain : c.failureDomain;
    if (!failureDomain) throw new Error(`backup ${c.name}: expected failureDomain for an existing oci registry`);
    const props: BackupComponentProps = { backupName: c.name, kind: "oci", harborAdapter: "docker-registry", failureDomain };
    super(TOKENS.ociBackup, name, props, opts);

    if (c.inCluster) {
      this.endpoint = this.deployInCluster(name, c, c.inCluster, failureDomain);
    } else {
      if (!c.url || !c.push) throw new Error(`backup ${c.name}: an existing oci registry needs url and push (see docs/backups-oci.md)`);
      const { host, pathPrefix } = splitRegistryUrl(c.url);
      this.endpoint = {
        name: c.name,
        kind: "oci",
        host: pulumi.output(host),
        pathPrefix: pulumi.output(pathPrefix),
        keepsProjectPath: true,
        url: pulumi.output(`${new URL(c.url).protocol}//${host}`),
        harborAdapter: "docker-registry",
        push: { username: c.push.username, password: pulumi.secret(c.push.password) },
        pull: c.pull ? { username: c.pull.username, password: pulumi.secret(c.pull.password) } : undefined,
        failureDomain,
        insecure: c.insecure,
      };
    }
    this.registerOutputs({ host: this.endpoint.host, url: this.endpoint.url });
  }

  private deployInCluster(name: string, c: OciBackupSettings, ic: NonNullable<OciBackupSettings["inCluster"]>, failureDomain: string): RegistryEndpoint {
    const parent = { parent: this };
    const labels = { "app.kubernetes.io/name": "registry-backup", "app.kubernetes.io/instance": c.name, "app.kubernetes.io/part-of": "registry-topology" };
    // Stable salts: the htpasswd lines (and so the Secret and the pod) only change when a password does.
    const pushUser = generatedHtpasswdUser(`${name}-push`, OCI_PUSH_USER, this);
    const pullUser = generatedHtpasswdUser(`${name}-pull`, OCI_PULL_USER, this);
    const htpasswd = pulumi.all([pushUser.line, pullUser.line]).apply((lines) => [...lines, ""].join("\n"));

    // A digest of bcrypt lines reveals no password: safe to show in plain text.
    const htpasswdDigest = pulumi.unsecret(htpasswd.apply((text) => createHash("sha256").update(text).digest("hex")));

    const namespace = new corev1.Namespace(`${name}-namespace`, { metadata: { name: ic.namespace, labels } }, parent);
    const ns = namespace.metadata.name;
    const secret = new corev1.Secret(
      `${name}-htpasswd`,
      { metadata: { name: `${c.name}-htpasswd`, namespace: ns, labels }, type: "Opaque", stringData: { htpasswd: pulumi.secret(htpasswd) } },
      parent,
    );
    const pvc = new corev1.PersistentVolumeClaim(
      `${name}-data`,
      {
        metadata: { name: `${c.name}-data`, namespace: ns, labels },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: ic.storageSize } }, storageClassName: ic.storageClass },
      },
      parent,
    );
    new appsv1.Deployment(
      `${name}-registry`,
      {
        metadata: { name: c.name, namespace: ns, labels },
        spec: {
          replicas: 1,
          strategy: { type: "Recreate" }, // one ReadWriteOnce volume
          selector: { matchLabels: labels },
          template: {
            // Restart the pod when a password changes (distribution reads htpasswd at start).
            metadata: { labels, annotations: { "registry-topology/htpasswd-sha256": htpasswdDigest } },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "registry",
                  image: DISTRIBUTION_IMAGE,
                  ports: [{ name: "http", containerPort: 5000 }],
                  env: [
                    { name: "REGISTRY_AUTH", value: "htpasswd" },
                    { name: "REGISTRY_AUTH_HTPASSWD_REALM", value: `registry-topology ${c.name}` },
                    { name: "REGISTRY_AUTH_HTPASSWD_PATH", value: "/auth/htpasswd" },
                    { name: "REGISTRY_STORAGE_DELETE_ENABLED", value: "true" },
                    { name: "REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", value: "/var/lib/registry" },
                  ],
                  volumeMounts: [
                    { name: "data", mountPath: "/var/lib/registry" },
                    { name: "auth", mountPath: "/auth", readOnly: true },
                  ],
                  readinessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 5 },
                  livenessProbe: { httpGet: { path: "/", port: "http" }, periodSeconds: 20 },
                  resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                },
              ],
              volumes: [
                { name: "data", persistentVolumeClaim: { claimName: pvc.metadata.name } },
                { name: "auth", secret: { secretName: secret.metadata.name } },
              ],
            },
          },
        },
      },
      parent,
    );
    new corev1.Service(
      `${name}-service`,
      {
        metadata: { name: c.name, namespace: ns, labels },
        spec: { type: "NodePort", selector: labels, ports: [{ name: "http", port: 5000, targetPort: "http", nodePort: ic.nodePort }] },
      },
      parent,
    );

    const host = `${ic.nodeAddress}:${ic.nodePort}`;
    const push: Credential = { username: OCI_PUSH_USER, password: pushUser.password };
    const pull: Credential = { username: OCI_PULL_USER, password: pullUser.password };
    return {
      name: c.name,
      kind: "oci",
      host: pulumi.output(host),
      pathPrefix: pulumi.output(""),
      keepsProjectPath: true,
      url: pulumi.output(`http://${host}`),
      harborAdapter: "docker-registry",
      push,
      pull,
      failureDomain,
      insecure: false,
    };
  }
}
