// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The token relay (components/mirrors/token-relay.cjs), run as its static pod container runs it
// (node, the rendered script, its env) against real registries: distribution with htpasswd (Basic,
// as ECR challenges) and distribution behind a token server (Bearer, as Alibaba ACR does).
// Why the relay exists is proven by the drill's mirror (test/token-refresher-drill.test.ts):
// distribution's proxy sends its credential only to Bearer realms (registry/proxy/proxyauth.go).
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELAY_SCRIPT, RELAY_USER } from "../components/mirrors/staticPods";
import { freePort, startDistribution, stopAllDistributions, waitForHttp, type RunningDistribution } from "./helpers/distribution";
import { buildOciImage, pushImage } from "./helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

const SECRET = "relay-secret-0123456789abcdef0123456789";
let dir: string;
let basicReg: RunningDistribution;
let bearerReg: RunningDistribution;
let ts: TokenServer;
const relays: ChildProcess[] = [];

async function startRelay(upstream: string, tokenFile: string): Promise<string> {
  const port = await freePort();
  const script = path.join(dir, "token-relay.cjs");
  fs.writeFileSync(script, RELAY_SCRIPT);
  const secretFile = path.join(dir, `secret-${port}`);
  fs.writeFileSync(secretFile, `${SECRET}\n`, { mode: 0o600 });
  const child = spawn(process.execPath, [script], { env: { LISTEN_PORT: String(port), UPSTREAM_URL: upstream, CREDENTIAL_FILE: tokenFile, RELAY_SECRET_FILE: secretFile }, stdio: "ignore" });
  relays.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`, { statuses: [200], alive: () => child.exitCode === null });
  return `http://127.0.0.1:${port}`;
}

/** distribution's proxy side of the relay: the token for the relay secret, then a request with it. */
async function viaRelay(relay: string, p: string, method = "GET"): Promise<Response> {
  const t = await fetch(`${relay}/token?service=registry-topology-relay&scope=repository:x:pull`, { headers: { authorization: `Basic ${Buffer.from(`${RELAY_USER}:${SECRET}`).toString("base64")}` } });
  expect(t.status).toBe(200);
  const { token } = (await t.json()) as { token: string };
  return fetch(`${relay}${p}`, { method, headers: { authorization: `Bearer ${token}`, accept: "application/vnd.oci.image.manifest.v1+json" }, signal: AbortSignal.timeout(10_000) });
}

const tokenFile = (f: string, user: string, password: string) => fs.writeFileSync(f, `username=${user}\npassword=${password}\nissued=1\nexpires=${Date.now() + 3600_000}\n`, { mode: 0o600 });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-relay-"));
  const htpasswd = path.join(dir, "htpasswd");
  fs.writeFileSync(htpasswd, `AWS:${bcrypt.hashSync("token-one", 5)}\n`);
  basicReg = await startDistribution({ name: "basic", dir, config: { version: 0.1, auth: { htpasswd: { realm: "basic", path: htpasswd } } } });
  ts = await startTokenServer({ dir: path.join(dir, "ts"), users: { "cr_temp_user": { password: "acr-temp-token", actions: ["pull", "push"] } } });
  bearerReg = await startDistribution({ name: "bearer", dir, config: { version: 0.1, auth: tokenAuthConfig(ts, "registry.aliyuncs.com") } });
  const img = buildOciImage(path.join(dir, "img"), { tag: "v1" });
  await pushImage(img, `${basicReg.address}/ns/app:v1`, { username: "AWS", password: "token-one" });
  await pushImage(img, `${bearerReg.address}/ns/app:v1`, { username: "cr_temp_user", password: "acr-temp-token" });
}, 60_000);

afterAll(async () => {
  for (const r of relays) r.kill("SIGKILL");
  await ts?.stop();
  await stopAllDistributions();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("token relay", () => {
  it("lets only the holder of the relay secret through: no token, a wrong secret, a forged bearer are refused", async () => {
    const f = path.join(dir, "token-a");
    tokenFile(f, "AWS", "token-one");
    const relay = await startRelay(basicReg.url, f);
    const anon = await fetch(`${relay}/v2/ns/app/manifests/v1`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get("www-authenticate")).toBe(`Bearer realm="${relay}/token",service="registry-topology-relay"`);
    const wrong = await fetch(`${relay}/token`, { headers: { authorization: `Basic ${Buffer.from(`${RELAY_USER}:nope`).toString("base64")}` } });
    expect(wrong.status).toBe(401);
    const forged = await fetch(`${relay}/v2/ns/app/manifests/v1`, { headers: { authorization: "Bearer forged" } });
    expect(forged.status).toBe(401);
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1")).status).toBe(200);
  });

  it("Basic upstream (ECR's scheme): reads the token file at every request, so a new token works at once and a wrong one is refused", async () => {
    const f = path.join(dir, "token-b");
    tokenFile(f, "AWS", "stale-token");
    const relay = await startRelay(basicReg.url, f);
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1")).status).toBe(401);
    tokenFile(f, "AWS", "token-one"); // the writer delivers the refresher's new token
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1")).status).toBe(200);
    fs.rmSync(f);
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1")).status).toBe(401); // no token: anonymous, refused
  });

  it("Bearer upstream (Alibaba ACR's scheme): fetches a registry token with the token file's user, per credential", async () => {
    const f = path.join(dir, "token-c");
    tokenFile(f, "cr_temp_user", "acr-temp-token");
    const relay = await startRelay(bearerReg.url, f);
    const before = ts.requests.length;
    const r = await viaRelay(relay, "/v2/ns/app/manifests/v1");
    expect(r.status).toBe(200);
    expect(ts.requests.slice(before).map((q) => [q.subject, q.scopes])).toEqual([["cr_temp_user", ["repository:ns/app:pull"]]]);
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1", "HEAD")).status).toBe(200);
    expect(ts.requests.length).toBe(before + 1); // cached for its lifetime
    tokenFile(f, "cr_temp_user", "revoked");
    expect((await viaRelay(relay, "/v2/ns/app/manifests/v1")).status).toBe(502); // the token service refuses the new credential
  });

  it("is read-only: a write never reaches the upstream", async () => {
    const f = path.join(dir, "token-d");
    tokenFile(f, "AWS", "token-one");
    const relay = await startRelay(basicReg.url, f);
    expect((await viaRelay(relay, "/v2/ns/app/blobs/uploads/", "POST")).status).toBe(405);
  });
});
