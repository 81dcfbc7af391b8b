// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The node file writer script (components/mirrors/writer.sh), run for real by /bin/sh against a
// fake host root, and the DaemonSet it runs in.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as TOML from "smol-toml";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import YAML from "yaml";
import { inWriteOrder, type NodeFile } from "../components/mirrors/nodeFiles";
import { planRegion } from "../components/mirrors/plan";
import { renderRancher } from "../components/mirrors/runtimeConfig";
import type { ApplyMode } from "../components/mirrors/runtimeConfig";
import { WRITER_IMAGE } from "../components/mirrors/plan";
import { parseWriterManifest, publicConfigData, secretData, writerDaemonSetSpec, writerManifest, WRITER_SCRIPT } from "../components/mirrors/writer";
import { run } from "./helpers/oci-image";
import { busyboxPath, runWriter, writeSources } from "./helpers/writer-host";

const file = (p: string, anchor: string, content: string, secret = false, apply: ApplyMode = "replace"): NodeFile => ({ role: "node", path: p, mode: secret ? "0600" : "0644", anchor, secret, content, apply });

// The writer runs in the busybox image, so it runs here under busybox too: a PATH with only
// busybox's applets (test/helpers/writer-host.ts), so nothing from the host's coreutils,
// gawk/mawk or curl can hide a busybox incompatibility.
describe("writer.sh on a fake host", () => {
  let base: string;
  let bb: string;
  let host: string;
  let src: string;

  /** Put the ConfigMap + Secret keys where the projected volume would, and run the script once. */
  const sync = async (files: NodeFile[], tamper?: () => void, extraEnv: Record<string, string> = {}) => {
    writeSources(src, files);
    tamper?.();
    return runWriter(base, { env: { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/test.managed", RUN_ONCE: "1", PROBE_TIMEOUT_SECONDS: "1", NODE_NAME: "node-a", ...extraEnv }, timeoutMs: 20_000 });
  };
  const read = (p: string) => fs.readFileSync(path.join(host, p), "utf8");
  const mode = (p: string) => (fs.statSync(path.join(host, p)).mode & 0o777).toString(8);

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "writer-"));
    host = path.join(base, "host");
    src = path.join(base, "files");
    bb = busyboxPath(base);
    for (const d of ["etc/containers", "etc/containerd", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  const dropin = file("/etc/containers/registries.conf.d/50-registry-topology.conf", "/etc/containers", "[[registry]]\n");
  const hosts = file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n');
  const k3s = file("/etc/rancher/k3s/registries.yaml", "/etc/rancher/k3s", "mirrors: {}\n");
  const secret = file("/etc/registry-topology/mirrors/harbor/config.yml", "/etc", "proxy: {password: pw}\n", true);

  it("writes files whose anchor exists, with their modes, and skips the others", async () => {
    const r = await sync([dropin, hosts, k3s, secret]);
    expect(r.code, r.out).toBe(0);
    expect(read(dropin.path)).toBe(dropin.content);
    expect(read(hosts.path)).toBe(hosts.content);
    expect(read(secret.path)).toBe(secret.content);
    expect(mode(secret.path)).toBe("600");
    expect(mode(hosts.path)).toBe("644");
    expect(fs.existsSync(path.join(host, k3s.path))).toBe(false);
    const state = read("/var/lib/registry-topology/test.managed").trim().split("\n");
    expect(state.filter((l) => !l.startsWith("dir ")).sort()).toEqual([dropin.path, hosts.path, secret.path].map((p) => `replace ${p}`).sort());
    // The directories it had to create are recorded too (cleanup removes exactly those).
    expect(state.filter((l) => l.startsWith("dir "))).toContain("dir /etc/containerd/certs.d/h");
    expect(state.filter((l) => l.startsWith("dir "))).not.toContain("dir /etc/containerd");
    // No temp files are left behind.
    expect(fs.readdirSync(path.join(host, "etc/containerd/certs.d/h"))).toEqual(["hosts.toml"]);
  });

  it("rewrites only what changed, removes what it no longer manages and leaves other files alone", async () => {
    await sync([dropin, hosts]);
    fs.writeFileSync(path.join(host, "etc/containerd/certs.d/h/other.crt"), "not ours");
    const again = await sync([dropin, hosts]);
    expect(again.out).not.toMatch(/wrote/);

    const changed = { ...hosts, content: 'server = "https://h2"\n' };
    const r = await sync([changed]);
    expect(r.out).toMatch(/wrote \/etc\/containerd\/certs.d\/h\/hosts.toml/);
    expect(r.out).toMatch(/removed \/etc\/containers\/registries.conf.d\/50-registry-topology.conf/);
    expect(read(hosts.path)).toBe(changed.content);
    expect(fs.existsSync(path.join(host, dropin.path))).toBe(false);
    expect(read("/etc/containerd/certs.d/h/other.crt")).toBe("not ours");
  });

  it("repairs a file whose mode drifted", async () => {
    await sync([secret]);
    fs.chmodSync(path.join(host, secret.path), 0o644);
    const r = await sync([secret]);
    expect(r.out).toMatch(/wrote/);
    expect(mode(secret.path)).toBe("600");
  });

  it("sends SIGHUP to crio when its drop-in changed, and not otherwise", async () => {
    const fakeCrio = path.join(base, "crio");
    fs.copyFileSync("/bin/sleep", fakeCrio);
    fs.chmodSync(fakeCrio, 0o755);
    const crio = spawn(fakeCrio, ["30"], { stdio: "ignore" });
    const signal = new Promise<string | null>((resolve) => crio.on("exit", (_c, s) => resolve(s)));
    try {
      const noCrioChange = await sync([hosts]);
      expect(noCrioChange.out).not.toMatch(/SIGHUP/);
      expect(crio.exitCode).toBeNull();
      const r = await sync([hosts, dropin]);
      expect(r.out).toMatch(/sent SIGHUP to crio/);
      expect(await signal).toBe("SIGHUP");
    } finally {
      if (crio.exitCode === null && crio.signalCode === null) crio.kill("SIGKILL");
    }
  });

  it("fails safe: an unreadable manifest, a bad line or a missing key changes nothing, says so and exits non-zero", async () => {
    const pod = { ...file("/etc/kubernetes/manifests/m.yaml", "/etc", "kind: Pod\n"), role: "mirror" as const, apply: "static-pod" as const };
    expect((await sync([dropin, hosts, secret, pod])).code).toBe(0);
    const before = [dropin, hosts, secret, pod].map((f) => read(f.path));
    const state = read("/var/lib/registry-topology/test.managed");
    const breakages: [string, () => void][] = [
      ["manifest missing", () => fs.rmSync(path.join(src, "manifest"))],
      ["manifest empty", () => fs.writeFileSync(path.join(src, "manifest"), "")],
      ["line garbled", () => fs.appendFileSync(path.join(src, "manifest"), "p9 0644\n")],
      ["key missing", () => fs.rmSync(path.join(src, "p0"))],
    ];
    for (const [what, tamper] of breakages) {
      const r = await sync([dropin, hosts, secret, pod], tamper);
      expect(r.code, what).not.toBe(0);
      expect(r.out, what).toMatch(/ERROR: .*keeping every file/);
      expect([dropin, hosts, secret, pod].map((f) => read(f.path)), what).toEqual(before);
      expect(read("/var/lib/registry-topology/test.managed"), what).toBe(state);
    }
    // Once the manifest is readable again, the next run proceeds normally.
    expect((await sync([dropin])).code).toBe(0);
    expect(fs.existsSync(path.join(host, pod.path))).toBe(false);
  });

  it("in its loop, retries after an unreadable manifest and proceeds once it is readable", async () => {
    fs.mkdirSync(src, { recursive: true });
    const script = path.join(base, "writer.sh");
    fs.writeFileSync(script, WRITER_SCRIPT);
    const env = { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/test.managed", HEALTH_INTERVAL_SECONDS: "1", PROBE_TIMEOUT_SECONDS: "1", NODE_NAME: "node-a" };
    const child = spawn(path.join(bb, "sh"), [script], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const waitFor = async (re: RegExp) => {
      for (let i = 0; i < 100 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      return re.test(out);
    };
    try {
      expect(await waitFor(/STATUS node=node-a error="manifest unreadable: kept every file, retrying"/), out).toBe(true);
      for (const [k, v] of Object.entries(publicConfigData([hosts]))) fs.writeFileSync(path.join(src, k), v);
      expect(await waitFor(/wrote \/etc\/containerd\/certs.d\/h\/hosts.toml/), out).toBe(true);
      expect(read(hosts.path)).toBe(hosts.content);
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
    }
  });

  it("writes static pod manifests last, and not at all when a file before them failed", async () => {
    fs.mkdirSync(path.join(host, "etc/kubernetes"), { recursive: true });
    const pod = { ...file("/etc/kubernetes/manifests/registry-mirror-h.yaml", "/etc/kubernetes", "kind: Pod\n"), apply: "static-pod" as const };
    const cfg = file("/etc/registry-topology/mirrors/h/config.yml", "/etc", "proxy: {}\n", true);
    // The component lists pods before their secret configs; the manifest puts them last.
    expect(parseWriterManifest(writerManifest([pod, cfg])).map((l) => l.path)).toEqual([cfg.path, pod.path]);
    expect(inWriteOrder([pod, cfg])).toEqual([cfg, pod]);
    // A config that cannot be written (its directory is a file): the pod must not appear.
    fs.mkdirSync(path.join(host, "etc/registry-topology/mirrors"), { recursive: true });
    fs.writeFileSync(path.join(host, "etc/registry-topology/mirrors/h"), "in the way");
    const r = await sync([pod, cfg]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/not writing static pod/);
    expect(fs.existsSync(path.join(host, pod.path))).toBe(false);
    fs.rmSync(path.join(host, "etc/registry-topology/mirrors/h"));
    const ok = await sync([pod, cfg]);
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out.indexOf(`wrote ${cfg.path}`)).toBeLessThan(ok.out.indexOf(`wrote ${pod.path}`));
  });

  describe("k3s/RKE2 registries.yaml: our entries merged, the operator's kept, restored when we leave", () => {
    const ours = (endpoint: string) => file("/etc/rancher/k3s/registries.yaml", "/etc/rancher/k3s", YAML.stringify({ mirrors: { "harbor.example.com": { endpoint: [endpoint] } } }), false, "merge-yaml");
    const operator = [
      "# the operator's file",
      "mirrors:",
      "    docker.io:",
      "        endpoint:",
      "            - https://mirror.corp.example",
      "configs:",
      "    registry.corp.example:",
      "        auth: {username: ops, password: ops-secret}",
      "",
    ].join("\n");
    beforeEach(() => fs.mkdirSync(path.join(host, "etc/rancher/k3s"), { recursive: true }));

    it("merges into the operator's mappings (their indentation, comments, credentials) and restores the file byte for byte", async () => {
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), operator);
      const r = await sync([ours("http://10.0.0.1:5000")]);
      expect(r.code, r.out).toBe(0);
      const merged = read("/etc/rancher/k3s/registries.yaml");
      expect(merged).toContain("# the operator's file");
      expect(YAML.parse(merged)).toEqual({
        mirrors: { "docker.io": { endpoint: ["https://mirror.corp.example"] }, "harbor.example.com": { endpoint: ["http://10.0.0.1:5000"] } },
        configs: { "registry.corp.example": { auth: { username: "ops", password: "ops-secret" } } },
      });
      // Our entry changes; the operator edits their part meanwhile: both survive.
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), merged.replace("https://mirror.corp.example", "https://mirror2.corp.example"));
      await sync([ours("http://10.0.0.2:5000")]);
      const again = YAML.parse(read("/etc/rancher/k3s/registries.yaml")) as { mirrors: Record<string, { endpoint: string[] }> };
      expect(again.mirrors).toEqual({ "docker.io": { endpoint: ["https://mirror2.corp.example"] }, "harbor.example.com": { endpoint: ["http://10.0.0.2:5000"] } });
      // No longer managed: exactly the operator's file again.
      const gone = await sync([hosts]);
      expect(gone.out).toMatch(/removed our entries from \/etc\/rancher\/k3s\/registries.yaml/);
      expect(read("/etc/rancher/k3s/registries.yaml")).toBe(operator.replace("https://mirror.corp.example", "https://mirror2.corp.example"));
    });

    it("merges the rendered file (mirrors entry and configs.<mirror host:port>.tls) next to the operator's configs, and restores it byte for byte", async () => {
      const plan = planRegion(
        { name: "eu", mirrorAddresses: ["10.1.0.11"], runtimes: ["k3s"], mirrorPortBase: 5000, dialTimeoutSeconds: 3 },
        { host: "harbor.example.com", url: "https://harbor.example.com", projects: ["library"], insecure: false },
        [{ name: "harbor", kind: "harbor", url: "https://harbor.example.com", pathPrefix: "", keepsProjectPath: true, insecure: false, username: "robot" }],
      );
      const rendered = renderRancher(plan, "k3s").files.find((f) => f.apply === "merge-yaml")!;
      const tls = { ca_file: "/etc/rancher/k3s/registry-topology/mirror-ca.crt", cert_file: "/etc/rancher/k3s/registry-topology/mirror-client.cert", key_file: "/etc/rancher/k3s/registry-topology/mirror-client.key" };
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), operator);
      const r = await sync([{ ...ours(""), content: rendered.content }]);
      expect(r.code, r.out).toBe(0);
      expect(YAML.parse(read("/etc/rancher/k3s/registries.yaml"))).toEqual({
        mirrors: { "docker.io": { endpoint: ["https://mirror.corp.example"] }, "harbor.example.com": { endpoint: ["https://10.1.0.11:5000"] } },
        configs: { "registry.corp.example": { auth: { username: "ops", password: "ops-secret" } }, "10.1.0.11:5000": { tls } },
      });
      await sync([hosts]);
      expect(read("/etc/rancher/k3s/registries.yaml")).toBe(operator);
      // The operator's own entry for one of our mirror addresses: nothing merged, reported.
      const theirs = `${operator}    "10.1.0.11:5000":\n        tls: {insecure_skip_verify: true}\n`;
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), theirs);
      const refused = await sync([{ ...ours(""), content: rendered.content }]);
      expect(refused.out).toMatch(/configs\.10\.1\.0\.11:5000 is already set by the operator/);
      expect(read("/etc/rancher/k3s/registries.yaml")).toBe(theirs);
    });

    it("tells host:port keys apart from the bare host", async () => {
      const text = "mirrors:\n  harbor.example.com:\n    endpoint: [https://theirs]\n";
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), text);
      const r = await sync([{ ...ours(""), content: YAML.stringify({ mirrors: { "harbor.example.com:8443": { endpoint: ["http://10.0.0.1:5000"] } } }) }]);
      expect(r.code, r.out).toBe(0);
      expect(YAML.parse(read("/etc/rancher/k3s/registries.yaml"))).toEqual({ mirrors: { "harbor.example.com": { endpoint: ["https://theirs"] }, "harbor.example.com:8443": { endpoint: ["http://10.0.0.1:5000"] } } });
    });

    it("creates the file when there is none and removes it again; adds a missing top-level key", async () => {
      expect((await sync([ours("http://10.0.0.1:5000")])).code).toBe(0);
      expect(YAML.parse(read("/etc/rancher/k3s/registries.yaml"))).toEqual({ mirrors: { "harbor.example.com": { endpoint: ["http://10.0.0.1:5000"] } } });
      await sync([hosts]);
      expect(fs.existsSync(path.join(host, "etc/rancher/k3s/registries.yaml"))).toBe(false);

      const onlyConfigs = "configs:\n  r.example:\n    tls: {insecure_skip_verify: true}\n";
      fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), onlyConfigs);
      await sync([ours("http://10.0.0.1:5000")]);
      expect(YAML.parse(read("/etc/rancher/k3s/registries.yaml"))).toEqual({ ...YAML.parse(onlyConfigs), mirrors: { "harbor.example.com": { endpoint: ["http://10.0.0.1:5000"] } } });
      await sync([hosts]);
      expect(read("/etc/rancher/k3s/registries.yaml")).toBe(onlyConfigs);
    });

    it("leaves the file alone and reports it when the operator already configures our registry or uses flow style", async () => {
      const withPort = { ...ours("http://10.0.0.1:5000"), content: YAML.stringify({ mirrors: { "harbor.example.com:8443": { endpoint: ["http://10.0.0.1:5000"] } } }) };
      const cases: [string, NodeFile][] = [
        ["mirrors:\n  harbor.example.com:\n    endpoint: [https://theirs]\n", ours("http://10.0.0.1:5000")],
        ['mirrors:\n  "harbor.example.com:8443": {endpoint: [https://theirs]}\n', withPort],
        ["mirrors: {docker.io: {endpoint: [https://x]}}\n", ours("http://10.0.0.1:5000")],
      ];
      for (const [text, f] of cases) {
        fs.writeFileSync(path.join(host, "etc/rancher/k3s/registries.yaml"), text);
        const r = await sync([f]);
        expect(r.code).toBe(0); // a node condition, reported in STATUS, not a failed run
        expect(r.out).toMatch(/NOTICE: not merging into \/etc\/rancher\/k3s\/registries.yaml: .*(already set by the operator|flow style)/);
        expect(r.out).toMatch(/STATUS node=node-a .*\/etc\/rancher\/k3s\/registries.yaml="inactive: /);
        expect(read("/etc/rancher/k3s/registries.yaml")).toBe(text);
      }
    });
  });

  describe("mirror health: blocks of mirrors that fail their probe are left out", () => {
    let ok: http.Server;
    let auth: http.Server;
    let authUrl: string;
    let hung: net.Server;
    const sockets: net.Socket[] = [];
    let okUrl: string;
    let hungUrl: string;
    const listen = (s: net.Server) => new Promise<string>((r) => s.listen(0, "127.0.0.1", () => r(`http://127.0.0.1:${(s.address() as net.AddressInfo).port}`)));
    beforeEach(async () => {
      ok = http.createServer((_q, res) => res.end("{}"));
      // A live mirror that wants credentials (401 on /v2/): healthy for curl; busybox wget cannot tell it from an error.
      auth = http.createServer((_q, res) => ((res.statusCode = 401), res.end("{}")));
      authUrl = await listen(auth);
      hung = net.createServer((s) => sockets.push(s)); // accepts, never answers
      okUrl = await listen(ok);
      hungUrl = await listen(hung);
    });
    afterEach(async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => ok.close(r)), new Promise((r) => auth.close(r)), new Promise((r) => hung.close(r))]);
    });
    const hostsWith = (urls: string[]) =>
      file("/etc/containerd/certs.d/h/hosts.toml", "/etc/containerd", 'server = "https://h"\n\n' + urls.map((u) => `#@mirror ${u}\n${TOML.stringify({ host: { [u]: { capabilities: ["pull", "resolve"] } } })}#@end\n`).join(""));

    for (const prober of ["busybox wget", "curl"] as const) it(`leaves out a hung mirror, keeps the healthy one in order, and keeps all when every probe fails (${prober})`, async () => {
      if (prober === "curl") {
        const curl = ["/usr/bin/curl", "/bin/curl"].find((p) => fs.existsSync(p));
        if (!curl) throw new Error("curl is not installed (Debian package curl)");
        fs.symlinkSync(curl, path.join(bb, "curl")); // an image with curl: the writer prefers it
      }
      const closed = `http://127.0.0.1:${await new Promise<number>((r) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); })}`;
      const f = hostsWith([hungUrl, closed, okUrl, authUrl]);
      const r = await sync([f]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(new RegExp(`mirror ${hungUrl} failed its probe`));
      const doc = TOML.parse(read(f.path)) as { server: string; host: Record<string, unknown> };
      expect(Object.keys(doc.host)).toEqual(prober === "curl" ? [okUrl, authUrl] : [okUrl]);
      expect(doc.server).toBe("https://h");
      expect(read(f.path)).toContain(`# mirror ${hungUrl} left out: it failed its health probe`);

      const allBad = hostsWith([hungUrl, closed]);
      const r2 = await sync([allBad]);
      expect(r2.out).toMatch(/every mirror failed its probe; keeping all/);
      expect(Object.keys((TOML.parse(read(f.path)) as { host: Record<string, unknown> }).host)).toEqual([hungUrl, closed]);
    });
  });

  describe("containerd: config_path set in the node's own config.toml, nothing else changes (containerd config dump)", () => {
    const CRI = "io.containerd.grpc.v1.cri";
    // A node's config with the settings an `imports` fragment would wipe on 1.6/1.7.
    const nodeConfig = (withRegistryTable: boolean) =>
      [
        "# node config (kubeadm style)",
        "version = 2",
        'root = "/var/lib/containerd"',
        `[plugins."${CRI}"]`,
        '  sandbox_image = "registry.k8s.io/pause:3.9"',
        `  [plugins."${CRI}".containerd]`,
        '    snapshotter = "native"',
        `    [plugins."${CRI}".containerd.runtimes.runc]`,
        '      runtime_type = "io.containerd.runc.v2"',
        `      [plugins."${CRI}".containerd.runtimes.runc.options]`,
        "        SystemdCgroup = true",
        `  [plugins."${CRI}".cni]`,
        '    bin_dir = "/opt/cni/custom-bin"',
        '    conf_dir = "/etc/cni/custom.d"',
        ...(withRegistryTable ? [`  [plugins."${CRI}".registry]`, '    # config_path not set yet'] : []),
        `  [plugins."${CRI}".registry.configs."registry.corp.example".auth]`,
        '    username = "ops"',
        "",
      ].join("\n");
    const activation = { ...file("/etc/containerd/config.toml", "/etc/containerd", TOML.stringify({ version: 2, plugins: { [CRI]: { registry: { config_path: "/etc/containerd/certs.d" } } } }), false, "containerd-config-path") };
    type Dump = { plugins: Record<string, { registry: { config_path: string } } & Record<string, unknown>> } & Record<string, unknown>;
    const dump = async (config: string): Promise<Dump> => {
      const r = await run("containerd", ["--config", config, "config", "dump"], 20_000);
      if (r.code !== 0) throw new Error(`containerd config dump failed: ${r.stderr}`);
      return TOML.parse(r.stdout) as Dump;
    };
    const withoutConfigPath = (d: Dump) => {
      const c = structuredClone(d);
      delete (c.plugins[CRI]!.registry as Partial<{ config_path: string }>).config_path;
      return c;
    };
    const cfgPath = () => path.join(host, "etc/containerd/config.toml");

    for (const withTable of [false, true]) {
      it(`changes only config_path (${withTable ? "registry table present" : "no registry table"}) and restores the file byte for byte`, async () => {
        fs.writeFileSync(cfgPath(), nodeConfig(withTable));
        const before = await dump(cfgPath());
        const r = await sync([hosts, activation]);
        expect(r.code, r.out).toBe(0);
        const after = await dump(cfgPath());
        expect(before.plugins[CRI]!.registry.config_path).toBe("");
        expect(after.plugins[CRI]!.registry.config_path).toBe("/etc/containerd/certs.d");
        expect(withoutConfigPath(after)).toEqual(withoutConfigPath(before));
        expect(read("/etc/containerd/config.toml")).toContain("# node config (kubeadm style)");
        // Idempotent, and gone again (exactly) when no longer managed.
        expect((await sync([hosts, activation])).out).not.toMatch(/wrote/);
        await sync([hosts]);
        expect(read("/etc/containerd/config.toml")).toBe(nodeConfig(withTable));
      });
    }

    it("the old `imports` fragment would have reset SystemdCgroup, sandbox_image, snapshotter and CNI dirs (containerd 1.6 merge)", async () => {
      fs.writeFileSync(cfgPath(), nodeConfig(false));
      const before = await dump(cfgPath());
      const fragment = path.join(host, "etc/containerd/fragment.toml");
      fs.writeFileSync(fragment, activation.content);
      fs.writeFileSync(cfgPath(), `imports = [${JSON.stringify(fragment)}]\n${nodeConfig(false)}`);
      const imported = await dump(cfgPath());
      const cri = (d: Dump) => d.plugins[CRI] as unknown as { sandbox_image: string; containerd: { snapshotter: string; runtimes: { runc: { options: { SystemdCgroup?: boolean } } } }; cni: { bin_dir: string } };
      expect(cri(before).containerd.runtimes.runc.options.SystemdCgroup).toBe(true);
      expect(cri(imported).containerd.runtimes.runc.options.SystemdCgroup ?? false).toBe(false);
      expect(cri(imported).sandbox_image).not.toBe(cri(before).sandbox_image);
      expect(cri(imported).cni.bin_dir).not.toBe("/opt/cni/custom-bin");
    });

    it("without a config.toml: creates one that equals containerd's defaults plus config_path, removes it again", async () => {
      fs.writeFileSync(cfgPath(), ""); // same path: config dump lists the file under `imports`
      const defaults = await dump(cfgPath());
      fs.rmSync(cfgPath());
      expect((await sync([hosts, activation])).code).toBe(0);
      const after = await dump(cfgPath());
      expect(after.plugins[CRI]!.registry.config_path).toBe("/etc/containerd/certs.d");
      expect(withoutConfigPath(after)).toEqual(withoutConfigPath(defaults));
      await sync([hosts]);
      expect(fs.existsSync(cfgPath())).toBe(false);
    });

    it("refuses, reports and changes nothing where a line would not be safe", async () => {
      const cases: [string, RegExp][] = [
        [nodeConfig(false) + `[plugins."${CRI}".registry.mirrors."docker.io"]\n  endpoint = ["https://x"]\n`, /legacy registry.mirrors/],
        [nodeConfig(true).replace("# config_path not set yet", 'config_path = "/etc/docker/certs.d"'), /already set to "\/etc\/docker\/certs.d" by the operator/],
        [nodeConfig(false).replace("version = 2\n", ""), /no `version = 2` or `version = 3`/],
      ];
      for (const [text, why] of cases) {
        fs.writeFileSync(cfgPath(), text);
        const r = await sync([hosts, activation]);
        expect(r.out).toMatch(why);
        expect(r.out).toMatch(/STATUS node=node-a .*containerd="inactive: /);
        expect(read("/etc/containerd/config.toml")).toBe(text);
      }
    });

    it("says when config.toml has imports (on 1.x an imported CRI table would replace ours)", async () => {
      fs.writeFileSync(cfgPath(), `imports = ["/etc/containerd/conf.d/*.toml"]\n${nodeConfig(true)}`);
      const r = await sync([hosts, activation]);
      expect(r.out).toMatch(/STATUS node=node-a containerd="[^"]*config.toml has imports/);
    });

    it("reports pending-restart until containerd (re)started after config_path was set, then active", async () => {
      // A stand-in process with a unique name (other containerds may run on this machine).
      const name = `ctrd${process.pid % 100000}`;
      const fake = path.join(base, name);
      fs.copyFileSync("/bin/sleep", fake);
      fs.chmodSync(fake, 0o755);
      const env = { CONTAINERD_PROCESS: name };
      const started: ReturnType<typeof spawn>[] = [];
      const start = () => started.push(spawn(fake, ["30"], { stdio: "ignore" }));
      const tick = () => new Promise((r) => setTimeout(r, 1100)); // start times and mtimes have 1 s resolution
      try {
        fs.writeFileSync(cfgPath(), nodeConfig(true));
        start();
        await tick();
        const before = await sync([hosts, activation], undefined, env);
        expect(before.out).toMatch(/STATUS node=node-a containerd="pending-restart: /);
        started.pop()!.kill("SIGKILL");
        await tick();
        start();
        const after = await sync([hosts, activation], undefined, env);
        expect(after.out).toMatch(/STATUS node=node-a containerd="active"/);
      } finally {
        for (const c of started) c.kill("SIGKILL");
      }
    });

    it("uses the version 3 table on containerd 2.x configs", async () => {
      fs.writeFileSync(cfgPath(), 'version = 3\n[plugins."io.containerd.cri.v1.runtime"]\n  enable_selinux = false\n');
      await sync([hosts, activation]);
      const doc = TOML.parse(read("/etc/containerd/config.toml")) as { plugins: Record<string, Record<string, unknown>> };
      expect(doc.plugins["io.containerd.cri.v1.images"]).toEqual({ registry: { config_path: "/etc/containerd/certs.d" } });
      expect(doc.plugins["io.containerd.cri.v1.runtime"]).toEqual({ enable_selinux: false });
    });
  });

  it("passes a POSIX syntax check", async () => {
    const script = path.join(base, "w.sh");
    fs.writeFileSync(script, WRITER_SCRIPT);
    expect((await run("/bin/sh", ["-n", script], 10_000)).code).toBe(0);
  });
});

describe("writer DaemonSet", () => {
  const files = [file("/etc/containers/registries.conf.d/x.conf", "/etc/containers", "a"), file("/etc/registry-topology/mirrors/h/config.yml", "/etc", "pw-content", true)];

  it("keeps secret content out of the ConfigMap and lists every file in the manifest", () => {
    const data = publicConfigData(files);
    expect(JSON.stringify(data)).not.toContain("pw-content");
    expect(parseWriterManifest(data.manifest!)).toEqual([
      { key: "p0", mode: "0644", anchor: "/etc/containers", path: "/etc/containers/registries.conf.d/x.conf", apply: "replace" },
      { key: "s0", mode: "0600", anchor: "/etc", path: "/etc/registry-topology/mirrors/h/config.yml", apply: "replace" },
    ]);
    expect(secretData(files)).toEqual({ s0: "pw-content" });
  });

  it("node writers probe with the node's mTLS files (any runtime's copy, by host path; colons in paths survive the manifest); mirror writers report mirror status", () => {
    const tlsFiles: NodeFile[] = [
      { ...file("/etc/containers/certs.d/10.1.0.11:5000/ca.crt", "/etc/containers", "CA"), tls: "ca" },
      { ...file("/etc/containers/certs.d/10.1.0.11:5000/client.cert", "/etc/containers", "CERT"), tls: "cert" },
      { ...file("/etc/containers/certs.d/10.1.0.11:5000/client.key", "/etc/containers", "KEY", true), tls: "key" },
    ];
    type Env = { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } };
    const env = (role: "node" | "mirror", f: NodeFile[]) => (writerDaemonSetSpec({ region: "eu", role, files: f, configMapName: "cm", signalCrio: false }) as Env).template.spec.containers[0]!.env;
    const node = Object.fromEntries(env("node", [...files, ...tlsFiles]).map((e) => [e.name, e.value]));
    expect([node.PROBE_CACERT, node.PROBE_CERT, node.PROBE_KEY]).toEqual(tlsFiles.map((f) => f.path));
    expect(node.MIRROR_STATUS_DIR).toBeUndefined();
    // Without TLS files (nothing to present) no probe variables; mirror writers get the status dir instead.
    expect(env("node", files).some((e) => e.name.startsWith("PROBE_C") || e.name === "PROBE_KEY")).toBe(false);
    const mirror = Object.fromEntries(env("mirror", files).map((e) => [e.name, e.value]));
    expect(mirror.MIRROR_STATUS_DIR).toBe("/var/lib/registry-topology/mirrors");
    expect(mirror.PROBE_CERT).toBeUndefined();
    const parsed = parseWriterManifest(writerManifest(tlsFiles));
    expect(parsed.map((l) => l.path)).toEqual(tlsFiles.map((f) => f.path));
  });

  it("runs a pinned image on every matching node, mounts only /etc and /var/lib, and uses the node's network and PIDs only for node writers or CRI-O", () => {
    const spec = writerDaemonSetSpec({ region: "eu", role: "node", files, nodeSelector: { a: "b" }, configMapName: "cm", secretName: "s", signalCrio: true }) as {
      template: { spec: { hostPID: boolean; hostNetwork: boolean; automountServiceAccountToken: boolean; nodeSelector: unknown; tolerations: unknown[]; containers: { image: string }[]; volumes: { name: string; hostPath?: { path: string }; projected?: { sources: unknown[] } }[] } };
    };
    const pod = spec.template.spec;
    expect(pod.containers[0]!.image).toBe(WRITER_IMAGE);
    expect(WRITER_IMAGE).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(pod.nodeSelector).toEqual({ a: "b" });
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.hostPID).toBe(true);
    expect(pod.hostNetwork).toBe(true);
    // Status goes to the pod log: the writer needs no API access at all.
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : []))).toEqual(["/etc", "/var/lib"]);
    expect(pod.volumes[0]!.projected!.sources).toEqual([{ configMap: { name: "cm" } }, { secret: { name: "s" } }]);
    const noCrio = writerDaemonSetSpec({ region: "eu", role: "mirror", files, configMapName: "cm", signalCrio: false }) as { template: { spec: { hostPID: boolean; hostNetwork: boolean; nodeSelector?: unknown } } };
    expect(noCrio.template.spec.hostPID).toBe(false);
    expect(noCrio.template.spec.hostNetwork).toBe(false);
  });
});
