/**
 * The chart really reads what we set: Helm silently ignores a values key the chart does not know,
 * so a misplaced key is a setting that never happens. Checked against the pinned chart's own
 * values.yaml (goharbor/harbor-helm v1.19.1, vendored as a fixture) and, for each Secret we hand
 * to the chart, the keys its templates read from it.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseTopologyConfig } from "../infra/config";
import { HARBOR_CHART_VERSION } from "../infra/config/harbor";
import { INTERNAL_SECRET_KEYS, USER_SECRET_KEYS, harborChartValues } from "../components/harbor/chart/values";

type Tree = Record<string, unknown>;
const CHART_VALUES = parse(readFileSync(path.join(__dirname, "fixtures", "harbor-helm-1.19.1-values.yaml"), "utf8")) as Tree;

/**
 * Keys the chart's templates read although values.yaml leaves them commented out, each with the
 * template that reads it (harbor-helm v1.19.1).
 */
const READ_BUT_COMMENTED: Record<string, string> = {
  caBundleSecretName: "templates/_helpers.tpl:354 (values.yaml:399 has it commented out)",
};

/** Chart maps rendered whole with toYaml, so any key is passed on (values.yaml has defaults in them). */
const FREE_FORM: Record<string, string> = {
  "expose.ingress.annotations": "templates/ingress/ingress.yaml:45 toYaml $ingress.annotations",
};

/** Chart maps that take any keys: empty maps in values.yaml (annotations and the like), or FREE_FORM. */
function isFreeForm(v: unknown, at: string): boolean {
  return FREE_FORM[at] !== undefined || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
}

/** Every key path of `ours` that the chart's values.yaml does not have. */
function unknownPaths(ours: unknown, chart: unknown, at = ""): string[] {
  if (typeof ours !== "object" || ours === null || Array.isArray(ours) || isFreeForm(chart, at)) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(ours as Tree)) {
    const p = at ? `${at}.${k}` : k;
    if (READ_BUT_COMMENTED[p]) continue;
    const c = typeof chart === "object" && chart !== null ? (chart as Tree)[k] : undefined;
    if (c === undefined && !(typeof chart === "object" && chart !== null && k in (chart as Tree))) { out.push(p); continue; }
    out.push(...unknownPaths(v, c, p));
  }
  return out;
}

function get(tree: unknown, p: string): unknown {
  return p.split(".").reduce<unknown>((t, k) => (typeof t === "object" && t !== null ? (t as Tree)[k] : undefined), tree);
}

function harbor(extra: Record<string, unknown>) {
  return parseTopologyConfig({ environment: "dev", harbor: { hostname: "harbor.example.com", projects: [{ name: "library" }], ...extra } }).harbor;
}

const refs = { internalSecretName: "harbor-internal-secrets", internalDatabasePassword: "DBPW", externalDatabasePassword: "X", externalRedisPassword: "Y" };

/** Every shape of values the program renders. */
const CONFIGS: [string, Record<string, unknown>][] = [
  ["ingress, internal database and Redis", { expose: { type: "ingress", className: "nginx", tlsSecretName: "tls", annotations: { a: "b" } }, caBundleSecretName: "ca" }],
  ["nodePort", { expose: { type: "nodePort", tlsSecretName: "tls" } }],
  ["clusterIP", { expose: { type: "clusterIP" } }],
  ["metrics with the chart's ServiceMonitor", { expose: { type: "clusterIP" }, metrics: { enabled: true, serviceMonitor: { enabled: true, additionalLabels: { release: "kube-prometheus-stack" }, interval: "30s" } } }],
  ["HA: loadBalancer, external database and Redis by Secret, Redis TLS, RWX", {
    expose: { type: "loadBalancer", ip: "10.0.0.5", sourceRanges: ["10.0.0.0/8"], annotations: { x: "y" } },
    storage: { registryAccessMode: "ReadWriteMany", storageClass: "files" },
    database: { type: "external", host: "pg", username: "harbor", passwordSecretName: "harbor-db" },
    redis: { type: "external", addr: "r1:26379,r2:26379", sentinelMasterSet: "mymaster", passwordSecretName: "harbor-redis", username: "harbor", tls: true },
    replicas: { core: 3, registry: 2, jobservice: 2 },
  }],
  ["external database and Redis by password", {
    expose: { type: "clusterIP" },
    database: { type: "external", host: "pg", username: "harbor", password: "pw" },
    redis: { type: "external", addr: "r1:6379", password: "pw", tls: true },
  }],
];

describe(`chart ${HARBOR_CHART_VERSION} values.yaml knows every key path we set`, () => {
  it("the fixture is the pinned chart's", () => {
    expect(readFileSync(path.join(__dirname, "fixtures", "harbor-helm-1.19.1-values.yaml"), "utf8")).toMatch(/tag v1\.19\.1/);
    expect(HARBOR_CHART_VERSION).toBe("1.19.1");
  });

  it.each(CONFIGS)("%s", (_label, extra) => {
    expect(unknownPaths(harborChartValues(harbor(extra), refs), CHART_VALUES)).toEqual([]);
  });

  it("Redis TLS lands where _helpers.tpl reads it: redis.external.tlsOptions.enable", () => {
    const v = harborChartValues(harbor(CONFIGS[4]![1]), refs);
    expect(get(v, "redis.external.tlsOptions.enable")).toBe(true);
    expect(get(v, "redis.tlsOptions")).toBeUndefined();
  });

  it("harbor.metrics.serviceMonitor lands where templates/metrics/metrics-svcmon.yaml reads it", () => {
    const v = harborChartValues(harbor(CONFIGS[3]![1]), refs);
    expect(get(v, "metrics.serviceMonitor.enabled")).toBe(true);
    expect(get(v, "metrics.serviceMonitor.additionalLabels")).toEqual({ release: "kube-prometheus-stack" });
    expect(get(v, "metrics.serviceMonitor.interval")).toBe("30s");
    expect(() => harbor({ metrics: { enabled: false, serviceMonitor: { enabled: true } } })).toThrow(/harbor\.metrics\.serviceMonitor\.enabled.*harbor\.metrics\.enabled: true/s);
  });

  it("the check catches a misplaced key", () => {
    expect(unknownPaths({ redis: { tlsOptions: { enable: true } }, core: { replicas: 1, typo: 1 } }, CHART_VALUES)).toEqual(["redis.tlsOptions", "core.typo"]);
  });
});

/**
 * For each values path that names a Secret, the keys the chart's templates read from it
 * (harbor-helm v1.19.1): a fixed key, or the key another values path names.
 */
const SECRET_READS: { secretPath: string; keys: (string | { keyPath: string })[]; where: string }[] = [
  { secretPath: "existingSecretAdminPassword", keys: [{ keyPath: "existingSecretAdminPasswordKey" }], where: "templates/core/core-dpl.yaml:121-126, exporter/exporter-dpl.yaml:96-101" },
  { secretPath: "existingSecretSecretKey", keys: ["secretKey"], where: "templates/core/core-dpl.yaml:205-213 (items key secretKey)" },
  { secretPath: "core.existingSecret", keys: ["secret"], where: "templates/core/core-dpl.yaml:107-111, jobservice-dpl.yaml:103, registry-dpl.yaml:264-265" },
  { secretPath: "core.secretName", keys: ["tls.key", "tls.crt"], where: "templates/core/core-dpl.yaml:174-176 (subPath tls.key); token cert: core-dpl volume of the same Secret" },
  { secretPath: "core.existingXsrfSecret", keys: [{ keyPath: "core.existingXsrfSecretKey" }], where: "templates/core/core-dpl.yaml:152-157" },
  { secretPath: "jobservice.existingSecret", keys: [{ keyPath: "jobservice.existingSecretKey" }], where: "templates/core/core-dpl.yaml:112-119, jobservice-dpl.yaml:105-109" },
  { secretPath: "registry.existingSecret", keys: [{ keyPath: "registry.existingSecretKey" }], where: "templates/registry/registry-dpl.yaml:113-118, 254-259" },
  { secretPath: "registry.credentials.existingSecret", keys: ["REGISTRY_PASSWD", "REGISTRY_HTPASSWD"], where: "templates/core/core-dpl.yaml:145-150, jobservice-dpl.yaml:122-127, registry-dpl.yaml:362-369" },
  { secretPath: "database.external.existingSecret", keys: ["password"], where: "templates/core/core-dpl.yaml:138-143, core-pre-upgrade-job.yaml:44-50, exporter-dpl.yaml:89-94" },
  { secretPath: "redis.external.existingSecret", keys: ["REDIS_PASSWORD"], where: "templates/_helpers.tpl:209-211 (lookup; REDIS_USERNAME optional, :190-192)" },
];

describe("every Secret we hand to the chart carries the keys its templates read", () => {
  const v = harborChartValues(harbor(CONFIGS[4]![1]), refs);
  const internal = new Set<string>(Object.values(INTERNAL_SECRET_KEYS));

  it.each(SECRET_READS)("$secretPath ($where)", ({ secretPath, keys }) => {
    const name = get(v, secretPath);
    expect(typeof name, `${secretPath} is set`).toBe("string");
    const wanted = keys.map((k) => (typeof k === "string" ? k : String(get(v, k.keyPath) ?? get(CHART_VALUES, k.keyPath))));
    if (name === refs.internalSecretName) {
      for (const k of wanted) expect(internal.has(k), `key ${k} in the generated Secret`).toBe(true);
    } else if (secretPath === "database.external.existingSecret") {
      expect(USER_SECRET_KEYS.externalDatabase.required).toEqual(wanted);
    } else {
      expect(USER_SECRET_KEYS.externalRedis.required).toEqual(wanted);
      expect(USER_SECRET_KEYS.externalRedis.optional).toEqual(["REDIS_USERNAME"]);
    }
  });

  it("the configuration docs name the keys of the user's own Secrets", () => {
    const readme = readFileSync(path.join(__dirname, "..", "docs", "harbor.md"), "utf8");
    for (const k of [...USER_SECRET_KEYS.externalDatabase.required, ...USER_SECRET_KEYS.externalRedis.required, ...USER_SECRET_KEYS.externalRedis.optional]) {
      expect(readme).toContain(`\`${k}\``);
    }
  });
});
