// Delivery of node files from inside Kubernetes: a privileged DaemonSet per region and role runs
// writer.sh, which copies the files it gets from a ConfigMap (public) and a Secret (mirror
// configs, private keys) onto the host. Pure builders of the objects' contents.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { CERT_MIN_DAYS } from "./certPolicy";
import { HOST_ROOTS } from "./hostPaths";
import { inWriteOrder, type NodeFile, type Role } from "./nodeFiles";
import { MIRROR_DATA_DIR, MIRROR_TLS_DIR, TLS_FILE_NAMES } from "./staticPods";
import type { ApplyMode } from "./runtimeConfig";
import { WRITER_IMAGE } from "./plan";

export const WRITER_NAMESPACE = "kube-system";
export const WRITER_SCRIPT = fs.readFileSync(path.join(__dirname, "writer.sh"), "utf8");
const PROJECTED = "/files";
/**
 * The writer's scratch space: its own memory-backed emptyDir. With `sizeLimit` the kubelet sizes
 * the tmpfs to it (SizeMemoryBackedVolumes, on by default since Kubernetes 1.22, GA in 1.32), so
 * a runaway write ends in ENOSPC there (which writer.sh checks and survives), never in a full
 * node disk. It holds one copy of the ConfigMap and Secret (at most 1 MiB each) and a few
 * temporary renderings; its pages count against the container's memory limit.
 */
export const SCRATCH = { mountPath: "/scratch", sizeLimit: "16Mi" } as const;
/** Readiness in cleanup mode: writer.sh touches it after every round that left the node clean. */
export const CLEAN_MARKER = `${SCRATCH.mountPath}/registry-topology-clean`;

/** Kubernetes object name for a region's writer of a role (<= 57 characters for 40-character regions). */
export const writerName = (region: string, role: Role): string => `regmirror-${region}-${role}`;
export const stateFile = (region: string, role: Role): string => `/var/lib/registry-topology/${writerName(region, role)}.managed`;

/**
 * Keys: p<n> for public files, s<n> for secret files, in file order; a file with a `sourceKey`
 * (a token, from the tokens Secret) keeps that key. The manifest names each.
 */
export function writerKeys(files: readonly NodeFile[]): { key: string; file: NodeFile }[] {
  let p = 0;
  let s = 0;
  return files.map((file) => ({ key: file.sourceKey ?? (file.secret ? `s${s++}` : `p${p++}`), file }));
}

/** One line per file, "<key> <mode> <anchor> <path> <apply>", in write order (static pods last). */
export function writerManifest(files: readonly NodeFile[]): string {
  const keyed = writerKeys(files).map(({ key, file }) => ({ key, file, apply: file.apply ?? "replace" }));
  return inWriteOrder(keyed)
    .map(({ key, file, apply }) => `${key} ${file.mode} ${file.anchor} ${file.path} ${apply}\n`)
    .join("");
}

const APPLY_MODES: readonly ApplyMode[] = ["replace", "static-pod", "merge-yaml", "containerd-config-path", "token"];

/** Parse a manifest back (offline render, tests). */
export function parseWriterManifest(text: string): { key: string; mode: string; anchor: string; path: string; apply: ApplyMode }[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const [key, mode, anchor, p, apply, ...rest] = l.split(" ");
      if (!key || !mode || !anchor || !p || rest.length > 0 || !APPLY_MODES.includes(apply as ApplyMode)) throw new Error(`bad writer manifest line: ${l}`);
      return { key, mode, anchor, path: p, apply: apply as ApplyMode };
    });
}

export function publicConfigData(files: readonly NodeFile[]): Record<string, string> {
  const data: Record<string, string> = { "writer.sh": WRITER_SCRIPT, manifest: writerManifest(files) };
  for (const { key, file } of writerKeys(files)) if (!file.secret) data[key] = file.content;
  return data;
}

/** The writer Secret's data: the secret files' content (not the tokens: those are in the refresher's Secret). */
export function secretData(files: readonly NodeFile[]): Record<string, string> {
  const data: Record<string, string> = {};
  for (const { key, file } of writerKeys(files)) if (file.secret && !file.sourceKey) data[key] = file.content;
  return data;
}

/** Hash of the public content: a pod-template annotation, so a change rolls the writer at once. */
export function publicHash(files: readonly NodeFile[]): string {
  const h = createHash("sha256").update(WRITER_SCRIPT);
  for (const f of files) h.update(`${f.path}\0${f.mode}\0${f.apply ?? "replace"}\0${f.secret ? "" : f.content}\0`);
  return h.digest("hex").slice(0, 16);
}

export interface WriterSpecArgs {
  region: string;
  role: Role;
  files: readonly NodeFile[];
  nodeSelector?: Record<string, string>;
  /** Name of the Secret with the secret files, when there are any. */
  secretName?: string;
  /** The token refresher's Secret (components/refresher), projected beside the files when a mirror's credential is a token. */
  tokenSecretName?: string;
  configMapName: string;
  /** CRI-O needs a SIGHUP after a drop-in change. */
  signalCrio: boolean;
  /** node-exporter's textfile-collector directory on the host: the writer drops its metrics there (docs/observability.md). */
  metricsTextfileDir?: string;
}

/** Where the textfile-collector directory is mounted in the writer container. */
const METRICS_MOUNT = "/metrics-textfile";

/** Env and volume for the writer's metrics file (none without a directory). */
function metricsParts(dir: string | undefined): { env: { name: string; value: string }[]; mounts: Record<string, unknown>[]; volumes: Record<string, unknown>[] } {
  if (!dir) return { env: [], mounts: [], volumes: [] };
  return {
    env: [{ name: "METRICS_TEXTFILE_DIR", value: METRICS_MOUNT }],
    mounts: [{ name: "metrics-textfile", mountPath: METRICS_MOUNT }],
    volumes: [{ name: "metrics-textfile", hostPath: { path: dir, type: "DirectoryOrCreate" } }],
  };
}

/**
 * The node-role writer's health probe speaks mTLS like the runtimes: it presents the node's client
 * certificate and verifies the mirror against the region CA. The variables name node files (host
 * paths); writer.sh uses the content it delivers for them (so any runtime's copy will do, also on
 * a node where that runtime's directory does not exist, and before the first write).
 */
export function probeTlsEnv(files: readonly Pick<NodeFile, "role" | "path" | "tls">[]): { name: string; value: string }[] {
  const pick = (t: NonNullable<NodeFile["tls"]>) => files.find((f) => f.role === "node" && f.tls === t)?.path;
  const ca = pick("ca");
  const cert = pick("cert");
  const key = pick("key");
  if (!ca || !cert || !key) return [];
  return [
    { name: "PROBE_CACERT", value: ca },
    { name: "PROBE_CERT", value: cert },
    { name: "PROBE_KEY", value: key },
  ];
}

/**
 * Days to expiry in the writer's STATUS line (writer.sh cert_status): the certificates this role
 * holds, by host path: node role the client certificate and the CA, mirror role the server
 * certificate and the CA. Below CERT_MIN_DAYS the line carries a warning.
 */
export function certExpiryEnv(role: Role, files: readonly Pick<NodeFile, "role" | "path" | "tls">[]): { name: string; value: string }[] {
  const pairs: string[] = [];
  if (role === "node") {
    const client = files.find((f) => f.role === "node" && f.tls === "cert")?.path;
    const ca = files.find((f) => f.role === "node" && f.tls === "ca")?.path;
    if (client) pairs.push(`client=${client}`);
    if (ca) pairs.push(`ca=${ca}`);
  } else {
    for (const [name, file] of [["server", TLS_FILE_NAMES.cert], ["ca", TLS_FILE_NAMES.ca]] as const) {
      const p = `${MIRROR_TLS_DIR}/${file}`;
      if (files.some((f) => f.role === "mirror" && f.path === p)) pairs.push(`${name}=${p}`);
    }
  }
  if (pairs.length === 0) return [];
  return [
    { name: "CERT_FILES", value: pairs.join(" ") },
    { name: "CERT_WARN_DAYS", value: String(CERT_MIN_DAYS) },
  ];
}

/** The DaemonSet `spec` (without metadata). */
export function writerDaemonSetSpec(a: WriterSpecArgs): Record<string, unknown> {
  const labels = { "app.kubernetes.io/name": "registry-node-files", "app.kubernetes.io/part-of": "registry-topology", "registry-topology/region": a.region, "registry-topology/role": a.role };
  const metrics = metricsParts(a.metricsTextfileDir);
  const sources: Record<string, unknown>[] = [{ configMap: { name: a.configMapName } }];
  if (a.secretName) sources.push({ secret: { name: a.secretName } });
  // optional: the writer starts before the refresher's first token; a missing key is kept as missing.
  if (a.tokenSecretName) sources.push({ secret: { name: a.tokenSecretName, optional: true } });
  return {
    selector: { matchLabels: { "app.kubernetes.io/name": "registry-node-files", "registry-topology/region": a.region, "registry-topology/role": a.role } },
    updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "25%" } },
    template: {
      metadata: { labels, annotations: { "registry-topology/files-hash": publicHash(a.files) } },
      spec: {
        ...(a.nodeSelector ? { nodeSelector: a.nodeSelector } : {}),
        // Every node of the region, tainted or not (mirror nodes are often dedicated).
        tolerations: [{ operator: "Exists" }],
        priorityClassName: "system-node-critical",
        // Host PIDs: to send CRI-O its SIGHUP and to tell whether containerd started before or
        // after config_path was set (the node's mirror status).
        hostPID: a.signalCrio || a.role === "node",
        // The node's own network: mirror health probes must see what the runtime sees.
        hostNetwork: a.role === "node",
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        terminationGracePeriodSeconds: 5,
        containers: [
          {
            name: "writer",
            image: WRITER_IMAGE,
            imagePullPolicy: "IfNotPresent",
            command: ["/bin/sh", `${PROJECTED}/writer.sh`],
            env: [
              { name: "HOST_ROOT", value: "/host" },
              { name: "SRC_DIR", value: PROJECTED },
              { name: "STATE_FILE", value: stateFile(a.region, a.role) },
              { name: "INTERVAL_SECONDS", value: "60" },
              // A dead or hung mirror is left out within HEALTH + PROBE_TIMEOUT seconds (< 10 s).
              { name: "HEALTH_INTERVAL_SECONDS", value: "5" },
              { name: "PROBE_TIMEOUT_SECONDS", value: "2" },
              { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
              // The one path rule (hostPaths.ts): the roots it mounts are the only ones it may touch.
              { name: "ALLOWED_ROOTS", value: HOST_ROOTS.join(" ") },
              { name: "SCRATCH_DIR", value: SCRATCH.mountPath },
              { name: "TMPDIR", value: SCRATCH.mountPath },
              { name: "CLEAN_MARKER", value: CLEAN_MARKER },
              // "cleanup" only through cleanupPatch (destroy): restore every file, then report clean.
              { name: "WRITER_MODE", value: "sync" },
              ...(a.role === "node" ? probeTlsEnv(a.files) : []),
              ...certExpiryEnv(a.role, a.files),
              // Mirror nodes: each mirror's status line (cache size, mode) goes into STATUS.
              ...(a.role === "mirror" ? [{ name: "MIRROR_STATUS_DIR", value: MIRROR_DATA_DIR }] : []),
              // Labels of the writer's metrics (writer.sh write_metrics).
              { name: "REGION_NAME", value: a.region },
              { name: "WRITER_ROLE", value: a.role },
              ...metrics.env,
            ],
            securityContext: { privileged: true, runAsUser: 0 },
            resources: { requests: { cpu: "5m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } },
            volumeMounts: [
              { name: "files", mountPath: PROJECTED, readOnly: true },
              { name: "scratch", mountPath: SCRATCH.mountPath },
              ...HOST_ROOTS.map((r) => ({ name: `host${r.replace(/\//g, "-")}`, mountPath: `/host${r}` })),
              ...metrics.mounts,
            ],
          },
        ],
        volumes: [
          { name: "files", projected: { defaultMode: 0o400, sources } },
          { name: "scratch", emptyDir: { medium: "Memory", sizeLimit: SCRATCH.sizeLimit } },
          ...HOST_ROOTS.map((r) => ({ name: `host${r.replace(/\//g, "-")}`, hostPath: { path: r, type: "Directory" } })),
          ...metrics.volumes,
        ],
      },
    },
  };
}

/**
 * Strategic merge patch that switches a writer DaemonSet to cleanup mode (destroy; see
 * docs/node-files-lifecycle.md): every pod is replaced at once (maxUnavailable 100%) by one that
 * restores the files the node's state lists and is Ready only once its node is clean. Containers
 * and env entries merge by name (Kubernetes strategic merge patch keys of PodSpec.containers and
 * Container.env), so nothing else of the spec changes.
 */
export function cleanupPatch(): Record<string, unknown> {
  return {
    spec: {
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
      template: {
        metadata: { annotations: { "registry-topology/mode": "cleanup" } },
        spec: {
          containers: [
            {
              name: "writer",
              env: [{ name: "WRITER_MODE", value: "cleanup" }],
              readinessProbe: { exec: { command: ["/bin/sh", "-c", `test -f ${CLEAN_MARKER}`] }, periodSeconds: 5, failureThreshold: 1, successThreshold: 1 },
            },
          ],
        },
      },
    },
  };
}
