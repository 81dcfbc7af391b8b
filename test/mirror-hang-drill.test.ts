// DR drill: a mirror that hangs in the middle of a pull (issue 17, "A mirror that hangs
// mid-pull"). containerd and containers/image have no response timeout and the kubelet sets no
// deadline on PullImage, so a pull whose mirror stops answering mid-blob would wait forever. The
// mirror's supervisor (supervisor.sh) probes its own distribution on the loopback debug port and
// kills + restarts a distribution that stops answering, which closes the stuck connections; the
// runtime re-opens the blob and the pull completes.
//
// Real processes throughout (test/helpers/node-drill.ts): the rendered supervisor under busybox
// driving Debian's distribution, mTLS, the node writer, a private containerd pulling through its
// CRI API (the kubelet's call) with config_path + hosts.toml. The fault is the real thing: the
// Harbor mirror's distribution process is frozen with SIGSTOP while a large layer is in transfer
// (the namespace's loopback is rate-limited with tc so the transfer lasts long enough to be hit).
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { netnsSupported } from "./helpers/netns";
import { BACKUP_PREFIX, startNodeDrill, type NodeDrill } from "./helpers/node-drill";
import { buildOciImage, pushImage, type BuiltImage } from "./helpers/oci-image";

const ARCH = process.arch === "arm64" ? "arm64" : "amd64";
const LAYER_BYTES = 48 * 1024 * 1024;
const CTRD = /containerd\//;

/** Bytes containerd has received so far for blobs in flight (its content store's ingest files). */
function ingestBytes(ctrdRoot: string): number {
  const ingest = path.join(ctrdRoot, "io.containerd.content.v1.content", "ingest");
  if (!fs.existsSync(ingest)) return 0;
  let total = 0;
  for (const d of fs.readdirSync(ingest)) {
    try {
      total += fs.statSync(path.join(ingest, d, "data")).size;
    } catch {
      // finished (moved into the blob store) or not created yet
    }
  }
  return total;
}

/** The distribution process the supervisor (process `pid`) runs. */
async function registryChild(d: NodeDrill, pid: number): Promise<number> {
  const r = await d.ns.run("pgrep", ["-P", String(pid), "-f", " serve "], 5000);
  const pids = r.stdout.trim().split("\n").filter(Boolean).map(Number);
  if (pids.length !== 1) throw new Error(`expected one distribution under supervisor ${pid}, found ${JSON.stringify(pids)}`);
  return pids[0]!;
}

describe.skipIf(!netnsSupported())("DR drill: a mirror hung mid-pull (SIGSTOP) is cut by its supervisor, the CRI pull completes", () => {
  let d: NodeDrill;
  let dir: string;
  let big: BuiltImage;
  let shaped = false;

  const layerDigest = (): string => {
    const manifest = JSON.parse(fs.readFileSync(path.join(big.dir, "blobs", "sha256", big.digest.slice("sha256:".length)), "utf8")) as { layers: { digest: string }[] };
    return manifest.layers[0]!.digest;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-hang-"));
    d = await startNodeDrill({ dir, healthIntervalSeconds: 1, probeTimeoutSeconds: 1 });
    // One layer of incompressible bytes (the test makes it; nothing is downloaded).
    big = buildOciImage(path.join(dir, "big-image"), { tag: "v1", files: { "big.bin": crypto.randomBytes(LAYER_BYTES) }, platforms: [{ os: "linux", architecture: ARCH }] });
    await pushImage(big, `${d.harbor.address}/library/big:v1`, undefined, 120_000);
    await pushImage(big, `${d.backup.address}/${BACKUP_PREFIX}/library/big:v1`, undefined, 120_000);
    // Every connection inside the namespace (node <-> mirrors <-> upstreams) at 64 Mbit/s: the
    // 48 MiB layer takes seconds, so it can be frozen mid-transfer.
    const tc = await d.ns.run("tc", ["qdisc", "add", "dev", "lo", "root", "tbf", "rate", "64mbit", "burst", "256kb", "latency", "2s"], 10_000);
    if (tc.code !== 0) throw new Error(`tc (iproute2) could not shape the namespace's loopback: ${tc.stderr.trim()}`);
    shaped = true;
  }, 240_000);

  afterAll(async () => {
    if (shaped) await d?.ns.run("tc", ["qdisc", "del", "dev", "lo", "root"], 10_000);
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("SIGSTOP of the Harbor mirror's distribution mid-layer: the supervisor kills it (two silent probes of 3 s) and the pull completes through the backup mirror", async () => {
    const ref = `${d.harbor.address}/library/big:v1`;
    const pod = d.mirrors.harbor;
    const supervisorLog = pod.logPath;
    const logFrom = fs.statSync(supervisorLog).size;
    const backupFrom = d.mirrors.backup.logOffset();
    const harborFrom = d.harbor.logOffset();
    const ctrdRoot = path.join(dir, "ctrd", "root");
    const registry = await registryChild(d, pod.pid);

    // The kubelet's call, bounded here only so a regression fails instead of hanging the suite.
    const pull = d.criPull(150_000, ref).then(
      (p) => ({ ok: true as const, p }),
      (e: unknown) => ({ ok: false as const, e }),
    );
    // Mid-transfer: containerd has received part of the layer (bounded wait).
    let got = 0;
    for (let i = 0; i < 600 && got < 4 * 1024 * 1024; i++) {
      await new Promise((r) => setTimeout(r, 50));
      got = ingestBytes(ctrdRoot);
    }
    expect(got, "containerd receiving the layer through the Harbor mirror").toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(got).toBeLessThan(LAYER_BYTES);
    process.kill(registry, "SIGSTOP");
    const result = await pull;
    if (!result.ok) throw new Error(`CRI pull did not complete after the mirror hung: ${(result.e as Error).message}\n${fs.readFileSync(supervisorLog, "utf8").slice(logFrom).split("\n").slice(-8).join("\n")}`);
    expect(result.p.digest).toBe(big.digest);

    // The supervisor noticed the hang and cut the frozen process (not the kubelet's liveness probe: there is none here).
    const log = fs.readFileSync(supervisorLog, "utf8").slice(logFrom);
    expect(log).toMatch(/distribution \(proxy\) gave no answer to 2 probes of http:\/\/127\.0\.0\.1:\d+\/debug\/health within 3s each: killing it/);
    expect(fs.existsSync(`/proc/${registry}`)).toBe(false);
    expect(pod.status()).toMatch(/ hang_restarts=1 /);
    // The layer then came from the next host of hosts.toml, the backup mirror (containerd 1.6
    // re-opens a blob whose connection ended early on its hosts in order; the writer had left the
    // hung mirror out), and never from Harbor itself.
    const backupLog = fs.readFileSync(d.mirrors.backup.logPath, "utf8").slice(backupFrom);
    expect(backupLog).toMatch(new RegExp(`"GET /v2/${BACKUP_PREFIX}/library/big/blobs/${layerDigest()}\\S* HTTP/1\\.1" 200 \\d+ "" "containerd/`));
    expect(d.harbor.countServed(harborFrom, CTRD)).toBe(0);
  }, 200_000);
});
