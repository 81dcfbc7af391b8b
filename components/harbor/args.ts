// What the Harbor and replication components take. The components own these types; the
// program's config loader produces values checked against them at compile time.
import type * as pulumi from "@pulumi/pulumi";
import type { ChartSource } from "./chart/chart-source";

/** Harbor endpoint name of the Docker Hub upstream of `dockerHubProxyCache`. */
export const DOCKER_HUB_ENDPOINT = "docker-hub";

export type HarborExposeArgs =
  | { type: "ingress"; className: string; tlsSecretName: string; annotations?: Record<string, string> }
  | { type: "loadBalancer"; tlsSecretName?: string; ip?: string; sourceRanges?: string[]; annotations?: Record<string, string> }
  | { type: "nodePort"; httpNodePort: number; httpsNodePort: number; tlsSecretName?: string }
  | { type: "clusterIP"; tlsSecretName?: string };

export interface HarborProjectArgs {
  name: string;
  public: boolean;
  storageQuotaGiB?: number;
  /** Delete the project's repositories on destroy instead of failing with Harbor's 412. */
  forceDestroy?: boolean;
}

export type HarborDatabaseArgs =
  | { type: "internal" }
  | {
      type: "external";
      host: string;
      port: number;
      username: string;
      coreDatabase: string;
      sslmode: "disable" | "require" | "verify-ca" | "verify-full";
      /** An existing Secret with the password (key `password`), or the password itself. */
      passwordSecretName?: string;
      password?: pulumi.Output<string>;
    };

export type HarborRedisArgs =
  | { type: "internal" }
  | {
      type: "external";
      addr: string;
      tls: boolean;
      sentinelMasterSet?: string;
      username?: string;
      passwordSecretName?: string;
      password?: pulumi.Output<string>;
    };

export interface HarborArgs {
  hostname: string;
  /** scheme://host[:port] clients use, when it differs from what `expose` implies. */
  externalUrl?: string;
  /** Where the chart comes from: a Helm repository, a local archive (air-gapped) or an OCI reference. */
  chart: ChartSource;
  chartVersion: string;
  namespace: string;
  releaseName: string;
  expose: HarborExposeArgs;
  storage: {
    registrySize: string;
    registryAccessMode: "ReadWriteOnce" | "ReadWriteMany";
    jobLogSize: string;
    databaseSize: string;
    redisSize: string;
    trivySize: string;
    storageClass?: string;
  };
  projects: HarborProjectArgs[];
  database: HarborDatabaseArgs;
  redis: HarborRedisArgs;
  replicas: { core: number; portal: number; registry: number; jobservice: number; nginx: number; trivy: number; exporter: number };
  trivy: { enabled: boolean };
  /** Harbor's own Prometheus metrics; `serviceMonitor` needs the Prometheus Operator CRDs. */
  metrics: { enabled: boolean; serviceMonitor: { enabled: boolean; additionalLabels: Record<string, string>; interval?: string } };
  /**
   * What fails together with Harbor, for the failure-domain policy: `aws:<region>`,
   * `azure:<region>`, ... or a site name. Default: Harbor's own cluster.
   */
  failureDomain?: string;
  /** Secret with `ca.crt` that Harbor trusts toward backup targets. */
  caBundleSecretName?: string;
  dockerHubProxyCache?: {
    project: string;
    public: boolean;
    speedLimitKbps: number;
    credential?: { username: string; password: pulumi.Output<string> };
    forceDestroy?: boolean;
  };
}

export interface ReplicationSettings {
  trigger: "event_based" | "scheduled";
  /** Harbor cron (6 fields, seconds first); required with `scheduled`. */
  cron?: string;
  deletion: boolean;
  override: boolean;
  enabled: boolean;
  repositoryFilter: string;
  tagFilter?: { pattern: string; decoration: "matches" | "excludes" };
  speedLimitKbps: number;
  /** Copy images that existed before the rule, once, on create. */
  backfill: boolean;
}
