import * as apiextensions from "@pulumi/kubernetes/apiextensions";
import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import YAML from "yaml";
import type { ExporterCode, ExporterSettings, ObservabilitySettings } from "./args";
import { ARCHIVE_ROBOT_ACCESS } from "../archives/job";
import { RobotAccount } from "../harbor/api/robot";
import type { MirrorTlsPublic } from "../mirrors/pki";
import type { RegistryEndpoint } from "../types";
import { grafanaDashboard } from "./dashboard";
import { EXPORTER_NAME, EXPORTER_PORT, exporterDeploymentSpec, exporterLabels } from "./exporter";
import { ruleGroups } from "./rules";
import { longestGapSeconds } from "./schedule";

export const OBSERVABILITY_TOKEN = "registry-topology:observability:Observability";

/** Harbor robot of the exporter: pull and list repositories on the replicated projects, nothing else. */
export const EXPORTER_ROBOT_NAME = "registry-topology-metrics";

export interface ObservabilityArgs {
  config: ObservabilitySettings;
  /** The exporter's code (the program bundles it: it is the program's verify logic). */
  exporterCode: () => ExporterCode;
  harbor: {
    url: pulumi.Output<string>;
    namespace: pulumi.Output<string>;
    adminUsername: pulumi.Input<string>;
    adminPassword: pulumi.Input<string>;
    release: pulumi.Resource;
    projects: string[];
  };
  backups: readonly RegistryEndpoint[];
  archives: readonly { name: string; schedule: string; path: pulumi.Output<string>; env: pulumi.Output<Record<string, string>> }[];
  regions: readonly { region: string; publicCertificates: pulumi.Output<MirrorTlsPublic> }[];
}

/**
 * Metrics, alerts and dashboard (docs/observability.md): the continuous-verification exporter
 * (Deployment + Service, its own pull-only Harbor robot, each backup's pull identity), with the
 * Prometheus Operator a ServiceMonitor and a PrometheusRule, without it the rules as a ConfigMap;
 * the Grafana dashboard ConfigMap.
 */
export class Observability extends pulumi.ComponentResource {
  static readonly __pulumiType = OBSERVABILITY_TOKEN;
  declare readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    const c = args.config;
    super(OBSERVABILITY_TOKEN, name, {
      prometheusOperator: c.prometheusOperator,
      grafanaDashboard: c.grafanaDashboard,
      exporter: c.exporter,
      thresholds: c.thresholds,
      robotAccess: ARCHIVE_ROBOT_ACCESS.map((x) => `${x.resource}:${x.action}`),
    }, opts);
    const parent = { parent: this };
    const namespace = c.namespace ? pulumi.output(c.namespace) : args.harbor.namespace;
    const labels = { "app.kubernetes.io/part-of": "registry-topology" };

    const robot = new RobotAccount(`${name}-robot`, {
      harborUrl: args.harbor.url,
      harborUsername: args.harbor.adminUsername,
      harborPassword: pulumi.secret(args.harbor.adminPassword),
      name: EXPORTER_ROBOT_NAME,
      description: "registry-topology metrics exporter: pull and list only",
      projects: args.harbor.projects,
      access: ARCHIVE_ROBOT_ACCESS,
      duration: -1,
    }, { ...parent, dependsOn: [args.harbor.release] });

    const secret = (key: string, mount: string, data: pulumi.Input<Record<string, pulumi.Input<string>>>): [string, string, corev1.Secret] => {
      const secretName = `${EXPORTER_NAME}-${key}`.slice(0, 253);
      const s = new corev1.Secret(`${name}-${key}`, { metadata: { name: secretName, namespace, labels: { ...labels, ...exporterLabels } }, type: "Opaque", stringData: pulumi.secret(data) }, parent);
      return [mount, secretName, s];
    };
    const secrets: [string, string, corev1.Secret][] = [secret("source", "source", { username: robot.robotName, password: robot.secret })];
    // Each backup is read with its pull identity only; one without a pull identity is reported not-checked.
    for (const b of args.backups) if (b.pull) secrets.push(secret(`backup-${b.name}`, `backups/${b.name}`, { username: b.pull.username, password: b.pull.password }));
    for (const a of args.archives) secrets.push(secret(`archive-${a.name}`, `archives/${a.name}`, a.env));

    const scheme = (url: string) => (url.startsWith("http://") ? "http" : "https");
    const settings: pulumi.Output<ExporterSettings> = pulumi
      .all([
        args.harbor.url,
        pulumi.all(args.backups.map((b) => pulumi.all([b.url, b.host, b.pathPrefix]).apply(([url, host, pathPrefix]) => ({ name: b.name, baseUrl: `${scheme(url)}://${host}`, pathPrefix, keepsProjectPath: b.keepsProjectPath })))),
        pulumi.all(args.archives.map((a) => a.path.apply((path) => ({ name: a.name, path, maxAgeSeconds: Math.round(longestGapSeconds(a.schedule) * c.thresholds.archiveScheduleFactor) })))),
        pulumi.all(args.regions.map((r) => r.publicCertificates.apply((t) => [
          { region: r.region, certificate: "ca", pem: t.caCertPem },
          { region: r.region, certificate: "server", pem: t.serverCertPem },
          { region: r.region, certificate: "client", pem: t.clientCertPem },
        ].filter((x) => x.pem !== "")))),
      ])
      .apply(([harborUrl, backups, archives, certs]) => ({
        listen: `0.0.0.0:${EXPORTER_PORT}`,
        intervalSeconds: c.exporter.intervalSeconds,
        deadlineSeconds: c.exporter.deadlineSeconds,
        concurrency: c.exporter.concurrency,
        maxDated: 200,
        source: { name: "harbor", baseUrl: harborUrl.replace(/\/+$/, ""), listing: "harbor-api" as const, projects: [...args.harbor.projects] },
        backups,
        archives,
        certificates: certs.flat(),
      }));

    const { files: code, entry } = args.exporterCode();
    const codeCm = new corev1.ConfigMap(`${name}-code`, { metadata: { name: `${EXPORTER_NAME}-code`, namespace, labels: { ...labels, ...exporterLabels } }, data: code }, parent);
    const settingsText = settings.apply((s) => JSON.stringify(s, null, 2));
    const settingsCm = new corev1.ConfigMap(`${name}-settings`, { metadata: { name: `${EXPORTER_NAME}-settings`, namespace, labels: { ...labels, ...exporterLabels } }, data: { "settings.json": settingsText } }, parent);

    const spec = settingsText.apply((text) =>
      exporterDeploymentSpec({
        codeConfigMap: `${EXPORTER_NAME}-code`,
        settingsConfigMap: `${EXPORTER_NAME}-settings`,
        entry,
        secrets: secrets.map(([mount, secretName]) => [mount, secretName]),
        withRclone: args.archives.length > 0,
        checksum: createHash("sha256").update(JSON.stringify(code)).update(text).digest("hex").slice(0, 16),
      }),
    );
    new appsv1.Deployment(`${name}-exporter`, { metadata: { name: EXPORTER_NAME, namespace, labels: { ...labels, ...exporterLabels } }, spec: spec as unknown as k8sInput.apps.v1.DeploymentSpec }, { ...parent, dependsOn: [codeCm, settingsCm, ...secrets.map(([, , s]) => s)] });
    new corev1.Service(`${name}-exporter`, {
      metadata: { name: EXPORTER_NAME, namespace, labels: { ...labels, ...exporterLabels } },
      spec: { selector: exporterLabels, ports: [{ name: "metrics", port: EXPORTER_PORT, targetPort: "metrics" }] },
    }, parent);

    const rules = ruleGroups(c.thresholds);
    if (c.prometheusOperator) {
      new apiextensions.CustomResource(`${name}-servicemonitor`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: EXPORTER_NAME, namespace, labels: { ...labels, ...c.selectorLabels } },
        spec: { selector: { matchLabels: exporterLabels }, endpoints: [{ port: "metrics", interval: "60s", scrapeTimeout: "10s" }] },
      }, parent);
      new apiextensions.CustomResource(`${name}-rules`, {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "registry-topology", namespace, labels: { ...labels, ...c.selectorLabels } },
        spec: rules,
      }, parent);
    } else {
      // No Operator: the rules file to load into your Prometheus (docs/observability.md).
      new corev1.ConfigMap(`${name}-rules`, { metadata: { name: "registry-topology-rules", namespace, labels }, data: { "registry-topology.rules.yml": YAML.stringify(rules) } }, parent);
    }
    if (c.grafanaDashboard) {
      new corev1.ConfigMap(`${name}-dashboard`, {
        metadata: { name: "registry-topology-dashboard", namespace: c.dashboardNamespace ?? namespace, labels: { ...labels, grafana_dashboard: "1" } },
        data: { "registry-topology.json": JSON.stringify(grafanaDashboard(), null, 2) },
      }, parent);
    }
    this.namespace = namespace;
    this.registerOutputs({ namespace });
  }
}
