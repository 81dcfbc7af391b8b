/**
 * Alibaba Cloud Container Registry Enterprise Edition temporary docker credentials through the
 * OpenAPI `GetAuthorizationToken` (product cr, API version 2018-12-01, RPC style, parameter
 * InstanceId), signed by Alibaba's official request-signing core `@alicloud/pop-core` (RPCClient:
 * HMAC-SHA1 signature version 1.0). Response fields as Harbor's ali-acr adapter reads them
 * (v2.15.1 src/pkg/reg/adapter/aliacr/openapi.go acreeOpenapi.GetAuthorizationToken):
 * `TempUsername`, `AuthorizationToken`, `ExpireTime` (epoch milliseconds),
 * `GetAuthorizationTokenIsSuccess`.
 * Personal Edition's token call is ROA style (GET /tokens, 2016-06-07) and is not done here.
 */
import RPCClient = require("@alicloud/pop-core");
import type { StoredToken } from "./decide";

export interface AlibabaMintTarget {
  region: string;
  instanceId: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** OpenAPI endpoint; default https://cr.<region>.aliyuncs.com (the stand-in in tests). */
  endpoint?: string;
}

interface TokenAnswer {
  TempUsername?: string;
  AuthorizationToken?: string;
  ExpireTime?: number;
  GetAuthorizationTokenIsSuccess?: boolean;
}

export async function mintAlibaba(t: AlibabaMintTarget, now: () => number = Date.now): Promise<StoredToken> {
  const client = new RPCClient({ accessKeyId: t.accessKeyId, accessKeySecret: t.accessKeySecret, endpoint: t.endpoint ?? `https://cr.${t.region}.aliyuncs.com`, apiVersion: "2018-12-01" });
  const issuedAt = now();
  let a: TokenAnswer;
  try {
    a = await client.request<TokenAnswer>("GetAuthorizationToken", { InstanceId: t.instanceId }, { method: "POST", timeout: 10_000 });
  } catch (e) {
    const err = e as { code?: string; name?: string; data?: { Message?: string } };
    // pop-core's own message carries the request URL (access key id, signature): not repeated here.
    throw new Error(`Alibaba GetAuthorizationToken for ${t.instanceId} in ${t.region} failed: ${err.code ?? err.name ?? "Error"}: ${err.data?.Message ?? "no message"}`, { cause: e });
  }
  if (!a.GetAuthorizationTokenIsSuccess || !a.TempUsername || !a.AuthorizationToken || typeof a.ExpireTime !== "number") {
    throw new Error(`Alibaba GetAuthorizationToken for ${t.instanceId} in ${t.region} answered without a token`);
  }
  return { username: a.TempUsername, password: a.AuthorizationToken, issuedAt, expiresAt: a.ExpireTime };
}
