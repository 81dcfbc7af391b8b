/**
 * The token file: what the refresher stores per backup (a key of the tokens Secret), what the
 * mirror writer delivers to the mirror node, and what the mirror's supervisor reads its upstream
 * credential from. Line-based `name=value` so busybox sh reads it with sed (supervisor.sh,
 * writer.sh); the refresher's own bookkeeping (when it was minted, when it expires) travels with it.
 *
 *   username=AWS
 *   password=<token>
 *   issued=<epoch ms>
 *   expires=<epoch ms>
 */
import type { StoredToken } from "./decide";

const SAFE = /^[^\r\n\0]+$/;

/** Throws on a value the line format cannot carry (never the value itself in the message). */
export function formatTokenFile(t: StoredToken): string {
  if (!SAFE.test(t.username) || t.username.includes("=")) throw new Error("token file: the user name is empty or holds a line break or '='");
  if (!SAFE.test(t.password)) throw new Error("token file: the password is empty or holds a line break");
  if (!Number.isSafeInteger(t.issuedAt) || !Number.isSafeInteger(t.expiresAt)) throw new Error("token file: issued/expires must be whole epoch milliseconds");
  return `username=${t.username}\npassword=${t.password}\nissued=${t.issuedAt}\nexpires=${t.expiresAt}\n`;
}

/** Anything malformed counts as missing (the refresher then mints; the writer keeps what the node has). */
export function parseTokenFile(text: string | undefined): StoredToken | undefined {
  if (!text) return undefined;
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return undefined;
    const name = line.slice(0, eq);
    if (fields.has(name)) return undefined;
    fields.set(name, line.slice(eq + 1));
  }
  const username = fields.get("username");
  const password = fields.get("password");
  const issuedAt = Number(fields.get("issued"));
  const expiresAt = Number(fields.get("expires"));
  if (!username || !password || !Number.isSafeInteger(issuedAt) || !Number.isSafeInteger(expiresAt)) return undefined;
  if (!SAFE.test(username) || !SAFE.test(password)) return undefined;
  return { username, password, issuedAt, expiresAt };
}
