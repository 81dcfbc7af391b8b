// The mirror supervisor (components/mirrors/supervisor.sh) on paths the DR drill does not take,
// with real processes (busybox sh, Debian's distribution) started from the rendered files:
// a proxy that exits although its upstream answers is replaced by the read-only server at once
// and retried later; SIGTERM (the kubelet stopping the pod) ends distribution too.
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import { planRegion, type RegionPlan } from "../components/mirrors/plan";
import { consecutiveFreePorts } from "./helpers/distribution";
import { makeTestPki, startMirrorPod, stopAllMirrorPods } from "./helpers/mirror-pod";
import { run } from "./helpers/oci-image";

describe("mirror supervisor (real processes)", () => {
  let dir: string;
  let upstream: http.Server;
  let plan: RegionPlan;
  let files: NodeFile[];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mirror-supervisor-"));
    // An upstream that answers /v2/ like a token-auth registry: the probe counts any answer.
    upstream = http.createServer((_req, res) => res.writeHead(401, { "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:1/token"' }).end());
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;
    plan = planRegion(
      { name: "sup", mirrorAddresses: ["127.0.0.1"], runtimes: ["crio"], mirrorPortBase: await consecutiveFreePorts(2), dialTimeoutSeconds: 3 },
      { host: "harbor.invalid", url: "https://harbor.invalid", projects: ["library"], insecure: false },
      [{ name: "harbor", kind: "harbor", url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: "robot" }],
    );
    const tls = makeTestPki(dir, ["127.0.0.1"]);
    const pw = { harbor: "pw" };
    files = [...secretNodeFiles(plan, pw, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, pw, tls, "supervisor-test-key-0123")).files];
  }, 30_000);

  afterAll(async () => {
    await stopAllMirrorPods();
    await new Promise((r) => upstream?.close(r));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("serves read-only at once when the proxy exits although the upstream answers, and retries the proxy later", async () => {
    // A proxy config distribution refuses (the kind of failure a probe cannot see).
    const broken = path.join(dir, "broken.yml");
    fs.writeFileSync(broken, "version: 0.1\nstorage: {}\n");
    const pod = await startMirrorPod({ dir, plan, upstream: "harbor", files, env: { PROXY_CONFIG: broken, PROXY_RETRY_SECONDS: "1", PROBE_INTERVAL_SECONDS: "1" } });
    const deadline = Date.now() + 15_000;
    let exits = 0;
    for (let i = 0; i < 150 && Date.now() < deadline && exits < 2; i++) {
      exits = fs.readFileSync(pod.logPath, "utf8").split("\n").filter((l) => /proxy exited \(\d+\); serving the cache read-only/.test(l)).length;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(exits).toBe(2); // the first start and one retry
    // The supervisor logs "proxy exited", then starts the read-only server and writes its status:
    // wait (bounded) for both, a loaded machine can take a moment between the log line and them.
    for (let i = 0; i < 50 && !/^mode=readonly upstream=up /.test(pod.status()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(pod.status()).toMatch(/^mode=readonly upstream=up /);
    let health = 0;
    for (let i = 0; i < 50 && health !== 200; i++) {
      health = await fetch(`http://127.0.0.1:${plan.mirrors[0]!.debugPort}/debug/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => 0);
      if (health !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(health).toBe(200);
    await pod.stop();
  });

  it("stops distribution when the kubelet stops the pod (SIGTERM to the supervisor)", async () => {
    const pod = await startMirrorPod({ dir, plan, upstream: "harbor", files });
    expect(pod.status()).toMatch(/^mode=proxy upstream=up /);
    expect((await run("pgrep", ["-g", String(pod.pid), "-f", "serve"], 5000)).stdout).toMatch(/\d+/);
    process.kill(pod.pid, "SIGTERM"); // the supervisor alone, as the container runtime does
    // Bounded: nothing of the pod's process group may be left (distribution, sleep).
    let left = "?";
    for (let i = 0; i < 20 && left !== ""; i++) {
      left = (await run("pgrep", ["-g", String(pod.pid)], 5000)).stdout.trim();
      if (left !== "") await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe("");
    await pod.stop();
    await expect(fetch(`http://127.0.0.1:${plan.mirrors[0]!.debugPort}/debug/health`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
