import { createHash } from "node:crypto";
import type * as Bcrypt from "bcryptjs";

/** Loaded when a line is made (a cost-10 hash is the slowest step of an offline render). */
const bcrypt = (): typeof Bcrypt => require("bcryptjs") as typeof Bcrypt;

/**
 * A store of lines already made, keyed by a hash of their inputs. Only the offline commands set
 * one (infra/offline/htpasswd-cache.ts): there every password is the mock runtime's value, derived
 * from the resource's name, so the same line is made at every render. A process-local global,
 * never set under the engine.
 */
export interface HtpasswdLineCache {
  get(key: string): string | undefined;
  set(key: string, line: string): void;
}
const CACHE = Symbol.for("registry-topology.offline-htpasswd-cache");
export function setHtpasswdLineCache(c: HtpasswdLineCache | undefined): void {
  (globalThis as Record<symbol, unknown>)[CACHE] = c;
}

/**
 * One htpasswd line (bcrypt, the only scheme distribution accepts). The salt is given, not drawn,
 * so the same password and salt always render the same line: no churn on every `pulumi up`.
 * `salt22` is 22 characters of [./A-Za-z0-9] (e.g. a stable RandomPassword without specials).
 */
export function htpasswdLine(user: string, password: string, salt22: string, cost = 10): string {
  if (!/^[./A-Za-z0-9]{22}$/.test(salt22)) throw new Error("htpasswd salt must be 22 characters of [./A-Za-z0-9]");
  if (user.includes(":")) throw new Error("htpasswd user names cannot contain ':'");
  const salt = `$2y$${String(cost).padStart(2, "0")}$${salt22}`;
  const cache = (globalThis as Record<symbol, unknown>)[CACHE] as HtpasswdLineCache | undefined;
  const key = cache ? createHash("sha256").update(`${user}\0${password}\0${salt}`).digest("hex") : "";
  const hit = cache?.get(key);
  if (hit !== undefined) return hit;
  const line = `${user}:${bcrypt().hashSync(password, salt)}`;
  cache?.set(key, line);
  return line;
}

export function htpasswdMatches(line: string, user: string, password: string): boolean {
  const [u, hash] = line.split(":", 2);
  return u === user && hash !== undefined && bcrypt().compareSync(password, hash);
}
