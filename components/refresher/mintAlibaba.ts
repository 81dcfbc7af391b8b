/**
 * Alibaba Cloud Container Registry Enterprise Edition temporary docker credentials through the
 * OpenAPI `GetAuthorizationToken` (product cr, API version 2018-12-01, RPC style, parameter
 * InstanceId), signed by Alibaba's official request-signing core `@alicloud/pop-core` (RPCClient:
 * HMAC-SHA1 signature version 1.0). Response fields as Harbor's ali-acr adapter reads them
 * (v2.15.1 src/pkg/reg/adapter/aliacr/openapi.go acreeOpenapi.GetAuthorizationToken):
 * `TempUsername`, `AuthorizationToken`, `ExpireTime` (epoch milliseconds),
 * `GetAuthorizationTokenIsSuccess`.
 * Personal Edition (no instance): the same action of product cr, API version 2016-06-07, ROA style
 * `GET /tokens` (alibaba-cloud-sdk-go services/cr/get_authorization_token.go), signed by pop-core's
 * ROAClient; answer `data.tempUserName`, `data.authorizationToken`, `data.expireDate` (epoch ms), as
 * Harbor's adapter reads it (aliacr/types.go authorizationToken).
 */
import RPCClient = require("@alicloud/pop-core");
import type { StoredToken } from "./decide";

/** pop-core's ROA client (lib/roa.js; the package ships types for the RPC client only). */
interface RoaClient {
  request<T>(method: string, uriPattern: string, query?: Record<string, string>, body?: string, headers?: Record<string, string>, opts?: Record<string, unknown>): Promise<T>;
}
const { ROAClient } = require("@alicloud/pop-core") as { ROAClient: new (c: { accessKeyId: string; accessKeySecret: string; endpoint: string; apiVersion: string }) => RoaClient };

export interface AlibabaMintTarget {
  region: string;
  /** Enterprise Edition instance; absent: Personal Edition. */
  instanceId?: string;
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

interface PersonalAnswer {
  data?: { tempUserName?: string; authorizationToken?: string; expireDate?: number };
}

function failed(e: unknown, what: string): Error {
  const err = e as { code?: string; name?: string; data?: { Message?: string }; result?: { Message?: string; message?: string } };
  // pop-core's own message carries the request URL (access key id, signature): not repeated here.
  const msg = err.data?.Message ?? err.result?.Message ?? err.result?.message ?? "no message";
  return new Error(`Alibaba GetAuthorizationToken for ${what} failed: ${err.code || err.name || "Error"}: ${msg}`, { cause: e });
}

async function mintPersonal(t: AlibabaMintTarget, now: () => number): Promise<StoredToken> {
  const client = new ROAClient({ accessKeyId: t.accessKeyId, accessKeySecret: t.accessKeySecret, endpoint: t.endpoint ?? `https://cr.${t.region}.aliyuncs.com`, apiVersion: "2016-06-07" });
  const issuedAt = now();
  let a: PersonalAnswer;
  try {
    a = await client.request<PersonalAnswer>("GET", "/tokens", {}, "", {}, { timeout: 10_000 });
  } catch (e) {
    throw failed(e, `Personal Edition in ${t.region}`);
  }
  const d = a.data;
  if (!d?.tempUserName || !d.authorizationToken || typeof d.expireDate !== "number") throw new Error(`Alibaba GetAuthorizationToken for Personal Edition in ${t.region} answered without a token`);
  return { username: d.tempUserName, password: d.authorizationToken, issuedAt, expiresAt: d.expireDate };
}

export async function mintAlibaba(t: AlibabaMintTarget, now: () => number = Date.now): Promise<StoredToken> {
  if (!t.instanceId) return mintPersonal(t, now);
  const client = new RPCClient({ accessKeyId: t.accessKeyId, accessKeySecret: t.accessKeySecret, endpoint: t.endpoint ?? `https://cr.${t.region}.aliyuncs.com`, apiVersion: "2018-12-01" });
  const issuedAt = now();
  let a: TokenAnswer;
  try {
    a = await client.request<TokenAnswer>("GetAuthorizationToken", { InstanceId: t.instanceId }, { method: "POST", timeout: 10_000 });
  } catch (e) {
    throw failed(e, `${t.instanceId} in ${t.region}`);
  }
  if (!a.GetAuthorizationTokenIsSuccess || !a.TempUsername || !a.AuthorizationToken || typeof a.ExpireTime !== "number") {
    throw new Error(`Alibaba GetAuthorizationToken for ${t.instanceId} in ${t.region} answered without a token`);
  }
  return { username: a.TempUsername, password: a.AuthorizationToken, issuedAt, expiresAt: a.ExpireTime };
}
