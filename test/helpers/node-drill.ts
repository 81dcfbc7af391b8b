/**
 * One node and its region, for real, inside a network namespace the harness creates (root only):
 *   - upstreams: Debian's distribution as Harbor and as a backup (images under a path prefix);
 *   - every rendered node file of the plan (both roles, public and secret) materialised under a
 *     temp root by the real writer.sh (busybox applets when installed, as in the writer image), so
 *     files added to the plan later (certificates, ...) come along; the node-role writer keeps
 *     running there and probes the mirrors (health-aware hosts.toml and drop-in);
 *   - the mirrors, run as their static pods run them (test/helpers/mirror-pod.ts: the rendered
 *     supervisor under busybox driving distribution, proxy or read-only) from the files the mirror
 *     writer materialised (configs, supervisor, server certificate and key), speaking mTLS with a
 *     test PKI shaped like the program's; their cache is the node's
 *     /var/lib/registry-topology/mirrors/<upstream> (the hostPath), where the status line lands;
 *   - the writers run with the env their DaemonSet spec gives them (writerDaemonSetSpec), with curl
 *     next to the busybox applets as in the writer image, so the health probe presents the node's
 *     client certificate;
 *   - a private containerd (own root, state, socket) whose /etc/containerd is the temp root's, in
 *     its own mount namespace, so its CRI plugin reads config_path and hosts.toml at their real
 *     paths; pulls go through the CRI API (runtime.v1.ImageService/PullImage);
 *   - skopeo (containers/image, the library CRI-O and podman use) with /etc/containers bound to
 *     the temp root's, so it reads registries.conf, registries.conf.d and certs.d as a node does.
 * Faults: a mirror black-holed (iptables DROP inside the namespace), or replaced by a listener
 * that accepts and never answers. `stop()` ends every process it started (by PID) and removes
 * the namespace with its veth and rules.
 */
import type { ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as TOML from "smol-toml";
import YAML from "yaml";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../../components/mirrors/nodeFiles";
import { MIRROR_DATA_DIR } from "../../components/mirrors/staticPods";
import { planRegion, type RegionPlan, type ResolvedUpstream } from "../../components/mirrors/plan";
import { CONTAINERD_CERTS_D, CRIO_DROPIN } from "../../components/mirrors/runtimeConfig";
import { publicConfigData, secretData, writerDaemonSetSpec, WRITER_SCRIPT } from "../../components/mirrors/writer";
import { makeTestPki, startMirrorPod, type RunningMirrorPod } from "./mirror-pod";
import { criImageClient, type CriImageClient } from "./cri-client";
import { createNetNs, type NetNs } from "./netns";
import { buildOciImage, pushImage, type BuiltImage } from "./oci-image";

const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
export const BACKUP_PREFIX = "dr/harbor";
const PORTS = { harbor: 5100, backup: 5101, mirrorBase: 5200 };
const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
const CURL = ["/usr/bin/curl", "/bin/curl"].find((p) => fs.existsSync(p));

export interface NsProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  stop(): Promise<void>;
}

export interface NsRegistry extends NsProcess {
  port: number;
  address: string;
  url: string;
  logOffset(): number;
  /** Manifest/blob requests answered 200 since `since` (bytes of log), by user agent. */
  countServed(since: number, userAgent?: RegExp): number;
}

export interface Pull {
  digest: string;
  ms: number;
}

export interface NodeDrill {
  ns: NetNs;
  dir: string;
  root: string;
  plan: RegionPlan;
  image: BuiltImage;
  /** The image as pods name it: <harbor host>/library/hello:v1. */
  ref: string;
  harbor: NsRegistry;
  backup: NsRegistry;
  mirrors: Record<"harbor" | "backup", RunningMirrorPod>;
  /** Every rendered node file (both roles, secret ones included). */
  files: NodeFile[];
  /** Probe URL of a mirror as the writer knows it (https://<address>). */
  mirrorUrl(upstream: "harbor" | "backup"): string;
  /** CRI PullImage of `pullRef` (default: `ref`), after removing it; resolves with its repo digest. */
  criPull(timeoutMs?: number, pullRef?: string): Promise<Pull>;
  skopeoPull(label: string, timeoutMs?: number): Promise<Pull>;
  /** podman pull (containers/image with podman's own config handling), fresh storage per pull. */
  podmanPull(label: string, timeoutMs?: number): Promise<Pull>;
  /** Wait (bounded) until both health-aware node files list (true) or leave out (false) the mirror; resolves with the wait in ms. */
  waitListed(upstream: "harbor" | "backup", listed: boolean, timeoutMs?: number): Promise<number>;
  startUpstream(name: "harbor" | "backup"): Promise<NsRegistry>;
  startMirror(name: "harbor" | "backup"): Promise<RunningMirrorPod>;
  /** A listener on the mirror's address that accepts and never answers (the mirror must be stopped). */
  startHung(name: "harbor" | "backup"): Promise<NsProcess>;
  writerLog(): string;
  /**
   * One more run of a writer (RUN_ONCE) with its DaemonSet env, `env` on top (a variable set to ""
   * is removed); resolves with its exit code and output.
   */
  writerOnce(role: "mirror" | "node", env?: Record<string, string>): Promise<{ code: number; log: string }>;
  stop(): Promise<void>;
}

export interface NodeDrillOptions {
  dir: string;
  /** The writer's probe period and bound (production: 5 s and 2 s). */
  healthIntervalSeconds: number;
  probeTimeoutSeconds: number;
}

function waitExit(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve())));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = waitExit(child);
  child.kill("SIGTERM");
  const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
  if (!done) {
    child.kill("SIGKILL");
    await exited;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`);
}

/** Put a writer's ConfigMap + Secret keys where the projected volume would. */
function writeSources(dir: string, files: readonly NodeFile[]): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [k, v] of Object.entries({ ...publicConfigData(files), ...secretData(files) })) fs.writeFileSync(path.join(dir, k), v);
}

export async function startNodeDrill(opts: NodeDrillOptions): Promise<NodeDrill> {
  const dir = opts.dir;
  const root = path.join(dir, "root");
  const procs = new Set<NsProcess>();
  // Every mirror pod this drill started (their own process groups): stopped with the drill, or a
  // supervisor outlives it (and spins once its directory is gone).
  const pods = new Set<RunningMirrorPod>();
  let cri: CriImageClient | undefined;
  const ns = await createNetNs();
  const stop = async () => {
    cri?.close();
    await Promise.all([...pods].map((p) => p.stop()));
    await Promise.all([...procs].map((p) => p.stop()));
    await ns.destroy();
  };
  try {
    const nsProcess = (name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): NsProcess => {
      const logPath = path.join(dir, `${name}.log`);
      const fd = fs.openSync(logPath, "a");
      const child = ns.spawn(cmd, args, { stdio: ["ignore", fd, fd], env: env ?? process.env });
      fs.closeSync(fd);
      const p: NsProcess = { name, child, logPath, stop: async () => (procs.delete(p), stopChild(child)) };
      procs.add(p);
      return p;
    };
    const nsRegistry = async (name: string, config: Record<string, unknown>, port: number): Promise<NsRegistry> => {
      const cfgPath = path.join(dir, `${name}.yml`);
      fs.writeFileSync(cfgPath, YAML.stringify(config), { mode: 0o600 });
      const p = nsProcess(name, "docker-registry", ["serve", cfgPath]);
      const address = `${ns.nsIp}:${port}`;
      const read = (since: number) => fs.readFileSync(p.logPath).subarray(since).toString("utf8");
      const reg: NsRegistry = {
        ...p,
        port,
        address,
        url: `http://${address}`,
        logOffset: () => fs.statSync(p.logPath).size,
        countServed: (since, ua) =>
          read(since)
            .split("\n")
            .filter((l) => /"(GET|HEAD) \/v2\/\S+\/(manifests|blobs)\/\S* HTTP\/1\.1" 200 /.test(l))
            .filter((l) => !ua || ua.test(l)).length,
      };
      await until(`${name} answering on ${address}`, 10_000, async () => {
        if (p.child.exitCode !== null) throw new Error(`${name} exited: ${read(0).split("\n").slice(-3).join(" | ")}`);
        try {
          const res = await fetch(`${reg.url}/v2/`, { signal: AbortSignal.timeout(1000) });
          await res.arrayBuffer();
          return res.status < 500 ? true : undefined;
        } catch {
          return undefined;
        }
      });
      return reg;
    };

    // Upstreams (anonymous here: how a mirror authenticates upstream is test/dr-drill.test.ts's part).
    const upstreamConfig = (name: string, port: number) => ({
      version: 0.1,
      log: { level: "info", fields: { service: name } },
      storage: { filesystem: { rootdirectory: path.join(dir, `${name}-data`) }, delete: { enabled: true } },
      http: { addr: `${ns.nsIp}:${port}` },
    });
    const startUpstream = (name: "harbor" | "backup") => nsRegistry(name, upstreamConfig(name, PORTS[name]), PORTS[name]);
    let harbor = await startUpstream("harbor");
    let backup = await startUpstream("backup");
    const image = buildOciImage(path.join(dir, "image"), { tag: "v1", platforms: [{ os: "linux", architecture: ARCH }] });
    await pushImage(image, `${harbor.address}/library/hello:v1`);
    await pushImage(image, `${backup.address}/${BACKUP_PREFIX}/library/hello:v1`);

    const upstreams: ResolvedUpstream[] = [
      { name: "harbor", kind: "harbor", url: harbor.url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: "robot$drill" },
      { name: "backup", kind: "oci", url: backup.url, pathPrefix: BACKUP_PREFIX, keepsProjectPath: true, insecure: true, username: "backup-reader" },
    ];
    const plan = planRegion(
      { name: "drill", mirrorAddresses: [ns.nsIp], runtimes: ["crio", "containerd"], mirrorPortBase: PORTS.mirrorBase, dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      upstreams,
    );
    // mTLS toward the mirrors: a throw-away PKI shaped like pki.ts, SANs = what nodes dial.
    const pki = makeTestPki(dir, [ns.nsIp]);
    const passwords = { harbor: "unused", backup: "unused" };
    // As the component orders them: secret files (credentials, keys) first, static pods last.
    const files = [...secretNodeFiles(plan, passwords, pki), ...publicNodeFiles(plan, pki, mirrorRestartDigests(plan, passwords, pki, "drill-restart-key-0123456789")).files];

    // The node as it was before the writer: its own containerd config (what an `imports` fragment
    // would wipe on 1.6), registries.conf and policy.json; the kubelet's manifest directory.
    const ctrd = path.join(dir, "ctrd");
    for (const d of ["etc/containers/registries.conf.d", "etc/containerd", "etc/kubernetes/manifests", "var/lib"]) fs.mkdirSync(path.join(root, d), { recursive: true });
    fs.mkdirSync(path.join(ctrd, "cni"), { recursive: true });
    fs.writeFileSync(path.join(root, "etc/containers/registries.conf"), 'unqualified-search-registries = []\nshort-name-mode = "enforcing"\n');
    fs.writeFileSync(path.join(root, "etc/containers/policy.json"), JSON.stringify({ default: [{ type: "insecureAcceptAnything" }] }));
    fs.writeFileSync(
      path.join(root, "etc/containerd/config.toml"),
      "# the node's own containerd config\n" +
        TOML.stringify({
          version: 2,
          root: path.join(ctrd, "root"),
          state: path.join(ctrd, "state"),
          disabled_plugins: ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"],
          grpc: { address: path.join(ctrd, "containerd.sock") },
          ttrpc: { address: path.join(ctrd, "containerd.sock.ttrpc") },
          plugins: {
            "io.containerd.internal.v1.opt": { path: path.join(ctrd, "opt") },
            "io.containerd.grpc.v1.cri": {
              sandbox_image: "registry.k8s.io/pause:3.9",
              stream_server_address: "127.0.0.1",
              stream_server_port: "0",
              containerd: { snapshotter: "native" },
              cni: { bin_dir: path.join(ctrd, "cni"), conf_dir: path.join(ctrd, "cni") },
            },
          },
        }),
    );

    // The writer, as in its pod: busybox applets only (when installed), inside the namespace.
    // The writer image: busybox applets and curl (the mTLS health probe).
    if (!CURL) throw new Error("curl is not installed (Debian package curl; .ci/run installs it): the writer's mTLS probe needs it");
    const bb = path.join(dir, "bb");
    fs.mkdirSync(bb);
    if (BUSYBOX) {
      const list = (await ns.run(BUSYBOX, ["--list"], 10_000)).stdout.split("\n").filter(Boolean);
      for (const a of list) fs.symlinkSync(BUSYBOX, path.join(bb, a));
    }
    fs.rmSync(path.join(bb, "curl"), { force: true });
    fs.symlinkSync(CURL, path.join(bb, "curl"));
    // The env of each writer's DaemonSet (writer.ts), adapted: host root, sources and probe timing.
    const specEnv = (role: "mirror" | "node"): Record<string, string> => {
      const spec = writerDaemonSetSpec({ region: plan.region.name, role, files: files.filter((f) => f.role === role), configMapName: "drill", signalCrio: role === "node" }) as {
        template: { spec: { containers: { env: { name: string; value?: string }[] }[] } };
      };
      return Object.fromEntries(spec.template.spec.containers[0]!.env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
    };
    // The pod's scratch emptyDir (writer.ts SCRATCH): a directory per role here.
    const scratchDir = (role: "mirror" | "node") => {
      const d = path.join(dir, `scratch-${role}`);
      fs.mkdirSync(d, { recursive: true });
      return { SCRATCH_DIR: d, TMPDIR: d, CLEAN_MARKER: path.join(d, "registry-topology-clean") };
    };
    const writerEnv = (role: "mirror" | "node") => ({
      ...specEnv(role),
      ...scratchDir(role),
      PATH: BUSYBOX ? bb : `${bb}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      HOST_ROOT: root,
      SRC_DIR: path.join(dir, `src-${role}`),
      STATE_FILE: `/var/lib/registry-topology/${role}.managed`,
      HEALTH_INTERVAL_SECONDS: String(opts.healthIntervalSeconds),
      PROBE_TIMEOUT_SECONDS: String(opts.probeTimeoutSeconds),
      NODE_NAME: "drill-node",
    });
    const script = path.join(dir, "writer.sh");
    fs.writeFileSync(script, WRITER_SCRIPT);
    writeSources(path.join(dir, "src-mirror"), files.filter((f) => f.role === "mirror"));
    writeSources(path.join(dir, "src-node"), files.filter((f) => f.role === "node"));
    const once = nsProcess("writer-mirror", path.join(BUSYBOX ? bb : "/bin", "sh"), [script], { ...writerEnv("mirror"), RUN_ONCE: "1" });
    await until("mirror-role writer run", 60_000, () => (once.child.exitCode !== null ? true : undefined));
    if (once.child.exitCode !== 0) throw new Error(`mirror-role writer failed: ${fs.readFileSync(once.logPath, "utf8")}`);

    const mirrorUrl = (u: "harbor" | "backup") => `https://${plan.endpoints.find((e) => e.upstream === u)!.address}`;
    // The mirror pods read what the mirror-role writer put on the node (not the renderer's output).
    const materialised = () =>
      files.filter((f) => f.role === "mirror").map((f) => {
        const onNode = path.join(root, f.path.slice(1));
        if (!fs.existsSync(onNode)) throw new Error(`the mirror writer did not write ${f.path}`);
        return { ...f, content: fs.readFileSync(onNode, "utf8") };
      });
    const startMirror = async (name: "harbor" | "backup") => {
      const cacheDir = path.join(root, MIRROR_DATA_DIR.slice(1), name); // the static pod's hostPath
      fs.mkdirSync(cacheDir, { recursive: true });
      const pod = await startMirrorPod({ dir, plan, upstream: name, files: materialised(), ns: { spawn: ns.spawn, host: ns.nsIp }, cacheDir, readyTimeoutMs: 15_000 });
      pods.add(pod);
      return pod;
    };
    const mirrors = { harbor: await startMirror("harbor"), backup: await startMirror("backup") };
    // The node writer starts once the mirrors answer, as on a node whose mirror pods are running:
    // its first probe round then sees them (a writer started earlier logs "every mirror failed").
    const writer = nsProcess("writer-node", path.join(BUSYBOX ? bb : "/bin", "sh"), [script], writerEnv("node"));

    const hostsToml = path.join(root, CONTAINERD_CERTS_D.slice(1), harbor.address, "hosts.toml");
    const dropin = path.join(root, CRIO_DROPIN.slice(1));
    const listed = (u: "harbor" | "backup") => {
      const text = [hostsToml, dropin].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : ""));
      const url = mirrorUrl(u);
      return text.map((t) => t.includes(`#@mirror ${url}\n`) && !t.includes(`# mirror ${url} left out`));
    };
    const waitListed = async (u: "harbor" | "backup", want: boolean, timeoutMs = 20_000) => {
      const t0 = performance.now();
      await until(`node files ${want ? "listing" : "leaving out"} the ${u} mirror`, timeoutMs, () => (listed(u).every((x) => x === want) ? true : undefined));
      return performance.now() - t0;
    };
    // The round ends with its STATUS line (after the last file): wait for that too.
    await until("node writer's first sync (config_path, hosts.toml, drop-in, STATUS)", 60_000, () =>
      fs.existsSync(hostsToml) && fs.existsSync(dropin) && /config_path = "\/etc\/containerd\/certs.d"/.test(fs.readFileSync(path.join(root, "etc/containerd/config.toml"), "utf8")) && /STATUS node=/.test(fs.readFileSync(writer.logPath, "utf8")) ? true : undefined,
    );
    await waitListed("harbor", true);
    await waitListed("backup", true);

    // containerd after config_path is set (a node restarts it once), /etc/containerd from the root.
    const bind = 'mount --bind "$1" /etc/containerd && mount --bind "$2" /etc/containers && shift 2 && exec "$@"';
    const etc = (d: string) => path.join(root, "etc", d);
    nsProcess("containerd", "unshare", ["--mount", "--propagation", "private", "sh", "-c", bind, "sh", etc("containerd"), etc("containers"), "containerd", "--config", "/etc/containerd/config.toml"]);
    const socket = path.join(ctrd, "containerd.sock");
    await until("containerd's CRI image service", 20_000, async () => {
      if (!fs.existsSync(socket)) return undefined;
      const c = criImageClient(socket);
      try {
        await c.status("probe.invalid/none:x");
        cri = c;
        return true;
      } catch {
        c.close();
        return undefined;
      }
    });

    const ref = `${harbor.address}/library/hello:v1`;
    const drill: NodeDrill = {
      ns,
      dir,
      root,
      plan,
      image,
      ref,
      get harbor() {
        return harbor;
      },
      get backup() {
        return backup;
      },
      mirrors,
      files,
      mirrorUrl,
      async criPull(timeoutMs = 40_000, pullRef = ref) {
        await cri!.remove(pullRef).catch(() => undefined);
        const t0 = performance.now();
        await cri!.pull(pullRef, { timeoutMs });
        const ms = performance.now() - t0;
        const st = await cri!.status(pullRef);
        const digest = st?.repoDigests.map((d) => d.split("@")[1]).find(Boolean);
        if (!digest) throw new Error(`CRI pull of ${pullRef} left no repo digest (${JSON.stringify(st)})`);
        return { digest, ms };
      },
      async skopeoPull(label, timeoutMs = 40_000) {
        const out = path.join(dir, `pull-${label}`);
        fs.rmSync(out, { recursive: true, force: true });
        const r = await ns.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" /etc/containers && shift && exec "$@"', "sh", etc("containers"), "skopeo", "copy", "--quiet", "--preserve-digests", `docker://${ref}`, `oci:${out}:pulled`], timeoutMs);
        if (r.code !== 0) throw new Error(`skopeo pull (${label}) failed${r.timedOut ? " (timed out)" : ""}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
        const index = JSON.parse(fs.readFileSync(path.join(out, "index.json"), "utf8")) as { manifests: { digest: string }[] };
        return { digest: index.manifests[0]!.digest, ms: r.ms };
      },
      async podmanPull(label, timeoutMs = 40_000) {
        // podman refuses a runroot longer than 50 characters: a short directory of its own.
        const store = fs.mkdtempSync(path.join(os.tmpdir(), "rtp-"));
        fs.rmSync(store, { recursive: true, force: true });
        const args = ["--root", path.join(store, "root"), "--runroot", path.join(store, "run"), "--tmpdir", path.join(store, "tmp"), "--storage-driver", "vfs", "--events-backend", "none", "--cgroup-manager", "cgroupfs"];
        const r = await ns.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" /etc/containers && shift && exec "$@"', "sh", etc("containers"), "podman", ...args, "pull", "--quiet", ref], timeoutMs);
        if (r.code !== 0) {
          fs.rmSync(store, { recursive: true, force: true });
          throw new Error(`podman pull (${label}) failed${r.timedOut ? " (timed out)" : ""}: ${r.stderr.trim().split("\n").slice(-2).join(" | ")}`);
        }
        const insp = await ns.run("unshare", ["--mount", "--propagation", "private", "sh", "-c", 'mount --bind "$1" /etc/containers && shift && exec "$@"', "sh", etc("containers"), "podman", ...args, "image", "inspect", "--format", "{{.Digest}}", ref], 20_000);
        fs.rmSync(store, { recursive: true, force: true });
        return { digest: insp.stdout.trim(), ms: r.ms };
      },
      waitListed,
      async startUpstream(name) {
        const r = await startUpstream(name);
        if (name === "harbor") harbor = r;
        else backup = r;
        return r;
      },
      async startMirror(name) {
        mirrors[name] = await startMirror(name);
        return mirrors[name];
      },
      async startHung(name) {
        const [host, port] = mirrorUrl(name).replace("https://", "").split(":");
        const p = nsProcess(`hung-${name}`, process.execPath, ["-e", `require("net").createServer(() => {}).listen(${Number(port)}, ${JSON.stringify(host)})`]);
        await until(`hung listener for ${name}`, 10_000, async () => {
          const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect(Number(port), host);
            s.once("connect", () => (s.destroy(), resolve(true)));
            s.once("error", () => resolve(false));
          });
          return ok ? true : undefined;
        });
        return p;
      },
      writerLog: () => fs.readFileSync(writer.logPath, "utf8"),
      async writerOnce(role, env = {}) {
        const e: Record<string, string> = { ...writerEnv(role), RUN_ONCE: "1", ...env };
        for (const [k, v] of Object.entries(env)) if (v === "") delete e[k];
        const name = `writer-${role}-once-${crypto.randomUUID().slice(0, 8)}`;
        const p = nsProcess(name, path.join(BUSYBOX ? bb : "/bin", "sh"), [script], e);
        await until(`${name} run`, 30_000, () => (p.child.exitCode !== null ? true : undefined));
        procs.delete(p);
        return { code: p.child.exitCode!, log: fs.readFileSync(p.logPath, "utf8") };
      },
      stop,
    };
    return drill;
  } catch (e) {
    await stop();
    throw e;
  }
}
