// DR drill on the runtimes' real configuration paths (root; see test/helpers/node-drill.ts):
// a private containerd 1.6 pulling through its CRI API with config_path set by the node writer,
// and containers/image (skopeo, podman) reading /etc/containers with the rendered drop-in, all against
// node files the real writer.sh materialised from the plan, inside a network namespace.
// Scenarios, each ending in the same digest on every client: healthy; Harbor refused; Harbor and
// its mirror down; the Harbor mirror restarted while Harbor is still down (served read-only); the Harbor mirror black-holed (iptables DROP) and hung (accepts, never answers)
// -> the health-aware writer leaves it out and pulls go to the backup mirror; recovered -> used again.
// The mirrors run as their static pods do (supervisor + distribution, mTLS with client
// certificates); every node file (certificates and keys included) is the writer's, and its health
// probe presents the node's client certificate.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { netnsSupported } from "./helpers/netns";
import { startNodeDrill, type NodeDrill, type NsProcess } from "./helpers/node-drill";

const CTRD = /containerd\//;
const SKOPEO = /skopeo\//;
// podman 4.3 (Debian) sends containers/image's default user agent.
const PODMAN = /containers\/[\d.]+ \(github\.com\/containers\/image\)/;

describe.skipIf(!netnsSupported())("DR drill: containerd CRI via config_path and c/image via the drop-in, health-aware node writer", () => {
  let d: NodeDrill;
  let dir: string;
  let hung: NsProcess | undefined;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-drill-cri-"));
    // Faster probes than production (5 s / 2 s) keep the drill short; bench/mirrors.ts uses production values.
    d = await startNodeDrill({ dir, healthIntervalSeconds: 1, probeTimeoutSeconds: 1 });
    // The node writer prints its STATUS line at the end of its first sync, after the files the
    // drill waits for: wait (bounded) for it on a loaded machine.
    for (let i = 0; i < 300 && !/STATUS node=drill-node .*mirrors-probed="2"/.test(d.writerLog()); i++) await new Promise((r) => setTimeout(r, 100));
  }, 90_000);

  afterAll(async () => {
    await hung?.stop();
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** containerd (CRI), skopeo and podman pull the image; how many manifest/blob answers each registry gave each of them. */
  const pullBoth = async (label: string) => {
    const regs = { harborMirror: d.mirrors.harbor, backupMirror: d.mirrors.backup, harbor: d.harbor };
    type Counts = Record<keyof typeof regs, number>;
    const offsets = () => Object.fromEntries(Object.entries(regs).map(([k, r]) => [k, fs.existsSync(r.logPath) ? r.logOffset() : 0])) as Counts;
    const served = (since: Counts, ua?: RegExp) =>
      Object.fromEntries(Object.entries(regs).map(([k, r]) => [k, fs.existsSync(r.logPath) ? r.countServed(since[k as keyof Counts], ua) : 0])) as Counts;
    const since = offsets();
    const c = await d.criPull();
    const s = await d.skopeoPull(label);
    const p = await d.podmanPull(label);
    expect(c.digest, `${label}: CRI digest`).toBe(d.image.digest);
    expect(s.digest, `${label}: skopeo digest`).toBe(d.image.digest);
    expect(p.digest, `${label}: podman digest`).toBe(d.image.digest);
    return { containerd: served(since, CTRD), skopeo: served(since, SKOPEO), podman: served(since, PODMAN) };
  };

  it("the writer set config_path in the node's config.toml and nothing else (the CRI pulls below, served by the mirrors, show the CRI plugin reads it)", () => {
    const cfg = fs.readFileSync(path.join(d.root, "etc/containerd/config.toml"), "utf8");
    expect(cfg).toContain("# the node's own containerd config");
    expect(cfg).toContain('sandbox_image = "registry.k8s.io/pause:3.9"');
    expect(cfg.match(/^\s*config_path\s*=/gm)).toHaveLength(1);
    expect(d.writerLog()).toMatch(/STATUS node=drill-node containerd="(active|pending-restart|config_path set)/);
  });

  it("the writer's health probe speaks mTLS: both mirrors pass with the node's client certificate, none without it", async () => {
    expect(d.writerLog()).not.toMatch(/every mirror failed its probe/);
    expect(d.writerLog()).toMatch(/STATUS node=drill-node .*mirrors-probed="2" mirrors-left-out=""/);
    // Days to expiry of the node's client certificate and CA (the drill's PKI lives 2 days: warned).
    expect(d.writerLog()).toMatch(/STATUS node=drill-node .*cert-client-days="[01]" cert-client-warning="[^"]+" cert-ca-days="[01]"/);
    // Same writer, same files, no client certificate: every mirror refuses it, so all are kept.
    const certless = await d.writerOnce("node", { PROBE_CACERT: "", PROBE_CERT: "", PROBE_KEY: "", STATE_FILE: "/var/lib/registry-topology/certless-check.managed" });
    expect(certless.log).toMatch(/every mirror failed its probe/);
    expect(certless.log).toMatch(/mirrors-probed="2" mirrors-left-out=""/);
  });

  it("node files: TLS material at each runtime's real path (c/image certs.d/<host:port>/, next to hosts.toml), keys 0600", () => {
    for (const a of [d.mirrors.harbor.address, d.mirrors.backup.address]) {
      const certs = path.join(d.root, "etc/containers/certs.d", a);
      expect(fs.readdirSync(certs).sort()).toEqual(["ca.crt", "client.cert", "client.key"]);
      expect(fs.statSync(path.join(certs, "client.key")).mode & 0o777).toBe(0o600);
    }
    const hosts = fs.readFileSync(path.join(d.root, "etc/containerd/certs.d", d.harbor.address, "hosts.toml"), "utf8");
    expect(hosts).toContain(`#@mirror ${d.mirrorUrl("harbor")}\n`);
    expect(hosts).toContain('ca = "registry-topology-mirror-ca.crt"');
  });

  it("healthy: every client pulls through the Harbor mirror", async () => {
    const s = await pullBoth("healthy");
    for (const rt of [s.containerd, s.skopeo, s.podman]) {
      expect(rt.harborMirror).toBeGreaterThan(0);
      expect(rt.backupMirror).toBe(0);
      expect(rt.harbor).toBe(0);
    }
  });

  it("mirror node status: the mirror writer's STATUS line carries each mirror's mode and cache size", async () => {
    for (let i = 0; i < 100 && !/cache_kib=\d+/.test(d.mirrors.harbor.status()); i++) await new Promise((r) => setTimeout(r, 200));
    const { code, log } = await d.writerOnce("mirror");
    expect(code).toBe(0);
    expect(log).toMatch(/STATUS node=drill-node .*mirror-harbor="mode=proxy upstream=up cache_kib=\d+ max_kib=\d+ evictions=\d+ hang_restarts=\d+ updated=\d+"/);
    expect(log).toMatch(/mirror-backup="mode=proxy /);
    expect(log).toMatch(/STATUS node=drill-node .*cert-server-days="[01]" cert-server-warning="[^"]+" cert-ca-days="[01]"/);
  });

  it("Harbor refused: the Harbor mirror serves its cache", async () => {
    await d.harbor.stop();
    const s = await pullBoth("harbor-refused");
    for (const rt of [s.containerd, s.skopeo, s.podman]) {
      expect(rt.harborMirror).toBeGreaterThan(0);
      expect(rt.harbor).toBe(0);
    }
  });

  it("Harbor and its mirror down (refused): the backup mirror serves", async () => {
    await d.mirrors.harbor.stop();
    // The writer notices (within its probe interval plus a round): the next test then sees it
    // listed again only once the restarted mirror passes its probe, not from a stale listing.
    await d.waitListed("harbor", false, 60_000);
    const s = await pullBoth("harbor-and-mirror-down");
    expect(s.containerd.backupMirror).toBeGreaterThan(0);
    expect(s.skopeo.backupMirror).toBeGreaterThan(0);
    expect(s.podman.backupMirror).toBeGreaterThan(0);
  });

  it("Harbor mirror restarted during the Harbor outage: its supervisor serves the cache read-only, listed again, every client pulls through it", async () => {
    await d.startMirror("harbor"); // Harbor still refuses: distribution alone would panic here
    expect(d.mirrors.harbor.status()).toMatch(/^mode=readonly upstream=down /);
    await d.waitListed("harbor", true);
    const s = await pullBoth("restarted-during-outage");
    for (const rt of [s.containerd, s.skopeo, s.podman]) {
      expect(rt.harborMirror).toBeGreaterThan(0);
      expect(rt.harbor).toBe(0);
    }
    // Harbor back: the same pod proxies again by itself (no restart).
    await d.startUpstream("harbor");
    for (let i = 0; i < 150 && !/^mode=proxy upstream=up /.test(d.mirrors.harbor.status()); i++) await new Promise((r) => setTimeout(r, 200));
    expect(d.mirrors.harbor.status()).toMatch(/^mode=proxy upstream=up /);
  });

  it("Harbor mirror black-holed: the writer leaves it out, pulls go to the backup mirror; back once it answers", async () => {
    await d.ns.dropPort(d.mirrors.harbor.port);
    try {
      await d.waitListed("harbor", false);
      expect(d.writerLog()).toMatch(new RegExp(`mirror ${d.mirrorUrl("harbor")} failed its probe`));
      const s = await pullBoth("blackholed");
      expect(s.containerd.backupMirror).toBeGreaterThan(0);
      expect(s.skopeo.backupMirror).toBeGreaterThan(0);
    expect(s.podman.backupMirror).toBeGreaterThan(0);
    } finally {
      await d.ns.undropPort(d.mirrors.harbor.port);
    }
    await d.waitListed("harbor", true);
    const back = await pullBoth("blackhole-recovered");
    expect(back.containerd.harborMirror).toBeGreaterThan(0);
    expect(back.skopeo.harborMirror).toBeGreaterThan(0);
    expect(back.podman.harborMirror).toBeGreaterThan(0);
  });

  it("Harbor mirror hung (accepts, never answers): left out, pulls go to the backup mirror; back once it answers", async () => {
    await d.mirrors.harbor.stop();
    hung = await d.startHung("harbor");
    await d.waitListed("harbor", false);
    const s = await pullBoth("hung");
    expect(s.containerd.backupMirror).toBeGreaterThan(0);
    expect(s.skopeo.backupMirror).toBeGreaterThan(0);
    expect(s.podman.backupMirror).toBeGreaterThan(0);
    await hung.stop();
    hung = undefined;
    await d.startMirror("harbor");
    await d.waitListed("harbor", true);
    const back = await pullBoth("hung-recovered");
    expect(back.containerd.harborMirror).toBeGreaterThan(0);
    expect(back.skopeo.harborMirror).toBeGreaterThan(0);
    expect(back.podman.harborMirror).toBeGreaterThan(0);
  });
});
