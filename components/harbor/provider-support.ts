/**
 * Pieces every Harbor dynamic provider shares: connection inputs, unknown-value handling, the
 * salted secret hash, diffing, create-or-adopt and delete-if-present. Pure functions that use
 * only globals or `require()` inside (the providers capture them; see client.ts).
 */
import type { CheckFailure } from "@pulumi/pulumi/dynamic";
import type { HarborClient, HarborConnection } from "./client";

/** Inputs every Harbor dynamic resource carries (a function, not a module-level object: see client.ts). */
export function connectionKeys(insecureKey = "insecure"): string[] {
  return ["harborUrl", "harborUsername", "harborPassword", insecureKey, "caCertificate", "httpTimeoutSeconds"];
}

/**
 * Pulumi's marker for a value not known during preview. A literal, not components/shared/wire's
 * UNKNOWN: a captured import would be serialized into every provider as a module object.
 */
export function isUnknown(v: unknown): boolean {
  return v === "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
}

/**
 * `insecureKey`: RegistryEndpoint uses `insecure` for Harbor -> remote TLS (Harbor's own field), so
 * its flag toward Harbor is `harborInsecure`; every other resource uses `insecure`.
 */
export function connectionOf(props: Record<string, unknown>, insecureKey = "insecure"): HarborConnection {
  return {
    harborUrl: String(props.harborUrl ?? ""),
    harborUsername: String(props.harborUsername ?? ""),
    harborPassword: String(props.harborPassword ?? ""),
    insecure: props[insecureKey] === true,
    caCertificate: typeof props.caCertificate === "string" && props.caCertificate ? props.caCertificate : undefined,
    httpTimeoutSeconds: typeof props.httpTimeoutSeconds === "number" ? props.httpTimeoutSeconds : undefined,
  };
}

/** Validate the connection inputs and fill their defaults. */
export function checkConnection(news: Record<string, unknown>, failures: CheckFailure[], insecureKey = "insecure"): Record<string, unknown> {
  const out: Record<string, unknown> = { ...news, [insecureKey]: news[insecureKey] ?? false, adoptExisting: news.adoptExisting ?? false };
  const url = news.harborUrl;
  if (!isUnknown(url)) {
    if (typeof url !== "string" || !/^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(url)) {
      failures.push({ property: "harborUrl", reason: "expected Harbor's URL such as https://harbor.example.com" });
    } else {
      out.harborUrl = url.replace(/\/+$/, "");
    }
  }
  for (const key of ["harborUsername", "harborPassword"]) {
    const v = news[key];
    if (!isUnknown(v) && (typeof v !== "string" || v === "")) failures.push({ property: key, reason: `expected a non-empty ${key}` });
  }
  if (!isUnknown(news.caCertificate) && news.caCertificate !== undefined && news.caCertificate !== "" &&
      !(typeof news.caCertificate === "string" && news.caCertificate.includes("-----BEGIN CERTIFICATE-----"))) {
    failures.push({ property: "caCertificate", reason: "expected a PEM certificate bundle (-----BEGIN CERTIFICATE-----)" });
  }
  return out;
}

/** Salted scrypt hash: lets diff see a changed secret without putting the secret in the outputs. */
export function hashSecret(secret: string, salt?: string): string {
  const crypto = require("crypto");
  const s = salt ?? crypto.randomBytes(16).toString("hex");
  const digest = crypto.scryptSync(secret, s, 32, { N: 16384, r: 8, p: 1 }).toString("hex");
  return `scrypt:${s}:${digest}`;
}

export function secretMatches(secret: unknown, hash: unknown): boolean {
  if (typeof secret !== "string" || typeof hash !== "string") return false;
  const parts = hash.split(":");
  if (parts.length !== 3 || parts[0] !== "scrypt") return false;
  return hashSecret(secret, parts[1]) === hash;
}

/** Canonical JSON: key order does not matter, undefined and null are the same. */
export function canonical(v: unknown): string {
  if (v === undefined || v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Keys whose values differ between the old state and the new inputs. */
export function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: readonly string[]): string[] {
  return keys.filter((k) => isUnknown(news[k]) || canonical(olds[k]) !== canonical(news[k]));
}

export interface CreateOrAdoptArgs {
  client: HarborClient;
  /** Collection path, e.g. /registries. */
  path: string;
  body: unknown;
  name: string;
  /** Kind of object for messages: "registry endpoint". */
  kind: string;
  adoptExisting: boolean;
  /** Looks the object up by exact name; its id or undefined. */
  findId: () => Promise<number | undefined>;
  /**
   * Whether the object found under our name is one this resource made: what it would create
   * itself, indistinguishable from its own create whose answer (or state write) was lost. Such an
   * object is adopted without adoptExisting, so the next `up` after a lost answer converges.
   */
  isOwn?: (id: number) => Promise<boolean>;
  unhealthyRetryMs?: number;
}

export interface Created {
  id: number;
  adopted: boolean;
  body: unknown;
}

/**
 * POST; on 409 adopt the existing object when allowed, when an earlier attempt of this very call
 * may have created it (a reset or timeout after Harbor committed), or when it is this resource's
 * own (isOwn: an earlier run created it and lost the answer). Never a duplicate.
 */
export async function createOrAdopt(a: CreateOrAdoptArgs): Promise<Created> {
  const what = `create ${a.kind} "${a.name}"`;
  const r = await a.client.call("POST", a.path, { body: a.body, accept: [409], what, unhealthyRetryMs: a.unhealthyRetryMs });
  if (r.status !== 409) return { id: a.client.idFromLocation(r, what), adopted: false, body: r.body };
  const id = await a.findId();
  if (id === undefined) {
    throw new Error(`Harbor API call failed: ${what}: Harbor answered 409 (exists) but no ${a.kind} named "${a.name}" was found by name; check the name and Harbor's log.`);
  }
  if (!a.adoptExisting && !r.ambiguous && !(a.isOwn && await a.isOwn(id))) {
    throw new Error(`Harbor API call failed: ${what} (POST ${a.path}): HTTP 409 CONFLICT: a ${a.kind} named "${a.name}" exists already in Harbor and differs from what this resource creates. ` +
      `Set adoptExisting: true to take it over (its settings are then overwritten by this resource's inputs), rename this one, or delete the existing one in Harbor.`);
  }
  return { id, adopted: true, body: undefined };
}

/** DELETE that succeeds when the object is already gone. */
export async function deleteIfPresent(client: HarborClient, path: string, what: string): Promise<void> {
  await client.call("DELETE", path, { accept: [404], what });
}

/** Exact-name lookup in a Harbor list (`q=name=<name>` is exact; the old `name=` is fuzzy). */
export async function findIdByName(client: HarborClient, path: string, name: string, idKey = "id", nameKey = "name", extraQ = ""): Promise<number | undefined> {
  const items = await client.list(path, { q: `${extraQ}name=${name}` }, `look up "${name}" in ${path}`);
  const hit = items.find((i) => i[nameKey] === name);
  return hit ? Number(hit[idKey]) : undefined;
}

/** Outputs every resource keeps: the connection, so read and delete can reach Harbor. */
export function connectionOutputs(props: Record<string, unknown>, insecureKey = "insecure"): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of connectionKeys(insecureKey)) if (props[k] !== undefined) out[k] = props[k];
  out.adoptExisting = props.adoptExisting === true;
  return out;
}

/** A read that found nothing: Pulumi drops the resource from state. */
export function gone(): { id: string; props: Record<string, never> } {
  return { id: "", props: {} };
}

/**
 * A result the engine can carry. The dynamic-provider host converts every create/read/update
 * result with google-protobuf's `Struct.fromJavaScript` (@pulumi/pulumi cmd/dynamic-provider/index.js),
 * which throws "Unexpected struct type." on `undefined` (pulumi/pulumi#7576) after Harbor has
 * already committed the change. An unset output is an absent key; `undefined` in a list is null.
 */
export function wireValue<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : wireValue(x))) as T;
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = wireValue(x);
    return out as T;
  }
  return v;
}
