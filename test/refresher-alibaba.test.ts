// Alibaba ACR Enterprise Edition temporary tokens minted with @alicloud/pop-core against a stand-in
// that verifies the RPC signature the way pop-core signs it; the refresher keeps the old token on
// failure, as for ECR.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintAlibaba } from "../components/refresher/mintAlibaba";
import { DirectoryTokenStore, refreshOnce } from "../components/refresher/run";
import { createHash, createHmac } from "node:crypto";
import { roaStringToSign, rpcSignature, startAlibabaStandIn, type AlibabaStandIn } from "./alibaba-emulator/server";

const PULL = { accessKeyId: "LTAI5tPullKey0000000001", accessKeySecret: "pullsecret0123456789abcdefghij", actions: ["cr:GetAuthorizationToken", "cr:PullRepository"] };
const NOPRIV = { accessKeyId: "LTAI5tNoPriv00000000002", accessKeySecret: "noprivsecret0123456789abcdefgh", actions: ["cr:PullRepository"] };
const INSTANCE = "cri-x7k2m9p4q1";
let ali: AlibabaStandIn;
let dir: string;
const target = (extra: Partial<Parameters<typeof mintAlibaba>[0]> = {}) => ({ region: "eu-central-1", instanceId: INSTANCE, accessKeyId: PULL.accessKeyId, accessKeySecret: PULL.accessKeySecret, endpoint: ali.url, ...extra });

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ali-standin-"));
  ali = await startAlibabaStandIn({ keys: [PULL, NOPRIV], instanceId: INSTANCE, tokenLifetimeMs: 3000 });
});
afterAll(async () => {
  await ali?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("Alibaba GetAuthorizationToken stand-in", () => {
  it("pop-core's signed request gets a temporary user and token with its expiry", async () => {
    const t = await mintAlibaba(target());
    expect(t.username).toBe("cr_temp_user");
    expect(ali.minted.at(-1)!.password).toBe(t.password);
    expect(t.expiresAt).toBeGreaterThan(Date.now());
  });

  it("refuses a wrong secret (signature recomputed), an unknown key, a key without the RAM right, another instance", async () => {
    await expect(mintAlibaba(target({ accessKeySecret: "wrong" }))).rejects.toThrow(/SignatureDoesNotMatch/);
    await expect(mintAlibaba(target({ accessKeyId: "LTAI5tUnknown0000000000" }))).rejects.toThrow(/InvalidAccessKeyId.NotFound/);
    await expect(mintAlibaba(target({ accessKeyId: NOPRIV.accessKeyId, accessKeySecret: NOPRIV.accessKeySecret }))).rejects.toThrow(/Forbidden.RAM/);
    await expect(mintAlibaba(target({ instanceId: "cri-other000000" }))).rejects.toThrow(/INSTANCE_NOT_EXIST/);
    // The error never carries the secret or the signed URL.
    const e = await mintAlibaba(target({ accessKeySecret: "wrong" })).catch((x: Error) => x);
    expect(String(e)).not.toContain("Signature=");
  });

  it("the signature check is the one pop-core computes (a known vector), and a replayed nonce is refused", async () => {
    // Alibaba's documented example: GET, AccessKeyId testid, secret testsecret, DescribeRegions.
    const params = { Format: "XML", AccessKeyId: "testid", Action: "DescribeRegions", SignatureMethod: "HMAC-SHA1", SignatureNonce: "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", SignatureVersion: "1.0", Timestamp: "2016-02-23T12:46:24Z", Version: "2014-05-26" };
    expect(rpcSignature("GET", params, "testsecret")).toBe("OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const p: Record<string, string> = { AccessKeyId: PULL.accessKeyId, Action: "GetAuthorizationToken", Format: "JSON", InstanceId: INSTANCE, SignatureMethod: "HMAC-SHA1", SignatureNonce: "fixed-nonce-1", SignatureVersion: "1.0", Timestamp: now, Version: "2018-12-01" };
    p.Signature = rpcSignature("POST", p, PULL.accessKeySecret);
    const post = () => fetch(`${ali.url}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(p).toString() }).then((r) => r.json() as Promise<Record<string, unknown>>);
    expect((await post()).GetAuthorizationTokenIsSuccess).toBe(true);
    expect((await post()).Code).toBe("SignatureNonceUsed");
  });

  it("Personal Edition (no instance): pop-core's ROA request gets a temporary token; wrong secret, unknown key and missing right are refused", async () => {
    const personal = (extra: Partial<Parameters<typeof mintAlibaba>[0]> = {}) => ({ ...target(), instanceId: undefined, ...extra });
    const t = await mintAlibaba(personal());
    expect(t.username).toBe("cr_temp_user");
    expect(ali.minted.at(-1)!.password).toBe(t.password);
    await expect(mintAlibaba(personal({ accessKeySecret: "wrong" }))).rejects.toThrow(/Personal Edition.*SignatureDoesNotMatch/);
    await expect(mintAlibaba(personal({ accessKeyId: "LTAI5tUnknown0000000000" }))).rejects.toThrow(/InvalidAccessKeyId.NotFound/);
    await expect(mintAlibaba(personal({ accessKeyId: NOPRIV.accessKeyId, accessKeySecret: NOPRIV.accessKeySecret }))).rejects.toThrow(/Forbidden.RAM/);
  });

  it("the ROA check covers the signed headers: a request signed right passes once, a changed x-acs header or a replay is refused", async () => {
    const headers: Record<string, string> = {
      accept: "application/json",
      date: new Date().toUTCString(),
      "content-md5": createHash("md5").update("").digest("base64"),
      "x-acs-signature-method": "HMAC-SHA1",
      "x-acs-signature-version": "1.0",
      "x-acs-signature-nonce": "roa-nonce-1",
      "x-acs-version": "2016-06-07",
    };
    const sign = (h: Record<string, string>) => `acs ${PULL.accessKeyId}:${createHmac("sha1", PULL.accessKeySecret).update(roaStringToSign("GET", h, "/tokens")).digest("base64")}`;
    const get = (h: Record<string, string>) => fetch(`${ali.url}/tokens`, { headers: h }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const tampered = await get({ ...headers, "x-acs-signature-nonce": "roa-nonce-2", authorization: sign(headers) });
    expect([tampered.status, tampered.body.Code]).toEqual([400, "SignatureDoesNotMatch"]);
    const ok = await get({ ...headers, authorization: sign(headers) });
    expect(ok.status).toBe(200);
    expect((ok.body.data as Record<string, unknown>).tempUserName).toBe("cr_temp_user");
    expect((await get({ ...headers, authorization: sign(headers) })).body.Code).toBe("SignatureNonceUsed");
  });

  it("the refresher keeps the old Alibaba token through an outage and reports it", async () => {
    const store = new DirectoryTokenStore(path.join(dir, "s"));
    const targets = [{ backup: "ali-ee", mint: () => mintAlibaba(target()) }];
    expect((await refreshOnce(targets, store))[0]!.state).toBe("refreshed");
    const held = await store.read("ali-ee");
    ali.setDown(true);
    try {
      await new Promise((r) => setTimeout(r, 1600));
      const s = (await refreshOnce(targets, store))[0]!;
      expect(s.state).toBe("stale");
      expect(s.error).toMatch(/ServiceUnavailable/);
      expect(await store.read("ali-ee")).toEqual(held);
    } finally {
      ali.setDown(false);
    }
  });
});
