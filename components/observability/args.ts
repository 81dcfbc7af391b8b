// What the observability component takes. The component owns these types; the program's config
// loader produces values checked against them at compile time, and the exporter (the program's
// code that runs in the cluster) reads the settings this component writes.

/** Alert thresholds (PrometheusRule), each with a default in the config schema. */
export interface AlertThresholds {
  backupBehindMinutes: number;
  missingTagsMinutes: number;
  harborDownMinutes: number;
  noHealthyMirrorMinutes: number;
  mirrorReadOnlyMinutes: number;
  certificateDays: number;
  archiveScheduleFactor: number;
  verificationStaleMinutes: number;
}

export interface ObservabilitySettings {
  enabled: boolean;
  /** The cluster has the Prometheus Operator CRDs: ServiceMonitor/PodMonitor/PrometheusRule. */
  prometheusOperator: boolean;
  selectorLabels: Record<string, string>;
  grafanaDashboard: boolean;
  exporter: { intervalSeconds: number; deadlineSeconds: number; concurrency: number };
  thresholds: AlertThresholds;
  namespace?: string;
  dashboardNamespace?: string;
  /** The nodes' node-exporter textfile-collector directory, where writers put their metrics. */
  nodeTextfileDirectory?: string;
}

/** The exporter's JavaScript, as the ConfigMap holds it: flattened file name -> code. */
export interface ExporterCode {
  files: Record<string, string>;
  /** The file the container runs. */
  entry: string;
}

export interface ExporterSettings {
  /** host:port to listen on ("0.0.0.0:9750"; port 0 picks a free one). */
  listen: string;
  intervalSeconds: number;
  deadlineSeconds: number;
  concurrency: number;
  /** At most this many unreplicated images are dated (config read) per backup and run. */
  maxDated: number;
  source: {
    name: string;
    /** Registry v2 API base URL. */
    baseUrl: string;
    /** "harbor-api": list repositories through Harbor's REST API (pull-only robot); "catalog": /v2/_catalog. */
    listing: "harbor-api" | "catalog";
    /** Harbor's REST API base URL; default baseUrl. */
    apiUrl?: string;
    projects: string[];
  };
  backups: { name: string; baseUrl: string; pathPrefix: string; keepsProjectPath: boolean }[];
  archives: { name: string; path: string; maxAgeSeconds: number }[];
  certificates: { region: string; certificate: string; pem: string }[];
}
