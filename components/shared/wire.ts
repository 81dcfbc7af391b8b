/**
 * Pulumi's wire encoding of special values, as recorded inputs and the offline policy check see
 * them. Literals, not imports from @pulumi/pulumi/runtime/rpc: the policy pack reads this module
 * from its own folder and must not load a second copy of the SDK. A test keeps them equal to the SDK.
 */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
/** A value not known until apply (preview). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function sigOf(v: unknown): unknown {
  return v !== null && typeof v === "object" ? (v as Record<string, unknown>)[SIG_KEY] : undefined;
}

export function isSecretMarker(v: unknown): v is { value: unknown } {
  return sigOf(v) === SECRET_SIG;
}

export function isResourceRef(v: unknown): v is { urn: string } {
  return sigOf(v) === RESOURCE_SIG;
}

/** The value with every secret marker replaced by its plaintext, at any depth. */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecretMarker(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, unwrapSecrets(x)]));
  }
  return v;
}
