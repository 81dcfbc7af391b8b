/**
 * One refresher round: for each backup, mint when its token is past half its life, write the new
 * credential through the store, and report every backup's remaining lifetime. A failed mint writes
 * nothing (the old credential stays until it expires); an unusable answer is never written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { needsRefresh, tokenStatus, usableToken, type StoredToken, type TokenStatus } from "./decide";
import { formatTokenFile, parseTokenFile } from "./tokenFile";

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

/**
 * `<dir>/<key>` in the token file format (tokenFile.ts), mode 0600, replaced atomically (temp file
 * + rename): a plain directory, or the directory the mirror writer reads (the drill; in a cluster
 * that is the kubelet's projection of the tokens Secret, which swaps its files atomically too).
 */
export class DirectoryTokenStore implements TokenStore {
  /** `keys`: backup name -> file name; a backup not listed uses its own name. */
  constructor(private readonly dir: string, private readonly keys: Readonly<Record<string, string>> = {}) {}
  private file(backup: string): string {
    return path.join(this.dir, this.keys[backup] ?? backup);
  }
  read(backup: string): Promise<StoredToken | undefined> {
    const f = this.file(backup);
    return Promise.resolve(parseTokenFile(fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined));
  }
  write(backup: string, token: StoredToken): Promise<void> {
    const text = formatTokenFile(token);
    fs.mkdirSync(this.dir, { recursive: true });
    const f = this.file(backup);
    const tmp = `${f}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, text, { mode: 0o600 });
    fs.renameSync(tmp, f);
    return Promise.resolve();
  }
}
