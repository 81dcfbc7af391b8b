/**
 * The exporter process: runs a verification every intervalSeconds (never two at once; each bounded
 * by deadlineSeconds) and serves the last run's metrics on GET /metrics. A scrape never triggers
 * registry traffic: registries are read on the exporter's schedule, not Prometheus's.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { collectOnce, type CollectContext, type RunOutcome } from "./collect";
import { formatExposition, type MetricFamily } from "./exposition";
import { LagTracker } from "./lag";
import { readCredentials, type ExporterSettings } from "./targets";

export interface ExporterHandle {
  port: number;
  /** Resolves after the run in progress (if any) has finished. */
  runNow(): Promise<void>;
  close(): Promise<void>;
}

interface RunState {
  runs: { ok: number; failed: number };
  lastRunEnd?: number;
  lastSuccessEnd?: number;
  last?: RunOutcome;
  running?: Promise<void>;
}

function runFamilies(st: RunState, s: ExporterSettings): MetricFamily[] {
  const g = (name: string, help: string, value: number | undefined): MetricFamily => ({ name, help, type: "gauge", samples: value === undefined ? [] : [{ labels: {}, value }] });
  return [
    { name: "registry_topology_verification_runs_total", help: "Verification runs by result: ok (the primary was read), failed (it could not be, or the run crashed).", type: "counter", samples: [{ labels: { result: "ok" }, value: st.runs.ok }, { labels: { result: "failed" }, value: st.runs.failed }] },
    g("registry_topology_verification_last_run_timestamp_seconds", "When the last verification run ended, unix seconds.", st.lastRunEnd === undefined ? undefined : Math.round(st.lastRunEnd / 1000)),
    g("registry_topology_verification_last_success_timestamp_seconds", "When the last run that read the primary ended, unix seconds.", st.lastSuccessEnd === undefined ? undefined : Math.round(st.lastSuccessEnd / 1000)),
    g("registry_topology_verification_last_run_ok", "1 when the last run read the primary.", st.last === undefined ? undefined : st.last.ok ? 1 : 0),
    g("registry_topology_verification_run_duration_seconds", "Wall time of the last run, seconds.", st.last?.seconds),
    g("registry_topology_verification_run_requests", "HTTP requests the last run sent to registries.", st.last?.requests),
    g("registry_topology_verification_interval_seconds", "Seconds between runs (exporter.intervalSeconds).", s.intervalSeconds),
    g("registry_topology_verification_deadline_seconds", "Bound of one run (exporter.deadlineSeconds).", s.deadlineSeconds),
  ];
}

export async function startExporter(settings: ExporterSettings, credentialsDir: string, log: (line: string) => void = (l) => console.log(l)): Promise<ExporterHandle> {
  const st: RunState = { runs: { ok: 0, failed: 0 } };
  const lag = new LagTracker();
  const created = new Map<string, number | undefined>();

  const runOnce = async () => {
    const t0 = Date.now();
    try {
      const ctx: CollectContext = { settings, credentials: readCredentials(credentialsDir, settings), lag, created };
      const out = await collectOnce(ctx);
      st.last = out;
      st.lastRunEnd = Date.now();
      if (out.ok) {
        st.runs.ok++;
        st.lastSuccessEnd = st.lastRunEnd;
      } else st.runs.failed++;
      const r = out.report;
      log(`run ${out.ok ? "ok" : "failed"} in ${out.seconds.toFixed(1)} s, ${out.requests} requests; source ${r?.source.status}${r?.source.reason ? ` (${r.source.reason})` : ""}; ${r?.backups.map((b) => `${b.name} ${b.status}${b.status === "checked" ? ` missing=${b.missing.length} different=${b.different.length}` : ` (${b.reason ?? ""})`}`).join(", ")}`);
    } catch (e) {
      // Settings or credentials unreadable, or a bug: counted and logged (no secret in the message), metrics kept.
      st.runs.failed++;
      st.lastRunEnd = Date.now();
      st.last = { families: st.last?.families ?? [], ok: false, requests: 0, seconds: (Date.now() - t0) / 1000 };
      log(`run failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const trigger = (): Promise<void> => {
    st.running ??= runOnce().finally(() => {
      st.running = undefined;
    });
    return st.running;
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://exporter");
    if (req.method === "GET" && url.pathname === "/metrics") {
      const body = formatExposition([...runFamilies(st, settings), ...(st.last?.families ?? [])]);
      res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(body);
    } else if (req.method === "GET" && url.pathname === "/healthz") {
      res.writeHead(200, { "Content-Type": "text/plain" });
      res.end("ok\n");
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" });
      res.end("not found\n");
    }
  });
  const [host, portText] = [settings.listen.slice(0, settings.listen.lastIndexOf(":")), settings.listen.slice(settings.listen.lastIndexOf(":") + 1)];
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(portText), host.replace(/^\[|\]$/g, ""), resolve);
  });
  const port = (server.address() as AddressInfo).port;
  void trigger();
  const timer = setInterval(() => void trigger(), settings.intervalSeconds * 1000);
  return {
    port,
    runNow: async () => {
      if (st.running) await st.running;
      await trigger();
    },
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (st.running) await st.running.catch(() => undefined);
    },
  };
}
