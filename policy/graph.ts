// Reading the resource graph the way both evaluators hand it over: the Pulumi CLI's analyzer
// (plain values, secrets already unwrapped) and the offline check (raw serialized inputs where a
// secret is still a wire marker). Pure functions.
import type { PolicyResource } from "@pulumi/policy";
// Tokens and the wire encoding come from the program's own modules, which have no runtime
// imports: the pack stays self-contained and the two can never drift apart.
import { isSecretMarker, unwrapSecrets, UNKNOWN } from "../components/shared/wire";
import { TOKENS } from "../components/types";

export { TOKENS };
export { isSecretMarker, SECRET_SIG, SIG_KEY, unwrapSecrets, UNKNOWN } from "../components/shared/wire";

export const BACKUP_TYPES: readonly string[] = [TOKENS.acrBackup, TOKENS.garBackup, TOKENS.icrBackup, TOKENS.alibabaBackup, TOKENS.ociBackup, TOKENS.ecrBackup];

/**
 * Set (true) on PolicyResources whose props still carry secret markers (the offline check). The
 * CLI's analyzer never sets it: its props are plain values. Symbol.for so copies of this module agree.
 */
export const SECRET_MARKERS_KEPT: unique symbol = Symbol.for("registry-topology.policy.secretMarkersKept");

function isPlainContainer(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

/** Unknown (preview) values as the UNKNOWN string: @pulumi/policy represents them as class instances. */
function normalizeUnknowns(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (!isPlainContainer(v)) return UNKNOWN;
  if (Array.isArray(v)) return v.map(normalizeUnknowns);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeUnknowns(x)]));
}

/**
 * A resource's props without @pulumi/policy's unknown-checking proxy. During `pulumi preview`
 * reading an unknown value through that proxy throws, which would turn the whole policy into an
 * advisory "can't run during preview"; these policies treat an unknown as "not known yet" instead.
 * Secret markers (offline check) are kept.
 */
export function rawProps(r: PolicyResource): Record<string, unknown> {
  const props = r.props as Record<string, unknown>;
  const target = props["__getSpecialProxyTarget"]; // the proxy's own escape hatch; undefined on plain objects
  return normalizeUnknowns(target !== null && typeof target === "object" ? target : props) as Record<string, unknown>;
}

/** A resource's props as plain values (what the CLI's analyzer hands over, unknowns as UNKNOWN). */
export function plainProps(r: PolicyResource): Record<string, unknown> {
  return unwrapSecrets(rawProps(r)) as Record<string, unknown>;
}

export function ofType(resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] {
  return resources.filter((r) => types.includes(r.type));
}

export function str(v: unknown): string | undefined {
  return typeof v === "string" && v !== UNKNOWN ? v : undefined;
}

export function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string" && x !== UNKNOWN) : [];
}

export function record(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function records(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((x) => x !== null && typeof x === "object" && !Array.isArray(x)) : [];
}

/** A short, stable label for messages: "Type::name". */
export function label(r: PolicyResource): string {
  return `${r.type.split(":").pop()}::${r.name}`;
}

/** `environment` and `allowInsecureUpstreams` of the stack's RegistryTopology (undefined if none). */
export function topologyOf(resources: readonly PolicyResource[]): { environment?: string; allowInsecureUpstreams: boolean } | undefined {
  const t = ofType(resources, TOKENS.topology)[0];
  if (!t) return undefined;
  const p = plainProps(t);
  return { environment: str(p.environment), allowInsecureUpstreams: p.allowInsecureUpstreams === true };
}

/** Every `(path, value)` under a key in a value tree, keeping the secret markers met on the way. */
export interface Leaf {
  /** Dotted path from the resource's props, e.g. `upstreams[0].password`. */
  path: string;
  /** First segment of the path (the top-level property). */
  top: string;
  key: string;
  value: unknown;
  /** A secret marker wraps this value or one of its ancestors. */
  underSecret: boolean;
}

export function leaves(props: Record<string, unknown>, keyMatches: (key: string) => boolean): Leaf[] {
  const out: Leaf[] = [];
  const walk = (v: unknown, path: string, top: string, secret: boolean): void => {
    if (isSecretMarker(v)) return walk(v.value, path, top, true);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, top, secret));
    if (v === null || typeof v !== "object") return;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      const p = path ? `${path}.${k}` : k;
      const t = top || k;
      if (keyMatches(k)) {
        const inner = isSecretMarker(x);
        out.push({ path: p, top: t, key: k, value: inner ? unwrapSecrets(x) : x, underSecret: secret || inner });
      }
      walk(x, p, t, secret);
    }
  };
  walk(props, "", "", false);
  return out;
}
