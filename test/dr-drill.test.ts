// DR drill with real components from Debian, on 127.0.0.1 only:
//   token server + distribution as the Harbor stand-in and as a backup stand-in (images under a
//   different path, as the clouds keep them), the two pull-through mirrors run as their static
//   pods run them (RENDERED supervisor.sh under busybox, RENDERED config.yml/readonly.yml, mTLS
//   with the rendered certificates; test/helpers/mirror-pod.ts), and pulls through the RENDERED
//   registries.conf drop-in + certs.d (skopeo: the same containers/image code CRI-O uses) and
//   hosts.toml with its relative ca/client paths (containerd's ctr --hosts-dir).
// Scenarios (same digest each time): all up -> the Harbor mirror serves; direct pulls without the
// node client certificate fail; credential rotation -> the manifest changes, the restarted mirror
// pulls uncached images; Harbor hung + Harbor mirror restarted -> it serves its cache (read-only,
// size bound not applied) and proxies again once Harbor is back (bound applied once); Harbor
// refused under a running mirror -> it turns read-only by itself; Harbor and its mirror down ->
// the backup mirror serves; everything down -> a clear failure.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as TOML from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import type { MirrorTls } from "../components/mirrors/pki";
import { planRegion, type RegionPlan, type ResolvedUpstream } from "../components/mirrors/plan";
import { CONTAINERD_CERTS_D, CONTAINERS_CERTS_D } from "../components/mirrors/runtimeConfig";
import { consecutiveFreePorts, startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { installAtRealPaths, makeTestPki, startMirrorPod, stopAllMirrorPods, type RunningMirrorPod } from "./helpers/mirror-pod";
import { buildOciImage, pushImage, run, type BuiltImage, type CommandResult } from "./helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

const ROBOT = { username: "robot$drill-mirror", password: "robot-pull-secret" };
const ROTATED_PASSWORD = "robot-pull-secret-rotated";
const RESTART_KEY = "drill-restart-key-0123456789abcdef";
const BACKUP_PULL = { username: "backup-reader", password: "backup-pull-secret" };
const PUSHER = { username: "replicator", password: "push-secret" };
const BACKUP_PREFIX = "dr/harbor";
const ARCH = process.arch === "arm64" ? "arm64" : "amd64";


function fileAt(files: NodeFile[], suffix: string): NodeFile {
  const f = files.find((x) => x.path.endsWith(suffix));
  if (!f) throw new Error(`no rendered file ending in ${suffix}; have ${files.map((x) => x.path).join(", ")}`);
  return f;
}

describe("DR drill: mirrors from the rendered node files, real registries", () => {
  let dir: string;
  let ts: TokenServer;
  let harbor: RunningDistribution;
  let backup: RunningDistribution;
  const mirrors: Record<string, RunningMirrorPod> = {};
  let plan: RegionPlan;
  let pki: MirrorTls;
  let image: BuiltImage;
  let v3: BuiltImage;
  let rotatedImage: BuiltImage;
  let registriesConf: string;
  let hostsDir: string;
  let files: { pub: NodeFile[]; secret: NodeFile[] };
  let passwords: Record<string, string>;
  let removeCertsD: (() => void) | undefined;
  let containerd: ChildProcess | undefined;
  let socket: string;
  let harborRef: string;
  let cachedKiB = 0;
  let hungHarbor: net.Server | undefined;
  const hungSockets = new Set<net.Socket>();
  const closeHungHarbor = async () => {
    for (const sock of hungSockets) sock.destroy();
    hungSockets.clear();
    if (hungHarbor?.listening) await new Promise((r) => hungHarbor!.close(r));
  };
  const users: Record<string, { password: string; actions: string[] }> = {
    [ROBOT.username]: { password: ROBOT.password, actions: ["pull"] },
    [BACKUP_PULL.username]: { password: BACKUP_PULL.password, actions: ["pull"] },
    [PUSHER.username]: { password: PUSHER.password, actions: ["pull", "push"] },
  };

  /** Render the region exactly as the component does (restart digests, public and secret files). */
  const render = () => {
    const digests = mirrorRestartDigests(plan, passwords, pki, RESTART_KEY);
    return { pub: publicNodeFiles(plan, pki, digests).files, secret: secretNodeFiles(plan, passwords, pki) };
  };
  /** Start (or restart, as the kubelet does) the mirror pod of `upstream` from the current files. */
  const startMirror = async (upstream: string, readyTimeoutMs?: number, env?: Record<string, string>) => {
    mirrors[upstream] = await startMirrorPod({ dir, plan, upstream, files: [...files.secret, ...files.pub], readyTimeoutMs, env });
    return mirrors[upstream];
  };

  const skopeoPull = async (label: string, ref = harborRef): Promise<CommandResult & { digest?: string }> => {
    const out = path.join(dir, `pull-${label}`);
    const r = await run("skopeo", ["--registries-conf", registriesConf, "copy", "--quiet", "--preserve-digests", `docker://${ref}`, `oci:${out}:pulled`], 60_000);
    if (r.code !== 0) return r;
    const index = JSON.parse(fs.readFileSync(path.join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    return { ...r, digest: index.manifests[0]?.digest };
  };
  /** skopeo straight at a mirror (no drop-in), with the given cert dir (`--cert-dir`: CA and client pair). */
  const direct = (mirror: RunningMirrorPod, repo: string, certDir: string, tlsVerify = true) =>
    run("skopeo", ["inspect", "--raw", `--tls-verify=${tlsVerify}`, "--cert-dir", certDir, `docker://${mirror.address}/${repo}`], 30_000);

  const ctr = (args: string[], timeoutMs = 60_000) => run("ctr", ["-a", socket, ...args], timeoutMs);
  const ctrPull = async (): Promise<CommandResult & { digest?: string }> => {
    await ctr(["images", "rm", "--sync", harborRef], 20_000);
    const r = await ctr(["images", "pull", "--hosts-dir", hostsDir, "--snapshotter", "native", "--platform", `linux/${ARCH}`, harborRef]);
    if (r.code !== 0) return r;
    const ls = await ctr(["images", "ls"], 20_000);
    const line = ls.stdout.split("\n").find((l) => l.startsWith(`${harborRef} `));
    return { ...r, digest: line?.match(/sha256:[0-9a-f]{64}/)?.[0] };
  };
  /**
   * Make sure the Harbor mirror really stored what it just served. Needed for Debian's 2.8.2 only:
   * its proxy serves a blob from the upstream and stores it in a separate goroutine that fetches
   * it again on the request's context (registry/proxy/proxyblobstore.go ServeBlob, v2.8.2), so a
   * blob can be served without ever being cached; v3.0.0 stores it from the same fetch before the
   * handler returns. Bounded: 3 rounds of (wait up to 3 s, pull again).
   */
  const ensureCached = async (label: string, ref: string): Promise<void> => {
    const pulled = fs.readdirSync(path.join(dir, `pull-${label}`, "blobs", "sha256"));
    const cache = path.join(dir, "pod-harbor", "cache", "docker", "registry", "v2", "blobs", "sha256");
    const missing = () => pulled.filter((h) => !fs.existsSync(path.join(cache, h.slice(0, 2), h, "data")));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 30 && missing().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      if (missing().length === 0) return;
      await skopeoPull(`${label}-again-${round}`, ref);
    }
    throw new Error(`the Harbor mirror did not cache ${missing().join(", ")}`);
  };
  const waitForStatus = async (mirror: RunningMirrorPod, want: RegExp | ((status: string) => boolean), timeoutMs: number): Promise<string> => {
    const ok = typeof want === "function" ? want : (st: string) => want.test(st);
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 1000 && Date.now() < deadline; i++) {
      if (ok(mirror.status())) return mirror.status();
      await new Promise((r) => setTimeout(r, 200));
    }
    return mirror.status();
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-drill-"));
    ts = await startTokenServer({ dir, users });
    [harbor, backup] = await Promise.all([
      startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") } }),
      startDistribution({ name: "backup", dir, config: { auth: tokenAuthConfig(ts, "backup") } }),
    ]);
    harborRef = `${harbor.address}/library/hello:v1`;

    const platforms = [{ os: "linux", architecture: ARCH }];
    image = buildOciImage(path.join(dir, "image"), { tag: "v1", platforms });
    v3 = buildOciImage(path.join(dir, "image-v3"), { tag: "v3", platforms, files: { "hello.txt": "pushed while the mirror served read-only\n" } });
    rotatedImage = buildOciImage(path.join(dir, "image-rotated"), { tag: "v1", platforms, files: { "hello.txt": "first pulled after a credential rotation\n" } });
    await pushImage(image, `${harbor.address}/library/hello:v1`, PUSHER);
    await pushImage(v3, `${harbor.address}/library/hello:v3`, PUSHER);
    await pushImage(rotatedImage, `${harbor.address}/library/rotated:v1`, PUSHER);
    // Replication's result on the backup: same image, under the backup's path prefix.
    await pushImage(image, `${backup.address}/${BACKUP_PREFIX}/library/hello:v1`, PUSHER);

    // Render the region exactly as the component does, with hand-built upstreams.
    const upstreams: ResolvedUpstream[] = [
      { name: "harbor", kind: "harbor", url: harbor.url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: ROBOT.username },
      { name: "backup", kind: "oci", url: backup.url, pathPrefix: BACKUP_PREFIX, keepsProjectPath: true, insecure: true, username: BACKUP_PULL.username },
    ];
    // Two mirror ports, then their two loopback debug ports.
    const base = await consecutiveFreePorts(4);
    plan = planRegion(
      { name: "drill", mirrorAddresses: ["127.0.0.1"], runtimes: ["crio", "containerd"], mirrorPortBase: base, dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      upstreams,
    );
    pki = makeTestPki(dir, ["127.0.0.1"]);
    passwords = { harbor: ROBOT.password, backup: BACKUP_PULL.password };
    files = render();
    const all = [...files.secret, ...files.pub];
    registriesConf = path.join(dir, "registries.conf");
    fs.writeFileSync(registriesConf, fileAt(files.pub, "50-registry-topology.conf").content);
    // c/image reads certs.d/<mirror host:port>/ only from fixed places: the rendered files go to
    // their real paths (random ports, removed in afterAll).
    removeCertsD = installAtRealPaths(all.filter((f) => f.path.startsWith(`${CONTAINERS_CERTS_D}/`)));
    // containerd: hosts.toml and its relatively named TLS files, in this test's hosts dir.
    hostsDir = path.join(dir, "certs.d");
    fs.mkdirSync(path.join(hostsDir, harbor.address), { recursive: true });
    for (const f of all.filter((x) => x.path.startsWith(`${CONTAINERD_CERTS_D}/${harbor.address}/`))) {
      fs.writeFileSync(path.join(hostsDir, harbor.address, path.basename(f.path)), f.content, { mode: Number.parseInt(f.mode, 8) });
    }

    await startMirror("harbor");
    await startMirror("backup");

    // containerd with an empty root; config_path (which the writer sets in the node's config.toml)
    // points at this test's certs.d instead of /etc/containerd/certs.d.
    const ctrdDir = path.join(dir, "ctrd");
    fs.mkdirSync(path.join(ctrdDir, "cni"), { recursive: true });
    socket = path.join(ctrdDir, "containerd.sock");
    const main = {
      version: 2,
      root: path.join(ctrdDir, "root"),
      state: path.join(ctrdDir, "state"),
      disabled_plugins: ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"],
      grpc: { address: socket },
      ttrpc: { address: `${socket}.ttrpc` },
      plugins: {
        "io.containerd.internal.v1.opt": { path: path.join(ctrdDir, "opt") },
        "io.containerd.grpc.v1.cri": {
          stream_server_address: "127.0.0.1",
          stream_server_port: "0",
          containerd: { snapshotter: "native" },
          cni: { bin_dir: path.join(ctrdDir, "cni"), conf_dir: path.join(ctrdDir, "cni") },
          registry: { config_path: hostsDir },
        },
      },
    };
    fs.writeFileSync(path.join(ctrdDir, "config.toml"), TOML.stringify(main));
    const log = fs.openSync(path.join(dir, "containerd.log"), "a");
    containerd = spawn("containerd", ["--config", path.join(ctrdDir, "config.toml")], { stdio: ["ignore", log, log] });
    fs.closeSync(log);
    let up = false;
    for (let i = 0; i < 100 && !up && containerd.exitCode === null; i++) {
      up = fs.existsSync(socket) && (await run("ctr", ["-a", socket, "version"], 5000)).code === 0;
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error(`containerd did not start: ${fs.readFileSync(path.join(dir, "containerd.log"), "utf8").split("\n").slice(-5).join("\n")}`);
  }, 120_000);

  afterAll(async () => {
    if (containerd && containerd.exitCode === null) {
      containerd.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => (containerd?.kill("SIGKILL"), r(undefined)), 5000);
        containerd?.once("exit", () => (clearTimeout(t), r(undefined)));
      });
    }
    await stopAllMirrorPods();
    await closeHungHarbor();
    await stopAllDistributions();
    await ts?.stop();
    removeCertsD?.();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("renders mirrors in order (Harbor first), https with the node's client certificate, the backup's path in CRI-O and containerd files", () => {
    expect(plan.endpoints.map((e) => e.upstream)).toEqual(["harbor", "backup"]);
    const conf = TOML.parse(fs.readFileSync(registriesConf, "utf8")) as { registry: { mirror: { location: string; insecure: boolean }[] }[] };
    expect(conf.registry[0]!.mirror).toEqual([
      { location: `${plan.endpoints[0]!.address}/library`, insecure: false },
      { location: `${plan.endpoints[1]!.address}/${BACKUP_PREFIX}/library`, insecure: false },
    ]);
    const hosts = TOML.parse(fs.readFileSync(path.join(hostsDir, harbor.address, "hosts.toml"), "utf8")) as { server: string; host: Record<string, { ca: string; client: string[][] }> };
    expect(hosts.server).toBe(harbor.url);
    expect(Object.keys(hosts.host)).toEqual([`https://${plan.endpoints[0]!.address}`, `https://${plan.endpoints[1]!.address}/v2/${BACKUP_PREFIX}`]);
    // Relative names: containerd resolves them in the hosts.toml directory, where they are.
    for (const h of Object.values(hosts.host)) for (const f of [h.ca, ...h.client[0]!]) expect(fs.existsSync(path.join(hostsDir, harbor.address, f)), f).toBe(true);
  });

  it("with config_path set in its config.toml (the test sets it; the writer path is dr-drill-cri), containerd's CRI plugin loads (no legacy mirrors table)", async () => {
    const plugins = await ctr(["plugins", "ls"], 20_000);
    expect(plugins.stdout).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/);
  });

  it("all up: skopeo (CRI-O's library) and ctr pull through the Harbor mirror over mTLS", async () => {
    expect(mirrors.harbor!.status()).toMatch(/^mode=proxy upstream=up /);
    const since = { harbor: mirrors.harbor!.logOffset(), backup: mirrors.backup!.logOffset() };
    const sk = await skopeoPull("all-up");
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(image.digest);
    await ensureCached("all-up", harborRef);
    expect(mirrors.harbor!.countServed(since.harbor, /skopeo/)).toBeGreaterThan(0);
    expect(mirrors.backup!.countServed(since.backup)).toBe(0);

    const c = await ctrPull();
    expect(c.code, c.stderr).toBe(0);
    expect(c.digest).toBe(image.digest);
    expect(mirrors.harbor!.countServed(since.harbor, /containerd/)).toBeGreaterThan(0);
    expect(mirrors.backup!.countServed(since.backup)).toBe(0);
    // The mirror, not the node, authenticated to Harbor: with the robot account, pull only.
    expect(ts.requests.some((r) => r.service === "harbor" && r.subject === ROBOT.username)).toBe(true);
  });

  it("only holders of the node client certificate pull from a mirror: anonymous and cert-less pulls fail", async () => {
    const certDir = (name: string, what: Record<string, string>) => {
      const d = path.join(dir, `certs-${name}`);
      fs.mkdirSync(d, { recursive: true });
      for (const [f, c] of Object.entries(what)) fs.writeFileSync(path.join(d, f), c, { mode: 0o600 });
      return d;
    };
    const m = mirrors.harbor!;
    // Anonymous: no certificate, no verification (https, then c/image's plain-HTTP fallback).
    const anon = await direct(m, "library/hello:v1", certDir("none", {}), false);
    expect(anon.code).not.toBe(0);
    expect(anon.stderr).toMatch(/tls|certificate|400/i);
    // Trusting the mirror's CA but presenting no client certificate.
    const noCert = await direct(m, "library/hello:v1", certDir("ca-only", { "ca.crt": pki.caCertPem }));
    expect(noCert.code).not.toBe(0);
    expect(noCert.stderr).toMatch(/certificate|tls/i);
    // A client certificate from another CA.
    const rogue = makeTestPki(dir, ["127.0.0.1"], "rogue");
    const wrong = await direct(m, "library/hello:v1", certDir("rogue", { "ca.crt": pki.caCertPem, "client.cert": rogue.clientCertPem, "client.key": rogue.clientKeyPem }));
    expect(wrong.code).not.toBe(0);
    // Control: the node's rendered certs.d directory works.
    const node = await direct(m, "library/hello:v1", path.join(CONTAINERS_CERTS_D, m.address));
    expect(node.code, node.stderr).toBe(0);
    expect(node.stdout).toContain("schemaVersion");
  });

  it("credential rotation: the static pod manifest changes (no secret in it), and the restarted mirror pulls uncached images", async () => {
    users[ROBOT.username]!.password = ROTATED_PASSWORD; // Harbor rotated the robot secret
    const nodeCerts = path.join(CONTAINERS_CERTS_D, mirrors.harbor!.address);
    // The running mirror still logs in with the old secret: an uncached repository fails.
    expect((await direct(mirrors.harbor!, "library/rotated:v1", nodeCerts)).code).not.toBe(0);

    const before = files;
    passwords = { ...passwords, harbor: ROTATED_PASSWORD };
    files = render();
    const manifest = (f: NodeFile[], up: string) => fileAt(f, `/registry-mirror-${up}.yaml`).content;
    expect(manifest(files.pub, "harbor")).not.toBe(manifest(before.pub, "harbor"));
    expect(manifest(files.pub, "backup")).toBe(manifest(before.pub, "backup"));
    for (const f of files.pub) expect(f.content).not.toMatch(/robot-pull-secret/);

    // The kubelet sees a changed manifest and restarts the pod.
    await mirrors.harbor!.stop();
    await startMirror("harbor");
    const since = mirrors.harbor!.logOffset();
    const sk = await skopeoPull("rotated", `${harbor.address}/library/rotated:v1`);
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(rotatedImage.digest);
    expect(mirrors.harbor!.countServed(since, /skopeo/)).toBeGreaterThan(0);
    await ensureCached("rotated", `${harbor.address}/library/rotated:v1`);
  });

  it("Harbor hung: distribution alone cannot start, the supervised mirror restarted during the outage serves its cache and keeps it", async () => {
    await harbor.stop();
    await mirrors.harbor!.stop();
    // The reason for the supervisor: the proxy pings its upstream at start and panics.
    const bare = YAML.parse(fileAt(files.secret, "/harbor/config.yml").content) as Record<string, unknown>;
    (bare.storage as { filesystem: { rootdirectory: string } }).filesystem.rootdirectory = path.join(dir, "bare-cache");
    delete (bare.http as Record<string, unknown>).tls;
    delete (bare.http as Record<string, unknown>).debug;
    await expect(startDistribution({ name: "bare-proxy", dir, config: bare, readyTimeoutMs: 5000 })).rejects.toThrow(/did not start[\s\S]*panic/);

    // Then the worst outage shape for a probe: Harbor's address accepts connections and never answers.
    hungHarbor = net.createServer((sock) => hungSockets.add(sock));
    await new Promise<void>((res, rej) => (hungHarbor!.once("error", rej), hungHarbor!.listen(harbor.port, "127.0.0.1", () => res())));
    // (distribution alone would not even panic now: its start-up GET has no timeout and hangs.)

    // Restarted as the kubelet would; the readiness wait is bounded by the 10 s requirement.
    // Supervisor knobs (env, see supervisor.sh) for this drill only: a size bound just below what
    // the cache holds now (v1 and the rotated image), checked every 1 s probe interval.
    const du = await run("du", ["-sk", path.join(dir, "pod-harbor", "cache", "docker")], 10_000);
    cachedKiB = Number(du.stdout.split("\t")[0]);
    expect(cachedKiB).toBeGreaterThan(8);
    await startMirror("harbor", 10_000, { CACHE_MAX_KIB: String(cachedKiB - 1), SIZE_CHECK_SECONDS: "0", PROBE_INTERVAL_SECONDS: "1" });
    expect(mirrors.harbor!.status()).toMatch(/^mode=readonly upstream=down /);
    const since = { harbor: mirrors.harbor!.logOffset(), backup: mirrors.backup!.logOffset() };
    const sk = await skopeoPull("outage-restart");
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(image.digest);
    expect(mirrors.harbor!.countServed(since.harbor, /skopeo/)).toBeGreaterThan(0);
    expect(mirrors.backup!.countServed(since.backup)).toBe(0);
    // Over its size bound, but Harbor is down: the cache is all there is, so it is kept.
    const first = await waitForStatus(mirrors.harbor!, /updated=/, 5000);
    const at = (st: string) => Number(st.match(/updated=(\d+)/)?.[1]);
    const later = await waitForStatus(mirrors.harbor!, (st) => at(st) >= at(first) + 2, 10_000);
    expect(at(later)).toBeGreaterThanOrEqual(at(first) + 2);
    expect(later).toMatch(new RegExp(`^mode=readonly upstream=down cache_kib=${cachedKiB} max_kib=${cachedKiB - 1} evictions=0 `));
  });

  it("Harbor back: the same mirror proxies again by itself, applies its size bound, and pulls an image it never cached", async () => {
    await closeHungHarbor();
    harbor = await startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") }, port: harbor.port });
    // Bounded: a few probe intervals of the supervisor. Back in proxy mode the size bound applies:
    // the cache is emptied once (it refills on demand from Harbor).
    expect(await waitForStatus(mirrors.harbor!, /^mode=proxy upstream=up cache_kib=0 .*evictions=1 /, 20_000)).toMatch(/^mode=proxy upstream=up cache_kib=0 .*evictions=1 /);
    const since = mirrors.harbor!.logOffset();
    const sk = await skopeoPull("after-outage", `${harbor.address}/library/hello:v3`);
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(v3.digest);
    expect(mirrors.harbor!.countServed(since, /skopeo/)).toBeGreaterThan(0);
    await ensureCached("after-outage", `${harbor.address}/library/hello:v3`);
    // One image is below the bound that two exceeded: no second eviction.
    expect(mirrors.harbor!.status()).toMatch(/ evictions=1 /);
  });

  it("Harbor refused while its mirror runs: the mirror turns read-only by itself and keeps serving", async () => {
    await harbor.stop();
    // Three failed probes in a row (1 s apart in this drill), bounded.
    expect(await waitForStatus(mirrors.harbor!, /^mode=readonly upstream=down /, 20_000)).toMatch(/^mode=readonly upstream=down /);
    const since = mirrors.harbor!.logOffset();
    const sk = await skopeoPull("running-outage", `${harbor.address}/library/hello:v3`);
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(v3.digest);
    expect(mirrors.harbor!.countServed(since, /skopeo/)).toBeGreaterThan(0);
  });

  it("Harbor and its mirror down: both clients get the same digest from the backup mirror", async () => {
    await mirrors.harbor!.stop();
    const since = mirrors.backup!.logOffset();
    const sk = await skopeoPull("failover");
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(image.digest);
    expect(mirrors.backup!.countServed(since, /skopeo/)).toBeGreaterThan(0);

    const c = await ctrPull();
    expect(c.code, c.stderr).toBe(0);
    expect(c.digest).toBe(image.digest);
    expect(mirrors.backup!.countServed(since, /containerd/)).toBeGreaterThan(0);
    expect(ts.requests.some((r) => r.service === "backup" && r.subject === BACKUP_PULL.username)).toBe(true);
  });

  it("everything down: pulls fail with an error naming the registry, without hanging", async () => {
    await mirrors.backup!.stop();
    await backup.stop();
    const sk = await skopeoPull("all-down");
    expect(sk.code).not.toBe(0);
    expect(sk.timedOut).toBe(false);
    expect(sk.stderr).toContain(harbor.address);
    expect(sk.stderr).toMatch(/connection refused/);

    const c = await ctrPull();
    expect(c.code).not.toBe(0);
    expect(c.timedOut).toBe(false);
    expect(c.stderr).toMatch(/connection refused/);
  });
});
