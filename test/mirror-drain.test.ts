// A mirror restart does not cut a pull in flight (issue 19: the refresher's new credential restarts
// the mirror's static pod; the kubelet sends the pod SIGTERM and waits its grace period).
// Real processes: the rendered supervisor.sh under busybox sh drives Debian's distribution 2.8.2
// with the rendered config (mTLS, proxy mode); its upstream is another distribution, reached
// through a throttling TCP relay so a 4 MiB layer takes seconds. The relay is the test's own
// (bytes are forwarded unchanged, only paced).
// distribution drains on SIGTERM only with `http.draintimeout` (registry/registry.go,
// ListenAndServe, v2.8.2 and v3.0.0): the control run without it shows the layer cut.
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import { planRegion, type RegionPlan } from "../components/mirrors/plan";
import { mirrorConfigPath, MIRROR_DRAIN_SECONDS } from "../components/mirrors/staticPods";
import type { MirrorTls } from "../components/mirrors/pki";
import { consecutiveFreePorts, startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { makeTestPki, startMirrorPod, stopAllMirrorPods } from "./helpers/mirror-pod";

const BLOB = randomBytes(4 * 1024 * 1024);
const DIGEST = `sha256:${createHash("sha256").update(BLOB).digest("hex")}`;
const BYTES_PER_SECOND = 768 * 1024; // about 5.5 s for the layer

/** Relays TCP to `target`, pacing upstream->client bytes; closes every socket on close(). */
function throttlingRelay(target: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(target, "127.0.0.1");
    sockets.add(client).add(up);
    client.pipe(up);
    let budget = 0;
    const queue: Buffer[] = [];
    const tick = setInterval(() => {
      budget = BYTES_PER_SECOND / 20;
      while (queue.length > 0 && budget > 0) {
        const b = queue.shift()!;
        const n = Math.min(b.length, budget);
        client.write(b.subarray(0, n));
        if (n < b.length) queue.unshift(b.subarray(n));
        budget -= n;
      }
      if (queue.length === 0 && up.isPaused()) up.resume();
    }, 50);
    up.on("data", (d: Buffer) => {
      queue.push(d);
      if (queue.length > 8) up.pause();
    });
    const end = () => {
      clearInterval(tick);
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    up.on("close", () => {
      // Flush what is queued (bounded by the pacing), then close.
      const flush = setInterval(() => {
        if (queue.length === 0 || client.destroyed) {
          clearInterval(flush);
          end();
        }
      }, 50);
    });
    client.on("close", end);
    up.on("error", end);
    client.on("error", end);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

/** GET the layer through the mirror (mTLS); SIGTERM to `pid` once `termAfter` bytes arrived. */
function pullLayer(port: number, tls: MirrorTls, pid: number, termAfter: number): Promise<{ bytes: number; digest: string; error?: string; termAt?: number; doneAt: number }> {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    let bytes = 0;
    let termAt: number | undefined;
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return; // "aborted", "error" and "end" may each come
      settled = true;
      resolve({ bytes, digest: `sha256:${hash.digest("hex")}`, error, termAt, doneAt: Date.now() });
    };
    const req = https.get(
      { host: "127.0.0.1", port, path: `/v2/library/app/blobs/${DIGEST}`, ca: tls.caCertPem, cert: tls.clientCertPem, key: tls.clientKeyPem, servername: "127.0.0.1", timeout: 60_000 },
      (res) => {
        if (res.statusCode !== 200) return res.resume().on("end", () => finish(`HTTP ${res.statusCode}`));
        res.on("data", (d: Buffer) => {
          hash.update(d);
          bytes += d.length;
          if (termAt === undefined && bytes >= termAfter) {
            termAt = Date.now();
            process.kill(pid, "SIGTERM"); // the supervisor alone, as the container runtime does
          }
        });
        res.on("end", () => finish(res.complete ? undefined : "answer ended early"));
        res.on("aborted", () => finish("aborted"));
        res.on("error", (e) => finish(e.message));
      },
    );
    req.on("timeout", () => req.destroy(new Error("no progress in 60 s")));
    req.on("error", (e) => finish(e.message));
  });
}

async function exitedWithin(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (let i = 0; i < 400 && Date.now() < end; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

describe("a mirror restart lets a pull in flight finish (real supervisor and distribution)", () => {
  let dir: string;
  let upstream: RunningDistribution;
  let relay: { port: number; close(): Promise<void> };
  let plan: RegionPlan;
  let tls: MirrorTls;
  let files: NodeFile[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-drain-"));
    upstream = await startDistribution({ name: "upstream", dir });
    // One layer in library/app (monolithic upload: POST, then PUT with the digest).
    const start = await fetch(`${upstream.url}/v2/library/app/blobs/uploads/`, { method: "POST", signal: AbortSignal.timeout(10_000) });
    expect(start.status).toBe(202);
    const loc = new URL(start.headers.get("location")!, upstream.url);
    loc.searchParams.set("digest", DIGEST);
    const put = await fetch(loc, { method: "PUT", body: BLOB, headers: { "content-type": "application/octet-stream" }, signal: AbortSignal.timeout(20_000) });
    expect(put.status).toBe(201);
    relay = await throttlingRelay(upstream.port);
    plan = planRegion(
      { name: "drain", mirrorAddresses: ["127.0.0.1"], runtimes: ["containerd"], mirrorPortBase: await consecutiveFreePorts(2), dialTimeoutSeconds: 3 },
      { host: "harbor.invalid", url: "https://harbor.invalid", projects: ["library"], insecure: false },
      [{ name: "harbor", kind: "harbor", url: `http://127.0.0.1:${relay.port}`, pathPrefix: "", keepsProjectPath: true, insecure: true, username: "robot" }],
    );
    tls = makeTestPki(dir, ["127.0.0.1"]);
    const pw = { harbor: "pw" };
    files = [...secretNodeFiles(plan, pw, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, "drain-test-key-0123456789")).files];
  }, 60_000);

  afterAll(async () => {
    await stopAllMirrorPods();
    await relay?.close();
    await stopAllDistributions();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("renders the drain: draintimeout in the config, DRAIN_SECONDS and a grace period that covers it", () => {
    const cfg = files.find((f) => f.path === mirrorConfigPath(plan.mirrors[0]!))!.content;
    expect(cfg).toMatch(new RegExp(`draintimeout: ${MIRROR_DRAIN_SECONDS}s`));
    const pod = files.find((f) => f.path.endsWith("/registry-mirror-harbor.yaml"))!.content;
    expect(pod).toMatch(new RegExp(`name: DRAIN_SECONDS\\s+value: "${MIRROR_DRAIN_SECONDS}"`));
    const grace = Number(/terminationGracePeriodSeconds: (\d+)/.exec(pod)?.[1]);
    expect(grace).toBeGreaterThanOrEqual(MIRROR_DRAIN_SECONDS + 2 + 3);
  });

  it("SIGTERM mid-layer: the layer arrives whole, then the pod ends within its drain", async () => {
    const pod = await startMirrorPod({ dir, plan, upstream: "harbor", files });
    const r = await pullLayer(pod.port, tls, pod.pid, 512 * 1024);
    expect(r.termAt, "the pull never reached 512 KiB").toBeDefined();
    expect(r.error).toBeUndefined();
    expect(r.bytes).toBe(BLOB.length);
    expect(r.digest).toBe(DIGEST);
    // It kept streaming after the signal: the rest took seconds at this pace.
    expect(r.doneAt - r.termAt!).toBeGreaterThan(2000);
    expect(await exitedWithin(pod.pid, (MIRROR_DRAIN_SECONDS + 3) * 1000)).toBe(true);
    expect(fs.readFileSync(pod.logPath, "utf8")).toMatch(/terminating: draining open pulls/);
  }, 90_000);

  it("control: the same config without draintimeout cuts the layer at SIGTERM", async () => {
    const noDrain = files.map((f) => (f.path === mirrorConfigPath(plan.mirrors[0]!) ? { ...f, content: f.content.replace(/^\s*draintimeout: .*\n/m, "") } : f));
    expect(noDrain.find((f) => f.path === mirrorConfigPath(plan.mirrors[0]!))!.content).not.toMatch(/draintimeout/);
    const pod = await startMirrorPod({ dir, plan, upstream: "harbor", files: noDrain, cacheDir: path.join(dir, "cache-control") });
    const r = await pullLayer(pod.port, tls, pod.pid, 512 * 1024);
    expect(r.termAt).toBeDefined();
    expect(r.bytes).toBeLessThan(BLOB.length);
    expect(r.error).toBeDefined();
    expect(await exitedWithin(pod.pid, 10_000)).toBe(true);
  }, 90_000);
});
