import { createHash } from "node:crypto";

/** Pure naming and date helpers shared by the backup kinds (unit-tested, no Pulumi). */

function shortHash(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * A GCP service-account id (6-30 chars, `^[a-z][-a-z0-9]{4,28}[a-z0-9]$`) from a backup name and a
 * role suffix. Too long: truncated and made unique with a short hash of the full name.
 */
export function gcpAccountId(backupName: string, role: IdentityRole): string {
  let base = `${backupName}-${role}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
  if (!/^[a-z]/.test(base)) base = `rt-${base}`;
  if (base.length > 30) base = `${base.slice(0, 23).replace(/-+$/, "")}-${shortHash(base, 6)}`;
  while (base.length < 6) base += "0";
  return base;
}

/**
 * What an identity is for: a backup's push or pull user, or an archive's job. The role is part of
 * the hashed name, so an archive and a backup of the same name never share an identity.
 */
export type IdentityRole = "push" | "pull" | "archive";

/** A name for cloud identities that tells which stack and backup (or archive) they belong to. */
export function identityName(stack: string, backupName: string, role: IdentityRole, max = 64): string {
  const full = `regtopo-${stack}-${backupName}-${role}`.replace(/[^A-Za-z0-9._-]/g, "-");
  return full.length <= max ? full : `${full.slice(0, max - 9)}-${shortHash(full, 8)}`;
}

/** A Pulumi-name-safe token for a rotation value (any string in config). */
export function rotationSuffix(rotation: string): string {
  return /^[A-Za-z0-9._-]{1,20}$/.test(rotation) ? rotation : shortHash(rotation, 10);
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** Windows are counted from a fixed epoch, so every run in the same window computes the same date. */
const ROTATION_EPOCH_MS = Date.UTC(2024, 0, 1);

/**
 * End date of a service-principal password with a lifetime of `lifetimeDays`, stable for a whole
 * rotation window of half that lifetime: no change (no new password) on every `pulumi up`, a new
 * password on the first `up` of the next window, and every password valid for at least half its
 * lifetime when it is created (lifetimes of 2 days or more) and never longer than the lifetime.
 */
export function passwordEndDate(now: Date, lifetimeDays: number): string {
  if (!Number.isInteger(lifetimeDays) || lifetimeDays < 1) throw new Error(`credential lifetime must be a whole number of days >= 1, got ${lifetimeDays}`);
  const windowMs = Math.max(1, Math.floor(lifetimeDays / 2)) * DAY_MS;
  const elapsed = now.getTime() - ROTATION_EPOCH_MS;
  if (elapsed < 0) throw new Error("the clock is before 2024-01-01; check the system time");
  const windowStart = ROTATION_EPOCH_MS + Math.floor(elapsed / windowMs) * windowMs;
  return new Date(windowStart + lifetimeDays * DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Name of an ACR geo-replica: the location itself. ACR replication names are 5-50 letters and
 * digits (Microsoft.ContainerRegistry/registries/replications `name`: minLength 5, maxLength 50,
 * pattern ^[a-zA-Z0-9]*$; Azure/bicep-types-az generated/containerregistry/.../2024-11-01-preview/
 * types.md). Without an explicit name azure-native auto-names it `<pulumi name>-<8 hex>`, which
 * the dash makes invalid.
 */
export function acrReplicationName(location: string): string {
  const base = location.replace(/[^A-Za-z0-9]/g, "");
  return (base.length >= 5 ? base : `${base}replica`).slice(0, 50);
}

/**
 * A GCP custom role id (`^[a-zA-Z0-9_.]{3,64}$`, unique per project) for one backup's delete
 * right; the stack is part of it so two stacks sharing a project do not collide.
 */
export function gcpRoleId(stack: string, backupName: string, suffix: string): string {
  const full = `regtopo.${stack}.${backupName}.${suffix}`.replace(/[^A-Za-z0-9_.]/g, "_");
  return full.length <= 64 ? full : `${full.slice(0, 55)}_${shortHash(full, 8)}`;
}
