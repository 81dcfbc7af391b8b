// test-group: waits (it waits out 8-second token lifetimes; nothing in it is timed tighter than that).
// Token refresher against the ECR stand-in (issue 19 part 2/3): the stand-in is as strict as ECR
// (SigV4 recomputed with the SDK's signer, expiring tokens, a real registry behind a front that
// takes only unexpired tokens), and the refresher mints with @aws-sdk/client-ecr, keeps the old
// credential when it cannot mint, and reports the remaining lifetime.
import { ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import { SignatureV4 } from "@smithy/signature-v4";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { needsRefresh, statusLine, tokenStatus } from "../components/refresher/decide";
import { mintEcr } from "../components/refresher/mint";
import { DirectoryTokenStore, refreshOnce } from "../components/refresher/run";
import { NodeSha256, startEcrStandIn, type EcrStandIn } from "./ecr-emulator/server";
import { buildOciImage, run } from "./helpers/oci-image";
import { exchangeTokens } from "../infra/verify/token-exchange";
import { RegistryClient } from "../infra/verify/registry-client";
import { verifyInputFromOutputs } from "../infra/verify/stack-outputs";

const ACCOUNT = "493817264501";
const REGION = "eu-central-1";
const PULL = { accessKeyId: "AKIAPULLKEY000000001", secretAccessKey: "pull-secret-0123456789abcdefghijklmnopqrs", actions: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"] };
const NOPRIV = { accessKeyId: "AKIANOPRIV0000000002", secretAccessKey: "nopriv-secret-0123456789abcdefghijklmnopq", actions: ["ecr:BatchGetImage"] };
const LIFETIME_MS = 8000;

let dir: string;
let ecr: EcrStandIn;
const target = (extra: Partial<Parameters<typeof mintEcr>[0]> = {}) => ({ region: REGION, registryId: ACCOUNT, endpoint: ecr.apiUrl, credentials: { accessKeyId: PULL.accessKeyId, secretAccessKey: PULL.secretAccessKey }, ...extra });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ecr-standin-"));
  ecr = await startEcrStandIn({ dir: path.join(dir, "ecr"), accountId: ACCOUNT, region: REGION, keys: [PULL, NOPRIV], tokenLifetimeMs: LIFETIME_MS });
}, 30_000);
afterAll(async () => {
  await ecr?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** skopeo against the front with a docker credential; bounded. */
const skopeo = (args: string[]) => run("skopeo", args, 30_000);

describe("ECR stand-in (as strict as ECR)", () => {
  it("answers the SDK's GetAuthorizationToken with an AWS:<password> token, an expiry and the proxyEndpoint", async () => {
    const client = new ECRClient({ region: REGION, endpoint: ecr.apiUrl, credentials: PULL });
    const out = await client.send(new GetAuthorizationTokenCommand({ registryIds: [ACCOUNT] }));
    client.destroy();
    const d = out.authorizationData![0]!;
    expect(Buffer.from(d.authorizationToken!, "base64").toString()).toMatch(/^AWS:.{20,}$/);
    expect(d.proxyEndpoint).toBe(`https://${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`);
    expect(d.expiresAt!.getTime()).toBeGreaterThan(Date.now());
  });

  it("verifies the signature: a wrong secret, an unknown key, a tampered body and a missing right are refused", async () => {
    await expect(mintEcr(target({ credentials: { accessKeyId: PULL.accessKeyId, secretAccessKey: "wrong" } }))).rejects.toThrow(/InvalidSignatureException/);
    await expect(mintEcr(target({ credentials: { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x" } }))).rejects.toThrow(/UnrecognizedClientException/);
    await expect(mintEcr(target({ credentials: NOPRIV }))).rejects.toThrow(/AccessDeniedException/);
    await expect(mintEcr(target({ registryId: "111111111112" }))).rejects.toThrow(/AccessDeniedException/);

    // Sign a request correctly with the SDK's signer, then change one byte of the body.
    const url = new URL(ecr.apiUrl);
    const signer = new SignatureV4({ credentials: PULL, region: REGION, service: "ecr", sha256: NodeSha256 });
    const body = JSON.stringify({ registryIds: [ACCOUNT] });
    const headers = { host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken" };
    const signed = await signer.sign({ method: "POST", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/", query: {}, headers, body });
    const send = (b: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers: signed.headers }, (res) => {
          let t = "";
          res.on("data", (c: Buffer) => (t += c.toString()));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: t }));
        });
        req.on("error", reject);
        req.end(b);
      });
    const control = await send(body);
    expect(control.body).toContain("authorizationData");
    expect(control.status).toBe(200); // the control: the untampered request passes
    const tampered = await send(body.replace(ACCOUNT, "493817264502"));
    expect(tampered.status).toBe(400);
    expect(JSON.parse(tampered.body).__type).toBe("InvalidSignatureException");
  });

  it("the registry behind takes only unexpired tokens; the real registry refuses anyone who goes around the front", async () => {
    const t = await mintEcr(target());
    const img = buildOciImage(path.join(dir, "img"), { tag: "v1" });
    const creds = `--dest-creds=${t.username}:${t.password}`;
    const push = await skopeo(["copy", "--dest-tls-verify=false", creds, img.ref, `docker://${ecr.registryAddress}/harbor-backup/library/app:v1`]);
    expect([push.code, push.stderr]).toEqual([0, ""]);
    const inspect = (c: string, at = ecr.registryAddress) => skopeo(["inspect", "--raw", "--tls-verify=false", `--creds=${c}`, `docker://${at}/harbor-backup/library/app:v1`]);
    expect((await inspect(`${t.username}:${t.password}`)).code).toBe(0);
    expect((await inspect(`AWS:not-a-token`)).code).not.toBe(0);
    expect((await inspect(`${t.username}:${t.password}`, ecr.backend.address)).code).not.toBe(0);
    // Wait (bounded) until this token has expired: then it is refused.
    await sleep(Math.max(0, t.expiresAt - Date.now()) + 200);
    const late = await inspect(`${t.username}:${t.password}`);
    expect(late.code).not.toBe(0);
    expect(late.stderr).toMatch(/denied: Your authorization token has expired/);
  }, 60_000);
});

describe("npm run verify reads ECR with its pull identity, minting a token itself", () => {
  it("exchanges the pull access key for a docker token and reads the backup; the push key is not used to read", async () => {
    const t = await mintEcr(target());
    const img = buildOciImage(path.join(dir, "img2"), { tag: "v2" });
    const push = await skopeo(["copy", "--dest-tls-verify=false", `--dest-creds=AWS:${t.password}`, img.ref, `docker://${ecr.registryAddress}/harbor-backup/library/verify:v2`]);
    expect([push.code, push.stderr]).toEqual([0, ""]);
    const input = verifyInputFromOutputs({
      harborUrl: "https://harbor.test.example.com",
      harborAdminUsername: "admin",
      harborAdminPassword: "x",
      harborProjects: ["library"],
      registries: [{ name: "ecr-fra", kind: "ecr", host: ecr.registryAddress, pathPrefix: "harbor-backup", url: ecr.registryUrl, keepsProjectPath: true, tokenMint: { kind: "ecr", region: REGION, registryId: ACCOUNT } }],
      registryCredentials: { "ecr-fra": { push: { username: "AKIAPUSHKEY000000003", password: "push-secret" }, pull: { username: PULL.accessKeyId, password: PULL.secretAccessKey } } },
    });
    // Without the exchange the access key is no docker password: the registry refuses it.
    const raw = new RegistryClient({ name: "ecr-fra", baseUrl: ecr.registryUrl, username: input.backups[0]!.username, password: input.backups[0]!.password });
    await expect(raw.tags("harbor-backup/library/verify")).rejects.toThrow();
    const before = ecr.minted.length;
    const ready = await exchangeTokens(input, { endpoint: ecr.apiUrl });
    expect(ecr.minted.length).toBe(before + 1);
    expect(ecr.minted.at(-1)!.accessKeyId).toBe(PULL.accessKeyId);
    const b = ready.backups[0]!;
    expect([b.readIdentity, b.username, b.pushUsername]).toEqual(["pull", "AWS", undefined]);
    const client = new RegistryClient({ name: "ecr-fra", baseUrl: b.baseUrl, username: b.username, password: b.password });
    expect(await client.tags("harbor-backup/library/verify")).toEqual(["v2"]);
  }, 60_000);
});

describe("refresher", () => {
  it("refreshes past half-life only, mints with the SDK, and writes user AWS with the token", async () => {
    const store = new DirectoryTokenStore(path.join(dir, "store1"));
    const targets = [{ backup: "ecr-fra", mint: () => mintEcr(target()) }];
    const first = await refreshOnce(targets, store);
    expect(first.map((s) => s.state)).toEqual(["refreshed"]);
    const held = (await store.read("ecr-fra"))!;
    expect(held.username).toBe("AWS");
    expect(ecr.minted.some((m) => m.password === held.password)).toBe(true);
    const n = ecr.minted.length;
    expect((await refreshOnce(targets, store)).map((s) => s.state)).toEqual(["fresh"]);
    expect(ecr.minted.length).toBe(n); // no mint before half-life
    const file = path.join(dir, "store1", "ecr-fra");
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // The token file format the writer and the mirror's supervisor read with sed.
    expect(fs.readFileSync(file, "utf8")).toBe(`username=AWS\npassword=${held.password}\nissued=${held.issuedAt}\nexpires=${held.expiresAt}\n`);
  });

  it("an API outage keeps the old credential (never empty), reports it stale with its remaining lifetime, then expired", async () => {
    const store = new DirectoryTokenStore(path.join(dir, "store2"));
    const targets = [{ backup: "ecr-fra", mint: () => mintEcr(target()) }];
    await refreshOnce(targets, store);
    const before = (await store.read("ecr-fra"))!;
    ecr.setApiDown(true);
    try {
      await sleep(LIFETIME_MS / 2 + 100); // past half-life: a refresh is due
      const stale = await refreshOnce(targets, store);
      expect(stale[0]).toMatchObject({ backup: "ecr-fra", state: "stale" });
      expect(stale[0]!.remainingSeconds).toBeLessThanOrEqual(LIFETIME_MS / 2000);
      expect(stale[0]!.error).toMatch(/ServiceUnavailableException/);
      expect(statusLine(stale[0]!)).toMatch(/^STATUS token backup=ecr-fra state=stale remaining=\d+s expires=\S+ error=/);
      expect(await store.read("ecr-fra")).toEqual(before);
      await sleep(Math.max(0, before.expiresAt - Date.now()) + 100);
      const expired = await refreshOnce(targets, store);
      expect(expired[0]).toMatchObject({ state: "expired", remainingSeconds: 0 });
      expect(await store.read("ecr-fra")).toEqual(before); // still the old one, not an empty one
    } finally {
      ecr.setApiDown(false);
    }
    expect((await refreshOnce(targets, store))[0]!.state).toBe("refreshed");
  }, 30_000);

  it("never writes an unusable mint (empty password or already expired)", async () => {
    const store = new DirectoryTokenStore(path.join(dir, "store3"));
    const now = Date.now();
    const out = await refreshOnce([{ backup: "b", mint: () => Promise.resolve({ username: "AWS", password: "", issuedAt: now, expiresAt: now + 1000 }) }], store);
    expect(out[0]).toMatchObject({ state: "missing" });
    expect(out[0]!.error).toContain("not written");
    expect(await store.read("b")).toBeUndefined();
  });

  it("decisions (pure)", () => {
    const t = { username: "AWS", password: "p", issuedAt: 0, expiresAt: 12 * 3600_000 };
    expect(needsRefresh(undefined, 0)).toBe(true);
    expect(needsRefresh(t, 6 * 3600_000 - 1)).toBe(false);
    expect(needsRefresh(t, 6 * 3600_000)).toBe(true);
    expect(tokenStatus("x", t, 11 * 3600_000, "kept")).toEqual({ backup: "x", state: "fresh", remainingSeconds: 3600, expiresAt: new Date(t.expiresAt).toISOString() });
  });
});
