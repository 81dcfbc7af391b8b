// Restart during an outage: how long after a mirror pod (re)starts while Harbor is down until
// a pull through the rendered drop-in (skopeo, CRI-O's containers/image) gets the cached image
// from it. Real components on 127.0.0.1: Harbor stand-in behind a token server, the Harbor mirror
// run as its static pod runs it (rendered supervisor + configs + mTLS, test/helpers/mirror-pod.ts).
// Only the Harbor mirror is configured, so a pull succeeds only once that mirror serves.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles } from "../components/mirrors/nodeFiles";
import { planRegion } from "../components/mirrors/plan";
import { CONTAINERS_CERTS_D } from "../components/mirrors/runtimeConfig";
import { consecutiveFreePorts, startDistribution, stopAllDistributions } from "../test/helpers/distribution";
import { installAtRealPaths, makeTestPki, startMirrorPod, stopAllMirrorPods } from "../test/helpers/mirror-pod";
import { buildOciImage, pushImage, run as runCommand } from "../test/helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "../test/helpers/token-server";

const ROUNDS = 5;
const USER = { username: "bench", password: "bench-secret" };
const BOUND_MS = 30_000;

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)} (n=${s.length})`;
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-mirror-restart-"));
  let ts: TokenServer | undefined;
  let removeCertsD: (() => void) | undefined;
  try {
    ts = await startTokenServer({ dir, users: { [USER.username]: { password: USER.password } } });
    const harbor = await startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") } });
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    const img = buildOciImage(path.join(dir, "img"), { tag: "v1", files: { "pad.bin": Buffer.alloc(256 * 1024, 7) }, platforms: [{ os: "linux", architecture: arch }] });
    await pushImage(img, `${harbor.address}/library/img:v1`, USER);
    const plan = planRegion(
      { name: "bench", mirrorAddresses: ["127.0.0.1"], runtimes: ["crio"], mirrorPortBase: await consecutiveFreePorts(2), dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      [{ name: "harbor", kind: "harbor", url: harbor.url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: USER.username }],
    );
    const passwords = { harbor: USER.password };
    const tls = makeTestPki(dir, ["127.0.0.1"]);
    const files = [...secretNodeFiles(plan, passwords, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, passwords, tls, "bench-restart-key-0123456789")).files];
    const conf = path.join(dir, "registries.conf");
    fs.writeFileSync(conf, files.find((f) => f.path.endsWith(".conf"))!.content);
    removeCertsD = installAtRealPaths(files.filter((f) => f.path.startsWith(`${CONTAINERS_CERTS_D}/`)));
    let n = 0;
    const pull = () => runCommand("skopeo", ["--registries-conf", conf, "copy", "--quiet", `docker://${harbor.address}/library/img:v1`, `oci:${path.join(dir, "out", String(n++))}:x`], 20_000);
    fs.mkdirSync(path.join(dir, "out"));

    // Fill the cache while Harbor is up, then take Harbor down.
    let mirror = await startMirrorPod({ dir, plan, upstream: "harbor", files });
    if ((await pull()).code !== 0) throw new Error("warm-up pull through the mirror failed");
    await harbor.stop();
    const served: number[] = [];
    const attempts: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      await mirror.stop();
      const t0 = performance.now();
      // Start without waiting for readiness: pull until one succeeds (bounded).
      const starting = startMirrorPod({ dir, plan, upstream: "harbor", files, readyTimeoutMs: BOUND_MS });
      let ok = false;
      let a = 0;
      for (; a < 300 && !ok && performance.now() - t0 < BOUND_MS; a++) ok = (await pull()).code === 0;
      attempts.push(a);
      if (!ok) throw new Error(`round ${i}: the restarted mirror did not serve its cache within ${BOUND_MS} ms`);
      served.push(performance.now() - t0);
      mirror = await starting;
    }
    console.log(`## mirror-restart: Harbor down, Harbor mirror pod restarted, skopeo pulls through the drop-in until one succeeds (${ROUNDS} rounds)`);
    console.log(`  restart during outage, time until the cache is served (c/image): ${stats(served)}; pulls per round until served: ${attempts.join(", ")}`);
    console.log(`  (requirement: within 10 s; the supervisor probes Harbor once (refused: at once; black-holed: up to its 3 s probe timeout) and starts the read-only server)`);
  } finally {
    await stopAllMirrorPods();
    removeCertsD?.();
    await stopAllDistributions();
    await ts?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
