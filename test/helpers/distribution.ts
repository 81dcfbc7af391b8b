/**
 * Real CNCF distribution ("docker-registry" from Debian) for tests and benchmarks.
 *
 *   const reg = await startDistribution({ name: "harbor", dir, config: { auth: { token: ... } } });
 *   // reg.address = "127.0.0.1:<free port>", reg.url = "http://127.0.0.1:<port>"
 *   ...
 *   await reg.stop();            // or stopAllDistributions() in afterAll
 *
 * Every instance listens on 127.0.0.1 on a port the OS picked, writes its log to a file in `dir`,
 * and is stopped by its own PID. Waiting for readiness is bounded (default 10 s).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import YAML from "yaml";

export const DISTRIBUTION_BINARY = process.env.DISTRIBUTION_BINARY ?? "docker-registry";

export interface DistributionOptions {
  /** Short name used for file names and error messages ("harbor", "mirror-harbor"). */
  name: string;
  /** Working directory: config, log and (unless the config names one) storage go here. */
  dir: string;
  /**
   * Distribution config as an object or YAML text. `http.addr` is always replaced by
   * 127.0.0.1:<port>; `http.debug` is removed unless `keepDebug`; `storage` defaults to a
   * filesystem root under `dir`.
   */
  config?: Record<string, unknown> | string;
  /** Listen on this port instead of a free one (e.g. to restart an instance at the same address). */
  port?: number;
  /** Bound for the readiness wait (GET /v2/ answers 200 or 401). Default 10 000 ms. */
  readyTimeoutMs?: number;
  keepDebug?: boolean;
}

export interface RunningDistribution {
  name: string;
  port: number;
  /** host:port, no scheme. */
  address: string;
  /** http://host:port */
  url: string;
  configPath: string;
  logPath: string;
  /** The config actually written (after the address/storage overrides). */
  config: Record<string, unknown>;
  pid: number;
  /** Current size of the log in bytes: pass it to `countServed` to look only at later lines. */
  logOffset(): number;
  /** The log text from `since` (bytes) on. */
  log(since?: number): string;
  /**
   * How many manifest/blob requests this registry answered with 200 since `since`, optionally
   * only those whose user agent matches (e.g. /skopeo|containerd/): "who served this pull".
   */
  countServed(since?: number, userAgent?: RegExp): number;
  stop(): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
}

const running = new Set<RunningDistribution>();

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** n consecutive free ports on 127.0.0.1 (the region config gives mirrors mirrorPortBase + i). */
export async function consecutiveFreePorts(n: number): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    try {
      for (let i = 0; i < n; i++) {
        const s = net.createServer();
        await new Promise<void>((res, rej) => {
          s.once("error", rej);
          s.listen(base + i, "127.0.0.1", () => res());
        });
        servers.push(s);
      }
      return base;
    } catch {
      // taken: try another base
    } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error("no run of free ports found in 20 attempts");
}

/**
 * Poll `url` until it answers with one of `statuses`, for at most `timeoutMs` (each attempt is
 * bounded by 1 s). Throws with the last error when the bound is reached or `alive()` says the
 * process died.
 */
export async function waitForHttp(
  url: string,
  opts: { timeoutMs?: number; statuses?: number[]; alive?: () => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  const statuses = opts.statuses ?? [200, 401];
  let last = "no attempt";
  for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
    if (opts.alive && !opts.alive()) throw new Error(`${url}: process exited before it answered (${last})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (statuses.includes(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer ${statuses.join("/")} within ${opts.timeoutMs ?? 10_000} ms (last: ${last})`);
}

function asObject(config: DistributionOptions["config"]): Record<string, unknown> {
  if (config === undefined) return {};
  if (typeof config === "string") return (YAML.parse(config) ?? {}) as Record<string, unknown>;
  return structuredClone(config);
}

/** The config as it will be written: loopback address, file storage under `dir` by default. */
export function effectiveConfig(opts: DistributionOptions, port: number): Record<string, unknown> {
  const cfg = asObject(opts.config);
  cfg.version ??= "0.1";
  cfg.log ??= { level: "info", fields: { service: opts.name } };
  cfg.storage ??= { filesystem: { rootdirectory: path.join(opts.dir, `${opts.name}-data`) }, delete: { enabled: true } };
  const http = { ...((cfg.http as Record<string, unknown> | undefined) ?? {}) };
  http.addr = `127.0.0.1:${port}`;
  if (!opts.keepDebug) delete http.debug;
  cfg.http = http;
  return cfg;
}

function waitExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once("exit", (code) => resolve(code));
  });
}

/** Start distribution with `opts.config` on 127.0.0.1 and wait (bounded) until /v2/ answers. */
export async function startDistribution(opts: DistributionOptions): Promise<RunningDistribution> {
  fs.mkdirSync(opts.dir, { recursive: true });
  const port = opts.port ?? (await freePort());
  const config = effectiveConfig(opts, port);
  const configPath = path.join(opts.dir, `${opts.name}.yml`);
  const logPath = path.join(opts.dir, `${opts.name}.log`);
  fs.writeFileSync(configPath, YAML.stringify(config), { mode: 0o600 });
  const logFd = fs.openSync(logPath, "a");
  const child = spawn(DISTRIBUTION_BINARY, ["serve", configPath], { stdio: ["ignore", logFd, logFd] });
  fs.closeSync(logFd);
  if (child.pid === undefined) throw new Error(`${opts.name}: could not start ${DISTRIBUTION_BINARY} (is Debian's docker-registry installed?)`);
  const exited = waitExit(child);
  let alive = true;
  void exited.then(() => (alive = false));

  const readLog = (since = 0): string => {
    const buf = fs.readFileSync(logPath);
    return buf.subarray(Math.min(since, buf.length)).toString("utf8");
  };
  const reg: RunningDistribution = {
    name: opts.name,
    port,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    configPath,
    logPath,
    config,
    pid: child.pid,
    exited,
    logOffset: () => fs.statSync(logPath).size,
    log: readLog,
    countServed: (since = 0, userAgent?: RegExp) =>
      readLog(since)
        .split("\n")
        .filter((l) => /"(GET|HEAD) \/v2\/\S+\/(manifests|blobs)\/\S* HTTP\/1\.1" 200 /.test(l))
        .filter((l) => !userAgent || userAgent.test(l)).length,
    stop: async () => {
      running.delete(reg);
      if (alive) {
        child.kill("SIGTERM");
        const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        if (!killed) {
          child.kill("SIGKILL");
          await exited;
        }
      }
    },
  };
  running.add(reg);
  try {
    await waitForHttp(`${reg.url}/v2/`, { timeoutMs: opts.readyTimeoutMs ?? 10_000, alive: () => alive });
  } catch (e) {
    await reg.stop();
    const tail = readLog().split("\n").filter((l) => /panic|level=(error|fatal)/.test(l)).slice(0, 3).join("\n");
    throw new Error(`${opts.name} did not start: ${(e as Error).message}${tail ? `\n${tail}` : ""}`, { cause: e });
  }
  return reg;
}

/** Stop every instance this process started and has not stopped yet (for afterAll / finally). */
export async function stopAllDistributions(): Promise<void> {
  await Promise.all([...running].map((r) => r.stop()));
}
