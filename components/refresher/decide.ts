/**
 * When the token refresher mints, and what it reports (pure, unit-tested; no SDK, no I/O).
 *
 * A token is refreshed once half of its lifetime has passed: an ECR token (12 h) is replaced after
 * 6 h, so a refresher that runs every few minutes has hours of retries before the mirror's
 * credential expires. A refresher that cannot mint keeps the credential it has (never writes an
 * empty one) and says how long that credential still lives.
 */

export interface StoredToken {
  username: string;
  password: string;
  /** Epoch milliseconds. */
  issuedAt: number;
  expiresAt: number;
}

export function needsRefresh(current: StoredToken | undefined, now: number): boolean {
  if (!current || !current.password) return true;
  const half = current.issuedAt + (current.expiresAt - current.issuedAt) / 2;
  return now >= half;
}

/** A minted token is usable: a user, a password, an expiry in the future. */
export function usableToken(t: StoredToken | undefined, now: number): t is StoredToken {
  return !!t && t.username.length > 0 && t.password.length > 0 && t.expiresAt > now;
}

export type TokenState = "fresh" | "refreshed" | "stale" | "expired" | "missing";

export interface TokenStatus {
  backup: string;
  state: TokenState;
  /** Seconds the credential the mirror has still lives (0 when expired or missing). */
  remainingSeconds: number;
  expiresAt?: string;
  /** Why a mint failed (never a secret). */
  error?: string;
}

export function tokenStatus(backup: string, held: StoredToken | undefined, now: number, outcome: "kept" | "refreshed" | { error: string }): TokenStatus {
  const remaining = held ? Math.max(0, Math.floor((held.expiresAt - now) / 1000)) : 0;
  const expiresAt = held ? new Date(held.expiresAt).toISOString() : undefined;
  if (!held) return { backup, state: "missing", remainingSeconds: 0, ...(typeof outcome === "object" ? { error: outcome.error } : {}) };
  if (remaining === 0) return { backup, state: "expired", remainingSeconds: 0, expiresAt, ...(typeof outcome === "object" ? { error: outcome.error } : {}) };
  if (typeof outcome === "object") return { backup, state: "stale", remainingSeconds: remaining, expiresAt, error: outcome.error };
  return { backup, state: outcome === "refreshed" ? "refreshed" : "fresh", remainingSeconds: remaining, expiresAt };
}

/** One STATUS line per backup, in the writer's STATUS style (read with kubectl logs). */
export function statusLine(s: TokenStatus): string {
  const parts = [`STATUS token backup=${s.backup}`, `state=${s.state}`, `remaining=${s.remainingSeconds}s`];
  if (s.expiresAt) parts.push(`expires=${s.expiresAt}`);
  if (s.error) parts.push(`error=${JSON.stringify(s.error)}`);
  return parts.join(" ");
}
