/**
 * Debian's real Prometheus (package prometheus, 2.42) for tests: listens on 127.0.0.1 on a free
 * port, its TSDB in a temporary directory, stopped by its own PID. `query` runs an instant query
 * through the HTTP API (GET /api/v1/query) and returns the vector.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import YAML from "yaml";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface VectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  query(expr: string): Promise<VectorSample[]>;
  /** Poll `expr` until `ok` holds for its result, at most `timeoutMs`; returns the last result. */
  waitFor(expr: string, ok: (v: VectorSample[]) => boolean, timeoutMs?: number): Promise<VectorSample[]>;
  log(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  dir: string;
  /** job name -> host:port targets (scraped every second, plain HTTP). */
  targets: Record<string, string[]>;
  ruleFiles?: string[];
}

export async function startPrometheus(o: PrometheusOptions): Promise<RunningPrometheus> {
  const port = await freePort();
  const data = path.join(o.dir, "prometheus-data");
  fs.mkdirSync(data, { recursive: true });
  const configPath = path.join(o.dir, "prometheus.yml");
  fs.writeFileSync(
    configPath,
    YAML.stringify({
      global: { scrape_interval: "1s", evaluation_interval: "1s", scrape_timeout: "1s" },
      rule_files: o.ruleFiles ?? [],
      scrape_configs: Object.entries(o.targets).map(([job, targets]) => ({ job_name: job, static_configs: [{ targets }] })),
    }),
  );
  const logPath = path.join(o.dir, "prometheus.log");
  const logFd = fs.openSync(logPath, "a");
  const child: ChildProcess = spawn(
    "prometheus",
    [`--config.file=${configPath}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`, "--storage.tsdb.retention.time=1h"],
    { stdio: ["ignore", logFd, logFd] },
  );
  fs.closeSync(logFd);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const query = async (expr: string): Promise<VectorSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: VectorSample[] } };
    if (body.status !== "success") throw new Error(`query ${expr}: ${body.error}`);
    if (body.data?.resultType !== "vector") throw new Error(`query ${expr}: expected a vector, got ${body.data?.resultType}`);
    return body.data.result;
  };
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited: ${fs.readFileSync(logPath, "utf8").slice(-2000)}`);
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() - started > 20_000) throw new Error(`prometheus not ready in 20 s: ${fs.readFileSync(logPath, "utf8").slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    query,
    waitFor: async (expr, ok, timeoutMs = 30_000) => {
      const t0 = Date.now();
      let last: VectorSample[] = [];
      while (Date.now() - t0 < timeoutMs) {
        last = await query(expr);
        if (ok(last)) return last;
        await new Promise((r) => setTimeout(r, 500));
      }
      return last;
    },
    log: () => fs.readFileSync(logPath, "utf8"),
    stop: async () => {
      if (child.exitCode === null && child.pid) {
        process.kill(child.pid, "SIGTERM");
        const t = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, "SIGKILL"), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
