import type { HarborArgs } from "../args";
import { harborExternalUrl } from "./url";

/** User Harbor's core and jobservice log in to its internal registry with (htpasswd). */
export const REGISTRY_USER = "harbor_registry_user";

/** Keys of the one Secret that holds every generated Harbor secret (chart `existingSecret*` refs). */
export const INTERNAL_SECRET_KEYS = {
  adminPassword: "HARBOR_ADMIN_PASSWORD",
  secretKey: "secretKey",
  coreSecret: "secret",
  xsrfKey: "CSRF_KEY",
  jobserviceSecret: "JOBSERVICE_SECRET",
  registryHttpSecret: "REGISTRY_HTTP_SECRET",
  registryPassword: "REGISTRY_PASSWD",
  registryHtpasswd: "REGISTRY_HTPASSWD",
  tokenKey: "tls.key",
  tokenCert: "tls.crt",
} as const;

/**
 * Keys the chart's templates read from the user's own Secrets (harbor-helm v1.19.1):
 * `database.external.existingSecret` -> `password` (templates/core/core-dpl.yaml POSTGRESQL_PASSWORD,
 * core-pre-upgrade-job.yaml, exporter-dpl.yaml); `redis.external.existingSecret` -> `REDIS_PASSWORD`
 * and, if present, `REDIS_USERNAME` (templates/_helpers.tpl harbor.redis.password / username).
 */
export const USER_SECRET_KEYS = {
  externalDatabase: { required: ["password"], optional: [] as string[] },
  externalRedis: { required: ["REDIS_PASSWORD"], optional: ["REDIS_USERNAME"] },
} as const;

export interface ChartSecretRefs<S> {
  /** Name of the Secret holding INTERNAL_SECRET_KEYS. */
  internalSecretName: string;
  /** Internal PostgreSQL superuser password (the chart has no existingSecret for it). */
  internalDatabasePassword: S;
  /** External database/Redis passwords given in config (when no existing Secret is named). */
  externalDatabasePassword?: S;
  externalRedisPassword?: S;
}

type Values = Record<string, unknown>;

function exposeValues(h: HarborArgs): Values {
  const e = h.expose;
  const tlsSecret = e.tlsSecretName;
  const tls = tlsSecret
    ? { enabled: true, certSource: "secret", secret: { secretName: tlsSecret } }
    : { enabled: false, certSource: "none" };
  switch (e.type) {
    case "ingress":
      return {
        type: "ingress",
        tls,
        ingress: {
          hosts: { core: h.hostname },
          className: e.className,
          annotations: {
            "nginx.ingress.kubernetes.io/proxy-body-size": "0",
            "ingress.kubernetes.io/proxy-body-size": "0",
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
            "ingress.kubernetes.io/ssl-redirect": "true",
            ...e.annotations,
          },
        },
      };
    case "nodePort":
      return {
        type: "nodePort",
        tls,
        nodePort: { name: "harbor", ports: { http: { port: 80, nodePort: e.httpNodePort }, https: { port: 443, nodePort: e.httpsNodePort } } },
      };
    case "loadBalancer":
      return {
        type: "loadBalancer",
        tls,
        loadBalancer: { name: "harbor", IP: e.ip ?? "", sourceRanges: e.sourceRanges ?? [], annotations: e.annotations ?? {} },
      };
    case "clusterIP":
      return { type: "clusterIP", tls, clusterIP: { name: "harbor" } };
  }
}

function pvc(size: string, storageClass: string | undefined, accessMode = "ReadWriteOnce"): Values {
  return { size, storageClass: storageClass ?? "", accessMode };
}

function databaseValues<S>(h: HarborArgs, refs: ChartSecretRefs<S>): Values {
  const db = h.database;
  if (db.type === "internal") return { type: "internal", internal: { password: refs.internalDatabasePassword } };
  return {
    type: "external",
    external: {
      host: db.host,
      port: String(db.port),
      username: db.username,
      coreDatabase: db.coreDatabase,
      sslmode: db.sslmode,
      ...(db.passwordSecretName ? { existingSecret: db.passwordSecretName } : { password: refs.externalDatabasePassword }),
    },
  };
}

function redisValues<S>(h: HarborArgs, refs: ChartSecretRefs<S>): Values {
  const r = h.redis;
  if (r.type === "internal") return { type: "internal" };
  return {
    type: "external",
    external: {
      addr: r.addr,
      sentinelMasterSet: r.sentinelMasterSet ?? "",
      username: r.username ?? "",
      ...(r.passwordSecretName ? { existingSecret: r.passwordSecretName } : { password: refs.externalRedisPassword }),
      // Where the chart reads it (templates/_helpers.tpl harbor.redis.scheme / enableTLS):
      // `redis.tlsOptions` at the top of `redis` is silently ignored.
      tlsOptions: { enable: r.tls },
    },
  };
}

/**
 * Helm values for the official Harbor chart. Every generated secret is referenced by Secret name
 * (nothing random is rendered by the chart), so a second `pulumi up` changes nothing.
 */
export function harborChartValues<S>(h: HarborArgs, refs: ChartSecretRefs<S>): Values {
  const secret = refs.internalSecretName;
  const k = INTERNAL_SECRET_KEYS;
  const r = h.replicas;
  const sc = h.storage.storageClass;
  // RWO volumes cannot be attached by a new pod on another node during a rolling update.
  const rwx = h.storage.registryAccessMode === "ReadWriteMany";
  return {
    expose: exposeValues(h),
    externalURL: harborExternalUrl(h),
    existingSecretAdminPassword: secret,
    existingSecretAdminPasswordKey: k.adminPassword,
    existingSecretSecretKey: secret,
    updateStrategy: { type: rwx ? "RollingUpdate" : "Recreate" },
    persistence: {
      enabled: true,
      resourcePolicy: "keep",
      persistentVolumeClaim: {
        registry: pvc(h.storage.registrySize, sc, h.storage.registryAccessMode),
        jobservice: { jobLog: pvc(h.storage.jobLogSize, sc, h.storage.registryAccessMode) },
        database: pvc(h.storage.databaseSize, sc),
        redis: pvc(h.storage.redisSize, sc),
        trivy: pvc(h.storage.trivySize, sc),
      },
      imageChartStorage: { type: "filesystem" },
    },
    core: {
      replicas: r.core,
      existingSecret: secret,
      secretName: secret,
      existingXsrfSecret: secret,
      existingXsrfSecretKey: k.xsrfKey,
    },
    portal: { replicas: r.portal },
    nginx: { replicas: r.nginx },
    jobservice: {
      replicas: r.jobservice,
      existingSecret: secret,
      existingSecretKey: k.jobserviceSecret,
      // Several jobservice pods cannot share a file logger on an RWO volume.
      jobLoggers: r.jobservice > 1 ? ["database"] : ["file"],
    },
    registry: {
      replicas: r.registry,
      existingSecret: secret,
      existingSecretKey: k.registryHttpSecret,
      credentials: { username: REGISTRY_USER, existingSecret: secret },
    },
    trivy: { enabled: h.trivy.enabled, replicas: r.trivy },
    exporter: { replicas: r.exporter },
    metrics: {
      enabled: h.metrics.enabled,
      serviceMonitor: {
        enabled: h.metrics.serviceMonitor.enabled,
        additionalLabels: h.metrics.serviceMonitor.additionalLabels,
        // templates/metrics/metrics-svcmon.yaml: an empty interval means Prometheus's default.
        interval: h.metrics.serviceMonitor.interval ?? "",
      },
    },
    database: databaseValues(h, refs),
    redis: redisValues(h, refs),
    ...(h.caBundleSecretName ? { caBundleSecretName: h.caBundleSecretName } : {}),
  };
}
