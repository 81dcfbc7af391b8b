// A credential or certificate change must restart the mirror, and the kubelet restarts a static
// pod only when its manifest changes. So the manifest carries a digest of every file the pod
// reads. The manifest is public (a ConfigMap, offline renders), and a plain hash of a file that
// holds a low-entropy password lets anyone test guesses offline; the digest is therefore an
// HMAC-SHA256 keyed with a random per-region secret (a RandomPassword, kept secret in the state):
// without the key it reveals nothing, and it still changes on every rotation, within one `up`.
// (A manual rotation counter would not change on a rotation nobody remembers to count.)
import { createHmac } from "node:crypto";

export interface DigestedFile {
  path: string;
  content: string;
}

/**
 * The secret a token upstream's mirror authenticates to its own token relay with (token-relay.cjs),
 * derived from the same per-region key: no extra state, and a new one whenever the key is replaced.
 */
export function relaySecret(key: string, upstream: string): string {
  if (key.length < 16) throw new Error("relay secret key must be a generated secret of at least 16 characters");
  return createHmac("sha256", key).update(`token-relay\0${upstream}`).digest("hex").slice(0, 40);
}

/** Keyed digest (hex, 32 characters) of files in the given order; path and content both count. */
export function restartDigest(key: string, files: readonly DigestedFile[]): string {
  if (key.length < 16) throw new Error("restart digest key must be a generated secret of at least 16 characters");
  const h = createHmac("sha256", key);
  for (const f of files) h.update(`${f.path}\0${f.content.length}\0${f.content}\0`);
  return h.digest("hex").slice(0, 32);
}
