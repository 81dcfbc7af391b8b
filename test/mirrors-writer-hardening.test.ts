// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The node file writer (components/mirrors/writer.sh) under a full disk, with secrets, read-only
// host directories, hostile paths and a hostile mirror, and its cleanup (destroy) mode: the real
// script under busybox sh on a fake host root; full filesystems are small tmpfs mounts and
// read-only directories are read-only bind mounts, in a private mount namespace (issue 17).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as TOML from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { checkHostPath, HOST_PATH_CASES } from "../components/mirrors/hostPaths";
import type { NodeFile } from "../components/mirrors/nodeFiles";
import type { ApplyMode } from "../components/mirrors/runtimeConfig";
import { busyboxPath, fullTmpfs, runWriter, shellQuote, snapshotTree, writeSources, type RunOptions } from "./helpers/writer-host";

const STATE = "/var/lib/registry-topology/test.managed";
const file = (p: string, anchor: string, content: string, secret = false, apply: ApplyMode = "replace"): NodeFile => ({ role: "node", path: p, mode: secret ? "0600" : "0644", anchor, secret, content, apply });

const CRI = "io.containerd.grpc.v1.cri";
const OPERATOR_CONTAINERD = ["# node config", "version = 2", `[plugins."${CRI}"]`, '  sandbox_image = "registry.k8s.io/pause:3.9"', `  [plugins."${CRI}".registry]`, "    # config_path not set yet", ""].join("\n");
const OPERATOR_K3S = ["# the operator's file", "mirrors:", "  docker.io:", "    endpoint:", "      - https://mirror.corp.example", ""].join("\n");

/** Every apply mode, public and secret files, operator-owned files to merge into. */
function nodeFiles(version: string): NodeFile[] {
  return [
    file("/etc/registry-topology/mirrors/h/config.yml", "/etc", `proxy: {password: secret-${version}}\n`, true),
    file("/etc/containers/registries.conf.d/50-registry-topology.conf", "/etc/containers", `[[registry]]\nprefix = "h/${version}"\n`),
    file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", `server = "https://h"\n# ${version}\n`),
    file("/etc/containerd/config.toml", "/etc/containerd", TOML.stringify({ version: 2, plugins: { [CRI]: { registry: { config_path: "/etc/containerd/certs.d" } } } }), false, "containerd-config-path"),
    file("/etc/rancher/k3s/registries.yaml", "/etc/rancher/k3s", YAML.stringify({ mirrors: { "harbor.example.com": { endpoint: [`https://10.0.0.1:5000/${version}`] } } }), false, "merge-yaml"),
    { ...file("/etc/kubernetes/manifests/registry-mirror-h.yaml", "/etc/kubernetes", `kind: Pod\n# ${version}\n`), role: "mirror", apply: "static-pod" },
  ];
}

describe("writer.sh hardening (issue 17)", () => {
  let base: string;
  let bb: string;
  let host: string;
  let src: string;

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "writer-h-"));
    host = path.join(base, "host");
    src = path.join(base, "files");
    bb = busyboxPath(base);
    for (const d of ["etc/containers", "etc/containerd", "etc/rancher/k3s", "etc/kubernetes", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    fs.writeFileSync(path.join(host, "etc/containerd/config.toml"), OPERATOR_CONTAINERD);
    fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), OPERATOR_K3S);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const env = (extra: Record<string, string> = {}) => ({ PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: STATE, RUN_ONCE: "1", PROBE_TIMEOUT_SECONDS: "1", NODE_NAME: "node-a", ...extra });
  const sync = (files: NodeFile[], extra: Record<string, string> = {}, o: Partial<RunOptions> = {}) => {
    writeSources(src, files);
    return runWriter(base, { env: env(extra), ...o });
  };
  const read = (p: string) => fs.readFileSync(path.join(host, p), "utf8");
  const copyTree = (from: string, to: string) => fs.cpSync(from, to, { recursive: true, verbatimSymlinks: true });

  describe("1. a full disk never empties or truncates a host file, and never unmanages one", () => {
    it("scratch on a small tmpfs: with any amount of free space the host tree stays as installed", async () => {
      const files = nodeFiles("v1");
      const first = await sync(files);
      expect(first.code, first.out).toBe(0);
      const installed = snapshotTree(host);
      const pristine = path.join(base, "pristine");
      copyTree(host, pristine);
      const scratch = path.join(base, "scratch");
      let failed = 0;
      let lastCode: number | null = null;
      for (const free of [0, 1, 2, 4, 8, 12, 16, 24, 32]) {
        fs.rmSync(host, { recursive: true, force: true });
        copyTree(pristine, host);
        const r = await sync(files, { TMPDIR: scratch, SCRATCH_DIR: scratch }, { before: fullTmpfs(scratch, free) });
        expect(snapshotTree(host), `${free} free pages:\n${r.out}`).toEqual(installed);
        expect(r.out, `${free} free pages`).not.toMatch(/removed/);
        lastCode = r.code;
        if (r.code !== 0) {
          failed++;
          expect(r.out, `${free} free pages`).toMatch(/ERROR/);
        }
      }
      // The squeeze was real: some rounds could not complete; with 32 pages (128 KiB) it does.
      expect(failed).toBeGreaterThan(0);
      expect(lastCode).toBe(0);
    }, 180_000);

    it("host and scratch on one full filesystem: each file is its old or its new content, the state lists every file", async () => {
      const v1 = nodeFiles("v1");
      const v2 = nodeFiles("v2");
      const first = await sync(v1);
      expect(first.code, first.out).toBe(0);
      const pristine = path.join(base, "pristine");
      copyTree(host, pristine);
      const installed = snapshotTree(pristine);
      // The expected tree after a good v2 round, for comparison.
      expect((await sync(v2)).code).toBe(0);
      const updated = snapshotTree(host);
      const mnt = path.join(base, "fs");
      const out = path.join(base, "out");
      let failed = 0;
      let lastCode: number | null = null;
      for (const free of [0, 2, 4, 8, 16, 32, 64]) {
        fs.rmSync(out, { recursive: true, force: true });
        writeSources(src, v2);
        const r = await runWriter(base, {
          env: env({ HOST_ROOT: path.join(mnt, "host"), TMPDIR: path.join(mnt, "scratch"), SCRATCH_DIR: path.join(mnt, "scratch") }),
          before: fullTmpfs(mnt, free, `cp -a ${shellQuote(pristine)} ${shellQuote(path.join(mnt, "host"))} && mkdir ${shellQuote(path.join(mnt, "scratch"))}`),
          after: `rm -f ${shellQuote(path.join(mnt, ".filler"))}; cp -a ${shellQuote(path.join(mnt, "host"))} ${shellQuote(out)}`,
        });
        const after = snapshotTree(out);
        for (const [p, v] of Object.entries(after)) {
          if (p.endsWith(".rt-tmp") || /\.rt-tmp\./.test(p)) continue; // checked below: no temp survives a round
          expect([installed[p], updated[p]], `${free} free pages, ${p}:\n${r.out}`).toContain(v);
        }
        expect(Object.keys(after).filter((p) => /rt-tmp/.test(p)), `${free} free pages`).toEqual([]);
        for (const p of Object.keys(installed)) expect(after[p], `${free} free pages: ${p} is gone\n${r.out}`).toBeDefined();
        const state = fs.readFileSync(path.join(out, STATE), "utf8");
        for (const f of v2) expect(state, `${free} free pages: state lost ${f.path}`).toContain(f.path);
        expect(r.out).not.toMatch(/removed/);
        if (r.code !== 0) failed++;
        else expect(after).toEqual(updated);
        lastCode = r.code;
      }
      expect(failed).toBeGreaterThan(0);
      expect(lastCode).toBe(0);
    }, 180_000);
  });

  it("2. secret files are 0600 from their first byte: a writer killed right after the copy leaves no readable temp", async () => {
    const secret = file("/etc/registry-topology/mirrors/h/config.yml", "/etc", "proxy: {password: pw-secret}\n", true);
    const key = file("/etc/containerd/certs.d/h/client.key", "/etc/containerd", "-----BEGIN PRIVATE KEY-----\n", true);
    // cp is where the content lands in the temp file: stop the writer there (SIGKILL to its group).
    fs.rmSync(path.join(bb, "cp"));
    const seen = path.join(base, "cp-modes");
    fs.writeFileSync(
      path.join(bb, "cp"),
      [
        `#!${path.join(bb, "sh")}`,
        `${path.join(bb, "busybox")} cp "$@"; rc=$?`,
        'for last; do :; done',
        `case "$last" in ${shellQuote(host)}/*) echo "$last $(stat -c %a "$last")" >>${shellQuote(seen)}; kill -KILL -$(cut -d' ' -f5 /proc/$$/stat) ;; esac`,
        "exit $rc",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    fs.symlinkSync(fs.readlinkSync(path.join(bb, "sh")), path.join(bb, "busybox"));
    for (const f of [secret, key]) {
      await sync([f], {}, { onSpawn: () => undefined });
      const dir = path.dirname(path.join(host, f.path));
      const lines = fs.readFileSync(seen, "utf8").trim().split("\n");
      expect(lines.length, f.path).toBeGreaterThan(0);
      for (const l of lines) expect(l.split(" ")[1], l).toBe("600");
      for (const e of fs.existsSync(dir) ? fs.readdirSync(dir) : []) expect((fs.statSync(path.join(dir, e)).mode & 0o077).toString(8), `${e} in ${dir}`).toBe("0");
      fs.rmSync(seen);
    }
  });

  it("3. a removal that fails (read-only /etc/containers) is kept in the state, counted as an error, and retried", async () => {
    const dropin = file("/etc/containers/registries.conf.d/50-registry-topology.conf", "/etc/containers", "[[registry]]\n");
    const hosts = file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n');
    expect((await sync([dropin, hosts])).code).toBe(0);
    const ro = shellQuote(path.join(host, "etc/containers"));
    const r = await sync([hosts], {}, { before: `mount --bind ${ro} ${ro}\nmount -o remount,bind,ro ${ro}` });
    expect(r.code, r.out).not.toBe(0);
    expect(r.out).toMatch(/ERROR: .*50-registry-topology.conf/);
    expect(r.out).toMatch(/STATUS node=node-a .*errors="1"/);
    expect(read(STATE)).toContain(dropin.path);
    expect(fs.existsSync(path.join(host, dropin.path))).toBe(true);
    // Writable again: the next round removes it and forgets it.
    const again = await sync([hosts]);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/removed \/etc\/containers\/registries.conf.d\/50-registry-topology.conf/);
    expect(fs.existsSync(path.join(host, dropin.path))).toBe(false);
    expect(read(STATE)).not.toContain(dropin.path);
  });

  describe("4. paths: one rule in nodeFiles.ts and writer.sh; no '..', no symlink followed, status lines checked", () => {
    it("nodeFiles.ts and writer.sh give every path of the shared table the same verdict", async () => {
      const hosts = file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n');
      writeSources(src, [hosts]);
      const manifest = fs.readFileSync(path.join(src, "manifest"), "utf8");
      for (const [p, ok] of HOST_PATH_CASES) {
        expect(checkHostPath(p) === undefined, p).toBe(ok);
        const anchor = p.startsWith("/var/lib/") ? "/var/lib" : "/etc";
        // The manifest as the ConfigMap would carry it, with one more line for the path under test.
        fs.writeFileSync(path.join(src, "manifest"), `${manifest}p0 0644 ${anchor} ${p} replace\n`);
        const before = snapshotTree(base);
        const run = await runWriter(base, { env: env() });
        if (ok) expect(run.code, `${p}: ${run.out}`).toBe(0);
        else {
          expect(run.code, p).not.toBe(0);
          expect(run.out, p).toMatch(/ERROR: manifest line 2 \(bad path/);
          expect(snapshotTree(base), p).toEqual(before);
        }
      }
    }, 120_000);

    it("never writes or removes through a symlinked directory or file, and never leaves the host root through the state file", async () => {
      const outside = path.join(base, "outside");
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, "victim"), "keep me");
      fs.writeFileSync(path.join(outside, "hosts.toml"), "keep me too");
      // A directory on the path is a symlink out of the host root.
      fs.mkdirSync(path.join(host, "etc/containerd/certs.d"), { recursive: true });
      fs.symlinkSync(outside, path.join(host, "etc/containerd/certs.d/h"));
      const hosts = file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n');
      const w = await sync([hosts]);
      expect(w.code).not.toBe(0);
      expect(w.out).toMatch(/ERROR: .*certs.d\/h.* symlink/);
      expect(fs.readFileSync(path.join(outside, "hosts.toml"), "utf8")).toBe("keep me too");
      // The target itself is a symlink.
      fs.rmSync(path.join(host, "etc/containerd/certs.d/h"));
      fs.mkdirSync(path.join(host, "etc/containerd/certs.d/h"));
      fs.symlinkSync(path.join(outside, "hosts.toml"), path.join(host, hosts.path));
      expect((await sync([hosts])).code).not.toBe(0);
      expect(fs.readFileSync(path.join(outside, "hosts.toml"), "utf8")).toBe("keep me too");
      fs.rmSync(path.join(host, hosts.path));
      // The state file names files outside the root, through '..' and through a symlink.
      fs.symlinkSync(outside, path.join(host, "etc/link"));
      const rel = path.relative(host, outside);
      fs.mkdirSync(path.join(host, "var/lib/registry-topology"), { recursive: true });
      fs.writeFileSync(path.join(host, STATE), `replace /etc/../../${rel}/victim\nreplace /etc/link/victim\nreplace /etc/link/hosts.toml\n`);
      const r = await sync([hosts]);
      expect(fs.readFileSync(path.join(outside, "victim"), "utf8")).toBe("keep me");
      expect(fs.readFileSync(path.join(outside, "hosts.toml"), "utf8")).toBe("keep me too");
      expect(r.out).toMatch(/ERROR: state entry .*victim.*(bad path|symlink)/);
      expect(read(hosts.path)).toBe(hosts.content);
    });

    it("reads mirror status files without following symlinks and logs only lines of the status grammar", async () => {
      const dir = path.join(host, "var/lib/registry-topology/mirrors");
      const outside = path.join(base, "outside");
      fs.mkdirSync(outside);
      fs.writeFileSync(path.join(outside, "shadow"), "root:$6$SHADOWHASH:19000:0:99999:7:::\n");
      fs.mkdirSync(path.join(dir, "link"), { recursive: true });
      fs.symlinkSync(path.join(outside, "shadow"), path.join(dir, "link/registry-topology-status"));
      fs.writeFileSync(path.join(outside, "registry-topology-status"), "mode=proxy upstream=up cache_kib=1 max_kib=0 evictions=0 updated=1 SHADOWHASH=1\n");
      fs.symlinkSync(outside, path.join(dir, "dirlink"));
      fs.mkdirSync(path.join(dir, "garbage"));
      fs.writeFileSync(path.join(dir, "garbage/registry-topology-status"), 'mode=proxy upstream=up" injected="SHADOWHASH\n');
      fs.mkdirSync(path.join(dir, "good"));
      fs.writeFileSync(path.join(dir, "good/registry-topology-status"), "mode=proxy upstream=up cache_kib=12 max_kib=100 evictions=0 updated=1700000000\n");
      const hosts = file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n');
      const r = await sync([hosts], { MIRROR_STATUS_DIR: "/var/lib/registry-topology/mirrors" });
      expect(r.code, r.out).toBe(0);
      expect(r.out).not.toContain("SHADOWHASH");
      expect(r.out).toMatch(/mirror-good="mode=proxy upstream=up cache_kib=12 max_kib=100 evictions=0 updated=1700000000"/);
      expect(r.out).toMatch(/mirror-link="unreadable: not a regular file/);
      expect(r.out).toMatch(/mirror-garbage="unreadable: not a status line"/);
      expect(r.out).not.toMatch(/mirror-dirlink="mode/);
    });
  });

  it("5. cleanup (destroy): every file restored byte for byte, created directories and the state removed; reports clean", async () => {
    // The node's own files at paths we manage: saved before they are replaced, put back after.
    fs.mkdirSync(path.join(host, "etc/containerd/certs.d/h"), { recursive: true });
    fs.writeFileSync(path.join(host, "etc/containerd/certs.d/h/hosts.toml"), 'server = "https://the-operators"\n', { mode: 0o640 });
    fs.chmodSync(path.join(host, "etc/containerd/certs.d/h/hosts.toml"), 0o640);
    const before = snapshotTree(host);
    const files = nodeFiles("v1");
    expect((await sync(files)).code).toBe(0);
    expect(snapshotTree(host)).not.toEqual(before);
    expect(read("/etc/containerd/config.toml")).toContain("config_path");
    expect(read("/etc/containerd/certs.d/h/hosts.toml")).toContain("# v1");
    // An update round in between keeps the saved original.
    expect((await sync(nodeFiles("v2"))).code).toBe(0);
    const r = await sync(files, { WRITER_MODE: "cleanup" });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/STATUS node=node-a .*cleanup="clean"/);
    expect(snapshotTree(host)).toEqual(before);
    // A second cleanup round on a clean node is clean too and touches nothing.
    const again = await sync(files, { WRITER_MODE: "cleanup" });
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/cleanup="clean"/);
    expect(snapshotTree(host)).toEqual(before);
  }, 120_000);

  it("5. cleanup on a mirror node: the mirror caches go once their pods stopped; until then it is pending", async () => {
    const before = snapshotTree(host);
    const files = nodeFiles("v1");
    const status = { MIRROR_STATUS_DIR: "/var/lib/registry-topology/mirrors", MIRROR_STOPPED_AFTER_SECONDS: "30" };
    expect((await sync(files, status)).code).toBe(0);
    // What the kubelet makes for the static pod (hostPath DirectoryOrCreate) and the mirror writes.
    const cache = path.join(host, "var/lib/registry-topology/mirrors/h");
    fs.mkdirSync(path.join(cache, "docker/registry/v2"), { recursive: true });
    fs.writeFileSync(path.join(cache, "docker/registry/v2/blob"), "layer");
    fs.writeFileSync(path.join(cache, "registry-topology-status"), "mode=proxy upstream=up cache_kib=1 max_kib=0 evictions=0 updated=1\n");
    const running = await sync(files, { ...status, WRITER_MODE: "cleanup" });
    expect(running.code, running.out).toBe(0);
    expect(running.out).toMatch(/cleanup="pending: .*1 mirror caches in use/);
    expect(fs.existsSync(path.join(host, "etc/kubernetes/manifests/registry-mirror-h.yaml"))).toBe(false);
    expect(fs.existsSync(path.join(host, STATE))).toBe(true);
    // The supervisor stopped writing (its pod is gone) long enough ago.
    const old = new Date(Date.now() - 120_000);
    fs.utimesSync(path.join(cache, "registry-topology-status"), old, old);
    const stopped = await sync(files, { ...status, WRITER_MODE: "cleanup" });
    expect(stopped.out).toMatch(/cleanup="clean"/);
    expect(snapshotTree(host)).toEqual(before);
  }, 120_000);
});
