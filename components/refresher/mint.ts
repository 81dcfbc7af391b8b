/**
 * Minting registry tokens with the clouds' own SDKs. Each function returns a StoredToken or
 * throws an Error whose message names the backup and the API error code, never a secret.
 */
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import type { StoredToken } from "./decide";

export interface EcrMintTarget {
  region: string;
  /** The registry's account (GetAuthorizationToken `registryIds`, as Harbor's adapter sends it). */
  registryId: string;
  /** Static key (pullIdentity accessKey); absent: the SDK's default chain (IRSA web identity, Pod Identity). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** API endpoint override (the stand-in in tests; a VPC endpoint in production). */
  endpoint?: string;
}

/**
 * ECR `GetAuthorizationToken` (ECR API Reference): `authorizationData[0].authorizationToken` is
 * base64 of `AWS:<password>`, `expiresAt` a Date (the SDK deserializes the epoch seconds).
 */
export async function mintEcr(t: EcrMintTarget, now: () => number = Date.now): Promise<StoredToken> {
  const client = new ECRClient({ region: t.region, endpoint: t.endpoint, credentials: t.credentials, maxAttempts: 2 });
  try {
    const issuedAt = now();
    const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [t.registryId] }));
    const data = out.authorizationData?.[0];
    if (!data?.authorizationToken || !data.expiresAt) throw new Error("GetAuthorizationToken returned no authorization data");
    const decoded = Buffer.from(data.authorizationToken, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon <= 0 || colon === decoded.length - 1) throw new Error("GetAuthorizationToken returned a token that is not user:password");
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), issuedAt, expiresAt: data.expiresAt.getTime() };
  } catch (e) {
    const err = e as { name?: string; message?: string };
    throw new Error(`ECR GetAuthorizationToken for ${t.registryId} in ${t.region} failed: ${err.name ?? "Error"}: ${err.message ?? String(e)}`, { cause: e });
  } finally {
    client.destroy();
  }
}
