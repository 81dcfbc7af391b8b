// registry-topology token relay: the second container of a token upstream's mirror static pod
// (ECR, Alibaba Enterprise; docs/token-refresher.md). Node.js, no package.
//
// Why it exists: distribution's proxy sends its configured credential only in answer to a Bearer
// challenge (registry/proxy/proxyauth.go getAuthURLs keeps Bearer realms only, v2.8.2 to main;
// distribution issues #3153, #4252), and ECR challenges with Basic: a distribution mirror pointed
// at ECR pulls anonymously and is refused. So the mirror's `proxy.remoteurl` is this relay on the
// node's loopback, which
// - challenges distribution with Bearer and hands it a token for the relay secret (the mirror's
//   proxy username/password, a per-region derived secret in files only root reads): nothing else on
//   the node can pull through it, even though it listens on the host network's loopback;
// - forwards each authorized request to the real upstream with `Authorization: Basic` of the token
//   the refresher minted, read from CREDENTIAL_FILE at every request: a new token is used at once,
//   no restart, no pull dropped; an upstream that challenges with Bearer instead (Alibaba ACR) gets
//   the token spec's dance: a token from its realm for that user and password, then the request;
// - passes answers through unchanged (a 307 to the blob store included: distribution follows it
//   directly, the presigned URL needs no credential).
// Env: LISTEN_PORT, UPSTREAM_URL (https://<registry>), CREDENTIAL_FILE (token file: username=,
// password= lines), RELAY_SECRET_FILE, UPSTREAM_INSECURE=1 (TLS verification off; only with
// allowInsecureUpstreams).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");

const PORT = Number(process.env.LISTEN_PORT);
const UPSTREAM = new URL(process.env.UPSTREAM_URL || "");
const CREDENTIAL_FILE = process.env.CREDENTIAL_FILE || "";
const SECRET_FILE = process.env.RELAY_SECRET_FILE || "";
const INSECURE = process.env.UPSTREAM_INSECURE === "1";
const USER = "registry-topology-relay";
const TIMEOUT_MS = 60_000;

if (!Number.isInteger(PORT) || PORT <= 0 || !/^https?:$/.test(UPSTREAM.protocol) || !CREDENTIAL_FILE || !SECRET_FILE) {
  console.error("token-relay: LISTEN_PORT, UPSTREAM_URL, CREDENTIAL_FILE and RELAY_SECRET_FILE are required");
  process.exit(2);
}

const log = (msg) => console.log(`${new Date().toISOString()} token-relay: ${msg}`);
const secret = () => fs.readFileSync(SECRET_FILE, "utf8").trim();
// The token distribution gets: derived from the secret, so it stays valid across a restart of
// either container (distribution caches it for expires_in and does not ask again on a 401).
const bearerFor = (s) => crypto.createHmac("sha256", s).update("registry-topology-relay-token").digest("base64url");
const equal = (a, b) => a.length === b.length && crypto.timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** The upstream credential: the token file's user and password, or undefined (then anonymous). */
function upstreamCredential() {
  let text;
  try {
    text = fs.readFileSync(CREDENTIAL_FILE, "utf8");
  } catch {
    return undefined;
  }
  const get = (k) => (text.match(new RegExp(`^${k}=(.+)$`, "m")) || [])[1];
  const username = get("username");
  const password = get("password");
  return username && password ? { username, password } : undefined;
}

function challenge(res, status = 401) {
  res.writeHead(status, {
    "www-authenticate": `Bearer realm="http://127.0.0.1:${PORT}/token",service="registry-topology-relay"`,
    "docker-distribution-api-version": "registry/2.0",
    "content-type": "application/json",
  });
  res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }));
}

/** GET /token with Basic auth of the relay secret: distribution's token fetch (auth/session.go). */
function token(req, res) {
  const h = req.headers.authorization || "";
  const given = h.startsWith("Basic ") ? Buffer.from(h.slice(6), "base64").toString("utf8") : "";
  let expected;
  try {
    expected = `${USER}:${secret()}`;
  } catch (e) {
    log(`cannot read ${SECRET_FILE}: ${e.message}`);
    res.writeHead(503).end();
    return;
  }
  if (!equal(given, expected)) {
    res.writeHead(401, { "www-authenticate": 'Basic realm="registry-topology-relay"' }).end();
    return;
  }
  const t = bearerFor(expected);
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify({ token: t, access_token: t, expires_in: 3600, issued_at: new Date().toISOString() }));
}

const HOP = new Set(["connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade", "host", "authorization"]);

// Connections to the registry are reused (a TLS handshake per blob would cost more than the blob).
const agents = { "https:": new https.Agent({ keepAlive: true, maxSockets: 32 }), "http:": new http.Agent({ keepAlive: true, maxSockets: 32 }) };

/** One upstream request; resolves with the answer (headers read, body not yet). */
function send(method, url, headers) {
  return new Promise((resolve, reject) => {
    const target = new URL(url, UPSTREAM);
    const l = target.protocol === "https:" ? https : http;
    const r = l.request(target, { method, headers: { ...headers, host: target.host }, rejectUnauthorized: !INSECURE, timeout: TIMEOUT_MS, agent: agents[target.protocol] }, resolve);
    r.on("timeout", () => r.destroy(new Error(`no answer from ${target.host} within ${TIMEOUT_MS / 1000} s`)));
    r.on("error", reject);
    r.end();
  });
}

/** `Bearer realm="...",service="...",scope="..."` -> its parameters, or undefined. */
function bearerChallenge(h) {
  const v = Array.isArray(h) ? h.find((x) => /^bearer /i.test(x)) : h;
  if (!v || !/^bearer /i.test(v)) return undefined;
  const p = {};
  for (const m of v.slice(7).matchAll(/(\w+)="([^"]*)"/g)) p[m[1].toLowerCase()] = m[2];
  return p.realm ? p : undefined;
}

// Bearer tokens of registries that challenge with Bearer (Alibaba ACR: its dockerauth service),
// fetched with the token file's user and password (distribution's token spec, GET with Basic),
// per scope and per credential: a new token file never reuses the old one's tokens.
const bearers = new Map();
async function bearerFor401(challengeParams, cred) {
  const key = `${crypto.createHash("sha256").update(`${cred.username}:${cred.password}`).digest("hex")}|${challengeParams.scope || ""}`;
  const hit = bearers.get(key);
  if (hit && hit.until > Date.now()) return hit.token;
  const u = new URL(challengeParams.realm);
  if (challengeParams.service) u.searchParams.set("service", challengeParams.service);
  if (challengeParams.scope) u.searchParams.set("scope", challengeParams.scope);
  const r = await send("GET", u.toString(), { authorization: `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}`, accept: "application/json" });
  const chunks = [];
  for await (const c of r) chunks.push(c);
  if (r.statusCode !== 200) throw new Error(`token service ${u.host} answered ${r.statusCode}`);
  const body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const token = body.token || body.access_token;
  if (!token) throw new Error(`token service ${u.host} gave no token`);
  // Renewed a little before it ends; at most 5 minutes (a new token file may come any time).
  const life = Math.min(Number(body.expires_in) || 60, 300);
  bearers.set(key, { token, until: Date.now() + Math.max(life - 10, 5) * 1000 });
  if (bearers.size > 500) bearers.delete(bearers.keys().next().value);
  return token;
}

async function forward(req, res) {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
  const cred = upstreamCredential();
  const basic = cred ? `Basic ${Buffer.from(`${cred.username}:${cred.password}`).toString("base64")}` : undefined;
  const method = req.method || "GET";
  // distribution's proxy only reads (GET/HEAD, no body): a request may be sent twice.
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { "content-type": "text/plain" }).end("token relay: read-only\n");
    return;
  }
  let r = await send(method, req.url || "/", basic ? { ...headers, authorization: basic } : headers);
  const ch = r.statusCode === 401 && cred ? bearerChallenge(r.headers["www-authenticate"]) : undefined;
  if (ch) {
    r.resume();
    r = await send(method, req.url || "/", { ...headers, authorization: `Bearer ${await bearerFor401(ch, cred)}` });
  }
  // An upstream that refuses the token is what an operator needs to see (not every 404).
  if (r.statusCode === 401 || r.statusCode === 403) log(`${UPSTREAM.host} answered ${r.statusCode} to ${method} ${(req.url || "").split("?")[0]}${cred ? "" : " (no token yet)"}: is the token refresher running?`);
  const out = {};
  for (const [k, v] of Object.entries(r.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
  res.writeHead(r.statusCode || 502, out);
  r.pipe(res);
  r.on("error", () => res.destroy());
}

function relay(req, res) {
  forward(req, res).catch((e) => {
    log(`${req.method} ${(req.url || "").split("?")[0]}: ${e.message}`);
    if (!res.headersSent) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`token relay: ${UPSTREAM.host}: ${e.message}\n`);
    } else res.destroy();
  });
}

const server = http.createServer((req, res) => {
  const path = (req.url || "/").split("?")[0];
  if (path === "/healthz") return res.writeHead(200).end("ok\n");
  if (path === "/token") return token(req, res);
  const h = req.headers.authorization || "";
  const bearer = h.startsWith("Bearer ") ? h.slice(7) : "";
  let want;
  try {
    want = bearerFor(`${USER}:${secret()}`);
  } catch {
    return res.writeHead(503).end();
  }
  if (!bearer || !equal(bearer, want)) return challenge(res);
  relay(req, res);
});
server.keepAliveTimeout = 65_000;
server.listen(PORT, "127.0.0.1", () => log(`listening on 127.0.0.1:${PORT}, relaying to ${UPSTREAM.origin}`));
const stop = () => server.close(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
