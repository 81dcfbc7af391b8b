/** Names the token refresher and the identities trusted for it share (no Pulumi, importable anywhere). */
import { createHash } from "node:crypto";

/** Namespace of the refresher (the node file writers' namespace, components/mirrors/writer.ts). */
export const REFRESHER_NAMESPACE = "kube-system";
/** Service account the refresher runs as: the one IRSA / Pod Identity trust is pinned to. */
export const REFRESHER_SERVICE_ACCOUNT = "registry-topology-token-refresher";
/**
 * The Secret the refresher writes one key per backup into (token file format, tokenFile.ts) and
 * the mirror writers project beside their own files. Created empty by `pulumi up`; its data is the
 * refresher's (ignored by Pulumi), so an `up` never puts an old token back.
 */
export const REFRESHER_TOKENS_SECRET = "registry-topology-registry-tokens";
/**
 * A backup's key in the tokens Secret: a hash of the backup's name and of where its tokens come
 * from (writer keys are [a-z0-9]+). Stable while those stay, whatever other backups do; a backup
 * moved to another registry gets a new key, so a token of the old one is never taken for it.
 */
export function tokenKey(backup: string, mint: { kind: string; region: string; registryId?: string; instanceId?: string }): string {
  const scope = [backup, mint.kind, mint.region, mint.registryId ?? mint.instanceId ?? ""].join("\0");
  return `t${createHash("sha256").update(scope).digest("hex").slice(0, 16)}`;
}
