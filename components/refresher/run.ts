/**
 * One refresher round: for each backup, mint when its token is past half its life, write the new
 * credential through the store, and report every backup's remaining lifetime. A failed mint writes
 * nothing (the old credential stays until it expires); an unusable answer is never written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { needsRefresh, tokenStatus, usableToken, type StoredToken, type TokenStatus } from "./decide";

export interface TokenStore {
  read(backup: string): Promise<StoredToken | undefined>;
  write(backup: string, token: StoredToken): Promise<void>;
}

export interface RefreshTarget {
  backup: string;
  mint: () => Promise<StoredToken>;
}

export async function refreshOnce(targets: readonly RefreshTarget[], store: TokenStore, now: () => number = Date.now): Promise<TokenStatus[]> {
  const out: TokenStatus[] = [];
  for (const t of targets) {
    let held = await store.read(t.backup);
    if (!needsRefresh(held, now())) {
      out.push(tokenStatus(t.backup, held, now(), "kept"));
      continue;
    }
    try {
      const fresh = await t.mint();
      if (!usableToken(fresh, now())) throw new Error("the minted token is empty or already expired: not written");
      await store.write(t.backup, fresh);
      held = fresh;
      out.push(tokenStatus(t.backup, held, now(), "refreshed"));
    } catch (e) {
      out.push(tokenStatus(t.backup, held, now(), { error: e instanceof Error ? e.message : String(e) }));
    }
  }
  return out;
}

/** Parse a stored credential; anything malformed counts as missing (and is replaced by a mint). */
export function parseStored(text: string | undefined): StoredToken | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as Partial<StoredToken>;
    if (typeof v.username === "string" && typeof v.password === "string" && typeof v.issuedAt === "number" && typeof v.expiresAt === "number") {
      return { username: v.username, password: v.password, issuedAt: v.issuedAt, expiresAt: v.expiresAt };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** `<dir>/<backup>.json`, mode 0600, replaced atomically (temp file + rename). */
export class DirectoryTokenStore implements TokenStore {
  constructor(private readonly dir: string) {}
  read(backup: string): Promise<StoredToken | undefined> {
    const f = path.join(this.dir, `${backup}.json`);
    return Promise.resolve(parseStored(fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined));
  }
  write(backup: string, token: StoredToken): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    const f = path.join(this.dir, `${backup}.json`);
    const tmp = `${f}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(token), { mode: 0o600 });
    fs.renameSync(tmp, f);
    return Promise.resolve();
  }
}
