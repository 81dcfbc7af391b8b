import * as pulumi from "@pulumi/pulumi";
import { RegistryTopology } from "../components/topology";
import { PROJECT, type TopologyConfig } from "./config";
import { loadTopologyConfig } from "./config/load";
import { cachedExporterBundle, EXPORTER_ENTRY, flatName } from "./exporter/bundle";
import { cachedRefresherBundle } from "./refresher-bundle";

/**
 * The stack program: validate config (throwing before any resource is registered), build the
 * topology, and return the stack outputs. Used by infra/index.ts and by the offline renderer.
 */
export function defineStack(config: TopologyConfig = loadTopologyConfig()) {
  // The compiler checks the validated config against the component's args here.
  const topology = new RegistryTopology(PROJECT, {
    ...config,
    // The exporter runs the program's own verify logic in the cluster: bundled only when enabled.
    exporterCode: () => ({ files: cachedExporterBundle(), entry: flatName(EXPORTER_ENTRY) }),
    // The token refresher: bundled only when a backup's credential is a token and there are regions.
    refresherCode: () => cachedRefresherBundle(),
  });
  const h = topology.harbor;
  return {
    environment: pulumi.output(config.environment),
    harborUrl: h.url,
    harborHost: h.host,
    harborNamespace: h.namespace,
    harborAdminUsername: h.adminUsername,
    harborAdminPassword: pulumi.secret(h.adminPassword),
    harborProjects: pulumi.output(h.projects),
    registries: topology.registries,
    registryCredentials: topology.registryCredentials,
    archives: topology.archives,
    archiveCredentials: topology.archiveCredentials,
    // certificates: when each mirror certificate ends; `npm run verify` fails under CERT_MIN_DAYS.
    regions: pulumi.all(topology.regions.map((r) => pulumi.all([r.mirrors, r.certificates]).apply(([mirrors, certificates]) => ({ region: r.region, mirrors, certificates })))),
  };
}
