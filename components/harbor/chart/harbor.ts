import * as corev1 from "@pulumi/kubernetes/core/v1";
// The class's own file: "@pulumi/kubernetes/helm/v3" also loads the v3 Chart, which loads every kind.
import { Release } from "@pulumi/kubernetes/helm/v3/release";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import type { HarborArgs } from "../args";

export type { HarborArgs } from "../args";
import { TOKENS, type RegistryRef } from "../../types";
import { chartReleaseArgs } from "./chart-source";
import { generateHarborSecrets } from "./secrets";
import { harborExternalUrl, harborHost } from "./url";
import { harborChartValues } from "./values";

export { HARBOR_CHART_REPO } from "./chart-source";
/** The project directory (where Pulumi.yaml is): relative chart paths are resolved against it. */
const PROJECT_ROOT = projectRoot(__dirname);

/** The nearest directory above `from` holding Pulumi.yaml (the source tree, or the compiled copy's parent). */
function projectRoot(from: string): string {
  for (let d = from; ; d = path.dirname(d)) {
    if (fs.existsSync(path.join(d, "Pulumi.yaml"))) return d;
    if (path.dirname(d) === d) return process.cwd();
  }
}
export const HARBOR_ADMIN_USERNAME = "admin";
/** Failure domain of everything deployed into Harbor's cluster (an in-cluster backup shares it). */
export const HARBOR_FAILURE_DOMAIN = "harbor-cluster";

/**
 * The primary registry: Harbor's official Helm chart in its own namespace, with every internal
 * secret generated once by Pulumi and handed to the chart by Secret reference.
 */
export class Harbor extends pulumi.ComponentResource {
  static readonly __pulumiType = TOKENS.harbor;

  /** URL clients and the Harbor API use, e.g. https://harbor.example.com. */
  declare readonly url: pulumi.Output<string>;
  /** Login host (host[:port], no scheme). */
  declare readonly host: pulumi.Output<string>;
  declare readonly namespace: pulumi.Output<string>;
  declare readonly adminUsername: pulumi.Output<string>;
  /** Secret. */
  declare readonly adminPassword: pulumi.Output<string>;
  declare readonly release: Release;
  declare readonly projects: string[];
  /** Harbor as a registry (mirrors' first upstream, stack outputs). */
  declare readonly ref: RegistryRef;

  constructor(name: string, args: HarborArgs, opts?: pulumi.ComponentResourceOptions) {
    const h = args;
    // Registered inputs are what the policy pack sees of this component: nothing secret.
    super(TOKENS.harbor, name, { hostname: h.hostname, projects: h.projects.map((p) => p.name), failureDomain: h.failureDomain ?? HARBOR_FAILURE_DOMAIN }, opts);

    const namespace = new corev1.Namespace(
      `${name}-namespace`,
      { metadata: { name: h.namespace, labels: { "app.kubernetes.io/part-of": "registry-topology" } } },
      { parent: this },
    );
    const generated = generateHarborSecrets(name, this);
    const internalSecretName = `${h.releaseName}-internal-secrets`;
    const internalSecret = new corev1.Secret(
      `${name}-internal-secrets`,
      {
        metadata: { name: internalSecretName, namespace: namespace.metadata.name },
        type: "Opaque",
        stringData: generated.data,
      },
      { parent: this },
    );

    const values = harborChartValues(h, {
      internalSecretName,
      internalDatabasePassword: generated.internalDatabasePassword,
      externalDatabasePassword: h.database.type === "external" ? h.database.password : undefined,
      externalRedisPassword: h.redis.type === "external" ? h.redis.password : undefined,
    });

    const release = new Release(
      `${name}-chart`,
      {
        name: h.releaseName,
        ...chartReleaseArgs(h.chart, h.chartVersion, PROJECT_ROOT),
        namespace: namespace.metadata.name,
        values,
        atomic: true,
        cleanupOnFail: true,
        timeout: 900,
      },
      { parent: this, dependsOn: [internalSecret] },
    );

    this.url = pulumi.output(harborExternalUrl(h));
    this.host = pulumi.output(harborHost(h));
    this.namespace = namespace.metadata.name;
    this.adminUsername = pulumi.output(HARBOR_ADMIN_USERNAME);
    this.adminPassword = generated.adminPassword;
    this.release = release;
    this.projects = h.projects.map((p) => p.name);
    this.ref = {
      name: "harbor",
      kind: "harbor",
      host: this.host,
      pathPrefix: pulumi.output(""),
      keepsProjectPath: true,
      url: this.url,
      harborAdapter: "harbor",
      failureDomain: h.failureDomain ?? HARBOR_FAILURE_DOMAIN,
      insecure: false,
    };

    this.registerOutputs({
      url: this.url,
      host: this.host,
      namespace: this.namespace,
      adminUsername: this.adminUsername,
      adminPassword: this.adminPassword,
    });
  }
}
