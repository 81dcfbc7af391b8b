/**
 * Amazon ECR stand-in: the `GetAuthorizationToken` API and a registry front that accepts only
 * unexpired tokens, over a real CNCF distribution (Debian's `docker-registry`) with htpasswd auth.
 *
 * What it does exactly as ECR does, and where that is defined:
 * - Protocol: AWS JSON 1.1 (`POST /`, `Content-Type: application/x-amz-json-1.1`,
 *   `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken`): the ECR service
 *   model's `awsJson1_1` protocol and target prefix, as the SDK sends it
 *   (`@aws-sdk/client-ecr` dist-cjs: `se_GetAuthorizationTokenCommand` sets these headers).
 *   Errors: HTTP 400 with `{"__type": <code>, "message"}` (JSON 1.1 error shape, which the SDK's
 *   `de_CommandError` reads from `__type`).
 * - Signature V4 is verified, not just present: the stand-in recomputes the signature over the
 *   signed headers it received with the AWS SDK's own signer (`@smithy/signature-v4` SignatureV4,
 *   service `ecr`, the request's region and x-amz-date) and the secret it knows for the access key,
 *   and compares. Unknown key: `UnrecognizedClientException`; mismatch:
 *   `InvalidSignatureException`; x-amz-date more than 5 minutes off: `InvalidSignatureException`
 *   "Signature expired" (AWS General Reference, "Signature Version 4 signing": 5-minute window).
 * - Authorization: only keys whose policy allows `ecr:GetAuthorizationToken` get a token
 *   (`AccessDeniedException` otherwise); `registryIds`, when sent, must be this registry's account.
 * - Response (ECR API Reference, GetAuthorizationToken; SDK shape `AuthorizationData`):
 *   `authorizationData: [{ authorizationToken: base64("AWS:<password>"), expiresAt: <epoch
 *   seconds>, proxyEndpoint: "https://<account>.dkr.ecr.<region>.amazonaws.com" }]`.
 *   ECR tokens live 12 hours; `tokenLifetimeMs` shortens that for drills.
 * - Registry: HTTP Basic `AWS:<password>` of any token not yet expired is accepted (ECR User Guide,
 *   "Private registry authentication": a token is valid for 12 hours), anything else gets 401 with a
 *   Basic challenge, as ECR answers. Accepted requests are proxied to the real registry, which
 *   itself only accepts the stand-in's own htpasswd user: nothing reaches it around the front.
 */
import { SignatureV4 } from "@smithy/signature-v4";
import bcrypt from "bcryptjs";
import { createHash, createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { startDistribution, type RunningDistribution } from "../helpers/distribution";

function bytes(d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof d === "string") return d;
  if (d instanceof ArrayBuffer) return new Uint8Array(d);
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** node:crypto behind the hash interface the smithy signer takes (the algorithm stays smithy's). */
export class NodeSha256 {
  private readonly h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.h.digest()));
  }
}

export interface EcrKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** IAM actions this key's policy allows (only ecr:GetAuthorizationToken matters here). */
  actions: string[];
}

export interface EcrStandInOptions {
  dir: string;
  accountId: string;
  region: string;
  keys: EcrKey[];
  tokenLifetimeMs?: number;
}

export interface EcrStandIn {
  /** http://127.0.0.1:<port> of the API (the SDK's `endpoint`). */
  apiUrl: string;
  /** host:port of the registry front. */
  registryAddress: string;
  registryUrl: string;
  backend: RunningDistribution;
  /** Tokens minted so far (for assertions): password and expiry. */
  minted: { password: string; expiresAt: number; accessKeyId: string }[];
  /** Requests the API refused, with the error code. */
  refusals: string[];
  /** Stop answering GetAuthorizationToken (an API outage) or answer again. */
  setApiDown(down: boolean): void;
  stop(): Promise<void>;
}

const TARGET = "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken";
const MAX_SKEW_MS = 5 * 60 * 1000;

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

/** Parse `AWS4-HMAC-SHA256 Credential=AK/date/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(h: string | undefined): { accessKeyId: string; date: string; region: string; service: string; signedHeaders: string[]; signature: string } | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(h ?? "");
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(";"), signature: m[6]! };
}

/** x-amz-date (yyyymmddThhmmssZ) as a Date. */
function amzDate(v: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

/** Recompute the request's SigV4 signature with the SDK's signer; true when it matches. */
export async function signatureMatches(req: { method: string; host: string; path: string; headers: Record<string, string>; body: Buffer }, auth: NonNullable<ReturnType<typeof parseAuthorization>>, secretAccessKey: string): Promise<boolean> {
  const signingDate = amzDate(req.headers["x-amz-date"] ?? "");
  if (!signingDate) return false;
  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = name === "host" ? req.host : req.headers[name];
    if (v === undefined) return false;
    headers[name] = v;
  }
  const [hostname, port] = req.host.split(":");
  // The payload is signed through its hash: a body that does not match the signed hash is refused
  // (AWS hashes the payload it received into the canonical request; a tampered body never verifies).
  const claimed = req.headers["x-amz-content-sha256"];
  if (claimed !== undefined && claimed !== createHash("sha256").update(req.body).digest("hex")) return false;
  const signer = new SignatureV4({ credentials: { accessKeyId: auth.accessKeyId, secretAccessKey }, region: auth.region, service: auth.service, sha256: NodeSha256 });
  const signed = await signer.sign(
    { method: req.method, protocol: "http:", hostname: hostname!, port: port ? Number(port) : undefined, path: req.path, query: {}, headers, body: req.body.toString("utf8") },
    { signingDate },
  );
  const again = parseAuthorization(String(signed.headers.authorization ?? signed.headers.Authorization));
  return !!again && again.signature === auth.signature && again.signedHeaders.join(";") === auth.signedHeaders.join(";");
}

export async function startEcrStandIn(o: EcrStandInOptions): Promise<EcrStandIn> {
  const lifetime = o.tokenLifetimeMs ?? 12 * 60 * 60 * 1000;
  const proxyEndpoint = `https://${o.accountId}.dkr.ecr.${o.region}.amazonaws.com`;
  const minted: EcrStandIn["minted"] = [];
  const refusals: string[] = [];
  let apiDown = false;

  // The real registry behind: htpasswd with a user only the front knows.
  const backendUser = "ecr-front";
  const backendPassword = randomBytes(18).toString("base64url");
  fs.mkdirSync(o.dir, { recursive: true });
  const htpasswd = path.join(o.dir, "backend.htpasswd");
  fs.writeFileSync(htpasswd, `${backendUser}:${bcrypt.hashSync(backendPassword, 5)}\n`);
  const backend = await startDistribution({ name: "ecr-backend", dir: o.dir, config: { version: 0.1, auth: { htpasswd: { realm: "ecr-backend", path: htpasswd } } } });
  const backendAuth = `Basic ${Buffer.from(`${backendUser}:${backendPassword}`).toString("base64")}`;

  const refuse = (res: http.ServerResponse, code: string, message: string) => {
    refusals.push(code);
    res.writeHead(400, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify({ __type: code, message }));
  };

  const api = http.createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (apiDown) {
        res.writeHead(503, { "content-type": "application/x-amz-json-1.1" });
        res.end(JSON.stringify({ __type: "ServiceUnavailableException", message: "stand-in outage" }));
        return;
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : String(v)]));
      if (req.method !== "POST" || req.url !== "/") return refuse(res, "UnknownOperationException", "expected POST /");
      if (headers["content-type"] !== "application/x-amz-json-1.1") return refuse(res, "SerializationException", "expected application/x-amz-json-1.1");
      if (headers["x-amz-target"] !== TARGET) return refuse(res, "UnknownOperationException", `unsupported target ${headers["x-amz-target"]}`);
      const auth = parseAuthorization(headers.authorization);
      if (!auth) return refuse(res, "IncompleteSignatureException", "Authorization header missing or malformed");
      const key = o.keys.find((k) => k.accessKeyId === auth.accessKeyId);
      if (!key) return refuse(res, "UnrecognizedClientException", "The security token included in the request is invalid.");
      if (auth.service !== "ecr" || auth.region !== o.region) return refuse(res, "InvalidSignatureException", "Credential should be scoped to a valid region and service ecr");
      const when = amzDate(headers["x-amz-date"] ?? "");
      if (!when || Math.abs(when.getTime() - Date.now()) > MAX_SKEW_MS) return refuse(res, "InvalidSignatureException", "Signature expired");
      if (!(await signatureMatches({ method: "POST", host: headers.host ?? "", path: "/", headers, body }, auth, key.secretAccessKey))) {
        return refuse(res, "InvalidSignatureException", "The request signature we calculated does not match the signature you provided.");
      }
      if (!key.actions.includes("ecr:GetAuthorizationToken")) return refuse(res, "AccessDeniedException", `not authorized to perform: ecr:GetAuthorizationToken`);
      let input: { registryIds?: string[] };
      try {
        input = JSON.parse(body.toString("utf8") || "{}") as typeof input;
      } catch {
        return refuse(res, "SerializationException", "body is not JSON");
      }
      if (input.registryIds && input.registryIds.some((id) => id !== o.accountId)) return refuse(res, "AccessDeniedException", "registry id of another account");
      const password = randomBytes(48).toString("base64");
      const expiresAt = Date.now() + lifetime;
      minted.push({ password, expiresAt, accessKeyId: key.accessKeyId });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify({ authorizationData: [{ authorizationToken: Buffer.from(`AWS:${password}`).toString("base64"), expiresAt: expiresAt / 1000, proxyEndpoint }] }));
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });

  const validBasic = (header: string | undefined): boolean => {
    const m = /^Basic (.+)$/.exec(header ?? "");
    if (!m) return false;
    const [user, ...rest] = Buffer.from(m[1]!, "base64").toString("utf8").split(":");
    const pw = rest.join(":");
    return user === "AWS" && minted.some((t) => t.password === pw && t.expiresAt > Date.now());
  };
  const front = http.createServer((req, res) => {
    if (!validBasic(req.headers.authorization)) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": `Basic realm="${proxyEndpoint}/",service="ecr.amazonaws.com"`, "docker-distribution-api-version": "registry/2.0" });
      res.end(JSON.stringify({ errors: [{ code: "DENIED", message: "Your authorization token has expired. Reauthenticate and try again." }] }));
      return;
    }
    const up = http.request({ host: "127.0.0.1", port: backend.port, method: req.method, path: req.url, headers: { ...req.headers, authorization: backendAuth } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(up);
  });

  const apiPort = await listen(api);
  const frontPort = await listen(front);
  return {
    apiUrl: `http://127.0.0.1:${apiPort}`,
    registryAddress: `127.0.0.1:${frontPort}`,
    registryUrl: `http://127.0.0.1:${frontPort}`,
    backend,
    minted,
    refusals,
    setApiDown: (d) => {
      apiDown = d;
    },
    stop: async () => {
      await Promise.all([new Promise((r) => api.close(r)), new Promise((r) => front.close(r))]);
      api.closeAllConnections();
      front.closeAllConnections();
      await backend.stop();
    },
  };
}
