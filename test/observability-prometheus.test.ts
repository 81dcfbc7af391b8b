// Metrics proven end to end with a real Prometheus (Debian's prometheus 2.42) on 127.0.0.1: it
// scrapes the real exporter (the very files the exporter ConfigMap ships, run by node), the node
// writer's metrics through a real node-exporter textfile collector (Debian's
// prometheus-node-exporter), and a real distribution mirror's own metrics; it loads the shipped
// alert rules. Registries are Debian's distribution behind a token server (pull-only identities),
// archives a real rclone store; images are copied with skopeo.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { parseMirrorStatus } from "../components/mirrors/mirrorStatus";
import { WRITER_SCRIPT } from "../components/mirrors/writer";
import { dashboardQueries, DASHBOARD_ROWS, grafanaDashboard } from "../components/observability/dashboard";
import { ruleGroups } from "../components/observability/rules";
import { THRESHOLD_DEFAULTS } from "../infra/config/observability";
import { bundleExporter, EXPORTER_ENTRY, flatName } from "../infra/exporter/bundle";
import type { ExporterSettings } from "../infra/exporter/targets";
import { RegistryClient } from "../infra/verify/registry-client";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { startHarborRepositories, type HarborRepositories } from "./helpers/harbor-repositories";
import { buildOciImage, pushImage, skopeo } from "./helpers/oci-image";
import { freePort, startPrometheus, type RunningPrometheus, type VectorSample } from "./helpers/prometheus";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "./helpers/token-server";

const ROBOT = "robot$exporter";
const users = { admin: "admin-pw", [ROBOT]: "robot-pw", "bk1-pull": "bk1-pull-pw", "bk1-push": "bk1-push-pw", "bk2-pull": "bk2-pull-pw", "bk2-push": "bk2-push-pw" } as Record<string, string>;
const cred = (u: string) => ({ username: u, password: users[u]! });
const PROJECTS = ["library", "platform"];

let dir: string;
let tokens: TokenServer;
let harbor: RunningDistribution;
let bk1: RunningDistribution;
let bk2: RunningDistribution;
let mirror: RunningDistribution;
let harborApi: HarborRepositories;
let prom: RunningPrometheus;
const children: ChildProcess[] = [];
let exporterPort = 0;
let nodeExporterPort = 0;
let mirrorMetricsPort = 0;
let textfileDir: string;
let hangServer: net.Server | undefined;
const hangSockets = new Set<net.Socket>();

const value = (v: VectorSample[], labels: Record<string, string> = {}): number | undefined => {
  const s = v.find((x) => Object.entries(labels).every(([k, val]) => x.metric[k] === val));
  return s ? Number(s.value[1]) : undefined;
};

function spawnLogged(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string } {
  let out = "";
  const child = spawn(cmd, args, { env: env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, out: () => `${name}: ${out}` };
}

async function waitForLine(get: () => string, re: RegExp, ms: number): Promise<RegExpMatchArray> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    const m = get().match(re);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${re} within ${ms} ms:\n${get()}`);
}

async function copy(ref: string, to: RunningDistribution, user: string): Promise<void> {
  await skopeo(["copy", "--quiet", "--all", "--preserve-digests", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", `admin:${users.admin}`, "--dest-creds", `${user}:${users[user]}`, `docker://${harbor.address}/${ref}`, `docker://${to.address}/${ref}`]);
}

/** A rclone "local" store with complete snapshots (the archive job's layout: snapshots/<UTC time>/index.json). */
function archiveStore(root: string, ages: number[]): void {
  for (const age of ages) {
    const t = new Date(Date.now() - age * 1000).toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
    fs.mkdirSync(path.join(root, "snapshots", t), { recursive: true });
    fs.writeFileSync(path.join(root, "snapshots", t, "index.json"), '{"schemaVersion":2,"manifests":[]}');
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "observability-"));
  tokens = await startTokenServer({
    dir,
    users: {
      admin: { password: users.admin!, actions: ["*"] },
      [ROBOT]: { password: users[ROBOT]!, actions: ["pull"] },
      "bk1-pull": { password: users["bk1-pull"]!, actions: ["pull"] },
      "bk1-push": { password: users["bk1-push"]!, actions: ["pull", "push"] },
      "bk2-pull": { password: users["bk2-pull"]!, actions: ["pull"] },
      "bk2-push": { password: users["bk2-push"]!, actions: ["pull", "push"] },
    },
  });
  harbor = await startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(tokens, "harbor") } });
  bk1 = await startDistribution({ name: "bk1", dir, config: { auth: tokenAuthConfig(tokens, "bk1") } });
  bk2 = await startDistribution({ name: "bk2", dir, config: { auth: tokenAuthConfig(tokens, "bk2") } });
  mirrorMetricsPort = await freePort();
  mirror = await startDistribution({
    name: "mirror",
    dir,
    keepDebug: true,
    config: {
      proxy: { remoteurl: harbor.url, username: ROBOT, password: users[ROBOT] },
      http: { debug: { addr: `127.0.0.1:${mirrorMetricsPort}`, prometheus: { enabled: true, path: "/metrics" } } },
    },
  });
  const admin = new RegistryClient({ name: "harbor", baseUrl: harbor.url, ...cred("admin") });
  harborApi = await startHarborRepositories({ registryUrl: harbor.url, projects: PROJECTS, robot: { ...cred(ROBOT), listProjects: PROJECTS }, listRegistry: () => admin.repositories() });

  // In sync everywhere: library/app:v1 and platform/tool:1.0.
  const app = buildOciImage(path.join(dir, "img-app"), { tag: "v1", files: { "a.txt": "app\n" }, created: new Date(Date.now() - 86400_000).toISOString() });
  const tool = buildOciImage(path.join(dir, "img-tool"), { tag: "1.0", files: { "t.txt": "tool\n" } });
  await pushImage(app, `${harbor.address}/library/app:v1`, cred("admin"));
  await pushImage(tool, `${harbor.address}/platform/tool:1.0`, cred("admin"));
  for (const b of [[bk1, "bk1-push"], [bk2, "bk2-push"]] as const) {
    await copy("library/app:v1", b[0], b[1]);
    await copy("platform/tool:1.0", b[0], b[1]);
  }

  // Archive stores (rclone local backend): one fresh, one three days old.
  archiveStore(path.join(dir, "archive-fresh"), [3 * 86400, 3 * 3600]);
  archiveStore(path.join(dir, "archive-old"), [3 * 86400]);
  // Mirror certificates: one expiring in 10 days, one in 400.
  const cert = (days: number) => {
    const base = path.join(dir, `cert-${days}`);
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${base}.key`, "-out", `${base}.crt`, "-days", String(days), "-subj", "/CN=mirror"], { stdio: "ignore", timeout: 30_000 });
    return fs.readFileSync(`${base}.crt`, "utf8");
  };

  const hang = net.createServer((socket) => hangSockets.add(socket.on("close", () => hangSockets.delete(socket))));
  hangServer = hang;
  await new Promise<void>((resolve) => hang.listen(0, "127.0.0.1", resolve));
  const hangPort = (hang.address() as net.AddressInfo).port;

  // The exporter, as shipped: the ConfigMap's files, run by node.
  const code = path.join(dir, "exporter");
  fs.mkdirSync(code);
  for (const [k, v] of Object.entries(bundleExporter())) fs.writeFileSync(path.join(code, k), v);
  const settings: ExporterSettings = {
    listen: "127.0.0.1:0",
    intervalSeconds: 3,
    deadlineSeconds: 2,
    concurrency: 4,
    maxDated: 50,
    source: { name: "harbor", baseUrl: harbor.url, listing: "harbor-api", apiUrl: harborApi.url, projects: PROJECTS },
    backups: [
      // Listed first: a backup that accepts connections and never answers holds its check until the
      // deadline; the others must still be checked in that time.
      { name: "bk-hang", baseUrl: `http://127.0.0.1:${hangPort}`, pathPrefix: "", keepsProjectPath: true },
      { name: "bk1", baseUrl: bk1.url, pathPrefix: "", keepsProjectPath: true },
      { name: "bk2", baseUrl: bk2.url, pathPrefix: "", keepsProjectPath: true },
      // Nothing listens there: one failing backup must not hide the others.
      { name: "bk-dead", baseUrl: `http://127.0.0.1:${await freePort()}`, pathPrefix: "", keepsProjectPath: true },
    ],
    archives: [
      { name: "fresh", path: `store:${path.join(dir, "archive-fresh")}`, maxAgeSeconds: 2 * 86400 },
      { name: "old", path: `store:${path.join(dir, "archive-old")}`, maxAgeSeconds: 2 * 86400 },
    ],
    certificates: [
      { region: "eu", certificate: "server", pem: cert(10) },
      { region: "eu", certificate: "ca", pem: cert(400) },
    ],
  };
  fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings));
  const creds = path.join(dir, "creds");
  const put = (rel: string, files: Record<string, string>) => {
    fs.mkdirSync(path.join(creds, rel), { recursive: true });
    for (const [k, v] of Object.entries(files)) fs.writeFileSync(path.join(creds, rel, k), v);
  };
  put("source", { username: ROBOT, password: users[ROBOT]! });
  put("backups/bk1", { username: "bk1-pull", password: users["bk1-pull"]! });
  put("backups/bk2", { username: "bk2-pull", password: users["bk2-pull"]! });
  put("backups/bk-dead", { username: "x", password: "y" });
  put("backups/bk-hang", { username: "x", password: "y" });
  for (const a of ["fresh", "old"]) put(`archives/${a}`, { RCLONE_CONFIG_STORE_TYPE: "local" });
  const exporter = spawnLogged("exporter", process.execPath, [path.join(code, flatName(EXPORTER_ENTRY)), path.join(dir, "settings.json"), creds]);
  exporterPort = Number((await waitForLine(exporter.out, /listening on (\d+)/, 20_000))[1]);

  // The node writer, once, with its metrics going to node-exporter's textfile directory.
  textfileDir = path.join(dir, "textfile");
  fs.mkdirSync(textfileDir);
  const host = path.join(dir, "host");
  for (const d of ["etc/containerd/certs.d/h", "var/lib/registry-topology/mirrors/harbor"]) fs.mkdirSync(path.join(host, d), { recursive: true });
  const statusLine = `mode=readonly upstream=down cache_kib=2048 max_kib=20971520 evictions=1 updated=${Math.floor(Date.now() / 1000)}`;
  expect(parseMirrorStatus(statusLine)).toBeDefined(); // the supervisor's format (mirrorStatus.ts)
  fs.writeFileSync(path.join(host, "var/lib/registry-topology/mirrors/harbor/registry-topology-status"), `${statusLine}\n`);
  const src = path.join(dir, "files");
  fs.mkdirSync(src);
  const deadMirror = `http://127.0.0.1:${await freePort()}`;
  fs.writeFileSync(path.join(src, "manifest"), "hosts 0644 /etc/containerd /etc/containerd/certs.d/h/hosts.toml replace\n");
  fs.writeFileSync(path.join(src, "hosts"), `server = "https://h"\n#@mirror ${mirror.url}\n[host."${mirror.url}"]\n#@end\n#@mirror ${deadMirror}\n[host."${deadMirror}"]\n#@end\n`);
  fs.writeFileSync(path.join(dir, "writer.sh"), WRITER_SCRIPT);
  const writer = spawnLogged("writer", "/bin/sh", [path.join(dir, "writer.sh")], {
    PATH: process.env.PATH,
    HOST_ROOT: host,
    SRC_DIR: src,
    STATE_FILE: "/var/lib/registry-topology/node.managed",
    RUN_ONCE: "1",
    PROBE_TIMEOUT_SECONDS: "2",
    NODE_NAME: "node-a",
    REGION_NAME: "eu",
    WRITER_ROLE: "node",
    MIRROR_STATUS_DIR: "/var/lib/registry-topology/mirrors",
    METRICS_TEXTFILE_DIR: textfileDir,
  });
  await new Promise<void>((resolve) => (writer.child.exitCode !== null ? resolve() : writer.child.once("exit", () => resolve())));
  expect(writer.child.exitCode, writer.out()).toBe(0);

  nodeExporterPort = await freePort();
  spawnLogged("node-exporter", "prometheus-node-exporter", [`--web.listen-address=127.0.0.1:${nodeExporterPort}`, "--collector.disable-defaults", "--collector.textfile", `--collector.textfile.directory=${textfileDir}`]);

  const rules = path.join(dir, "rules.yml");
  fs.writeFileSync(rules, YAML.stringify(ruleGroups(THRESHOLD_DEFAULTS)));
  prom = await startPrometheus({
    dir,
    targets: { exporter: [`127.0.0.1:${exporterPort}`], node: [`127.0.0.1:${nodeExporterPort}`], mirror: [`127.0.0.1:${mirrorMetricsPort}`] },
    ruleFiles: [rules],
  });
}, 180_000);

/** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null || !c.pid) return;
  const exited = new Promise<void>((resolve) => c.once("exit", () => resolve()));
  process.kill(c.pid, "SIGTERM");
  const t = setTimeout(() => c.pid && c.exitCode === null && process.kill(c.pid, "SIGKILL"), 5000);
  await exited;
  clearTimeout(t);
}

afterAll(async () => {
  await prom?.stop();
  for (const c of children) await stopChild(c);
  await harborApi?.stop();
  for (const sock of hangSockets) sock.destroy();
  await new Promise<void>((resolve) => (hangServer ? hangServer.close(() => resolve()) : resolve()));
  await stopAllDistributions();
  await tokens?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("a real Prometheus scrapes the exporter, the writer's textfile and a mirror", () => {
  it("all three targets are up", async () => {
    const up = await prom.waitFor("up", (v) => v.length === 3 && v.every((s) => s.value[1] === "1"));
    expect(up.map((s) => `${s.metric.job}=${s.value[1]}`).sort()).toEqual(["exporter=1", "mirror=1", "node=1"]);
  });

  it("replication: in-sync backups show their tags per project; the dead backup is down without hiding the others", async () => {
    const inSync = await prom.waitFor("registry_topology_backup_tags_in_sync", (v) => v.length === 4);
    for (const b of ["bk1", "bk2"]) for (const p of PROJECTS) expect(value(inSync, { backup: b, project: p }), `${b}/${p}`).toBe(1);
    const up = await prom.query("registry_topology_backup_up");
    expect(value(up, { backup: "bk1" })).toBe(1);
    expect(value(up, { backup: "bk2" })).toBe(1);
    expect(value(up, { backup: "bk-dead" })).toBe(0);
    expect(value(up, { backup: "bk-hang" })).toBe(0);
    // Refused connections are retried until the deadline; the hanging one is cut by it.
    const status = await prom.query("registry_topology_backup_check_status == 1");
    expect(["unreachable", "deadline"]).toContain(status.find((x) => x.metric.backup === "bk-dead")?.metric.status);
    expect(status.find((x) => x.metric.backup === "bk-hang")?.metric.status).toBe("deadline");
    expect(status.find((x) => x.metric.backup === "bk1")?.metric.status).toBe("checked");
    expect(value(await prom.query("registry_topology_source_up"))).toBe(1);
    expect(value(await prom.query("registry_topology_backup_replication_lag_seconds"), { backup: "bk1", project: "library" })).toBe(0);
    expect(value(await prom.query("registry_topology_verification_last_run_ok"))).toBe(1);
    expect(value(await prom.query("registry_topology_verification_run_requests"))).toBeGreaterThan(0);
  });

  it("the exporter's page is valid exposition text (promtool check metrics)", async () => {
    const text = await (await fetch(`http://127.0.0.1:${exporterPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    expect(text).toContain("registry_topology_backup_up");
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", timeout: 30_000 });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
  });

  it("archives: newest snapshot age per archive", async () => {
    const age = await prom.waitFor("registry_topology_archive_newest_snapshot_age_seconds", (v) => v.length === 2);
    expect(value(age, { archive: "fresh" })).toBeGreaterThanOrEqual(3 * 3600 - 5);
    expect(value(age, { archive: "fresh" })).toBeLessThan(3 * 3600 + 120);
    expect(value(age, { archive: "old" })).toBeGreaterThanOrEqual(3 * 86400 - 5);
    expect(value(await prom.query("registry_topology_archive_snapshots"), { archive: "fresh" })).toBe(2);
  });

  it("certificates: days left per region and certificate", async () => {
    const days = await prom.waitFor("registry_topology_mirror_certificate_expiry_seconds / 86400", (v) => v.length === 2);
    expect(value(days, { certificate: "server" })).toBeGreaterThan(9);
    expect(value(days, { certificate: "server" })).toBeLessThanOrEqual(10);
    expect(value(days, { certificate: "ca" })).toBeGreaterThan(399);
  });

  it("writer and mirror health through node-exporter's textfile collector", async () => {
    const probe = await prom.waitFor("registry_topology_node_mirror_probe_ok", (v) => v.length === 2);
    const ok = probe.find((s) => s.metric.mirror === mirror.url);
    expect(ok?.value[1]).toBe("1");
    expect(ok?.metric).toMatchObject({ node: "node-a", region: "eu", role: "node", job: "node" });
    expect(probe.find((s) => s.metric.mirror !== mirror.url)?.value[1]).toBe("0");
    const listed = await prom.query("registry_topology_node_mirror_listed");
    expect(listed.find((s) => s.metric.mirror !== mirror.url)?.value[1]).toBe("0");
    expect(value(await prom.query("registry_topology_writer_sync_errors"))).toBe(0);
    expect(value(await prom.query("registry_topology_writer_manifest_ok"))).toBe(1);
    expect(value(await prom.query("registry_topology_writer_last_sync_timestamp_seconds"))).toBeGreaterThan(Date.now() / 1000 - 600);
    expect(value(await prom.query("registry_topology_mirror_read_only"), { upstream: "harbor" })).toBe(1);
    expect(value(await prom.query("registry_topology_mirror_upstream_up"), { upstream: "harbor" })).toBe(0);
    expect(value(await prom.query("registry_topology_mirror_cache_bytes"), { upstream: "harbor" })).toBe(2048 * 1024);
    expect(value(await prom.query("registry_topology_mirror_cache_max_bytes"), { upstream: "harbor" })).toBe(20971520 * 1024);
    expect(value(await prom.query("registry_topology_mirror_evictions_total"), { upstream: "harbor" })).toBe(1);
    // node-exporter refuses a malformed file and says so in this metric.
    expect(value(await prom.query("node_textfile_scrape_error"))).toBe(0);
  });

  it("the mirror's own metrics (distribution's Prometheus endpoint)", async () => {
    const m = await prom.waitFor('{job="mirror",__name__=~"registry_.+"}', (v) => v.length > 0);
    expect(m.length).toBeGreaterThan(0);
  });

  it("the shipped rules evaluate on the real series: the 10-day certificate fires, the 400-day one does not", async () => {
    const firing = await prom.waitFor('ALERTS{alertname="RegistryCertificateExpiring",alertstate="firing"}', (v) => v.length > 0);
    expect(firing.map((s) => s.metric.certificate)).toEqual(["server"]);
    const stale = await prom.waitFor('ALERTS{alertname="RegistryArchiveStale",alertstate="firing"}', (v) => v.length > 0);
    expect(stale.map((s) => s.metric.archive)).toEqual(["old"]);
  });

  it("every dashboard panel's query returns data from this Prometheus", async () => {
    const queries = dashboardQueries(grafanaDashboard());
    expect(queries.length).toBe(DASHBOARD_ROWS.flatMap((r) => r.panels).length);
    const empty: string[] = [];
    for (const q of queries) {
      const v = await prom.waitFor(q.expr, (r) => r.length > 0, 10_000);
      if (v.length === 0) empty.push(`${q.title}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
  }, 120_000);

  it("replication lag against real registries: a push to the primary only makes it grow; copying it brings it back to 0", async () => {
    const img = buildOciImage(path.join(dir, "img-new"), { tag: "v2", files: { "n.txt": `new ${Date.now()}\n` }, created: new Date().toISOString() });
    await pushImage(img, `${harbor.address}/library/app:v2`, cred("admin"));
    const lagQ = 'registry_topology_backup_replication_lag_seconds{backup="bk1",project="library"}';
    const first = await prom.waitFor(lagQ, (v) => Number(v[0]?.value[1]) > 0, 30_000);
    const a = Number(first[0]!.value[1]);
    expect(a).toBeGreaterThan(0);
    expect(value(await prom.query('registry_topology_backup_tags_missing{backup="bk1",project="library"}'))).toBe(1);
    expect(value(await prom.query('registry_topology_backup_tags_missing{backup="bk1",project="platform"}'))).toBe(0);
    const later = await prom.waitFor(lagQ, (v) => Number(v[0]?.value[1]) > a + 2, 30_000);
    expect(Number(later[0]!.value[1])).toBeGreaterThan(a + 2);

    await copy("library/app:v2", bk1, "bk1-push");
    await copy("library/app:v2", bk2, "bk2-push");
    const back = await prom.waitFor(lagQ, (v) => v[0]?.value[1] === "0", 30_000);
    expect(back[0]?.value[1]).toBe("0");
    expect(value(await prom.query('registry_topology_backup_tags_missing{backup="bk1",project="library"}'))).toBe(0);
    expect(value(await prom.query('registry_topology_backup_tags_in_sync{backup="bk1",project="library"}'))).toBe(2);
  }, 120_000);
});
