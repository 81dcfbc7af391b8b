// Pulumi's wire markers, as recorded inputs carry them.
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecret(v: unknown): boolean {
  return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

export function unwrapSecret(v: unknown): unknown {
  return isSecret(v) ? (v as { value: unknown }).value : v;
}

/** Every value at `key` anywhere in a recorded input tree, with its path. */
export function findKeys(value: unknown, key: string, path = ""): { path: string; value: unknown }[] {
  if (isSecret(value)) return findKeys((value as { value: unknown }).value, key, path);
  if (Array.isArray(value)) return value.flatMap((v, i) => findKeys(v, key, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [{ path: path ? `${path}.${k}` : k, value: v }] : []),
    ...findKeys(v, key, path ? `${path}.${k}` : k),
  ]);
}
