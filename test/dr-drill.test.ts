// DR drill with real components from Debian, on 127.0.0.1 only:
//   token server + distribution as the Harbor stand-in and as a backup stand-in (images under a
//   different path, as the clouds keep them), the two pull-through mirrors started from the
//   RENDERED config.yml files, and pulls through the RENDERED registries.conf (skopeo: the same
//   containers/image code CRI-O uses) and hosts.toml (containerd's ctr --hosts-dir).
// Scenarios: all up -> the Harbor mirror serves; Harbor and its mirror down -> the backup mirror
// serves the same digest; everything down -> a clear failure.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as TOML from "smol-toml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import { planRegion, type RegionPlan, type ResolvedUpstream } from "../components/mirrors/plan";
import { consecutiveFreePorts, startDistribution, stopAllDistributions, waitForHttp, type RunningDistribution } from "./helpers/distribution";
import { buildOciImage, pushImage, run, type BuiltImage, type CommandResult } from "./helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

const ROBOT = { username: "robot$drill-mirror", password: "robot-pull-secret" };
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
  const mirrors: Record<string, RunningDistribution> = {};
  let plan: RegionPlan;
  let image: BuiltImage;
  let registriesConf: string;
  let hostsDir: string;
  let mirrorConfigs: Record<string, Record<string, unknown>>;
  let containerd: ChildProcess | undefined;
  let socket: string;
  let harborRef: string;

  /** Start a mirror from its rendered config.yml; the only change is the storage root (see below). */
  const startMirror = (upstream: string, readyTimeoutMs?: number) => {
    const cfg = structuredClone(mirrorConfigs[upstream]!);
    // Adaptation for the drill (visible, minimal): in the static pod /var/lib/registry is a hostPath
    // mount; here it is a directory of this test. Debian's distribution 2.8 reads the rest of the
    // v3 config as rendered (it ignores `proxy.ttl`, a v3 key). http.addr is kept: same port.
    (cfg.storage as { filesystem: { rootdirectory: string } }).filesystem.rootdirectory = path.join(dir, `cache-${upstream}`);
    const port = Number(String((cfg.http as { addr: string }).addr).split(":")[1]);
    return startDistribution({ name: `mirror-${upstream}`, dir, config: cfg, port, readyTimeoutMs });
  };

  const skopeoPull = async (label: string): Promise<CommandResult & { digest?: string }> => {
    const out = path.join(dir, `pull-${label}`);
    const r = await run("skopeo", ["--registries-conf", registriesConf, "copy", "--quiet", "--preserve-digests", `docker://${harborRef}`, `oci:${out}:pulled`], 60_000);
    if (r.code !== 0) return r;
    const index = JSON.parse(fs.readFileSync(path.join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
    return { ...r, digest: index.manifests[0]?.digest };
  };

  const ctr = (args: string[], timeoutMs = 60_000) => run("ctr", ["-a", socket, ...args], timeoutMs);
  const ctrPull = async (): Promise<CommandResult & { digest?: string }> => {
    await ctr(["images", "rm", "--sync", harborRef], 20_000);
    const r = await ctr(["images", "pull", "--hosts-dir", hostsDir, "--snapshotter", "native", "--platform", `linux/${ARCH}`, harborRef]);
    if (r.code !== 0) return r;
    const ls = await ctr(["images", "ls"], 20_000);
    const line = ls.stdout.split("\n").find((l) => l.startsWith(`${harborRef} `));
    return { ...r, digest: line?.match(/sha256:[0-9a-f]{64}/)?.[0] };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-drill-"));
    ts = await startTokenServer({
      dir,
      users: {
        [ROBOT.username]: { password: ROBOT.password, actions: ["pull"] },
        [BACKUP_PULL.username]: { password: BACKUP_PULL.password, actions: ["pull"] },
        [PUSHER.username]: { password: PUSHER.password, actions: ["pull", "push"] },
      },
    });
    [harbor, backup] = await Promise.all([
      startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") } }),
      startDistribution({ name: "backup", dir, config: { auth: tokenAuthConfig(ts, "backup") } }),
    ]);
    harborRef = `${harbor.address}/library/hello:v1`;

    image = buildOciImage(path.join(dir, "image"), { tag: "v1", platforms: [{ os: "linux", architecture: ARCH }] });
    await pushImage(image, `${harbor.address}/library/hello:v1`, PUSHER);
    // Replication's result on the backup: same image, under the backup's path prefix.
    await pushImage(image, `${backup.address}/${BACKUP_PREFIX}/library/hello:v1`, PUSHER);

    // Render the region exactly as the component does, with hand-built upstreams.
    const upstreams: ResolvedUpstream[] = [
      { name: "harbor", kind: "harbor", url: harbor.url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: ROBOT.username },
      { name: "backup", kind: "oci", url: backup.url, pathPrefix: BACKUP_PREFIX, keepsProjectPath: true, insecure: true, username: BACKUP_PULL.username },
    ];
    const base = await consecutiveFreePorts(2);
    plan = planRegion(
      { name: "drill", mirrorAddresses: ["127.0.0.1"], runtimes: ["crio", "containerd"], mirrorPortBase: base, dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      upstreams,
    );
    const pub = publicNodeFiles(plan).files;
    const secret = secretNodeFiles(plan, { harbor: ROBOT.password, backup: BACKUP_PULL.password });
    mirrorConfigs = {
      harbor: YAML.parse(fileAt(secret, "/harbor/config.yml").content) as Record<string, unknown>,
      backup: YAML.parse(fileAt(secret, "/backup/config.yml").content) as Record<string, unknown>,
    };
    registriesConf = path.join(dir, "registries.conf");
    fs.writeFileSync(registriesConf, fileAt(pub, "50-registry-topology.conf").content);
    hostsDir = path.join(dir, "certs.d");
    const hosts = fileAt(pub, "/hosts.toml");
    fs.mkdirSync(path.join(hostsDir, harbor.address), { recursive: true });
    fs.writeFileSync(path.join(hostsDir, harbor.address, "hosts.toml"), hosts.content);

    // The mirrors must start after their upstreams: distribution's proxy learns the token realm at start.
    mirrors.harbor = await startMirror("harbor");
    mirrors.backup = await startMirror("backup");

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
    await stopAllDistributions();
    await ts?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("renders mirrors in order (Harbor first) with the backup's path in CRI-O and containerd files", () => {
    expect(plan.endpoints.map((e) => e.upstream)).toEqual(["harbor", "backup"]);
    expect(registriesConf && fs.readFileSync(registriesConf, "utf8")).toContain(`location = "${plan.endpoints[1]!.address}/${BACKUP_PREFIX}/library"`);
    const hosts = TOML.parse(fs.readFileSync(path.join(hostsDir, harbor.address, "hosts.toml"), "utf8")) as { server: string; host: Record<string, unknown> };
    expect(hosts.server).toBe(harbor.url);
    expect(Object.keys(hosts.host)).toEqual([`http://${plan.endpoints[0]!.address}`, `http://${plan.endpoints[1]!.address}/v2/${BACKUP_PREFIX}`]);
  });

  it("loads the rendered config_path fragment: containerd's CRI plugin is up (no legacy mirrors table)", async () => {
    const plugins = await ctr(["plugins", "ls"], 20_000);
    expect(plugins.stdout).toMatch(/io\.containerd\.grpc\.v1\s+cri\s+\S+\s+ok/);
  });

  it("all up: skopeo (CRI-O's library) and ctr pull through the Harbor mirror, anonymously", async () => {
    const since = { harbor: mirrors.harbor!.logOffset(), backup: mirrors.backup!.logOffset() };
    const sk = await skopeoPull("all-up");
    expect(sk.code, sk.stderr).toBe(0);
    expect(sk.digest).toBe(image.digest);
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

  it("Harbor down: the Harbor mirror's probes stay green, but a restarted Harbor mirror cannot start", async () => {
    await harbor.stop();
    for (const p of ["/", "/v2/"]) await waitForHttp(`${mirrors.harbor!.url}${p}`, { statuses: [200], timeoutMs: 5000 });
    // Measured behaviour of distribution: the proxy pings its upstream at start and exits if it
    // cannot. This is why the backup mirror must not depend on Harbor.
    await mirrors.harbor!.stop();
    await expect(startMirror("harbor", 5000)).rejects.toThrow(/did not start[\s\S]*panic/);
  });

  it("Harbor and its mirror down: both clients get the same digest from the backup mirror", async () => {
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
