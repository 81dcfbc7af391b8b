// Pure renderers for the mirrors' security and lifecycle: keyed restart digests (a credential or
// certificate change restarts the static pod, nothing secret in the manifest), where each runtime
// finds the mTLS files, the read-only config the supervisor falls back to, the cache policy, and
// the supervisor's status line.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { describeMirrorStatus, mirrorStatusPath, parseMirrorStatus } from "../components/mirrors/mirrorStatus";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles } from "../components/mirrors/nodeFiles";
import { serverSans } from "../components/mirrors/pki";
import { planRegion, type RegionSpec, type ResolvedUpstream } from "../components/mirrors/plan";
import { restartDigest } from "../components/mirrors/restart";
import { mirrorConfig, mirrorReadonlyConfig, mirrorStaticPod, RESTART_ANNOTATION } from "../components/mirrors/staticPods";
import { regionSchema } from "../infra/config/regions";

const harbor = { host: "harbor.example.com", url: "https://harbor.example.com", projects: ["library"], insecure: false };
const ups: ResolvedUpstream[] = [
  { name: "harbor", kind: "harbor", url: "https://harbor.example.com", pathPrefix: "", keepsProjectPath: true, insecure: false, username: "robot$mirror" },
  { name: "backup", kind: "oci", url: "https://backup.example.com", pathPrefix: "dr", keepsProjectPath: true, insecure: false, username: "reader" },
];
const region: RegionSpec = { name: "eu", mirrorAddresses: ["10.1.0.11", "mirrors.eu.internal"], runtimes: ["crio", "containerd", "k3s"], mirrorPortBase: 5000, dialTimeoutSeconds: 3 };
const plan = planRegion(region, harbor, ups);
const tls = { caCertPem: "CA-PEM\n", serverCertPem: "SERVER-PEM\n", clientCertPem: "CLIENT-PEM\n", serverKeyPem: "SERVER-KEY-PEM\n", clientKeyPem: "CLIENT-KEY-PEM\n" };
const KEY = "k".repeat(32);
const pw = { harbor: "hunter2", backup: "backup-pw" };
const manifests = (passwords: Record<string, string>, t = tls, key = KEY) =>
  Object.fromEntries(publicNodeFiles(plan, t, mirrorRestartDigests(plan, passwords, t, key)).files.filter((f) => f.path.startsWith("/etc/kubernetes/manifests/")).map((f) => [f.path, f.content]));

describe("restart digest in the static pod manifests", () => {
  it("changes the manifest of exactly the mirror whose credential rotated, within the same render", () => {
    const before = manifests(pw);
    const after = manifests({ ...pw, harbor: "hunter3" });
    expect(after["/etc/kubernetes/manifests/registry-mirror-harbor.yaml"]).not.toBe(before["/etc/kubernetes/manifests/registry-mirror-harbor.yaml"]);
    expect(after["/etc/kubernetes/manifests/registry-mirror-backup.yaml"]).toBe(before["/etc/kubernetes/manifests/registry-mirror-backup.yaml"]);
    expect(manifests(pw)).toEqual(before); // stable: no restart without a change
  });

  it("changes every manifest when the certificates or the server key rotate", () => {
    const before = manifests(pw);
    for (const t of [{ ...tls, serverCertPem: "NEW\n" }, { ...tls, serverKeyPem: "NEW-KEY\n" }, { ...tls, caCertPem: "NEW-CA\n" }]) {
      const after = manifests(pw, t);
      for (const p of Object.keys(before)) expect(after[p], p).not.toBe(before[p]);
    }
  });

  it("reveals nothing: no password, no plain hash of the config or password, and depends on the secret key", () => {
    const all = publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, KEY)).files.map((f) => f.content).join("\n");
    const config = secretNodeFiles(plan, pw, tls).find((f) => f.path.endsWith("/harbor/config.yml"))!.content;
    for (const leak of ["hunter2", "SERVER-KEY-PEM", "CLIENT-KEY-PEM", createHash("sha256").update(config).digest("hex").slice(0, 32), createHash("sha256").update("hunter2").digest("hex").slice(0, 32)]) {
      expect(all).not.toContain(leak);
    }
    const d1 = mirrorRestartDigests(plan, pw, tls, KEY).harbor!;
    expect(mirrorRestartDigests(plan, pw, tls, "z".repeat(32)).harbor).not.toBe(d1);
    const pod = YAML.parse(manifests(pw)["/etc/kubernetes/manifests/registry-mirror-harbor.yaml"]!) as { metadata: { annotations: Record<string, string> } };
    expect(pod.metadata.annotations[RESTART_ANNOTATION]).toBe(d1);
    expect(() => restartDigest("short", [])).toThrow(/at least 16/);
  });
});

describe("mTLS files per runtime", () => {
  const pub = publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, KEY)).files;
  const sec = secretNodeFiles(plan, pw, tls);
  const at = (files: typeof pub, p: string) => files.find((f) => f.path === p);

  it("gives c/image certs.d/<host:port>/ca.crt + client.cert (public) + client.key (secret, 0600) for every mirror address", () => {
    for (const e of plan.endpoints) {
      expect(at(pub, `/etc/containers/certs.d/${e.address}/ca.crt`)?.content).toBe("CA-PEM\n");
      expect(at(pub, `/etc/containers/certs.d/${e.address}/client.cert`)?.content).toBe("CLIENT-PEM\n");
      expect(at(sec, `/etc/containers/certs.d/${e.address}/client.key`)).toMatchObject({ role: "node", mode: "0600", secret: true, content: "CLIENT-KEY-PEM\n" });
    }
  });

  it("puts containerd's files next to hosts.toml (relative names) and k3s's under its own directory", () => {
    expect(at(pub, "/etc/containerd/certs.d/harbor.example.com/registry-topology-mirror-ca.crt")?.content).toBe("CA-PEM\n");
    expect(at(sec, "/etc/containerd/certs.d/harbor.example.com/registry-topology-mirror-client.key")?.secret).toBe(true);
    expect(at(sec, "/etc/rancher/k3s/registry-topology/mirror-client.key")).toMatchObject({ anchor: "/etc/rancher/k3s", mode: "0600" });
  });

  it("gives mirror nodes the CA, the server pair (key secret) and the supervisor; no private key in any public file", () => {
    expect(at(pub, "/etc/registry-topology/mirror-tls/ca.crt")?.role).toBe("mirror");
    expect(at(sec, "/etc/registry-topology/mirror-tls/server.key")).toMatchObject({ role: "mirror", mode: "0600", secret: true });
    expect(at(pub, "/etc/registry-topology/mirror-bin/supervisor.sh")?.content).toMatch(/^#!\/bin\/sh/);
    expect(pub.some((f) => /KEY-PEM/.test(f.content))).toBe(false);
    // Static pods come after the files they read.
    const idx = (p: string) => pub.findIndex((f) => f.path === p);
    expect(idx("/etc/kubernetes/manifests/registry-mirror-harbor.yaml")).toBeGreaterThan(idx("/etc/registry-topology/mirrors/harbor/readonly.yml"));
  });

  it("names every address nodes dial in the server certificate", () => {
    expect(serverSans(region.mirrorAddresses)).toEqual({ ipAddresses: ["10.1.0.11"], dnsNames: ["mirrors.eu.internal"] });
  });
});

describe("read-only fallback config and cache policy", () => {
  const m = plan.mirrors[0]!;

  it("serves the same storage, port and TLS without a proxy section or credential, in storage read-only mode", () => {
    const ro = mirrorReadonlyConfig(plan, m) as Record<string, Record<string, unknown>>;
    const px = mirrorConfig(plan, m, "hunter2") as Record<string, Record<string, unknown>>;
    expect(ro.proxy).toBeUndefined();
    expect(JSON.stringify(ro)).not.toContain("hunter2");
    expect(ro.http).toEqual(px.http);
    expect(ro.storage).toMatchObject({ filesystem: px.storage!.filesystem, maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } } });
  });

  it("takes expiry and the size bound from the region (defaults: 7 days, 20 GiB)", () => {
    const r = regionSchema.parse({ name: "eu", mirrorNodes: { nodeSelector: { a: "b" } }, mirrorAddresses: ["10.0.0.1"], runtimes: ["crio"] });
    expect(r.cache).toEqual({ ttlHours: 168, maxSizeGiB: 20 });
    expect(() => regionSchema.parse({ ...r, cache: { ttlHours: 24, maxSizeGiB: 0 } })).toThrow(/maxSizeGiB/);
    const custom = planRegion({ ...region, cache: { ttlHours: 72, maxSizeGiB: 50 } }, harbor, ups);
    expect((mirrorConfig(custom, custom.mirrors[0]!, "x") as { proxy: { ttl: string } }).proxy.ttl).toBe("72h");
    const pod = mirrorStaticPod(custom, custom.mirrors[0]!, "d") as { spec: { containers: { env: { name: string; value: string }[] }[] } };
    expect(pod.spec.containers[0]!.env).toContainEqual({ name: "CACHE_MAX_KIB", value: String(50 * 1024 * 1024) });
    expect(pod.spec.containers[0]!.env).toContainEqual({ name: "UPSTREAM_URL", value: "https://harbor.example.com" });
  });
});

describe("mirror status (node status hook)", () => {
  it("parses the supervisor's line and describes it", () => {
    const s = parseMirrorStatus("mode=readonly upstream=down cache_kib=3145728 max_kib=20971520 evictions=0 updated=1000\n")!;
    expect(s).toEqual({ mode: "readonly", upstream: "down", cacheKiB: 3145728, maxKiB: 20971520, evictions: 0, hangRestarts: 0, updated: 1000 });
    expect(describeMirrorStatus(s, 1010)).toBe("read-only (upstream down), cache 3.0/20.0 GiB");
    expect(describeMirrorStatus({ ...s, mode: "proxy", upstream: "up" }, 1100)).toBe("proxy, cache 3.0/20.0 GiB, stale 100s");
    expect(parseMirrorStatus("mode=proxy upstream=up cache_kib=-1 max_kib=0 evictions=0 updated=5")).toMatchObject({ cacheKiB: undefined, maxKiB: undefined });
    expect(parseMirrorStatus("garbage")).toBeUndefined();
    expect(mirrorStatusPath("harbor")).toBe("/var/lib/registry-topology/mirrors/harbor/registry-topology-status");
  });
});
