import * as batchv1 from "@pulumi/kubernetes/batch/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import { RobotAccount } from "../harbor/api/robot";
import { ARCHIVE_SCRIPT_PATH } from "./script";
import { RCLONE_IMAGE, SKOPEO_IMAGE } from "../shared/images";
import { ARCHIVE_TOKENS, type ArchiveStore } from "./types";


/** Harbor robot name of an archive's job (stored bare; Harbor answers it with its robot_name_prefix, robot$ by default). */
export function archiveRobotName(archive: string): string {
  return `archive-${archive}`;
}

/** Harbor permissions of the job's robot, per project: pull, and list repositories (the job's listing). */
export const ARCHIVE_ROBOT_ACCESS = [
  { resource: "repository", action: "pull" },
  { resource: "repository", action: "list" },
];

/** Harbor as an archive job needs it: where it runs, and the admin identity its robot is made with. */
export interface HarborForArchives {
  /** The projects to archive. */
  projects: string[];
  namespace: pulumi.Input<string>;
  harborUrl: pulumi.Input<string>;
  harborUsername: pulumi.Input<string>;
  /** Harbor admin password (secret): only the robot provider uses it, never the job. */
  harborPassword: pulumi.Input<string>;
  harborRelease: pulumi.Resource;
}

export interface ArchiveJobArgs extends HarborForArchives {
  store: ArchiveStore;
  schedule: string;
}

/** The pod spec: state (rclone) -> collect (skopeo) -> upload (rclone), sharing one emptyDir. */
/**
 * Each container sees only the identity it uses: the rclone phases (state, upload) the store's
 * add-only identity, the skopeo phase (collect) the Harbor robot.
 */
export function archivePodSpec(a: { store: string; harborUrl: string; projects: string[]; storeSecretName: string; harborSecretName: string; configMapName: string }): k8sInput.core.v1.PodSpec {
  const env = [
    { name: "WORK", value: "/work/run" },
    { name: "HOME", value: "/work" },
    { name: "TMPDIR", value: "/work/tmp" },
    { name: "STORE", value: a.store },
    { name: "HARBOR_URL", value: a.harborUrl },
    { name: "PROJECTS", value: a.projects.join(" ") },
    { name: "TLS_VERIFY", value: "true" },
  ];
  const container = (name: string, image: string, phase: string, secretName: string) => ({
    name,
    image,
    command: ["/bin/sh", "/scripts/archive.sh", phase],
    env,
    envFrom: [{ secretRef: { name: secretName } }],
    volumeMounts: [{ name: "work", mountPath: "/work" }, { name: "script", mountPath: "/scripts", readOnly: true }],
    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "1Gi" } },
  });
  return {
    restartPolicy: "Never",
    securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, fsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
    automountServiceAccountToken: false,
    initContainers: [container("state", RCLONE_IMAGE, "state", a.storeSecretName), container("collect", SKOPEO_IMAGE, "collect", a.harborSecretName)],
    containers: [container("upload", RCLONE_IMAGE, "upload", a.storeSecretName)],
    volumes: [
      // New images of one run are staged here before upload: size it for the largest daily change.
      { name: "work", emptyDir: { sizeLimit: "50Gi" } },
      { name: "script", configMap: { name: a.configMapName, defaultMode: 0o555 } },
    ],
  };
}

/**
 * The archive job of one store: a pull-only Harbor robot of its own, one Secret per identity (the
 * store's, the robot's), the script as a ConfigMap, and a CronJob in Harbor's namespace running it.
 */
export class ArchiveJob extends pulumi.ComponentResource {
  declare readonly cronJob: batchv1.CronJob;
  declare readonly robot: RobotAccount;

  constructor(name: string, args: ArchiveJobArgs, opts?: pulumi.ComponentResourceOptions) {
    const s = args.store;
    super(ARCHIVE_TOKENS.job, name, {
      archiveName: s.name,
      schedule: args.schedule,
      projects: args.projects,
      images: [RCLONE_IMAGE, SKOPEO_IMAGE],
      robotAccess: ARCHIVE_ROBOT_ACCESS.map((x) => `${x.resource}:${x.action}`),
    }, opts);

    const robot = new RobotAccount(`${name}-robot`, {
      harborUrl: args.harborUrl,
      harborUsername: args.harborUsername,
      harborPassword: pulumi.secret(args.harborPassword),
      name: archiveRobotName(s.name),
      description: `registry-topology archive ${s.name}: pull and list only`,
      projects: args.projects,
      access: ARCHIVE_ROBOT_ACCESS,
      duration: -1,
    }, { parent: this, dependsOn: [args.harborRelease] });

    const labels = { "app.kubernetes.io/name": "registry-archive", "app.kubernetes.io/instance": s.name, "app.kubernetes.io/part-of": "registry-topology" };
    const storeSecret = new corev1.Secret(`${name}-store-credentials`, {
      metadata: { name: `registry-archive-${s.name}-store`, namespace: args.namespace, labels },
      type: "Opaque",
      stringData: pulumi.secret(s.env),
    }, { parent: this });
    const harborSecret = new corev1.Secret(`${name}-harbor-credentials`, {
      metadata: { name: `registry-archive-${s.name}-harbor`, namespace: args.namespace, labels },
      type: "Opaque",
      stringData: pulumi.secret(pulumi.all([robot.robotName, robot.secret]).apply(([user, password]) => ({ HARBOR_USERNAME: user, HARBOR_PASSWORD: password }))),
    }, { parent: this });
    const script = new corev1.ConfigMap(`${name}-script`, {
      metadata: { name: `registry-archive-${s.name}-script`, namespace: args.namespace, labels },
      data: { "archive.sh": fs.readFileSync(ARCHIVE_SCRIPT_PATH, "utf8") },
    }, { parent: this });

    const spec = pulumi.all([s.path, args.harborUrl, storeSecret.metadata.name, harborSecret.metadata.name, script.metadata.name]).apply(([store, harborUrl, storeSecretName, harborSecretName, configMapName]) =>
      archivePodSpec({ store, harborUrl, projects: args.projects, storeSecretName, harborSecretName, configMapName }));
    this.robot = robot;
    this.cronJob = new batchv1.CronJob(`${name}-cronjob`, {
      metadata: { name: `registry-archive-${s.name}`, namespace: args.namespace, labels },
      spec: {
        schedule: args.schedule,
        timeZone: "Etc/UTC",
        // A run still going when the next is due: skip the next one, never run two at once.
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: 3600,
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 5,
        jobTemplate: {
          metadata: { labels },
          spec: { backoffLimit: 2, activeDeadlineSeconds: 6 * 3600, template: { metadata: { labels }, spec } },
        },
      },
    }, { parent: this });
    this.registerOutputs({ cronJobName: this.cronJob.metadata.name, robotName: robot.robotName });
  }
}
