/**
 * A Docker-registry token server (the "token" auth scheme Harbor, ACR and Artifact Registry use),
 * for tests: distribution behind it behaves like those registries toward clients and proxies.
 *
 *   const ts = await startTokenServer({ dir, users: { robot: { password: "pw", actions: ["pull"] } } });
 *   const harbor = await startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") } });
 *   ...
 *   await ts.stop();
 *
 * Protocol (distribution's docs/spec/auth/token.md and oauth.md):
 *  - GET  /token?service=S&scope=repository:NAME:pull,push   credentials in a Basic header
 *  - POST /token  form: grant_type=password, username, password, service, scope (space-separated)
 *    (containerd uses the POST when it has credentials; skopeo and distribution's proxy use GET)
 * Answers {token, access_token, expires_in, issued_at}; the token is an RS256 JWT whose header
 * carries the signing certificate in `x5c`, which distribution checks against `rootcertbundle`.
 * Wrong credentials answer 401; anonymous requests get a token with no access (or pull-only
 * access with `anonymousPull`). Granted actions = requested ∩ the user's `actions`.
 * Listens on 127.0.0.1 on a free port. Needs the `openssl` CLI for the certificate.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as path from "node:path";

export interface TokenUser {
  password: string;
  /** Actions this user may get on any repository; default ["pull", "push"]. "*" allows everything. */
  actions?: string[];
}

export interface TokenServerOptions {
  /** Where the key and certificate are written. */
  dir: string;
  users: Record<string, TokenUser>;
  issuer?: string;
  /** Token lifetime, default 300 s. */
  lifetimeSeconds?: number;
  /** Anonymous callers get pull access (a public project). Default false. */
  anonymousPull?: boolean;
}

export interface TokenRequestRecord {
  method: string;
  service: string;
  scopes: string[];
  /** "" for anonymous, the user name otherwise; "!" prefix for a rejected login. */
  subject: string;
}

export interface TokenServer {
  /** http://127.0.0.1:<port>/token: the `realm` registries point clients to. */
  realm: string;
  url: string;
  port: number;
  issuer: string;
  /** PEM file with the signing certificate: distribution's `auth.token.rootcertbundle`. */
  certPath: string;
  /** Every token request so far (no passwords). */
  requests: TokenRequestRecord[];
  stop(): Promise<void>;
}

/** The `auth:` block that makes a distribution instance require tokens from `ts` for `service`. */
export function tokenAuthConfig(ts: TokenServer, service: string): Record<string, unknown> {
  return { token: { realm: ts.realm, service, issuer: ts.issuer, rootcertbundle: ts.certPath } };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** Parse "repository:library/app:pull,push" (the name may contain ':' for a port-qualified name). */
export function parseScope(scope: string): Access | undefined {
  const parts = scope.split(":");
  if (parts.length < 3) return undefined;
  return { type: parts[0]!, name: parts.slice(1, -1).join(":"), actions: parts.at(-1)!.split(",").filter(Boolean) };
}

function grant(scopes: string[], allowed: string[]): Access[] {
  return scopes
    .map(parseScope)
    .filter((a): a is Access => a !== undefined)
    .map((a) => ({ ...a, actions: allowed.includes("*") ? a.actions : a.actions.filter((x) => allowed.includes(x)) }));
}

function makeCertificate(dir: string, issuer: string): { keyPath: string; certPath: string } {
  fs.mkdirSync(dir, { recursive: true });
  const keyPath = path.join(dir, "token-signing.key");
  const certPath = path.join(dir, "token-signing.crt");
  execFileSync(
    "openssl",
    ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "2", "-subj", `/CN=${issuer}`],
    { stdio: "ignore", timeout: 30_000 },
  );
  return { keyPath, certPath };
}

export async function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const issuer = opts.issuer ?? "test-token-issuer";
  const lifetime = opts.lifetimeSeconds ?? 300;
  const { keyPath, certPath } = makeCertificate(opts.dir, issuer);
  const key = crypto.createPrivateKey(fs.readFileSync(keyPath));
  const certDer = new crypto.X509Certificate(fs.readFileSync(certPath)).raw.toString("base64");
  const requests: TokenRequestRecord[] = [];

  const sign = (claims: Record<string, unknown>): string => {
    const header = { typ: "JWT", alg: "RS256", x5c: [certDer] };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(crypto.sign("sha256", Buffer.from(input), key))}`;
  };

  const answer = (res: http.ServerResponse, method: string, service: string, scopes: string[], user?: string, password?: string): void => {
    let subject = "";
    let allowed: string[] = opts.anonymousPull ? ["pull"] : [];
    if (user !== undefined) {
      const u = opts.users[user];
      if (!u || u.password !== password) {
        requests.push({ method, service, scopes, subject: `!${user}` });
        res.writeHead(401, { "content-type": "application/json" }).end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
      subject = user;
      allowed = u.actions ?? ["pull", "push"];
    }
    requests.push({ method, service, scopes, subject });
    const now = Math.floor(Date.now() / 1000);
    const token = sign({
      iss: issuer,
      sub: subject,
      aud: service,
      exp: now + lifetime,
      nbf: now - 10,
      iat: now,
      jti: crypto.randomUUID(),
      access: grant(scopes, allowed),
    });
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ token, access_token: token, expires_in: lifetime, issued_at: new Date(now * 1000).toISOString() }));
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://token.invalid");
    if (url.pathname === "/healthz") return void res.end("ok");
    if (url.pathname !== "/token") return void res.writeHead(404).end();
    if (req.method === "GET") {
      const auth = req.headers.authorization ?? "";
      let user: string | undefined;
      let password: string | undefined;
      if (auth.startsWith("Basic ")) {
        const decoded = Buffer.from(auth.slice(6), "base64").toString("utf8");
        const i = decoded.indexOf(":");
        user = decoded.slice(0, i);
        password = decoded.slice(i + 1);
      }
      return answer(res, "GET", url.searchParams.get("service") ?? "", url.searchParams.getAll("scope"), user, password);
    }
    if (req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
        if (body.length > 65536) req.destroy();
      });
      req.on("end", () => {
        const f = new URLSearchParams(body);
        const scopes = (f.get("scope") ?? "").split(" ").filter(Boolean);
        const password = f.get("grant_type") === "password";
        answer(res, "POST", f.get("service") ?? "", scopes, password ? (f.get("username") ?? "") : undefined, password ? (f.get("password") ?? "") : undefined);
      });
      return;
    }
    res.writeHead(405).end();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    realm: `${url}/token`,
    url,
    port,
    issuer,
    certPath,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
