// The node file writer script (components/mirrors/writer.sh), run for real by /bin/sh against a
// fake host root, and the DaemonSet it runs in.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NodeFile } from "../components/mirrors/nodeFiles";
import { WRITER_IMAGE } from "../components/mirrors/plan";
import { parseWriterManifest, publicConfigData, secretData, writerDaemonSetSpec, WRITER_SCRIPT } from "../components/mirrors/writer";
import { run } from "./helpers/oci-image";

const file = (p: string, anchor: string, content: string, secret = false): NodeFile => ({ role: "node", path: p, mode: secret ? "0600" : "0644", anchor, secret, content });

describe("writer.sh on a fake host", () => {
  let base: string;
  let host: string;
  let src: string;

  /** Put the ConfigMap + Secret keys where the projected volume would, and run the script once. */
  const sync = async (files: NodeFile[]) => {
    fs.rmSync(src, { recursive: true, force: true });
    fs.mkdirSync(src, { recursive: true });
    for (const [k, v] of Object.entries({ ...publicConfigData(files), ...secretData(files) })) fs.writeFileSync(path.join(src, k), v);
    const script = path.join(src, "writer.sh");
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/test.managed", RUN_ONCE: "1" };
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn("/bin/sh", [script], { env, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const t = setTimeout(() => child.kill("SIGKILL"), 20_000);
      child.on("exit", (code) => (clearTimeout(t), resolve({ code, out })));
    });
  };
  const read = (p: string) => fs.readFileSync(path.join(host, p), "utf8");
  const mode = (p: string) => (fs.statSync(path.join(host, p)).mode & 0o777).toString(8);

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "writer-"));
    host = path.join(base, "host");
    src = path.join(base, "files");
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
    expect(read("/var/lib/registry-topology/test.managed").trim().split("\n").sort()).toEqual([dropin.path, hosts.path, secret.path].sort());
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

  it("warns about a legacy registry.mirrors table in containerd's config", async () => {
    fs.writeFileSync(path.join(host, "etc/containerd/config.toml"), '[plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]\nendpoint = ["x"]\n');
    const r = await sync([hosts]);
    expect(r.out).toMatch(/WARNING: .*legacy registry.mirrors/);
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
      { key: "p0", mode: "0644", anchor: "/etc/containers", path: "/etc/containers/registries.conf.d/x.conf" },
      { key: "s0", mode: "0600", anchor: "/etc", path: "/etc/registry-topology/mirrors/h/config.yml" },
    ]);
    expect(secretData(files)).toEqual({ s0: "pw-content" });
  });

  it("runs a pinned image on every matching node, mounts only /etc and /var/lib, and sees host PIDs only for CRI-O", () => {
    const spec = writerDaemonSetSpec({ region: "eu", role: "node", files, nodeSelector: { a: "b" }, configMapName: "cm", secretName: "s", signalCrio: true }) as {
      template: { spec: { hostPID: boolean; nodeSelector: unknown; tolerations: unknown[]; containers: { image: string }[]; volumes: { name: string; hostPath?: { path: string }; projected?: { sources: unknown[] } }[] } };
    };
    const pod = spec.template.spec;
    expect(pod.containers[0]!.image).toBe(WRITER_IMAGE);
    expect(WRITER_IMAGE).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(pod.nodeSelector).toEqual({ a: "b" });
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.hostPID).toBe(true);
    expect(pod.volumes.flatMap((v) => (v.hostPath ? [v.hostPath.path] : []))).toEqual(["/etc", "/var/lib"]);
    expect(pod.volumes[0]!.projected!.sources).toEqual([{ configMap: { name: "cm" } }, { secret: { name: "s" } }]);
    const noCrio = writerDaemonSetSpec({ region: "eu", role: "mirror", files, configMapName: "cm", signalCrio: false }) as { template: { spec: { hostPID: boolean; nodeSelector?: unknown } } };
    expect(noCrio.template.spec.hostPID).toBe(false);
  });
});
