import * as pulumi from "@pulumi/pulumi";
import { archiveCredentials, createArchives, type ArchiveSummary } from "./archives";
import type { ArchiveSettings } from "./archives/args";
import { createBackups } from "./backups";
import type { BackupSettings } from "./backups/args";
import type { HarborArgs, ReplicationSettings } from "./harbor/args";
import { Harbor, HARBOR_FAILURE_DOMAIN } from "./harbor/chart/harbor";
import { Replication } from "./harbor/replication/replication";
import { Observability } from "./observability";
import type { ExporterCode, ObservabilitySettings } from "./observability/args";
import { createRegionMirrors, type MirrorUpstream, type RegionMirrorsSummary } from "./mirrors";
import type { RegionSettings } from "./mirrors/args";
import { tokenKey } from "./refresher/names";
import { TokenRefresher, type TokenRefresherTarget } from "./refresher";
import { TOKENS, type RegistryEndpoint, type RegistryRef } from "./types";

export interface RegistryTopologyArgs {
  /** Which environment the stack is (informational; policy levels follow the stack name). */
  environment: "local" | "dev" | "staging" | "prod";
  /** Allow TLS verification off toward upstreams outside loopback. */
  allowInsecureUpstreams: boolean;
  harbor: HarborArgs;
  backups: BackupSettings[];
  replication: ReplicationSettings;
  regions: RegionSettings[];
  archives: ArchiveSettings[];
  /** Metrics, alerts and dashboard; off unless `enabled`. */
  observability: ObservabilitySettings;
  /** The exporter's code, bundled by the program (needed when observability is enabled). */
  exporterCode?: () => ExporterCode;
  /** The token refresher's code, bundled by the program (needed when a backup's docker credential is a token and there are regions). */
  refresherCode?: () => string;
  /** Seconds between token refresher rounds (default 300). */
  tokenRefreshIntervalSeconds?: number;
}

/** Public, non-secret description of one registry in the topology. */
export interface RegistrySummary {
  name: string;
  kind: string;
  host: string;
  pathPrefix: string;
  url: string;
  harborAdapter: string;
  failureDomain: string;
  /** false: Harbor's project level is dropped on this registry (see RegistryEndpoint). */
  keepsProjectPath: boolean;
  /** Docker credentials are minted tokens (ECR, Alibaba Enterprise): where to mint them (no secret). */
  tokenMint?: { kind: "ecr"; region: string; registryId: string } | { kind: "alibaba"; region: string; instanceId?: string };
}

/** The public part of a TokenMint (no role ARN: an Output, and not needed to mint with a key). */
function publicMint(m: NonNullable<RegistryEndpoint["tokenMint"]>): NonNullable<RegistrySummary["tokenMint"]> {
  return m.kind === "ecr" ? { kind: "ecr", region: m.region, registryId: m.registryId } : { kind: "alibaba", region: m.region, ...(m.instanceId ? { instanceId: m.instanceId } : {}) };
}


function summarize(e: RegistryRef & { tokenMint?: RegistryEndpoint["tokenMint"] }): pulumi.Output<RegistrySummary> {
  return pulumi.all([e.host, e.pathPrefix, e.url]).apply(([host, pathPrefix, url]) => ({
    name: e.name,
    kind: e.kind,
    host,
    pathPrefix,
    url,
    harborAdapter: e.harborAdapter,
    failureDomain: e.failureDomain,
    keepsProjectPath: e.keepsProjectPath,
    ...(e.tokenMint ? { tokenMint: publicMint(e.tokenMint) } : {}),
  }));
}

type CredentialPair = { username: string; password: string };
export type RegistryCredentials = Record<string, { push: CredentialPair; pull?: CredentialPair }>;

function plain(c: { username: pulumi.Input<string>; password: pulumi.Output<string> }): pulumi.Output<CredentialPair> {
  return pulumi.all([c.username, c.password]).apply(([username, password]) => ({ username, password }));
}

/** Push and pull credentials per backup, for operators and `npm run verify`; wrapped as a secret. */
function collectCredentials(backups: readonly RegistryEndpoint[]): pulumi.Output<RegistryCredentials> {
  const entries = backups.map((b) =>
    pulumi
      .all([plain(b.push), b.pull ? plain(b.pull) : pulumi.output(undefined)])
      .apply(([push, pull]) => [b.name, pull ? { push, pull } : { push }] as const),
  );
  return pulumi.all(entries).apply((list) => Object.fromEntries(list) as RegistryCredentials);
}

/** Backups whose docker credential is a short-lived token, each with its key in the tokens Secret. */
function tokenTargets(backups: readonly RegistryEndpoint[]): TokenRefresherTarget[] {
  return backups.filter((b) => b.tokenMint).map((b) => ({ backup: b.name, key: tokenKey(b.name, b.tokenMint!), mint: b.tokenMint!, ...(b.pull ? { credential: b.pull } : {}) }));
}

/**
 * The whole registry topology of one environment: Harbor, its backups in other clouds,
 * replication from Harbor to each backup, and pull-through mirrors in every region.
 */
export class RegistryTopology extends pulumi.ComponentResource {
  static readonly __pulumiType = TOKENS.topology;

  declare readonly harbor: Harbor;
  declare readonly backups: RegistryEndpoint[];
  declare readonly regions: RegionMirrorsSummary[];
  /** Harbor plus every backup, without credentials. */
  declare readonly registries: pulumi.Output<RegistrySummary[]>;
  /** Secret: push and pull credentials per backup, keyed by name. */
  declare readonly registryCredentials: pulumi.Output<RegistryCredentials>;
  /** Point-in-time archives of Harbor's projects (components/archives), without credentials. */
  declare readonly archives: pulumi.Output<ArchiveSummary[]>;
  /** Secret: rclone environment of each archive's add-only identity, keyed by archive name. */
  declare readonly archiveCredentials: pulumi.Output<Record<string, Record<string, string>>>;

  constructor(name: string, args: RegistryTopologyArgs, opts?: pulumi.ComponentResourceOptions) {
    const cfg = args;
    super(TOKENS.topology, name, { environment: cfg.environment, allowInsecureUpstreams: cfg.allowInsecureUpstreams }, opts);

    const harbor = new Harbor("harbor", cfg.harbor, { parent: this });
    const backups = createBackups(cfg.backups, { harborFailureDomain: cfg.harbor.failureDomain ?? HARBOR_FAILURE_DOMAIN, replicateDeletions: cfg.replication.deletion }, this);
    const replication = new Replication(
      "replication",
      {
        harborUrl: harbor.url,
        harborUsername: harbor.adminUsername,
        harborPassword: harbor.adminPassword,
        harborRelease: harbor.release,
        projects: cfg.harbor.projects,
        backups,
        replication: cfg.replication,
        dockerHubProxyCache: cfg.harbor.dockerHubProxyCache,
      },
      { parent: this },
    );

    // Harbor first (through its pull-only robot), then every backup that has a pull identity; a
    // backup whose credential is a token gets it from the token refresher (one per cluster).
    const tokens = tokenTargets(backups);
    let tokenSecretName: string | undefined;
    if (tokens.length > 0 && cfg.regions.length > 0) {
      const refresherCode = args.refresherCode;
      if (!refresherCode) throw new Error("a backup's docker credential is a token (ecr, or alibaba without pullCredential): pass refresherCode to RegistryTopology");
      tokenSecretName = new TokenRefresher("token-refresher", { targets: tokens, code: refresherCode, intervalSeconds: args.tokenRefreshIntervalSeconds }, { parent: this }).tokensSecret.name;
    }
    const upstreams: MirrorUpstream[] = [{ endpoint: harbor.ref, pull: replication.mirrorPull }];
    for (const b of backups) {
      const t = tokens.find((x) => x.backup === b.name);
      if (t) upstreams.push({ endpoint: b, tokenKey: t.key });
      else if (b.pull) upstreams.push({ endpoint: b, pull: b.pull });
    }
    const obs = cfg.observability;
    const regions = createRegionMirrors(cfg.regions, upstreams, this, { host: harbor.host, url: harbor.url, projects: harbor.projects }, obs.enabled ? obs.nodeTextfileDirectory : undefined, tokenSecretName);

    const archives = createArchives(cfg.archives, {
      projects: harbor.projects,
      namespace: harbor.namespace,
      harborUrl: harbor.url,
      harborUsername: harbor.adminUsername,
      harborPassword: harbor.adminPassword,
      harborRelease: harbor.release,
    }, this);

    // Metrics, alerts and dashboard (docs/observability.md); off unless observability.enabled.
    if (obs.enabled) {
      const exporterCode = args.exporterCode;
      if (!exporterCode) throw new Error("observability.enabled needs the exporter's code: pass exporterCode to RegistryTopology");
      new Observability("observability", {
        config: obs,
        exporterCode,
        harbor: { url: harbor.url, namespace: harbor.namespace, adminUsername: harbor.adminUsername, adminPassword: harbor.adminPassword, release: harbor.release, projects: harbor.projects },
        backups,
        archives: archives.stores.map((st) => ({ name: st.name, schedule: cfg.archives.find((a) => a.name === st.name)!.schedule, path: st.path, env: st.env })),
        regions,
      }, { parent: this });
    }

    this.harbor = harbor;
    this.backups = backups;
    this.regions = regions;
    this.registries = pulumi.all([harbor.ref, ...backups].map(summarize));
    this.registryCredentials = pulumi.secret(collectCredentials(backups));
    this.archives = archives.summaries;
    this.archiveCredentials = archiveCredentials(archives.stores);

    this.registerOutputs({
      harborUrl: harbor.url,
      registries: this.registries,
      registryCredentials: this.registryCredentials,
      archives: this.archives,
      archiveCredentials: this.archiveCredentials,
    });
  }
}
