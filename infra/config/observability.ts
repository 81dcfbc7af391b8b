import { z } from "zod";
import { k8sName, labels } from "./primitives";

/**
 * Alert thresholds (docs/observability.md has what each alert means and what to do). Defaults are
 * what a daily-archive, event-replicated topology should meet; every one can be overridden.
 */
export const THRESHOLD_DEFAULTS = {
  /** RegistryBackupBehind: the oldest unreplicated image is older than this. */
  backupBehindMinutes: 30,
  /** RegistryBackupMissingTags: tags missing or different for this long (a backfill should have copied them). */
  missingTagsMinutes: 120,
  /** RegistryHarborUnreachable: Harbor's registry API unreachable this long while mirrors still serve. */
  harborDownMinutes: 5,
  /** RegistryNodeNoHealthyMirror: every mirror of a node fails its probe this long. */
  noHealthyMirrorMinutes: 5,
  /** RegistryMirrorReadOnly: a mirror serves read-only (upstream down) this long. */
  mirrorReadOnlyMinutes: 30,
  /** RegistryCertificateExpiring: a mirror certificate has fewer days left than this. */
  certificateDays: 21,
  /** RegistryArchiveStale: newest complete snapshot older than the schedule's interval times this. */
  archiveScheduleFactor: 2,
  /** RegistryVerificationNotRunning: no completed verification run for this long. */
  verificationStaleMinutes: 60,
} as const;

const minutes = z.number().int().min(1).max(100_000);

export const thresholdsSchema = z
  .strictObject({
    backupBehindMinutes: minutes.default(THRESHOLD_DEFAULTS.backupBehindMinutes),
    missingTagsMinutes: minutes.default(THRESHOLD_DEFAULTS.missingTagsMinutes),
    harborDownMinutes: minutes.default(THRESHOLD_DEFAULTS.harborDownMinutes),
    noHealthyMirrorMinutes: minutes.default(THRESHOLD_DEFAULTS.noHealthyMirrorMinutes),
    mirrorReadOnlyMinutes: minutes.default(THRESHOLD_DEFAULTS.mirrorReadOnlyMinutes),
    certificateDays: z.number().int().min(1).max(3650).default(THRESHOLD_DEFAULTS.certificateDays),
    archiveScheduleFactor: z.number().min(1).max(30).default(THRESHOLD_DEFAULTS.archiveScheduleFactor),
    verificationStaleMinutes: minutes.default(THRESHOLD_DEFAULTS.verificationStaleMinutes),
  })
  .default(THRESHOLD_DEFAULTS);

export type Thresholds = z.infer<typeof thresholdsSchema>;

export const EXPORTER_DEFAULTS = { intervalSeconds: 300, deadlineSeconds: 240, concurrency: 4 } as const;

/**
 * Metrics, alerts and dashboard (docs/observability.md). Off by default: the exporter needs a
 * Harbor robot and reads every backup on a schedule, and the monitors need a Prometheus.
 */
export const observabilitySchema = z
  .strictObject({
    enabled: z.boolean().default(false),
    /** Namespace of the exporter, rules and dashboard; default Harbor's. */
    namespace: k8sName.optional(),
    /**
     * The cluster has the Prometheus Operator CRDs (monitoring.coreos.com/v1): ServiceMonitor,
     * PodMonitor and PrometheusRule objects are created. false: none is, and
     * docs/observability.md has the plain scrape config and the rules file to load instead.
     */
    prometheusOperator: z.boolean().default(false),
    /** Labels your Prometheus selects monitors and rules by (kube-prometheus-stack: `release: <name>`). */
    selectorLabels: labels.default({}),
    /** Ship the Grafana dashboard as a ConfigMap labelled grafana_dashboard: "1" (the sidecar convention). */
    grafanaDashboard: z.boolean().default(true),
    /** Namespace the Grafana sidecar watches; default the namespace above. */
    dashboardNamespace: k8sName.optional(),
    /**
     * node-exporter's textfile-collector directory on every node (`--collector.textfile.directory`):
     * the node writer drops its metrics there. Absent: the writer writes no metrics file.
     */
    nodeTextfileDirectory: z
      .string()
      .regex(/^\/[A-Za-z0-9._\-/]+$/, "expected an absolute host path such as /var/lib/node_exporter/textfile_collector")
      .optional(),
    exporter: z
      .strictObject({
        /** Seconds between verification runs (each reads every backup). */
        intervalSeconds: z.number().int().min(30).max(86_400).default(EXPORTER_DEFAULTS.intervalSeconds),
        /** Hard bound of one run; a run that hits it is reported failed, the backups it did not reach "deadline". */
        deadlineSeconds: z.number().int().min(10).max(86_400).default(EXPORTER_DEFAULTS.deadlineSeconds),
        /** Requests in flight per registry. */
        concurrency: z.number().int().min(1).max(64).default(EXPORTER_DEFAULTS.concurrency),
      })
      .default(EXPORTER_DEFAULTS)
      .superRefine((e, ctx) => {
        if (e.deadlineSeconds >= e.intervalSeconds) {
          ctx.addIssue({ code: "custom", path: ["deadlineSeconds"], message: `must be below intervalSeconds (${e.intervalSeconds}) so runs never overlap` });
        }
      }),
    thresholds: thresholdsSchema,
  })
  .default({ enabled: false, prometheusOperator: false, selectorLabels: {}, grafanaDashboard: true, exporter: EXPORTER_DEFAULTS, thresholds: THRESHOLD_DEFAULTS });

export type ObservabilityConfig = z.infer<typeof observabilitySchema>;
