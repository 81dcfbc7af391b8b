// Pure planning for one region: which mirror serves which upstream on which port, in which order
// nodes try them, and how a Harbor repository path maps onto each upstream's layout.
import type { RegistryKind } from "../types";
import type { Runtime } from "./args";
import { DISTRIBUTION_IMAGE, WRITER_IMAGE } from "../shared/images";

/** Mirrors run distribution v3 (pinned in components/shared/images.ts). */
export const MIRROR_IMAGE = DISTRIBUTION_IMAGE;
export { WRITER_IMAGE };

/** An upstream with every value resolved (the password never leaves the secret-file renderers). */
export interface ResolvedUpstream {
  name: string;
  kind: RegistryKind;
  /** URL the mirror proxies (scheme://host[:port]). */
  url: string;
  /** Where Harbor projects land on this registry ("" or "proj/repo"). */
  pathPrefix: string;
  /** false: the project level is dropped on this registry (`<pathPrefix>/<repo>`). */
  keepsProjectPath: boolean;
  insecure: boolean;
  /** The pull user; "" for a token upstream (the user comes with the token). */
  username: string;
  /**
   * Set when the credential is a short-lived token the refresher writes (components/refresher):
   * the key of the tokens Secret the mirror node gets it from. The config then holds no credential.
   */
  tokenKey?: string;
}

export interface HarborTarget {
  /** host[:port] in image references; stays `location`/`server` so pull secrets work on the last fallback. */
  host: string;
  /** scheme://host[:port] */
  url: string;
  projects: readonly string[];
  insecure: boolean;
}

export interface RegionSpec {
  name: string;
  mirrorAddresses: readonly string[];
  runtimes: readonly Runtime[];
  mirrorPortBase: number;
  upstreamOrder?: readonly string[];
  dialTimeoutSeconds: number;
  /** Cache policy (RegionSettings `cache`); defaults to DEFAULT_CACHE_POLICY. */
  cache?: CachePolicy;
}

export interface CachePolicy {
  /** Hours cached content lives (distribution v3 `proxy.ttl`); 0 = never expires. */
  ttlHours: number;
  /** Upper bound of one mirror's cache on the node's disk. */
  maxSizeGiB: number;
}

/** Same as the config schema's defaults: 7 days (distribution's own default TTL), 20 GiB. */
export const DEFAULT_CACHE_POLICY: CachePolicy = { ttlHours: 168, maxSizeGiB: 20 };

export interface PlannedMirror {
  upstream: ResolvedUpstream;
  port: number;
  /** Loopback-only port of distribution's debug server (/debug/health): the kubelet probes it, since the TLS port requires a client certificate. */
  debugPort: number;
  /** Token upstreams: loopback port of the pod's token relay (token-relay.cjs), distribution's remote. */
  relayPort?: number;
}

export interface RegionPlan {
  region: RegionSpec;
  harbor: HarborTarget;
  /** One mirror per upstream, in the order nodes try them. */
  mirrors: PlannedMirror[];
  /** Address the mirror processes bind: 127.0.0.1 when nodes only use loopback, else all interfaces. */
  bindHost: string;
  /** What nodes dial, in order: every address of the first upstream's mirror, then the next upstream. */
  endpoints: { upstream: string; address: string; mirror: PlannedMirror }[];
}

const isLoopback = (a: string): boolean => a === "localhost" || /^127\./.test(a);

/** `region.upstreamOrder` first (names without a pull identity are skipped), then the rest in given order. */
export function orderUpstreams<T extends { name: string }>(upstreams: readonly T[], order: readonly string[] = []): T[] {
  const byName = new Map(upstreams.map((u) => [u.name, u]));
  const first = order.map((n) => byName.get(n)).filter((u): u is T => u !== undefined);
  return [...first, ...upstreams.filter((u) => !first.includes(u))];
}

export function planRegion(region: RegionSpec, harbor: HarborTarget, upstreams: readonly ResolvedUpstream[]): RegionPlan {
  const names = new Set<string>();
  for (const u of upstreams) {
    if (names.has(u.name)) throw new Error(`region ${region.name}: upstream "${u.name}" is listed twice; upstream names must be unique`);
    names.add(u.name);
  }
  const ordered = orderUpstreams(upstreams, region.upstreamOrder);
  // Mirror ports first (what nodes dial), then one loopback debug port per mirror, then a
  // loopback relay port per token upstream.
  const n = ordered.length;
  let relays = 0;
  const mirrors: PlannedMirror[] = ordered.map((upstream, i) => ({
    upstream,
    port: region.mirrorPortBase + i,
    debugPort: region.mirrorPortBase + n + i,
    ...(upstream.tokenKey ? { relayPort: region.mirrorPortBase + 2 * n + relays++ } : {}),
  }));
  const top = region.mirrorPortBase + 2 * n + relays - 1;
  if (n > 0 && top > 65535) {
    throw new Error(`region ${region.name}: mirrorPortBase ${region.mirrorPortBase} leaves no room for ${n} mirrors and their debug and relay ports (ports up to ${top}); lower it`);
  }
  const endpoints = mirrors.flatMap((m) => region.mirrorAddresses.map((a) => ({ upstream: m.upstream.name, address: `${a}:${m.port}`, mirror: m })));
  const bindHost = region.mirrorAddresses.every(isLoopback) ? "127.0.0.1" : "0.0.0.0";
  return { region, harbor, mirrors, bindHost, endpoints };
}

const join = (...parts: string[]): string =>
  parts
    .flatMap((p) => p.split("/"))
    .filter(Boolean)
    .join("/");

/**
 * The repository path, on the mirror of `u`, that holds Harbor's `<project>/...`: Harbor keeps it
 * as is; a backup puts it under its path prefix, with or without the project level.
 */
export function mirrorPath(u: ResolvedUpstream, project: string): string {
  if (u.kind === "harbor") return project;
  return join(u.pathPrefix, u.keepsProjectPath ? project : "");
}

/**
 * For runtimes that map a whole registry host (containerd, k3s): the path prefix to put in
 * front of every repository, or undefined when the mapping depends on the project (a backup that
 * drops the project level) and so cannot be expressed per host.
 */
export function hostPathPrefix(u: ResolvedUpstream): string | undefined {
  if (u.kind === "harbor") return "";
  return u.keepsProjectPath ? join(u.pathPrefix) : undefined;
}
