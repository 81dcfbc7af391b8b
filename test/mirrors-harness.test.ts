// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The shared real-registry harness (test/helpers/{distribution,token-server,oci-image}.ts) against
// Debian's distribution and skopeo: token auth, least-privilege users, single and multi-arch images;
// and the mirror-pod helper's PKI (checked with openssl) and real-path installs.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { installAtRealPaths, makeTestPki } from "./helpers/mirror-pod";
import { buildOciImage, pushImage, run, sha256, skopeo, tarFiles } from "./helpers/oci-image";
import { parseScope, startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

describe("oci-image (pure)", () => {
  it("writes a valid ustar archive with a correct checksum", () => {
    const tar = tarFiles({ "a.txt": "hi\n" });
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(257, 262).toString()).toBe("ustar");
    const header = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString(), 8);
    header.fill(" ", 148, 156);
    expect(stored).toBe(header.reduce((s, b) => s + b, 0));
    expect(tar.subarray(512, 515).toString()).toBe("hi\n");
  });

  it("is deterministic and gives an index for several platforms", () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "oci-"));
    try {
      const a = buildOciImage(path.join(base, "a"), { tag: "v1" });
      const b = buildOciImage(path.join(base, "b"), { tag: "v1" });
      expect(a.digest).toBe(b.digest);
      expect(a.digest).toBe(sha256(fs.readFileSync(path.join(a.dir, "blobs", "sha256", a.digest.slice(7)))));
      const multi = buildOciImage(path.join(base, "m"), {
        tag: "v1",
        platforms: [
          { os: "linux", architecture: "amd64" },
          { os: "linux", architecture: "arm64", variant: "v8" },
        ],
      });
      expect(multi.mediaType).toBe("application/vnd.oci.image.index.v1+json");
      expect(multi.manifests.map((m) => m.platform?.architecture)).toEqual(["amd64", "arm64"]);
      expect(new Set(multi.manifests.map((m) => m.digest)).size).toBe(2);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("parses scopes, including port-qualified names", () => {
    expect(parseScope("repository:127.0.0.1:5000/x:pull,push")).toEqual({ type: "repository", name: "127.0.0.1:5000/x", actions: ["pull", "push"] });
    expect(parseScope("bogus")).toBeUndefined();
  });
});

describe("distribution behind the token server", () => {
  let dir: string;
  let ts: TokenServer;
  let reg: RunningDistribution;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "harness-"));
    ts = await startTokenServer({ dir, users: { pusher: { password: "push-pw" }, reader: { password: "read-pw", actions: ["pull"] } } });
    reg = await startDistribution({ name: "upstream", dir, config: { auth: tokenAuthConfig(ts, "upstream") } });
  });
  afterAll(async () => {
    await stopAllDistributions();
    await ts?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("listens on loopback and challenges anonymous clients with the token realm", async () => {
    expect(reg.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const res = await fetch(`${reg.url}/v2/`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain(`realm="${ts.realm}"`);
  });

  it("accepts a push and a multi-arch push, and serves the same digests back", async () => {
    const single = buildOciImage(path.join(dir, "img"), { tag: "v1" });
    await pushImage(single, `${reg.address}/library/hello:v1`, { username: "pusher", password: "push-pw" });
    const multi = buildOciImage(path.join(dir, "img-multi"), {
      tag: "v2",
      platforms: [
        { os: "linux", architecture: "amd64" },
        { os: "linux", architecture: "arm64" },
      ],
    });
    await pushImage(multi, `${reg.address}/library/hello:v2`, { username: "pusher", password: "push-pw" });

    const inspect = async (ref: string, raw = false) =>
      (await skopeo(["inspect", ...(raw ? ["--raw"] : []), "--tls-verify=false", "--no-tags", "--creds", "reader:read-pw", `docker://${reg.address}/${ref}`])).stdout;
    expect((JSON.parse(await inspect("library/hello:v1")) as { Digest: string }).Digest).toBe(single.digest);
    const index = JSON.parse(await inspect("library/hello:v2", true)) as { manifests: { digest: string }[] };
    expect(sha256(await inspect("library/hello:v2", true))).toBe(multi.digest);
    expect(index.manifests.map((m) => m.digest)).toEqual(multi.manifests.map((m) => m.digest));
    expect(ts.requests.some((r) => r.method === "GET" && r.subject === "reader")).toBe(true);
  });

  it("refuses a wrong password and a push by a pull-only user", async () => {
    const img = buildOciImage(path.join(dir, "img"), { tag: "v1" });
    await expect(pushImage(img, `${reg.address}/library/denied:v1`, { username: "reader", password: "read-pw" })).rejects.toThrow(/skopeo copy failed/);
    const bad = await run("skopeo", ["inspect", "--tls-verify=false", "--no-tags", "--creds", "reader:wrong", `docker://${reg.address}/library/hello:v1`], 30_000);
    expect(bad.code).not.toBe(0);
    expect(ts.requests.some((r) => r.subject === "!reader")).toBe(true);
  });

  it("answers the OAuth2 POST form the way containerd sends it", async () => {
    const form = new URLSearchParams({ grant_type: "password", username: "reader", password: "read-pw", service: "upstream", scope: "repository:library/hello:pull,push" });
    const res = await fetch(ts.realm, { method: "POST", body: form });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    const claims = JSON.parse(Buffer.from(access_token.split(".")[1]!, "base64url").toString()) as { access: { actions: string[] }[] };
    expect(claims.access[0]?.actions).toEqual(["pull"]);
  });

  it("reports a distribution that cannot start instead of waiting forever", async () => {
    const closed = await startDistribution({ name: "tmp", dir });
    const port = closed.port;
    await closed.stop();
    await expect(startDistribution({ name: "proxy-down", dir, config: { proxy: { remoteurl: `http://127.0.0.1:${port}` } }, readyTimeoutMs: 5000 })).rejects.toThrow(
      /proxy-down did not start.*\n?.*panic/s,
    );
  });
});

describe("mirror-pod helper: the test PKI and real-path installs", () => {
  let pkiDir: string;
  beforeAll(() => {
    pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-pki-"));
  });
  afterAll(() => fs.rmSync(pkiDir, { recursive: true, force: true }));

  it("issues certificates shaped like pki.ts: a CA, a server cert for the addresses (serverAuth), a client cert (clientAuth)", async () => {
    const pki = makeTestPki(pkiDir, ["127.0.0.1", "mirror.test"]);
    for (const [f, pem] of Object.entries({ "ca.pem": pki.caCertPem, "server.pem": pki.serverCertPem, "client.pem": pki.clientCertPem })) fs.writeFileSync(path.join(pkiDir, f), pem);
    const verify = (cert: string, purpose: string) => run("openssl", ["verify", "-CAfile", path.join(pkiDir, "ca.pem"), "-purpose", purpose, path.join(pkiDir, cert)], 10_000);
    expect((await verify("server.pem", "sslserver")).code).toBe(0);
    expect((await verify("client.pem", "sslclient")).code).toBe(0);
    // A client certificate is not a server certificate, and vice versa.
    expect((await verify("client.pem", "sslserver")).code).not.toBe(0);
    expect((await verify("server.pem", "sslclient")).code).not.toBe(0);
    const text = await run("openssl", ["x509", "-noout", "-ext", "subjectAltName", "-in", path.join(pkiDir, "server.pem")], 10_000);
    expect(text.stdout).toMatch(/IP Address:127\.0\.0\.1, DNS:mirror\.test/);
    expect(pki.serverKeyPem).toMatch(/PRIVATE KEY/);
  });

  it("removes exactly the files and directories it created", () => {
    const base = path.join(pkiDir, "root");
    fs.mkdirSync(path.join(base, "keep"), { recursive: true });
    fs.writeFileSync(path.join(base, "keep", "other"), "x");
    const remove = installAtRealPaths([
      { role: "node", path: path.join(base, "keep", "mine.crt"), mode: "0644", anchor: base, secret: false, content: "a" },
      { role: "node", path: path.join(base, "new", "deep", "client.key"), mode: "0600", anchor: base, secret: true, content: "b" },
    ]);
    expect((fs.statSync(path.join(base, "new", "deep", "client.key")).mode & 0o777).toString(8)).toBe("600");
    remove();
    expect(fs.readdirSync(base)).toEqual(["keep"]);
    expect(fs.readdirSync(path.join(base, "keep"))).toEqual(["other"]);
  });
});
