/**
 * Alibaba Cloud Container Registry OpenAPI stand-in: `GetAuthorizationToken` of the Enterprise
 * Edition (RPC style, Version 2018-12-01) and of the Personal Edition (ROA style, Version
 * 2016-06-07, `GET /tokens`), with the request signature verified.
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
 * - Personal Edition, ROA signature (Alibaba "ROA signature method", HMAC-SHA1, version 1.0):
 *   StringToSign = `<METHOD>\n<Accept>\n<Content-MD5>\n<Content-Type>\n<Date>\n` + every
 *   `x-acs-*` header lower-cased, sorted, `name:value\n` + the path with the sorted query; key =
 *   AccessKeySecret (no "&"); `Authorization: acs <AccessKeyId>:<base64>`. pop-core 1.8.0
 *   lib/roa.js buildStringToSign computes exactly this. Checked here too: Content-MD5 is the body's,
 *   Date within 15 minutes, x-acs-version 2016-06-07, the nonce not replayed. The answer carries
 *   `data.tempUserName`, `data.authorizationToken`, `data.expireDate` (epoch ms), as Harbor's
 *   ali-acr adapter reads it (aliacr/types.go); errors `{ Code, Message, RequestId }`, the
 *   fields pop-core's ROA client reads first (lib/roa.js: `result.Code || result.errorCode`).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
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

/** ROA StringToSign (see above) from the received method, headers (lower-case names) and URL. */
export function roaStringToSign(method: string, headers: Record<string, string | undefined>, url: string): string {
  const [p, q] = url.split("?");
  const acs = Object.keys(headers)
    .filter((k) => k.startsWith("x-acs-"))
    .sort()
    .map((k) => `${k}:${(headers[k] ?? "").replace(/[\t\n\r\f]/g, " ").trim()}\n`)
    .join("");
  const query = q ? [...new URLSearchParams(q)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`).join("&") : "";
  return `${method}\n${headers.accept ?? ""}\n${headers["content-md5"] ?? ""}\n${headers["content-type"] ?? ""}\n${headers.date ?? ""}\n${acs}${p}${query ? `?${query}` : ""}`;
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
      if ((req.url ?? "").split("?")[0] === "/tokens") return personal(method, Buffer.concat(chunks));
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

      function personal(m: string, body: Buffer): void {
        const h = req.headers as Record<string, string | undefined>;
        const roaRefuse = (status: number, code: string, message: string) => {
          refusals.push(code);
          res.writeHead(status, { "content-type": "application/json" });
          res.end(JSON.stringify({ Code: code, Message: message, RequestId: randomBytes(8).toString("hex") }));
        };
        const auth = /^acs ([^:]+):(.+)$/.exec(h.authorization ?? "");
        if (!auth) return roaRefuse(400, "MissingAuthorization", "Authorization header is mandatory");
        if (h["x-acs-signature-method"] !== "HMAC-SHA1" || h["x-acs-signature-version"] !== "1.0") return roaRefuse(400, "InvalidParameter", "x-acs-signature-method/version");
        const k = o.keys.find((x) => x.accessKeyId === auth[1]);
        if (!k) return roaRefuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
        const date = Date.parse(h.date ?? "");
        if (!Number.isFinite(date) || Math.abs(date - Date.now()) > 15 * 60_000) return roaRefuse(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.");
        if (h["content-md5"] !== undefined && h["content-md5"] !== createHash("md5").update(body).digest("base64")) return roaRefuse(400, "InvalidContentMD5", "Content-MD5 does not match the body");
        const expected = createHmac("sha1", k.accessKeySecret).update(roaStringToSign(m, h, req.url ?? "/")).digest("base64");
        if (expected !== auth[2]) return roaRefuse(400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.");
        const nonce = h["x-acs-signature-nonce"] ?? "";
        if (!nonce || nonces.has(nonce)) return roaRefuse(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
        nonces.add(nonce);
        if (m !== "GET" || h["x-acs-version"] !== "2016-06-07") return roaRefuse(400, "InvalidAction.NotFound", "Specified api is not found");
        if (!k.actions.includes("cr:GetAuthorizationToken")) return roaRefuse(403, "Forbidden.RAM", "User not authorized to operate on the specified resource.");
        const pt = { username: "cr_temp_user", password: randomBytes(32).toString("base64url"), expiresAt: Date.now() + lifetime };
        minted.push(pt);
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ data: { tempUserName: pt.username, authorizationToken: pt.password, expireDate: pt.expiresAt }, requestId: randomBytes(8).toString("hex") }));
      }
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
