// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The writer's metrics file (writer.sh write_metrics) as the writer image runs it: busybox sh and
// applets (plus curl, the image's prober), on a fake host. The file must be valid exposition text
// for node-exporter's textfile collector: checked with Debian's real `promtool check metrics`.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { busyboxPath, runWriter } from "./helpers/writer-host";

/** The writer image's PATH: busybox applets plus curl (its mTLS prober). */
function writerPath(dir: string): string {
  const bin = busyboxPath(dir);
  fs.symlinkSync(execFileSync("sh", ["-c", "command -v curl"], { encoding: "utf8" }).trim(), path.join(bin, "curl"));
  return bin;
}

function promtoolCheck(text: string): { code: number; out: string } {
  try {
    return { code: 0, out: execFileSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 30_000 }) };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

describe("writer.sh metrics for the textfile collector", () => {
  let base: string;
  let host: string;
  let out: string;
  let server: http.Server;
  let live: string;
  let dead: string;

  beforeEach(async () => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "writer-metrics-"));
    host = path.join(base, "host");
    out = path.join(base, "textfile");
    for (const d of ["etc/containerd/certs.d/h", "var/lib/registry-topology/mirrors/harbor", "var/lib/registry-topology/mirrors/acr"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    fs.mkdirSync(out);
    server = http.createServer((_req, res) => res.writeHead(401).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    live = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    dead = `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
    await new Promise<void>((r) => s.close(() => r()));
  });
  afterEach(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(base, { recursive: true, force: true });
  });

  const runOnce = (env: Record<string, string>) => {
    const bb = writerPath(base);
    const src = path.join(base, "files");
    fs.mkdirSync(src, { recursive: true });
    fs.writeFileSync(path.join(src, "manifest"), "hosts 0644 /etc/containerd /etc/containerd/certs.d/h/hosts.toml replace\n");
    fs.writeFileSync(path.join(src, "hosts"), `server = "https://h"\n#@mirror ${live}\n[host."${live}"]\n#@end\n#@mirror ${dead}\n[host."${dead}"]\n#@end\n`);
    const env0 = { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/node.managed", RUN_ONCE: "1", PROBE_TIMEOUT_SECONDS: "1", NODE_NAME: "node-a", REGION_NAME: "eu", WRITER_ROLE: "node" };
    return runWriter(base, { env: { ...env0, ...env }, timeoutMs: 20_000 }).then((r) => ({ code: r.code, log: r.out }));
  };

  it("writes one valid .prom file: probes, listing, writer state, each mirror's status (large sizes exact)", async () => {
    fs.writeFileSync(path.join(host, "var/lib/registry-topology/mirrors/harbor/registry-topology-status"), "mode=proxy upstream=up cache_kib=31457280 max_kib=20971520 evictions=3 updated=1765000000\n");
    fs.writeFileSync(path.join(host, "var/lib/registry-topology/mirrors/acr/registry-topology-status"), "mode=readonly upstream=down cache_kib=-1 max_kib=0 evictions=0 updated=1765000001\n");
    const r = await runOnce({ METRICS_TEXTFILE_DIR: out, MIRROR_STATUS_DIR: "/var/lib/registry-topology/mirrors" });
    expect(r.code, r.log).toBe(0);
    expect(fs.readdirSync(out)).toEqual(["registry-topology-eu-node.prom"]);
    const text = fs.readFileSync(path.join(out, "registry-topology-eu-node.prom"), "utf8");
    const l = 'node="node-a",region="eu",role="node"';
    expect(text).toContain(`registry_topology_writer_manifest_ok{${l}} 1`);
    expect(text).toContain(`registry_topology_writer_sync_errors{${l}} 0`);
    expect(text).toMatch(new RegExp(`registry_topology_writer_last_sync_timestamp_seconds\\{${l}\\} \\d{10}`));
    expect(text).toContain(`registry_topology_node_mirror_probe_ok{${l},mirror="${live}"} 1`);
    expect(text).toContain(`registry_topology_node_mirror_probe_ok{${l},mirror="${dead}"} 0`);
    expect(text).toContain(`registry_topology_node_mirror_listed{${l},mirror="${dead}"} 0`);
    expect(text).toContain(`registry_topology_node_mirrors_all_failed{${l}} 0`);
    expect(text).toContain(`registry_topology_mirror_cache_bytes{${l},upstream="harbor"} 32212254720`);
    expect(text).toContain(`registry_topology_mirror_cache_max_bytes{${l},upstream="harbor"} 21474836480`);
    expect(text).toContain(`registry_topology_mirror_read_only{${l},upstream="acr"} 1`);
    expect(text).toContain(`registry_topology_mirror_upstream_up{${l},upstream="acr"} 0`);
    expect(text).not.toMatch(/cache_bytes\{[^}]*upstream="acr"/); // -1: not measured yet
    expect(text.match(/^# TYPE registry_topology_mirror_read_only /gm)).toHaveLength(1);
    const check = promtoolCheck(text);
    expect(check.code, check.out).toBe(0);
  }, 60_000);

  it("every mirror failing: all kept listed, none probed ok; an unreadable manifest says so", async () => {
    await new Promise<void>((r) => server.close(() => r()));
    server = http.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const first = await runOnce({ METRICS_TEXTFILE_DIR: out });
    expect(first.code, first.log).toBe(0);
    const text = fs.readFileSync(path.join(out, "registry-topology-eu-node.prom"), "utf8");
    expect(text).toContain(`registry_topology_node_mirrors_all_failed{node="node-a",region="eu",role="node"} 1`);
    expect(text).not.toMatch(/node_mirror_probe_ok\{[^}]*\} 1/);
    expect(text).not.toMatch(/node_mirror_listed\{[^}]*\} 0/);
    fs.rmSync(path.join(base, "files"), { recursive: true });
    fs.mkdirSync(path.join(base, "files"));
    const bb = path.join(base, "bb");
    const r = await runWriter(base, { env: { PATH: bb, HOST_ROOT: host, SRC_DIR: path.join(base, "files"), STATE_FILE: "/var/lib/registry-topology/node.managed", RUN_ONCE: "1", NODE_NAME: "node-a", REGION_NAME: "eu", WRITER_ROLE: "node", METRICS_TEXTFILE_DIR: out }, timeoutMs: 20_000 });
    expect(r.code).toBe(1);
    expect(fs.readFileSync(path.join(out, "registry-topology-eu-node.prom"), "utf8")).toContain(`registry_topology_writer_manifest_ok{node="node-a",region="eu",role="node"} 0`);
  }, 60_000);

  it("without METRICS_TEXTFILE_DIR nothing is written", async () => {
    const r = await runOnce({});
    expect(r.code, r.log).toBe(0);
    expect(fs.readdirSync(out)).toEqual([]);
  }, 60_000);
});
