import * as appsv1 from "@pulumi/kubernetes/apps/v1";
import * as corev1 from "@pulumi/kubernetes/core/v1";
import type * as k8sInput from "@pulumi/kubernetes/types/input";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import type { RegionSettings } from "./args";
import { TOKENS, type Credential, type RegistryRef } from "../types";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile, type Role } from "./nodeFiles";
import { createMirrorPki, publicTls, type CertificateExpiry, type MirrorTlsPublic } from "./pki";
import { MIRROR_IMAGE, orderUpstreams, planRegion, type HarborTarget, type RegionPlan, type ResolvedUpstream } from "./plan";
import { NodeFilesCleanup } from "./cleanup-provider";
import { relaySecret } from "./restart";
import { NODE_IMAGE } from "../shared/images";
import { cleanupPatch, publicConfigData, secretData, WRITER_NAMESPACE, writerDaemonSetSpec, writerName } from "./writer";

/**
 * An upstream a region mirrors: Harbor or a backup, with the read-only credential the mirror uses:
 * a static one (`pull`), or a short-lived token the refresher writes (`tokenKey`, its key in the
 * tokens Secret; components/refresher).
 */
export type MirrorUpstream = { endpoint: Pick<RegistryRef, "name" | "kind" | "host" | "pathPrefix" | "url" | "insecure" | "keepsProjectPath"> } & (
  | { pull: Credential; tokenKey?: undefined }
  | { tokenKey: string; pull?: undefined }
);

/** The Harbor whose projects nodes pull: its name stays the registry name and the last fallback. */
export interface HarborMirrorTarget {
  host: pulumi.Input<string>;
  url: pulumi.Input<string>;
  projects: readonly string[];
  insecure?: boolean;
}

export interface RegionMirrorsSummary {
  region: string;
  /** host:port nodes dial, per upstream, in the order runtimes try them. */
  mirrors: pulumi.Output<{ upstream: string; address: string }[]>;
  /** When the region's mirror CA, server and client certificates end (none without mirrors). */
  certificates: pulumi.Output<CertificateExpiry[]>;
  /** The region's certificates (public PEM only; empty strings without mirrors), for the exporter's expiry metrics. */
  publicCertificates: pulumi.Output<MirrorTlsPublic>;
}

export interface RegionMirrorsArgs {
  region: RegionSettings;
  /** Harbor first, then backups with a pull identity (config order); `region.upstreamOrder` reorders. */
  upstreams: readonly MirrorUpstream[];
  harbor: HarborMirrorTarget;
  /** node-exporter's textfile directory for the writers' metrics (observability.nodeTextfileDirectory). */
  metricsTextfileDir?: string;
  /** The token refresher's Secret (kube-system), required when an upstream has a `tokenKey`. */
  tokenSecretName?: string;
}

/** Public description of a delivered file (stack output): secret files carry no digest. */
export interface NodeFileSummary {
  role: Role;
  path: string;
  sha256?: string;
}

function resolveUpstream(u: MirrorUpstream): pulumi.Output<ResolvedUpstream> {
  const e = u.endpoint;
  return pulumi.all([e.url, e.pathPrefix, u.pull ? u.pull.username : ""]).apply(([url, pathPrefix, username]) => ({
    name: e.name,
    kind: e.kind,
    url,
    pathPrefix,
    keepsProjectPath: e.keepsProjectPath,
    insecure: e.insecure,
    username,
    ...(u.tokenKey ? { tokenKey: u.tokenKey } : {}),
  }));
}

/**
 * One region's pull-through mirrors (distribution static pods on the mirror nodes, one per
 * upstream) and the node runtime config that points every node of the region at them, delivered
 * by a privileged DaemonSet per role.
 */
export class RegionMirrors extends pulumi.ComponentResource {
  static readonly __pulumiType = TOKENS.regionMirrors;

  declare readonly region: string;
  /** host:port per upstream, in the order nodes try them. */
  declare readonly mirrors: pulumi.Output<{ upstream: string; address: string }[]>;
  declare readonly nodeFiles: pulumi.Output<NodeFileSummary[]>;
  declare readonly certificates: pulumi.Output<CertificateExpiry[]>;
  /** Public certificates of the region (no key). */
  declare readonly publicCertificates: pulumi.Output<MirrorTlsPublic>;

  constructor(name: string, args: RegionMirrorsArgs, opts?: pulumi.ComponentResourceOptions) {
    const r = args.region;
    const ordered = orderUpstreams(args.upstreams.map((u) => ({ ...u, name: u.endpoint.name })), r.upstreamOrder);
    super(
      TOKENS.regionMirrors,
      name,
      {
        region: r.name,
        upstreams: ordered.map((u) => ({ name: u.endpoint.name, kind: u.endpoint.kind, remoteUrl: u.endpoint.url, insecure: u.endpoint.insecure, ...(u.pull ? { username: u.pull.username } : { credential: "token" }) })),
        staticPodImages: ordered.length > 0 ? [MIRROR_IMAGE, ...(ordered.some((u) => u.tokenKey) ? [NODE_IMAGE] : [])] : [],
        mirrorAddresses: r.mirrorAddresses,
        runtimes: r.runtimes,
      },
      opts,
    );

    const harbor: pulumi.Output<HarborTarget> = pulumi
      .all([args.harbor.host, args.harbor.url])
      .apply(([host, url]) => ({ host, url, projects: [...args.harbor.projects], insecure: args.harbor.insecure ?? false }));
    const plan: pulumi.Output<RegionPlan> = pulumi
      .all([harbor, pulumi.all(ordered.map(resolveUpstream))])
      .apply(([h, ups]) => planRegion({ ...r, upstreamOrder: r.upstreamOrder ?? [] }, h, ups));

    if (ordered.some((u) => u.tokenKey) && !args.tokenSecretName) throw new Error(`region ${r.name}: a mirror's credential is a token, but no token refresher Secret was given (tokenSecretName)`);
    const tokenSecretName = ordered.some((u) => u.tokenKey) ? args.tokenSecretName : undefined;
    // mTLS between node runtimes and mirrors (pki.ts), and the key of the restart digests (restart.ts).
    // No upstream, no mirrors: no certificates either (the files below are then empty).
    const some = ordered.length > 0;
    const pki = some ? createMirrorPki(name, r, this) : undefined;
    const tls = pki ? pki.tls : pulumi.secret({ caCertPem: "", serverCertPem: "", clientCertPem: "", serverKeyPem: "", clientKeyPem: "" });
    this.certificates = pki ? pki.expiry : pulumi.output([]);
    const restartKey = some ? new random.RandomPassword(`${name}-restart-key`, { length: 32, special: false }, { parent: this, additionalSecretOutputs: ["result"] }).result : pulumi.secret("");
    // A token upstream's mirror holds no registry credential: its password is the secret it gives
    // its own token relay (restart.ts relaySecret), and the relay reads the refresher's token.
    const passwords = pulumi
      .all([pulumi.all(Object.fromEntries(ordered.map((u) => [u.endpoint.name, u.pull ? u.pull.password : pulumi.output("")]))), restartKey])
      .apply(([pw, key]) => ({ ...pw, ...Object.fromEntries(ordered.filter((u) => u.tokenKey).map((u) => [u.endpoint.name, relaySecret(key, u.endpoint.name)])) }));
    // A keyed digest reveals nothing about the files it covers: safe in the public manifests.
    const digests = pulumi.unsecret(pulumi.all([plan, passwords, tls, restartKey]).apply(([p, pw, t, key]) => (p.mirrors.length > 0 ? mirrorRestartDigests(p, pw, t, key) : {})));
    const pub = pulumi.all([plan, publicTls(tls), digests]).apply(([p, t, d]) => {
      const out = publicNodeFiles(p, t, d);
      for (const w of out.warnings) void pulumi.log.warn(w, this);
      return out.files;
    });
    const secretFiles = pulumi.secret(pulumi.all([plan, passwords, tls]).apply(([p, pw, t]) => secretNodeFiles(p, pw, t)));

    this.region = r.name;
    this.publicCertificates = pulumi.unsecret(publicTls(tls));
    this.mirrors = plan.apply((p) => p.endpoints.map((e) => ({ upstream: e.upstream, address: e.address })));
    // Paths and public digests only: the list is not secret, the secret files' content is.
    this.nodeFiles = pulumi.unsecret(
      pulumi.all([pub, secretFiles]).apply(([p, s]) => [
        ...p.map((f) => ({ role: f.role, path: f.path, sha256: createHash("sha256").update(f.content).digest("hex") })),
        ...s.map((f) => ({ role: f.role, path: f.path })),
      ]),
    );

    if (some) {
      const writers: pulumi.Resource[] = [];
      for (const role of ["node", "mirror"] as const) {
        const rolePublic = pub.apply((f) => f.filter((x) => x.role === role));
        // Secret files (credentials, keys) first: the files that use them come after (static pods last).
        const roleFiles = pulumi.all([rolePublic, secretFiles]).apply(([p, s]) => [...s.filter((x) => x.role === role), ...p]);
        writers.push(...this.writer(role, rolePublic, roleFiles, role === "node" ? r.nodes.nodeSelector : r.mirrorNodes.nodeSelector, args.metricsTextfileDir, role === "mirror" ? tokenSecretName : undefined));
      }
      // Destroy (or this region removed): deleted before the writers it depends on, it switches
      // them to cleanup mode and waits until every node is restored (docs/node-files-lifecycle.md).
      new NodeFilesCleanup(
        `${name}-node-files-cleanup`,
        {
          namespace: WRITER_NAMESPACE,
          // Node config first (nodes stop using the mirrors), then the mirrors.
          daemonSets: [writerName(r.name, "node"), writerName(r.name, "mirror")],
          context: new pulumi.Config("kubernetes").get("context") ?? "",
          timeoutSeconds: 600,
          pollSeconds: 5,
          patch: JSON.stringify(cleanupPatch()),
        },
        { parent: this, dependsOn: writers },
      );
    }

    this.registerOutputs({ region: this.region, mirrors: this.mirrors, nodeFiles: this.nodeFiles, certificates: this.certificates });
  }

  /**
   * ConfigMap (+ Secret when `all` has secret files) and the DaemonSet that writes them.
   * `publicFiles` never contains a secret; `all` (public + secret, in manifest order) is secret.
   */
  private writer(
    role: Role,
    publicFiles: pulumi.Output<NodeFile[]>,
    all: pulumi.Output<NodeFile[]> | undefined,
    nodeSelector: Record<string, string> | undefined,
    metricsTextfileDir?: string,
    tokenSecretName?: string,
  ): pulumi.Resource[] {
    const r = this.region;
    const name = writerName(r, role);
    const files = all ?? publicFiles;
    const labels = { "app.kubernetes.io/part-of": "registry-topology", "registry-topology/region": r, "registry-topology/role": role };
    const metadata = { name, namespace: WRITER_NAMESPACE, labels };
    // The manifest and keys depend on every file, but only public content goes into the ConfigMap.
    const configData = pulumi.unsecret(files.apply((f) => publicConfigData(f.map((x) => (x.secret ? { ...x, content: "" } : x)))));
    const cm = new corev1.ConfigMap(name, { metadata, data: configData }, { parent: this });
    let secret: corev1.Secret | undefined;
    if (all) {
      secret = new corev1.Secret(name, { metadata, type: "Opaque", stringData: pulumi.secret(all.apply(secretData)) }, { parent: this, additionalSecretOutputs: ["data", "stringData"] });
    }
    const spec = pulumi.unsecret(
      files.apply((f) =>
        writerDaemonSetSpec({
          region: r,
          role,
          files: f.map((x) => (x.secret ? { ...x, content: "" } : x)),
          nodeSelector,
          configMapName: name,
          secretName: secret ? name : undefined,
          tokenSecretName,
          signalCrio: role === "node" && f.some((x) => x.path.startsWith("/etc/containers/")),
          metricsTextfileDir,
        }) as unknown as k8sInput.apps.v1.DaemonSetSpec,
      ),
    );
    const ds = new appsv1.DaemonSet(name, { metadata, spec }, { parent: this, dependsOn: secret ? [cm, secret] : [cm] });
    return secret ? [ds, cm, secret] : [ds, cm];
  }
}

/** Region mirrors for every configured region (one RegionMirrors component each). */
export function createRegionMirrors(
  regions: readonly RegionSettings[],
  upstreams: readonly MirrorUpstream[],
  parent: pulumi.Resource,
  harbor: HarborMirrorTarget,
  metricsTextfileDir?: string,
  tokenSecretName?: string,
): RegionMirrorsSummary[] {
  return regions.map((region) => {
    const c = new RegionMirrors(`mirrors-${region.name}`, { region, upstreams, harbor, metricsTextfileDir, tokenSecretName }, { parent });
    return { region: region.name, mirrors: c.mirrors, certificates: c.certificates, publicCertificates: c.publicCertificates };
  });
}
