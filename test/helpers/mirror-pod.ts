/**
 * A region mirror run the way its static pod runs it, with real processes: the RENDERED
 * supervisor.sh under busybox sh (busybox wget/timeout, as in the distribution image, which is
 * Alpine + busybox), driving Debian's distribution 2.8.2 with the RENDERED config.yml /
 * readonly.yml and the rendered TLS files. Also: a throw-away PKI made with openssl, shaped like
 * the program's (components/mirrors/pki.ts: ECDSA P-256 CA, server cert with the mirror
 * addresses as SANs, client cert with clientAuth).
 *
 * Adaptations from the pod, and only these: in-pod paths (/etc/distribution*, /var/lib/registry,
 * /usr/local/bin/registry-topology-supervisor) become files of the test's directory, and
 * REGISTRY_BIN points at Debian's docker-registry. Everything else (env values, ports, probes'
 * debug port) is read from the rendered manifest.
 *
 *   const pki = makeTestPki(dir, ["127.0.0.1"]);
 *   const m = await startMirrorPod({ dir, plan, upstream: "harbor", files: [...pub, ...secret] });
 *   await m.stop();   // or stopAllMirrorPods() in afterAll
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import YAML from "yaml";
import { MIRROR_STATUS_FILE } from "../../components/mirrors/mirrorStatus";
import type { NodeFile } from "../../components/mirrors/nodeFiles";
import type { MirrorTls } from "../../components/mirrors/pki";
import type { PlannedMirror, RegionPlan } from "../../components/mirrors/plan";
import { IN_POD, mirrorConfigPath, mirrorPodName, mirrorReadonlyConfigPath, mirrorRelaySecretPath, MIRROR_RELAY_PATH, MIRROR_SUPERVISOR_PATH, MIRROR_TLS_DIR } from "../../components/mirrors/staticPods";
import { DISTRIBUTION_BINARY, waitForHttp } from "./distribution";

/** Applets supervisor.sh uses; each becomes a symlink to busybox on the supervisor's PATH. */
const APPLETS = ["sh", "wget", "timeout", "grep", "sleep", "kill", "date", "du", "cut", "mv", "rm", "mkdir", "cat"];

function which(cmd: string): string {
  for (const d of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
    const p = path.join(d, cmd);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${cmd} not found on PATH (Debian package: ${cmd === "busybox" ? "busybox" : cmd === "docker-registry" ? "docker-registry" : cmd}; .ci/run installs it)`);
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"], timeout: 20_000 });
}

/** CA + server cert (SANs: `addresses`) + client cert, like pki.ts; short-lived, files in `dir`. */
export function makeTestPki(dir: string, addresses: readonly string[], name = "pki"): MirrorTls {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const key = (f: string) => openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", f], d);
  key("ca.key");
  openssl(["req", "-x509", "-new", "-key", "ca.key", "-subj", `/O=registry-topology/CN=${name} CA`, "-days", "2", "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"], d);
  const leaf = (n: string, ext: string) => {
    key(`${n}.key`);
    openssl(["req", "-new", "-key", `${n}.key`, "-subj", `/O=registry-topology/CN=${name} ${n}`, "-out", `${n}.csr`], d);
    fs.writeFileSync(path.join(d, `${n}.ext`), ext);
    openssl(["x509", "-req", "-in", `${n}.csr`, "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", `${n}.ext`, "-out", `${n}.crt`], d);
  };
  const sans = addresses.map((a) => (/^[\d.]+$/.test(a) ? `IP:${a}` : `DNS:${a}`)).join(",");
  leaf("server", `subjectAltName=${sans}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`);
  leaf("client", "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
  const read = (f: string) => fs.readFileSync(path.join(d, f), "utf8");
  return { caCertPem: read("ca.crt"), serverCertPem: read("server.crt"), serverKeyPem: read("server.key"), clientCertPem: read("client.crt"), clientKeyPem: read("client.key") };
}

export interface RunningMirrorPod {
  upstream: string;
  port: number;
  address: string;
  logPath: string;
  pid: number;
  logOffset(): number;
  /** Manifest/blob requests answered 200 since `since`, optionally by user agent. */
  countServed(since?: number, userAgent?: RegExp): number;
  /** The supervisor's status line (mirrorStatus.ts format), "" before the first write. */
  status(): string;
  /** SIGTERM to the supervisor (it stops distribution), SIGKILL to the group after 5 s. */
  stop(): Promise<void>;
}

const running = new Set<RunningMirrorPod>();

function file(files: readonly NodeFile[], p: string): string {
  const f = files.find((x) => x.path === p);
  if (!f) throw new Error(`no rendered node file ${p}`);
  return f.content;
}

/** The rendered static pod's container (the first, distribution's, or the one named): its env, as the kubelet would pass it. */
export function podEnv(files: readonly NodeFile[], m: PlannedMirror, container?: string): Record<string, string> {
  const manifest = files.find((f) => f.path.endsWith(`/${mirrorPodName(m)}.yaml`));
  if (!manifest) throw new Error(`no rendered static pod for ${m.upstream.name}`);
  const pod = YAML.parse(manifest.content) as { spec: { containers: { name: string; env: { name: string; value: string }[] }[] } };
  const c = container ? pod.spec.containers.find((x) => x.name === container) : pod.spec.containers[0];
  if (!c) throw new Error(`the static pod of ${m.upstream.name} has no container ${container}`);
  return Object.fromEntries(c.env.map((e) => [e.name, e.value]));
}

function tcpOpen(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean) => (s.destroy(), resolve(ok));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
    s.setTimeout(1000, () => done(false));
  });
}

/**
 * Start the mirror of `upstream` from the rendered files (public + secret) and wait (bounded by
 * `readyTimeoutMs`, default 10 s) until its debug health answers and its TLS port accepts.
 * In a network namespace (`ns`: its spawn and the address the test reaches it on), readiness is
 * the TLS port accepting on that address (the loopback debug port is the namespace's own).
 * `cacheDir`: the cache hostPath (default: a directory of the test's).
 */
export async function startMirrorPod(opts: {
  dir: string;
  plan: RegionPlan;
  upstream: string;
  files: readonly NodeFile[];
  readyTimeoutMs?: number;
  env?: Record<string, string>;
  ns?: { spawn(cmd: string, args: string[], opts: SpawnOptions): ChildProcess; host: string };
  cacheDir?: string;
  /** Token upstreams: the token file the relay reads (default: the rendered one, written to the pod's directory). */
  tokenFile?: string;
}): Promise<RunningMirrorPod> {
  const m = opts.plan.mirrors.find((x) => x.upstream.name === opts.upstream);
  if (!m) throw new Error(`no mirror for ${opts.upstream} in the plan`);
  const root = path.join(opts.dir, `pod-${opts.upstream}`);
  const tlsDir = path.join(root, "tls");
  const cache = opts.cacheDir ?? path.join(root, "cache");
  fs.mkdirSync(tlsDir, { recursive: true });
  const bin = path.join(root, "bin");
  fs.mkdirSync(bin, { recursive: true });
  const busybox = which("busybox");
  for (const a of APPLETS) if (!fs.existsSync(path.join(bin, a))) fs.symlinkSync(busybox, path.join(bin, a));
  // Rendered files at the in-pod paths, rewritten to this directory.
  const adapt = (text: string) => text.split(`${IN_POD.tlsDir}/`).join(`${tlsDir}/`).split(`rootdirectory: ${IN_POD.cache}`).join(`rootdirectory: ${cache}`);
  for (const name of ["ca.crt", "server.crt", "server.key"]) fs.writeFileSync(path.join(tlsDir, name), file(opts.files, `${MIRROR_TLS_DIR}/${name}`), { mode: 0o600 });
  const proxyCfg = path.join(root, "config.yml");
  const readonlyCfg = path.join(root, "readonly.yml");
  fs.writeFileSync(proxyCfg, adapt(file(opts.files, mirrorConfigPath(m))), { mode: 0o600 });
  fs.writeFileSync(readonlyCfg, adapt(file(opts.files, mirrorReadonlyConfigPath(m))), { mode: 0o600 });
  const supervisor = path.join(root, "supervisor.sh");
  fs.writeFileSync(supervisor, file(opts.files, MIRROR_SUPERVISOR_PATH));
  const env = {
    ...podEnv(opts.files, m),
    PROXY_CONFIG: proxyCfg,
    READONLY_CONFIG: readonlyCfg,
    CACHE_DIR: cache,
    REGISTRY_BIN: which(DISTRIBUTION_BINARY),
    ...opts.env,
    PATH: bin,
  };
  const logPath = path.join(opts.dir, `mirror-pod-${opts.upstream}.log`);
  // A token upstream's pod has a second container, the token relay (node, its rendered script).
  let relay: ChildProcess | undefined;
  if (m.relayPort !== undefined) {
    const relayScript = path.join(root, "token-relay.cjs");
    fs.writeFileSync(relayScript, file(opts.files, MIRROR_RELAY_PATH));
    const relaySecret = path.join(root, "relay-secret");
    fs.writeFileSync(relaySecret, file(opts.files, mirrorRelaySecretPath(m)), { mode: 0o600 });
    const relayEnv = { ...podEnv(opts.files, m, "token-relay"), CREDENTIAL_FILE: opts.tokenFile ?? path.join(root, "token"), RELAY_SECRET_FILE: relaySecret, PATH: process.env.PATH ?? "" };
    const rfd = fs.openSync(path.join(opts.dir, `token-relay-${opts.upstream}.log`), "a");
    relay = spawn(process.execPath, [relayScript], { env: relayEnv, stdio: ["ignore", rfd, rfd], detached: true });
    fs.closeSync(rfd);
    const relayUp = `http://127.0.0.1:${m.relayPort}/healthz`;
    try {
      await waitForHttp(relayUp, { statuses: [200], timeoutMs: 10_000, alive: () => relay!.exitCode === null });
    } catch (e) {
      relay.kill("SIGKILL"); // never left behind when the pod does not come up
      throw e;
    }
  }
  const fd = fs.openSync(logPath, "a");
  // Own process group: stop() can end the supervisor and its distribution by the group id.
  const spawnOpts: SpawnOptions = { env, stdio: ["ignore", fd, fd], detached: true };
  // `ip netns exec` execs the command: same PID, same process group.
  const child = opts.ns ? opts.ns.spawn(busybox, ["sh", supervisor], spawnOpts) : spawn(busybox, ["sh", supervisor], spawnOpts);
  fs.closeSync(fd);
  if (child.pid === undefined) throw new Error(`could not start the supervisor of ${opts.upstream}`);
  const pid = child.pid;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  let alive = true;
  void exited.then(() => (alive = false));
  const readLog = (since = 0) => {
    const b = fs.readFileSync(logPath);
    return b.subarray(Math.min(since, b.length)).toString("utf8");
  };
  const pod: RunningMirrorPod = {
    upstream: opts.upstream,
    port: m.port,
    address: `${opts.ns?.host ?? "127.0.0.1"}:${m.port}`,
    logPath,
    pid,
    logOffset: () => fs.statSync(logPath).size,
    countServed: (since = 0, ua?: RegExp) =>
      readLog(since)
        .split("\n")
        .filter((l) => /"(GET|HEAD) \/v2\/\S+\/(manifests|blobs)\/\S* HTTP\/[\d.]+" 200 /.test(l))
        .filter((l) => !ua || ua.test(l)).length,
    status: () => {
      try {
        return fs.readFileSync(path.join(cache, MIRROR_STATUS_FILE), "utf8").trim();
      } catch {
        return "";
      }
    },
    stop: async () => {
      running.delete(pod);
      if (relay && relay.exitCode === null) {
        const gone = new Promise<void>((r) => relay!.once("exit", () => r()));
        relay.kill("SIGTERM");
        await Promise.race([gone, new Promise((r) => setTimeout(r, 3000))]);
        if (relay.exitCode === null) relay.kill("SIGKILL");
      }
      if (!alive) return;
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        return;
      }
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      try {
        process.kill(-pid, "SIGKILL"); // whatever is left of this pod's group (normally nothing)
      } catch {
        // group already gone
      }
      if (!done) await exited;
    },
  };
  running.add(pod);
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 10_000);
  try {
    if (!opts.ns) await waitForHttp(`http://127.0.0.1:${m.debugPort}/debug/health`, { statuses: [200], timeoutMs: opts.readyTimeoutMs ?? 10_000, alive: () => alive });
    while (!(await tcpOpen(m.port, opts.ns?.host))) {
      if (Date.now() > deadline || !alive) throw new Error(`port ${m.port} not open`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } catch (e) {
    await pod.stop();
    throw new Error(`mirror pod ${opts.upstream} did not become ready: ${(e as Error).message}\n${readLog().split("\n").slice(-6).join("\n")}`, { cause: e });
  }
  return pod;
}

export async function stopAllMirrorPods(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/**
 * Write rendered node files at their real absolute paths (e.g. /etc/containers/certs.d/<host:port>/
 * for c/image, which has no per-host cert-dir flag); returns a function that removes exactly
 * those files and the directories it created. Only for paths the test owns (random ports).
 */
export function installAtRealPaths(files: readonly NodeFile[]): () => void {
  const created: string[] = [];
  const dirs: string[] = [];
  for (const f of files) {
    let top = path.dirname(f.path);
    while (!fs.existsSync(path.dirname(top))) top = path.dirname(top);
    if (!fs.existsSync(top)) {
      fs.mkdirSync(path.dirname(f.path), { recursive: true });
      dirs.push(top); // the highest directory this call created
    }
    fs.writeFileSync(f.path, f.content, { mode: Number.parseInt(f.mode, 8) });
    created.push(f.path);
  }
  return () => {
    for (const p of created) fs.rmSync(p, { force: true });
    for (const d of dirs.reverse()) fs.rmSync(d, { recursive: true, force: true });
  };
}
