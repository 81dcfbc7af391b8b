/**
 * Alibaba Cloud Container Registry (Enterprise Edition) OpenAPI stand-in: `GetAuthorizationToken`
 * (RPC style, Version 2018-12-01) with the request signature verified.
 *
 * Where the behaviour is defined:
 * - Signature: Alibaba Cloud "RPC API signature" (signature version 1.0, HMAC-SHA1): all
 *   parameters but Signature, sorted by name, each name and value percent-encoded (RFC 3986;
 *   '!', ''', '(', ')', '*' encoded too), joined `k=v&...`; StringToSign =
 *   `<METHOD>&%2F&<percent-encoded canonical query>`; key = AccessKeySecret + "&"; base64. This is
 *   exactly what the official core signs (`@alicloud/pop-core` 1.8.0 lib/rpc.js: normalize,
 *   canonicalize, `${method}&${encode('/')}&${encode(canonicalized)}`, kitx.sha1(..., secret + '&')).
 *   The stand-in recomputes it from the parameters it received and compares.
 * - Refusals (code in the JSON body, as the API answers): unknown key
 *   `InvalidAccessKeyId.NotFound`; wrong signature `SignatureDoesNotMatch`; Timestamp more than
 *   15 minutes off `InvalidTimeStamp.Expired`; a SignatureNonce seen before `SignatureNonceUsed`
 *   (replay); missing signature fields `MissingParameter`; a key whose RAM policy lacks
 *   cr:GetAuthorizationToken `Forbidden.RAM`; an unknown instance `INSTANCE_NOT_EXIST`.
 * - Answer fields as Harbor's ali-acr adapter reads them (v2.15.1 aliacr/openapi.go):
 *   TempUsername, AuthorizationToken, ExpireTime (epoch ms), GetAuthorizationTokenIsSuccess.
 *   Temporary tokens live one hour (Alibaba "Configure access credentials"); `tokenLifetimeMs`
 *   shortens that for tests.
 */
import { createHmac, randomBytes } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface AlibabaKey {
  accessKeyId: string;
  accessKeySecret: string;
  actions: string[];
}

export interface AlibabaStandIn {
  url: string;
  minted: { username: string; password: string; expiresAt: number }[];
  refusals: string[];
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

/** RFC 3986 encoding as the signature defines it (pop-core `encode`). */
export function popEncode(s: string): string {
  return encodeURIComponent(s).replace(/!/g, "%21").replace(/'/g, "%27").replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/\*/g, "%2A");
}

export function rpcSignature(method: string, params: Record<string, string>, secret: string): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== "Signature")
    .sort()
    .map((k) => `${popEncode(k)}=${popEncode(params[k]!)}`)
    .join("&");
  return createHmac("sha1", `${secret}&`).update(`${method}&${popEncode("/")}&${popEncode(canonical)}`).digest("base64");
}

export async function startAlibabaStandIn(o: { keys: AlibabaKey[]; instanceId: string; tokenLifetimeMs?: number }): Promise<AlibabaStandIn> {
  const lifetime = o.tokenLifetimeMs ?? 3600_000;
  const minted: AlibabaStandIn["minted"] = [];
  const refusals: string[] = [];
  const nonces = new Set<string>();
  let down = false;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const answer = (status: number, body: Record<string, unknown>) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ RequestId: randomBytes(8).toString("hex"), ...body }));
      };
      const refuse = (status: number, Code: string, Message: string) => {
        refusals.push(Code);
        answer(status, { Code, Message });
      };
      if (down) return refuse(503, "ServiceUnavailable", "stand-in outage");
      const method = (req.method ?? "GET").toUpperCase();
      const query = method === "POST" ? Buffer.concat(chunks).toString("utf8") : (req.url ?? "").split("?")[1] ?? "";
      const params = Object.fromEntries(new URLSearchParams(query));
      for (const k of ["AccessKeyId", "Signature", "SignatureMethod", "SignatureVersion", "SignatureNonce", "Timestamp", "Action", "Version"]) {
        if (!params[k]) return refuse(400, "MissingParameter", `${k} is mandatory for this action`);
      }
      if (params.SignatureMethod !== "HMAC-SHA1" || params.SignatureVersion !== "1.0") return refuse(400, "InvalidParameter", "SignatureMethod/SignatureVersion");
      const key = o.keys.find((k) => k.accessKeyId === params.AccessKeyId);
      if (!key) return refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
      const ts = Date.parse(params.Timestamp!);
      if (!Number.isFinite(ts) || Math.abs(ts - Date.now()) > 15 * 60_000) return refuse(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
      if (rpcSignature(method, params, key.accessKeySecret) !== params.Signature) return refuse(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
      if (nonces.has(params.SignatureNonce!)) return refuse(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
      nonces.add(params.SignatureNonce!);
      if (params.Action !== "GetAuthorizationToken" || params.Version !== "2018-12-01") return refuse(400, "InvalidAction.NotFound", "Specified api is not found");
      if (!key.actions.includes("cr:GetAuthorizationToken")) return refuse(403, "Forbidden.RAM", "User not authorized to operate on the specified resource.");
      if (params.InstanceId !== o.instanceId) return refuse(404, "INSTANCE_NOT_EXIST", "instance not exist");
      const t = { username: "cr_temp_user", password: randomBytes(32).toString("base64url"), expiresAt: Date.now() + lifetime };
      minted.push(t);
      answer(200, { TempUsername: t.username, AuthorizationToken: t.password, ExpireTime: t.expiresAt, GetAuthorizationTokenIsSuccess: true });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    minted,
    refusals,
    setDown: (d) => {
      down = d;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
