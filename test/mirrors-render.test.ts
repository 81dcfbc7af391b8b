// Pure renderers: region plan, CRI-O drop-in, containerd hosts.toml, k3s/RKE2 registries.yaml,
// distribution config.yml and the static pod.
import * as TOML from "smol-toml";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { publicNodeFiles, secretNodeFiles } from "../components/mirrors/nodeFiles";
import { MIRROR_IMAGE, mirrorPath, planRegion, type RegionSpec, type ResolvedUpstream } from "../components/mirrors/plan";
import { renderContainerd, renderCrio, renderRancher } from "../components/mirrors/runtimeConfig";
import { mirrorConfig, mirrorStaticPod } from "../components/mirrors/staticPods";

// Stand-in certificates: the renderers copy PEM text, they never parse it.
const tls = { caCertPem: "CA-PEM\n", serverCertPem: "SERVER-PEM\n", clientCertPem: "CLIENT-PEM\n", serverKeyPem: "SERVER-KEY\n", clientKeyPem: "CLIENT-KEY\n" };
const digests = { harbor: "d-harbor", "gar-usc1": "d-gar", ali: "d-ali" };

const harbor = { host: "harbor.example.com", url: "https://harbor.example.com", projects: ["library", "apps"], insecure: false };
const ups: ResolvedUpstream[] = [
  { name: "harbor", kind: "harbor", url: "https://harbor.example.com", pathPrefix: "", keepsProjectPath: true, insecure: false, username: "robot$mirror" },
  { name: "gar-usc1", kind: "gar", url: "https://us-central1-docker.pkg.dev", pathPrefix: "regtopo-prod/harbor-backup", keepsProjectPath: true, insecure: false, username: "_json_key" },
  { name: "ali", kind: "alibaba", url: "https://registry.cn-hangzhou.aliyuncs.com", pathPrefix: "ns", keepsProjectPath: false, insecure: false, username: "ram-user" },
];
const region: RegionSpec = { name: "eu-west", mirrorAddresses: ["10.1.0.11", "10.1.0.12"], runtimes: ["crio", "containerd", "k3s"], mirrorPortBase: 5000, dialTimeoutSeconds: 3 };

describe("planRegion", () => {
  it("orders upstreams (upstreamOrder first), gives each a port and lists endpoints upstream by upstream", () => {
    const plan = planRegion({ ...region, upstreamOrder: ["gar-usc1"] }, harbor, ups);
    expect(plan.mirrors.map((m) => [m.upstream.name, m.port])).toEqual([
      ["gar-usc1", 5000],
      ["harbor", 5001],
      ["ali", 5002],
    ]);
    expect(plan.endpoints.map((e) => e.address)).toEqual(["10.1.0.11:5000", "10.1.0.12:5000", "10.1.0.11:5001", "10.1.0.12:5001", "10.1.0.11:5002", "10.1.0.12:5002"]);
    expect(plan.bindHost).toBe("0.0.0.0");
    expect(planRegion({ ...region, mirrorAddresses: ["127.0.0.1"] }, harbor, ups).bindHost).toBe("127.0.0.1");
  });

  it("rejects duplicate upstreams and ports past 65535 (mirror and debug ports) with the config key", () => {
    expect(() => planRegion(region, harbor, [ups[0]!, ups[0]!])).toThrow(/listed twice/);
    expect(() => planRegion({ ...region, mirrorPortBase: 65534 }, harbor, ups)).toThrow(/mirrorPortBase/);
    expect(() => planRegion({ ...region, mirrorPortBase: 65531 }, harbor, ups)).toThrow(/debug and relay ports/);
    expect(planRegion(region, harbor, ups).mirrors.map((m) => m.debugPort)).toEqual([5003, 5004, 5005]);
  });

  it("maps Harbor paths onto each upstream's layout, honouring keepsProjectPath", () => {
    expect(mirrorPath(ups[0]!, "library")).toBe("library");
    expect(mirrorPath(ups[1]!, "library")).toBe("regtopo-prod/harbor-backup/library");
    expect(mirrorPath(ups[2]!, "library")).toBe("ns");
  });
});

describe("CRI-O drop-in", () => {
  it("has one [[registry]] per project, location = the real Harbor, mirrors in order with path prefixes", () => {
    const plan = planRegion(region, harbor, ups);
    const doc = TOML.parse(renderCrio(plan).files[0]!.content) as { registry: { prefix: string; location: string; insecure: boolean; mirror: { location: string; insecure: boolean }[] }[] };
    expect(doc.registry.map((r) => r.prefix)).toEqual(["harbor.example.com/library", "harbor.example.com/apps"]);
    const lib = doc.registry[0]!;
    expect(lib.location).toBe("harbor.example.com/library");
    expect(lib.insecure).toBe(false);
    expect(lib.mirror.map((m) => m.location)).toEqual([
      "10.1.0.11:5000/library",
      "10.1.0.12:5000/library",
      "10.1.0.11:5001/regtopo-prod/harbor-backup/library",
      "10.1.0.12:5001/regtopo-prod/harbor-backup/library",
      "10.1.0.11:5002/ns",
      "10.1.0.12:5002/ns",
    ]);
    // TLS toward the mirrors (certs.d holds their CA and the client pair).
    expect(lib.mirror.every((m) => m.insecure === false)).toBe(true);
  });
});

describe("containerd", () => {
  it("writes hosts.toml for the Harbor host: server = Harbor, pull+resolve mirrors, override_path, dial_timeout", () => {
    const plan = planRegion(region, harbor, ups);
    const out = renderContainerd(plan);
    const hosts = out.files.find((f) => f.path === "/etc/containerd/certs.d/harbor.example.com/hosts.toml")!;
    const doc = TOML.parse(hosts.content) as { server: string; host: Record<string, { capabilities: string[]; override_path?: boolean; dial_timeout: string }> };
    expect(doc.server).toBe("https://harbor.example.com");
    expect(Object.keys(doc.host)).toEqual([
      "https://10.1.0.11:5000",
      "https://10.1.0.12:5000",
      "https://10.1.0.11:5001/v2/regtopo-prod/harbor-backup",
      "https://10.1.0.12:5001/v2/regtopo-prod/harbor-backup",
    ]);
    expect(doc.host["https://10.1.0.11:5000"]).toEqual({
      capabilities: ["pull", "resolve"],
      dial_timeout: "3s",
      ca: "registry-topology-mirror-ca.crt",
      client: [["registry-topology-mirror-client.cert", "registry-topology-mirror-client.key"]],
    });
    expect(doc.host["https://10.1.0.11:5001/v2/regtopo-prod/harbor-backup"]?.override_path).toBe(true);
    expect(out.warnings.join("\n")).toMatch(/cannot use the mirror of "ali"/);
  });

  it("activates through one config_path key in config.toml (no imports fragment: 1.6/1.7 would replace the whole CRI table)", () => {
    const out = renderContainerd(planRegion(region, harbor, ups));
    const act = out.files.find((f) => f.apply === "containerd-config-path")!;
    expect(act.path).toBe("/etc/containerd/config.toml");
    expect(TOML.parse(act.content)).toEqual({ version: 2, plugins: { "io.containerd.grpc.v1.cri": { registry: { config_path: "/etc/containerd/certs.d" } } } });
    expect(out.files.map((f) => f.path)).toEqual(["/etc/containerd/certs.d/harbor.example.com/hosts.toml", "/etc/containerd/config.toml"]);
  });
});

/** What the writer does to a health-aware file when mirrors fail their probe (writer.sh `render`). */
function leaveOut(content: string, down: readonly string[]): string {
  return content.replace(/^#@mirror (\S+)\n[\s\S]*?^#@end\n/gm, (block, url: string) => (down.includes(url) ? `# mirror ${url} left out\n` : block));
}

describe("health-aware mirror blocks", () => {
  const plan = planRegion({ ...region, mirrorAddresses: ["10.1.0.11"] }, harbor, ups.slice(0, 2));
  const probes = ["https://10.1.0.11:5000", "https://10.1.0.11:5001"];

  it("every subset of healthy mirrors still parses, in order, with the real registry unchanged", () => {
    const crio = renderCrio(plan).files[0]!.content;
    const hosts = renderContainerd(plan).files[0]!.content;
    for (const down of [[], [probes[0]!], [probes[1]!], probes]) {
      const c = TOML.parse(leaveOut(crio, down)) as { registry: { prefix: string; location: string; mirror?: { location: string }[] }[] };
      expect(c.registry.map((r) => r.location)).toEqual(["harbor.example.com/library", "harbor.example.com/apps"]);
      const want = probes.filter((p) => !down.includes(p)).map((p) => p.replace("https://", ""));
      expect(c.registry.map((r) => (r.mirror ?? []).map((m) => m.location.split("/")[0]))).toEqual([want, want]);
      const h = TOML.parse(leaveOut(hosts, down)) as { server: string; host?: Record<string, unknown> };
      expect(h.server).toBe("https://harbor.example.com");
      expect(Object.keys(h.host ?? {}).map((u) => u.split("/v2")[0])).toEqual(probes.filter((p) => !down.includes(p)));
    }
  });
});

describe("k3s / RKE2", () => {
  it("lists https endpoints in order with TLS configs per mirror address; path prefixes ride on the endpoint path", () => {
    const out = renderRancher(planRegion(region, harbor, ups), "rke2");
    expect(out.files[0]!.path).toBe("/etc/rancher/rke2/registries.yaml");
    const doc = YAML.parse(out.files[0]!.content) as { mirrors: Record<string, { endpoint: string[]; rewrite?: unknown }>; configs: Record<string, { tls: Record<string, string> }> };
    expect(doc.mirrors["harbor.example.com"]?.endpoint).toEqual([
      "https://10.1.0.11:5000",
      "https://10.1.0.12:5000",
      "https://10.1.0.11:5001/v2/regtopo-prod/harbor-backup",
      "https://10.1.0.12:5001/v2/regtopo-prod/harbor-backup",
    ]);
    expect(Object.keys(doc.configs)).toEqual(["10.1.0.11:5000", "10.1.0.12:5000", "10.1.0.11:5001", "10.1.0.12:5001", "10.1.0.11:5002", "10.1.0.12:5002"]);
    expect(doc.configs["10.1.0.11:5000"]?.tls).toEqual({
      ca_file: "/etc/rancher/rke2/registry-topology/mirror-ca.crt",
      cert_file: "/etc/rancher/rke2/registry-topology/mirror-client.cert",
      key_file: "/etc/rancher/rke2/registry-topology/mirror-client.key",
    });
    expect(doc.mirrors["harbor.example.com"]?.rewrite).toBeUndefined();
  });
});

describe("mirror config.yml and static pod", () => {
  const plan = planRegion(region, harbor, ups);
  const m = plan.mirrors[1]!;

  it("proxies one upstream with its pull identity, expires by the region's cache TTL, checks storage but not the upstream, requires client certificates", () => {
    const cfg = mirrorConfig(plan, m, "pw") as { proxy: Record<string, unknown>; health: Record<string, unknown>; http: { addr: string; tls: Record<string, unknown>; debug: { addr: string } }; storage: { delete: { enabled: boolean } } };
    expect(cfg.proxy).toEqual({ remoteurl: "https://us-central1-docker.pkg.dev", username: "_json_key", password: "pw", ttl: "168h" });
    expect((mirrorConfig({ ...plan, region: { ...region, cache: { ttlHours: 0, maxSizeGiB: 5 } } }, m, "pw") as { proxy: { ttl: string } }).proxy.ttl).toBe("0h");
    expect(Object.keys(cfg.health)).toEqual(["storagedriver"]);
    expect(cfg.http.addr).toBe("0.0.0.0:5001");
    expect(cfg.http.tls).toEqual({ certificate: "/etc/distribution-tls/server.crt", key: "/etc/distribution-tls/server.key", clientcas: ["/etc/distribution-tls/ca.crt"], minimumtls: "tls1.2" });
    expect(cfg.http.debug.addr).toBe("127.0.0.1:5004");
    expect(cfg.storage.delete.enabled).toBe(true);
  });

  it("is a hostNetwork static pod with a digest-pinned image, probes that never touch the upstream, limits and hostPaths", () => {
    const pod = mirrorStaticPod(plan, m, "digest") as { spec: Record<string, unknown> & { containers: Record<string, unknown>[]; volumes: { hostPath: { path: string; type: string } }[] } };
    expect(pod.spec.hostNetwork).toBe(true);
    expect(pod.spec.priorityClassName).toBe("system-node-critical");
    const c = pod.spec.containers[0]!;
    expect(c.image).toBe(MIRROR_IMAGE);
    expect(MIRROR_IMAGE).toMatch(/^docker\.io\/library\/registry:3\.\d+\.\d+@sha256:[0-9a-f]{64}$/);
    // The TLS port wants a client certificate the kubelet does not have: probes use the loopback debug server.
    expect(c.livenessProbe).toMatchObject({ httpGet: { host: "127.0.0.1", path: "/debug/health", port: 5004, scheme: "HTTP" } });
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: "/debug/health", port: 5004 } });
    expect(c.resources).toMatchObject({ requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } });
    expect(pod.spec.volumes.map((v) => v.hostPath)).toEqual([
      { path: "/etc/registry-topology/mirrors/gar-usc1", type: "Directory" },
      { path: "/etc/registry-topology/mirror-tls", type: "Directory" },
      { path: "/etc/registry-topology/mirror-bin/supervisor.sh", type: "File" },
      { path: "/var/lib/registry-topology/mirrors/gar-usc1", type: "DirectoryOrCreate" },
    ]);
  });
});

describe("node files", () => {
  it("gives every node the runtime config and mirror nodes the static pods for each kubelet layout", () => {
    const plan = planRegion({ ...region, runtimes: ["containerd", "k3s"] }, harbor, ups);
    const { files } = publicNodeFiles(plan, tls, digests);
    // Certificates first (the runtime config that names them after), each where its runtime reads it.
    expect(files.filter((f) => f.role === "node").map((f) => [f.path, f.anchor, f.apply])).toEqual([
      ["/etc/containerd/certs.d/harbor.example.com/registry-topology-mirror-ca.crt", "/etc/containerd", "replace"],
      ["/etc/containerd/certs.d/harbor.example.com/registry-topology-mirror-client.cert", "/etc/containerd", "replace"],
      ["/etc/rancher/k3s/registry-topology/mirror-ca.crt", "/etc/rancher/k3s", "replace"],
      ["/etc/rancher/k3s/registry-topology/mirror-client.cert", "/etc/rancher/k3s", "replace"],
      ["/etc/containerd/certs.d/harbor.example.com/hosts.toml", "/etc/containerd", "replace"],
      ["/etc/containerd/config.toml", "/etc/containerd", "containerd-config-path"],
      ["/etc/rancher/k3s/registries.yaml", "/etc/rancher/k3s", "merge-yaml"],
      ["/var/lib/rancher/k3s/agent/etc/containerd/certs.d/harbor.example.com/hosts.toml", "/var/lib/rancher/k3s/agent/etc/containerd", "replace"],
    ]);
    // k3s's embedded containerd gets the same health-aware hosts.toml as a plain containerd node,
    // except that its TLS files are the k3s ones, by absolute path.
    const byPath = new Map(files.map((f) => [f.path, f.content]));
    const k3sHosts = byPath.get("/var/lib/rancher/k3s/agent/etc/containerd/certs.d/harbor.example.com/hosts.toml")!;
    expect(k3sHosts).toContain('ca = "/etc/rancher/k3s/registry-topology/mirror-ca.crt"');
    expect(k3sHosts.replaceAll("/etc/rancher/k3s/registry-topology/mirror-", "registry-topology-mirror-")).toBe(byPath.get("/etc/containerd/certs.d/harbor.example.com/hosts.toml"));
    // Mirror nodes: static pods are applied last, everything else is replaced whole.
    const mirrorFiles = files.filter((f) => f.role === "mirror");
    expect(mirrorFiles.filter((f) => f.apply === "static-pod").every((f) => /\/(manifests|pod-manifests)\//.test(f.path))).toBe(true);
    expect(mirrorFiles.filter((f) => f.apply !== "static-pod").every((f) => f.apply === "replace")).toBe(true);
    const pods = files.filter((f) => f.role === "mirror").map((f) => f.path);
    expect(pods).toContain("/etc/kubernetes/manifests/registry-mirror-harbor.yaml");
    expect(pods).toContain("/var/lib/rancher/k3s/agent/pod-manifests/registry-mirror-ali.yaml");
    expect(files.every((f) => !f.secret)).toBe(true);
  });

  it("puts each pull credential only in its mirror's 0600 config, and needs every password", () => {
    const plan = planRegion(region, harbor, ups);
    const files = secretNodeFiles(plan, { harbor: "h-pw", "gar-usc1": "g-pw", ali: "a-pw" }, tls).filter((f) => f.path.endsWith("config.yml"));
    expect(files.map((f) => [f.path, f.mode, f.secret])).toEqual([
      ["/etc/registry-topology/mirrors/harbor/config.yml", "0600", true],
      ["/etc/registry-topology/mirrors/gar-usc1/config.yml", "0600", true],
      ["/etc/registry-topology/mirrors/ali/config.yml", "0600", true],
    ]);
    expect(files[1]!.content).toContain("g-pw");
    expect(files[1]!.content).not.toContain("h-pw");
    expect(publicNodeFiles(plan, tls, digests).files.some((f) => /[hga]-pw/.test(f.content))).toBe(false);
    expect(() => secretNodeFiles(plan, { harbor: "x" }, tls)).toThrow(/no pull password for upstream "gar-usc1"/);
  });

  it("with no upstream renders nothing and says why", () => {
    const out = publicNodeFiles(planRegion(region, harbor, []), tls, {});
    expect(out.files).toEqual([]);
    expect(out.warnings[0]).toMatch(/no upstream with a pull identity/);
  });
});
