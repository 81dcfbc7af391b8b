// The observability resources as the program registers them (mock runtime): prod turns them on with
// the Prometheus Operator; local leaves them off; without the Operator no custom resource is made
// and the rules ship as a ConfigMap. The exporter reads with pull identities only.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { EXPORTER_ROBOT_NAME } from "../components/observability";
import { plainScrapeConfig } from "../components/observability/exporter";
import { longestGapSeconds } from "../components/observability/schedule";
import { NODE_IMAGE, RCLONE_IMAGE } from "../components/shared/images";
import { parseTopologyConfig } from "../infra/config";
import { isSecret, unwrapSecret } from "./helpers/secrets";
import { byType, one, renderStack, type RecordedResource, type RenderResult } from "./helpers/render";

const CR = ["kubernetes:monitoring.coreos.com/v1:ServiceMonitor", "kubernetes:monitoring.coreos.com/v1:PodMonitor", "kubernetes:monitoring.coreos.com/v1:PrometheusRule"];
const inputs = (r: RecordedResource) => r.inputs as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let prod: RenderResult;
let local: RenderResult;
let noOperator: RenderResult;
let dir: string;

beforeAll(async () => {
  prod = await renderStack("prod");
  local = await renderStack("local");
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "obs-stack-"));
  const doc = YAML.parse(fs.readFileSync(path.join(__dirname, "..", "stacks", "Pulumi.prod.yaml"), "utf8")) as { config: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  doc.config["registry-topology:observability"].prometheusOperator = false;
  doc.config["registry-topology:harbor"].metrics.serviceMonitor.enabled = false;
  const file = path.join(dir, "Pulumi.prod.yaml");
  fs.writeFileSync(file, YAML.stringify(doc));
  noOperator = await renderStack(file);
}, 240_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("prod: exporter, monitors, rules and dashboard", () => {
  it("registers the exporter Deployment with pinned images, limits, no token, non-root", () => {
    const d = inputs(one(prod, "kubernetes:apps/v1:Deployment", "observability-exporter"));
    const pod = d.spec.template.spec;
    expect(pod.containers[0].image).toBe(NODE_IMAGE);
    expect(pod.containers[0].image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(pod.initContainers[0].image).toBe(RCLONE_IMAGE);
    expect(pod.containers[0].resources.limits).toEqual({ cpu: "500m", memory: "256Mi" });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
  });

  it("bounds each run below the interval and ships the code it runs", () => {
    const settings = JSON.parse(inputs(one(prod, "kubernetes:core/v1:ConfigMap", "observability-settings")).data["settings.json"]);
    expect(settings.deadlineSeconds).toBeLessThan(settings.intervalSeconds);
    expect(settings.source.listing).toBe("harbor-api");
    expect(settings.archives[0]).toMatchObject({ name: "blob-weu", maxAgeSeconds: 2 * 86400 });
    expect(settings.certificates.map((c: { region: string }) => c.region)).toContain("eu-west");
    const code = inputs(one(prod, "kubernetes:core/v1:ConfigMap", "observability-code")).data;
    expect(Object.keys(code)).toContain("exporter__main.js");
    expect(JSON.stringify(code).length).toBeLessThan(900_000); // a ConfigMap holds at most 1 MiB
  });

  it("reads Harbor with its own pull+list robot and each backup with its pull identity, never push or admin", () => {
    const robot = inputs(one(prod, "pulumi-nodejs:dynamic/harbor:RobotAccount", "observability-robot"));
    expect(robot.name).toBe(EXPORTER_ROBOT_NAME);
    expect(robot.access).toEqual([{ resource: "repository", action: "pull" }, { resource: "repository", action: "list" }]);
    const secrets = byType(prod, "kubernetes:core/v1:Secret").filter((s) => s.name.startsWith("observability-"));
    expect(secrets.map((s) => s.name).sort()).toEqual(["observability-archive-blob-weu", "observability-backup-acr-neu", "observability-backup-gar-usc1", "observability-source"]);
    for (const s of secrets) expect(isSecret(inputs(s).stringData), s.name).toBe(true);
    expect(Object.keys(unwrapSecret(inputs(secrets.find((s) => s.name === "observability-backup-acr-neu")!).stringData) as object).sort()).toEqual(["password", "username"]);
    const mounts = inputs(one(prod, "kubernetes:apps/v1:Deployment", "observability-exporter")).spec.template.spec.containers[0].volumeMounts.map((m: { mountPath: string }) => m.mountPath);
    expect(mounts).toContain("/var/run/registry-topology/credentials/backups/acr-neu");
  });

  it("ServiceMonitor and PrometheusRule carry the selector labels; the dashboard ConfigMap the sidecar label", () => {
    const sm = inputs(one(prod, CR[0]!, "observability-servicemonitor"));
    expect(sm.metadata.labels.release).toBe("kube-prometheus-stack");
    expect(sm.spec.endpoints[0].port).toBe("metrics");
    const rule = inputs(one(prod, CR[2]!, "observability-rules"));
    expect(rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toContain("RegistryBackupBehind");
    const dash = inputs(one(prod, "kubernetes:core/v1:ConfigMap", "observability-dashboard"));
    expect(dash.metadata.labels.grafana_dashboard).toBe("1");
    const model = JSON.parse(dash.data["registry-topology.json"]);
    expect(model.panels.filter((p: { type: string }) => p.type === "row").map((p: { title: string }) => p.title)).toEqual(["Replication", "Mirrors per region and node", "Certificates", "Archives"]);
  });

  it("Harbor's chart gets metrics and its ServiceMonitor", () => {
    const rel = inputs(one(prod, "kubernetes:helm.sh/v3:Release"));
    expect(rel.values.metrics.enabled).toBe(true);
    expect(rel.values.metrics.serviceMonitor).toMatchObject({ enabled: true, additionalLabels: { release: "kube-prometheus-stack" } });
  });

  it("node writers drop their metrics into node-exporter's textfile directory", () => {
    const ds = byType(prod, "kubernetes:apps/v1:DaemonSet").map(inputs);
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) {
      const vol = d.spec.template.spec.volumes.find((v: { name: string }) => v.name === "metrics-textfile");
      expect(vol.hostPath).toEqual({ path: "/var/lib/node_exporter/textfile_collector", type: "DirectoryOrCreate" });
    }
  });
});

describe("off by default, and without the Operator no custom resource", () => {
  it("local registers nothing of it", () => {
    expect(local.resources.filter((r) => r.type.includes("observability") || r.name.startsWith("observability"))).toEqual([]);
    for (const d of byType(local, "kubernetes:apps/v1:DaemonSet").map(inputs)) expect(JSON.stringify(d)).not.toContain("METRICS_TEXTFILE_DIR");
  });

  it("prometheusOperator false: no ServiceMonitor, PodMonitor or PrometheusRule anywhere; the rules as a ConfigMap", () => {
    for (const t of CR) expect(byType(noOperator, t)).toEqual([]);
    const cm = inputs(one(noOperator, "kubernetes:core/v1:ConfigMap", "observability-rules"));
    expect(YAML.parse(cm.data["registry-topology.rules.yml"]).groups[0].rules.length).toBeGreaterThan(5);
    expect(plainScrapeConfig("harbor")).toMatchObject({ job_name: "registry-topology-exporter" });
  });
});

describe("config", () => {
  const base = { environment: "dev", harbor: { hostname: "h.example.com", expose: { type: "clusterIP" }, projects: [{ name: "library" }] } };
  it("defaults: off, thresholds set", () => {
    const o = parseTopologyConfig(base).observability;
    expect(o).toMatchObject({ enabled: false, prometheusOperator: false, thresholds: { backupBehindMinutes: 30, certificateDays: 21 } });
  });
  it("a run deadline not below the interval is refused, naming the key", () => {
    expect(() => parseTopologyConfig({ ...base, observability: { enabled: true, exporter: { intervalSeconds: 60, deadlineSeconds: 60 } } })).toThrow(/observability\.exporter\.deadlineSeconds: must be below intervalSeconds/);
    expect(() => parseTopologyConfig({ ...base, observability: { thresholds: { certificateDay: 3 } } })).toThrow(/observability\.thresholds/);
  });
});

describe("schedule gaps (robfig/cron semantics)", () => {
  it.each([
    ["17 2 * * *", 86400],
    ["0 */6 * * *", 6 * 3600],
    ["@weekly", 7 * 86400],
    ["0 0 1 * *", 31 * 86400],
    ["0 3 * * 1-5", 3 * 86400],
    ["0 0 13 * 5", 7 * 86400],
  ])("%s -> %i s", (expr, gap) => {
    expect(longestGapSeconds(expr)).toBe(gap);
  });
});
