// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Cutting off a leaked node client key (issue 17): every node of a region presents the same
// client certificate and distribution has no revocation (only `http.tls.clientcas`), so the cut
// is a CA-key rotation: raising the region's `pkiGeneration` renames every PKI resource, so the
// next `up` creates a new CA key, CA and leaf keys (and deletes the old ones), and the mirrors
// trust only the new CA.
// - under Pulumi's mock runtime: generation 1 keeps the names stacks have; generation 2 shares no
//   PKI resource (key, CA, CSR, certificate) with generation 1, and its regions output reports the
//   new certificates' expiry;
// - with real processes: a mirror (rendered supervisor + Debian's distribution, rendered config)
//   serving the files of the rotated generation refuses the old client certificate at the TLS
//   handshake (curl with the leaked key and certificate), and accepts the new one; the static
//   pod's restart digest changes, so the kubelet restarts the mirror with the new CA.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRegionMirrors, type MirrorUpstream } from "../components/mirrors";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import { pkiName } from "../components/mirrors/pki";
import { planRegion, type RegionPlan } from "../components/mirrors/plan";
import { regionSchema } from "../infra/config/regions";
import { installMockRuntime, promiseOf, settle, type RecordedResource } from "../infra/offline/mockRuntime";
import { consecutiveFreePorts } from "./helpers/distribution";
import { makeTestPki, startMirrorPod, stopAllMirrorPods } from "./helpers/mirror-pod";
import type { MirrorTls } from "../components/mirrors/pki";

const TLS_TYPES = ["tls:index/privateKey:PrivateKey", "tls:index/selfSignedCert:SelfSignedCert", "tls:index/certRequest:CertRequest", "tls:index/locallySignedCert:LocallySignedCert"];

describe("pkiGeneration under mocks: a new generation is a new CA key and new keys", () => {
  let resources: RecordedResource[];
  let summaries: ReturnType<typeof createRegionMirrors>;

  beforeAll(async () => {
    resources = await installMockRuntime("registry-topology", "test");
    const root = new pulumi.ComponentResource("test:index:Root", "root");
    const region = (name: string, pkiGeneration?: number) =>
      regionSchema.parse({ name, mirrorNodes: { nodeSelector: { m: "1" } }, mirrorAddresses: ["10.1.0.11"], runtimes: ["containerd"], ...(pkiGeneration ? { pkiGeneration } : {}) });
    const up: MirrorUpstream = {
      endpoint: { name: "harbor", kind: "harbor", host: pulumi.output("harbor.example.com"), url: pulumi.output("https://harbor.example.com"), pathPrefix: pulumi.output(""), insecure: false, keepsProjectPath: true },
      pull: { username: "robot$mirror", password: pulumi.secret("pw-0123456789") },
    };
    // Same region twice under different component names: once at generation 1, once rotated.
    summaries = createRegionMirrors([region("one"), region("two", 2)], [up], root, { host: pulumi.output("harbor.example.com"), url: pulumi.output("https://harbor.example.com"), projects: ["library"] });
    await Promise.all(summaries.map((s) => promiseOf(s.certificates)));
    await settle();
  });

  const tlsNames = (component: string) => resources.filter((r) => TLS_TYPES.includes(r.type) && r.name.startsWith(`${component}-`)).map((r) => `${r.type} ${r.name.slice(component.length)}`);

  it("generation 1 keeps the resource names existing stacks have; generation 2 renames every one of them", () => {
    expect(regionSchema.parse({ name: "x", mirrorNodes: { nodeSelector: { m: "1" } }, mirrorAddresses: ["10.1.0.11"], runtimes: ["crio"] }).pkiGeneration).toBe(1);
    const one = tlsNames("mirrors-one");
    expect(one.sort()).toEqual(
      [
        "tls:index/privateKey:PrivateKey -ca-key",
        "tls:index/privateKey:PrivateKey -server-key",
        "tls:index/privateKey:PrivateKey -client-key",
        "tls:index/selfSignedCert:SelfSignedCert -ca",
        "tls:index/certRequest:CertRequest -server-csr",
        "tls:index/certRequest:CertRequest -client-csr",
        "tls:index/locallySignedCert:LocallySignedCert -server-cert",
        "tls:index/locallySignedCert:LocallySignedCert -client-cert",
      ].sort(),
    );
    // Generation 2: the same eight resources, every one under a new name (a create + delete on `up`).
    const two = tlsNames("mirrors-two");
    expect(two.map((n) => n.replace(" -g2-", " -")).sort()).toEqual(one.sort());
    expect(two.every((n) => n.includes(" -g2-"))).toBe(true);
    expect(pkiName("mirrors-eu", 1)).toBe("mirrors-eu");
    expect(pkiName("mirrors-eu", 3)).toBe("mirrors-eu-g3");
    expect(() => pkiName("mirrors-eu", 0)).toThrow(/pkiGeneration: expected an integer >= 1/);
    expect(() => regionSchema.parse({ name: "x", mirrorNodes: { nodeSelector: { m: "1" } }, mirrorAddresses: ["10.1.0.11"], runtimes: ["crio"], pkiGeneration: 0 })).toThrow();
  });

  it("reports the expiry of the CA, server and client certificates for verify", async () => {
    const certs = await promiseOf(summaries[1]!.certificates);
    expect(certs.map((c) => c.certificate)).toEqual(["ca", "server", "client"]);
    const days = certs.map((c) => Math.round((Date.parse(c.notAfter) - Date.now()) / 86_400_000));
    expect(days).toEqual([3650, 90, 90]);
  });
});

describe("CA-key rotation against a real mirror (distribution, mTLS): the leaked client certificate is refused", () => {
  let dir: string;
  let upstream: http.Server;
  let plan: RegionPlan;
  let gen1: MirrorTls;
  let gen2: MirrorTls;
  const pw = { harbor: "pw" };
  const files = (tls: MirrorTls): NodeFile[] => [...secretNodeFiles(plan, pw, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, "rotation-test-key-0123")).files];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pki-rotation-"));
    upstream = http.createServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:1/token"' }).end());
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    plan = planRegion(
      { name: "rot", mirrorAddresses: ["127.0.0.1"], runtimes: ["containerd"], mirrorPortBase: await consecutiveFreePorts(2), dialTimeoutSeconds: 3 },
      { host: "harbor.invalid", url: "https://harbor.invalid", projects: ["library"], insecure: false },
      [{ name: "harbor", kind: "harbor", url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: "robot" }],
    );
    // Two generations as pki.ts makes them: each its own CA key, CA and leaf keys.
    gen1 = makeTestPki(dir, ["127.0.0.1"], "gen1");
    gen2 = makeTestPki(dir, ["127.0.0.1"], "gen2");
  }, 60_000);

  afterAll(async () => {
    await stopAllMirrorPods();
    await new Promise((r) => upstream?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** curl GET /v2/ with a client certificate; the HTTP status, or "000" when the TLS handshake is refused. */
  const curl = (port: number, ca: string, cert: string, key: string): string => {
    const d = fs.mkdtempSync(path.join(dir, "curl-"));
    const w = (n: string, c: string) => (fs.writeFileSync(path.join(d, n), c, { mode: 0o600 }), path.join(d, n));
    try {
      return execFileSync("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--cacert", w("ca", ca), "--cert", w("cert", cert), "--key", w("key", key), `https://127.0.0.1:${port}/v2/`], { encoding: "utf8", timeout: 10_000 });
    } catch (e) {
      return String((e as { stdout?: string }).stdout ?? "");
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  };

  it("before: the generation-1 client certificate pulls; after rotation it is refused at the handshake and the new one pulls", async () => {
    const port = plan.mirrors[0]!.port;
    const before = await startMirrorPod({ dir, plan, upstream: "harbor", files: files(gen1) });
    expect(curl(port, gen1.caCertPem, gen1.clientCertPem, gen1.clientKeyPem)).toBe("200");
    await before.stop();

    // The rotated files: the static pod manifest changes (restart digest), so the kubelet restarts the mirror.
    const podOf = (f: NodeFile[]) => f.find((x) => x.path.endsWith("/registry-mirror-harbor.yaml"))!.content;
    expect(podOf(files(gen2))).not.toBe(podOf(files(gen1)));
    await startMirrorPod({ dir, plan, upstream: "harbor", files: files(gen2) });
    // The leaked generation-1 key and certificate (verifying the server with the new CA, as a node would).
    expect(curl(port, gen2.caCertPem, gen1.clientCertPem, gen1.clientKeyPem)).toBe("000");
    expect(curl(port, gen2.caCertPem, gen2.clientCertPem, gen2.clientKeyPem)).toBe("200");
  }, 60_000);
});
