// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Certificate expiry made visible (issue 17, "Certificates that expire while nobody is looking"):
// - every node writer's STATUS line carries the days left of the certificates its node holds,
//   computed by writer.sh itself (busybox awk, no openssl in the writer image), checked against
//   openssl's own notAfter for real certificates (ECDSA and RSA, UTCTime and GeneralizedTime);
// - the DaemonSet env names those certificates for both roles (from the rendered node files);
// - `npm run verify` fails when a mirror certificate in the stack outputs has < 21 days left.
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CERT_MIN_DAYS } from "../components/mirrors/certPolicy";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import { planRegion } from "../components/mirrors/plan";
import { certExpiryEnv, writerDaemonSetSpec } from "../components/mirrors/writer";
import { checkCertificates, daysLeft, formatCertificateReport } from "../infra/verify/certificates";
import { makeTestPki } from "./helpers/mirror-pod";
import { busyboxPath, runWriter, writeSources } from "./helpers/writer-host";


/** A self-signed certificate valid for `days` (openssl), PEM. */
function cert(dir: string, name: string, days: number, keyArgs: string[]): string {
  execFileSync("openssl", ["req", "-x509", "-newkey", ...keyArgs, "-nodes", "-keyout", path.join(dir, `${name}.key`), "-out", path.join(dir, `${name}.crt`), "-days", String(days), "-subj", `/O=registry-topology/CN=${name}`], { stdio: "ignore", timeout: 20_000 });
  return fs.readFileSync(path.join(dir, `${name}.crt`), "utf8");
}

/** Whole days left as the writer should compute them: from the certificate itself (Node's X509). */
const expectedDays = (pem: string, nowMs: number) => Math.floor((Date.parse(new crypto.X509Certificate(pem).validTo) - nowMs) / 86_400_000);

describe("writer.sh STATUS: days to expiry of the node's certificates (busybox, fake host root)", () => {
  let base: string;
  let bb: string;
  let host: string;
  const pems: Record<string, string> = {};

  beforeAll(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "cert-expiry-"));
    host = path.join(base, "host");
    bb = busyboxPath(base);
    for (const d of ["etc/containerd", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    const ec = ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
    pems.client = cert(base, "client", 12, ec); // under 21 days: warned
    pems.ca = cert(base, "ca", 3650, ec);
    pems.long = cert(base, "long", 12_000, ["rsa:2048"]); // past 2049: GeneralizedTime
    pems.rsa = cert(base, "rsa", 45, ["rsa:2048"]);
    // openssl stamps notAfter in whole seconds from now; a writer run in that same second would see
    // exactly N days left (12, not 11). Step past the second so the counts below are N-1, always.
    await new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));
  });
  afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

  const runOnce = async (files: NodeFile[], certFiles: string) => {
    const src = path.join(base, "files");
    writeSources(src, files);
    const env = { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/t.managed", RUN_ONCE: "1", NODE_NAME: "node-a", CERT_FILES: certFiles, CERT_WARN_DAYS: String(CERT_MIN_DAYS) };
    const at = Date.now();
    return { ...(await runWriter(base, { env, timeoutMs: 20_000 })), at };
  };
  const f = (p: string, content: string): NodeFile => ({ role: "node", path: p, mode: "0644", anchor: "/etc/containerd", secret: false, content, apply: "replace" });

  it("reports cert-<name>-days for each certificate it delivers, equal to the certificate's own notAfter, and warns under 21 days", async () => {
    const files = [f("/etc/containerd/certs.d/h/client.cert", pems.client!), f("/etc/containerd/certs.d/h/ca.crt", pems.ca!), f("/etc/containerd/certs.d/h/long.crt", pems.long!), f("/etc/containerd/certs.d/h/rsa.crt", pems.rsa!)];
    const r = await runOnce(files, "client=/etc/containerd/certs.d/h/client.cert ca=/etc/containerd/certs.d/h/ca.crt long=/etc/containerd/certs.d/h/long.crt rsa=/etc/containerd/certs.d/h/rsa.crt");
    expect(r.code, r.out).toBe(0);
    const status = r.out.split("\n").find((l) => l.includes("STATUS node=node-a"))!;
    for (const name of ["client", "ca", "long", "rsa"]) {
      const got = Number(new RegExp(`cert-${name}-days="(-?\\d+)"`).exec(status)?.[1]);
      // The writer reads the clock once, in whole seconds (`date +%s`), at or up to a second after `at`.
      // Truncate as it does: a certificate made in the same second has exactly N days left, not N-1.
      const atSecond = Math.floor(r.at / 1000) * 1000;
      expect([expectedDays(pems[name]!, atSecond), expectedDays(pems[name]!, atSecond + 1000)], `${name}: ${status}`).toContain(got);
    }
    expect(status).toMatch(/cert-client-days="11"/);
    expect(status).toMatch(/cert-client-warning="11 days left: run pulumi up for this stack \(docs\/certificates.md\)"/);
    expect(status).not.toMatch(/cert-ca-warning/);
    expect(r.out).toMatch(/WARNING: the client certificate \/etc\/containerd\/certs.d\/h\/client.cert has 11 days left \(< 21\)/);
  });

  it("falls back to the host's file when the manifest does not deliver the path, and says unreadable for garbage or a missing file", async () => {
    fs.mkdirSync(path.join(host, "etc/containerd/own"), { recursive: true });
    fs.writeFileSync(path.join(host, "etc/containerd/own/rsa.crt"), pems.rsa!);
    fs.writeFileSync(path.join(host, "etc/containerd/own/bad.crt"), "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    const r = await runOnce([f("/etc/containerd/certs.d/h/x.toml", "x\n")], "rsa=/etc/containerd/own/rsa.crt bad=/etc/containerd/own/bad.crt gone=/etc/containerd/own/none.crt");
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/cert-rsa-days="44"/);
    expect(r.out).toMatch(/cert-bad-days="unreadable"/);
    expect(r.out).toMatch(/cert-gone-days="unreadable"/);
  });
});

describe("writer DaemonSet env: which certificates each role reports", () => {
  it("node role: the client certificate and CA it delivers; mirror role: the server certificate and CA", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cert-env-"));
    try {
      const plan = planRegion(
        { name: "eu", mirrorAddresses: ["10.1.0.11"], runtimes: ["containerd", "crio"], mirrorPortBase: 5000, dialTimeoutSeconds: 3 },
        { host: "harbor.example.com", url: "https://harbor.example.com", projects: ["library"], insecure: false },
        [{ name: "harbor", kind: "harbor", url: "https://harbor.example.com", pathPrefix: "", keepsProjectPath: true, insecure: false, username: "robot" }],
      );
      const tls = makeTestPki(dir, ["10.1.0.11"]);
      const pw = { harbor: "pw" };
      const files = [...secretNodeFiles(plan, pw, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, "cert-env-test-key-0123")).files];
      const envOf = (role: "node" | "mirror") => {
        const spec = writerDaemonSetSpec({ region: "eu", role, files: files.filter((x) => x.role === role), configMapName: "c", signalCrio: false }) as { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
        return Object.fromEntries(spec.template.spec.containers[0]!.env.map((e) => [e.name, e.value]));
      };
      const node = envOf("node");
      const pairs = (v: string) => Object.fromEntries(v.split(" ").map((p) => p.split("=") as [string, string]));
      const n = pairs(node.CERT_FILES!);
      expect(Object.keys(n)).toEqual(["client", "ca"]);
      expect(files.find((x) => x.path === n.client)?.content).toBe(tls.clientCertPem);
      expect(files.find((x) => x.path === n.ca)?.content).toBe(tls.caCertPem);
      expect(node.CERT_WARN_DAYS).toBe("21");
      const m = pairs(envOf("mirror").CERT_FILES!);
      expect(Object.keys(m)).toEqual(["server", "ca"]);
      expect(files.find((x) => x.path === m.server && x.role === "mirror")?.content).toBe(tls.serverCertPem);
      expect(certExpiryEnv("mirror", [])).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("verify: mirror certificates from the stack outputs", () => {
  const now = new Date("2027-03-01T00:00:00Z");
  const outputs = (certs: { certificate: string; notAfter: string }[] | undefined) => ({ regions: [{ region: "eu", mirrors: [{ upstream: "harbor", address: "10.1.0.11:5000" }], ...(certs ? { certificates: certs } : {}) }] });
  const iso = (days: number, extraMs = 0) => new Date(now.getTime() + days * 86_400_000 + extraMs).toISOString().replace(/\.\d+Z$/, "Z");

  it("passes with 21 days or more left, fails under 21, expired, or unreadable", () => {
    const ok = checkCertificates(outputs([{ certificate: "ca", notAfter: iso(3000) }, { certificate: "server", notAfter: iso(21, 1000) }, { certificate: "client", notAfter: iso(60) }]), now);
    expect(ok.exitCode).toBe(0);
    expect(ok.checks.map((c) => c.daysLeft)).toEqual([3000, 21, 60]);
    const low = checkCertificates(outputs([{ certificate: "ca", notAfter: iso(3000) }, { certificate: "server", notAfter: iso(20, 1000) }, { certificate: "client", notAfter: iso(-2) }]), now);
    expect(low.exitCode).toBe(1);
    expect(low.checks[1]!.problem).toMatch(/20 days left \(< 21\)/);
    expect(low.checks[2]!.problem).toMatch(/EXPIRED 2 days ago/);
    expect(formatCertificateReport(low)).toMatch(/eu client: -2 days left .*EXPIRED/);
    expect(checkCertificates(outputs([{ certificate: "ca", notAfter: "soon" }]), now).exitCode).toBe(1);
  });

  it("a region with mirrors but no certificates in its outputs fails (deployed before they were reported); no regions, nothing to check", () => {
    const r = checkCertificates(outputs(undefined), now);
    expect(r.exitCode).toBe(1);
    expect(r.checks[0]!.problem).toMatch(/run `pulumi up`/);
    expect(checkCertificates({ harborUrl: "https://h" }, now).exitCode).toBe(0);
    expect(checkCertificates({ regions: [{ region: "x", mirrors: [], certificates: [] }] }, now).exitCode).toBe(0);
    expect(checkCertificates({ regions: "nope" }, now).exitCode).toBe(1);
  });

  it("daysLeft floors, and accepts only RFC 3339 times (what @pulumi/tls validityEndTime gives)", () => {
    expect(daysLeft("2027-03-21T23:59:59Z", now)).toBe(20);
    expect(daysLeft("2027-02-28T23:59:59Z", now)).toBe(-1);
    expect(daysLeft("2027-03-22T00:00:00+00:00", now)).toBe(21);
    expect(daysLeft("March 22", now)).toBeUndefined();
  });
});
