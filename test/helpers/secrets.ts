// Reading Pulumi's secret markers in recorded inputs (components/shared/wire.ts has the encoding).
import { isSecretMarker } from "../../components/shared/wire";

export { isSecretMarker as isSecret };

/** The value inside one secret marker (nested markers stay). */
export function unwrapSecret(v: unknown): unknown {
  return isSecretMarker(v) ? v.value : v;
}

/** Every value at `key` anywhere in a recorded input tree, with its path. */
export function findKeys(value: unknown, key: string, path = ""): { path: string; value: unknown }[] {
  if (isSecretMarker(value)) return findKeys(value.value, key, path);
  if (Array.isArray(value)) return value.flatMap((v, i) => findKeys(v, key, `${path}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [
    ...(k === key ? [{ path: path ? `${path}.${k}` : k, value: v }] : []),
    ...findKeys(v, key, path ? `${path}.${k}` : k),
  ]);
}
