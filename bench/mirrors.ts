// Pull time through the region mirrors, side by side in one run, with real components on
// 127.0.0.1: distribution (Harbor and backup stand-ins behind a token server, and the two mirrors
// run as their static pods run them: rendered supervisor + configs + mTLS, test/helpers/mirror-pod.ts)
// and skopeo reading the rendered registries.conf and certs.d.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles } from "../components/mirrors/nodeFiles";
import { planRegion } from "../components/mirrors/plan";
import { CONTAINERS_CERTS_D } from "../components/mirrors/runtimeConfig";
import { consecutiveFreePorts, startDistribution, stopAllDistributions } from "../test/helpers/distribution";
import { installAtRealPaths, makeTestPki, startMirrorPod, stopAllMirrorPods, type RunningMirrorPod } from "../test/helpers/mirror-pod";
import { buildOciImage, pushImage, run as runCommand } from "../test/helpers/oci-image";
import { startTokenServer, tokenAuthConfig, type TokenServer } from "../test/helpers/token-server";

const ROUNDS = 10;
const USER = { username: "bench", password: "bench-secret" };


function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)} (n=${s.length})`;
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-mirrors-"));
  let ts: TokenServer | undefined;
  let removeCertsD: (() => void) | undefined;
  try {
    ts = await startTokenServer({ dir, users: { [USER.username]: { password: USER.password } } });
    const [harbor, backup] = await Promise.all([
      startDistribution({ name: "harbor", dir, config: { auth: tokenAuthConfig(ts, "harbor") } }),
      startDistribution({ name: "backup", dir, config: { auth: tokenAuthConfig(ts, "backup") } }),
    ]);
    const arch = process.arch === "arm64" ? "arm64" : "amd64";
    // One distinct image per round, so every "healthy" pull is a mirror cache miss.
    for (let i = 0; i < ROUNDS; i++) {
      const img = buildOciImage(path.join(dir, `img${i}`), { tag: "v1", files: { "hello.txt": `bench image ${i}\n`, "pad.bin": Buffer.alloc(256 * 1024, i) }, platforms: [{ os: "linux", architecture: arch }] });
      await pushImage(img, `${harbor.address}/library/img${i}:v1`, USER);
      await pushImage(img, `${backup.address}/dr/library/img${i}:v1`, USER);
    }
    const plan = planRegion(
      { name: "bench", mirrorAddresses: ["127.0.0.1"], runtimes: ["crio"], mirrorPortBase: await consecutiveFreePorts(4), dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      [
        { name: "harbor", kind: "harbor", url: harbor.url, pathPrefix: "", keepsProjectPath: true, insecure: true, username: USER.username },
        { name: "backup", kind: "oci", url: backup.url, pathPrefix: "dr", keepsProjectPath: true, insecure: true, username: USER.username },
      ],
    );
    const passwords = { harbor: USER.password, backup: USER.password };
    const tls = makeTestPki(dir, ["127.0.0.1"]);
    const files = [...secretNodeFiles(plan, passwords, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, passwords, tls, "bench-restart-key-0123456789")).files];
    const conf = path.join(dir, "registries.conf");
    fs.writeFileSync(conf, files.find((f) => f.path.endsWith(".conf"))!.content);
    removeCertsD = installAtRealPaths(files.filter((f) => f.path.startsWith(`${CONTAINERS_CERTS_D}/`)));
    const startMirror = (name: string): Promise<RunningMirrorPod> => startMirrorPod({ dir, plan, upstream: name, files });
    let harborMirror = await startMirror("harbor");
    await startMirror("backup");

    const pull = async (i: number, label: string): Promise<number> => {
      const r = await runCommand("skopeo", ["--registries-conf", conf, "copy", "--quiet", `docker://${harbor.address}/library/img${i}:v1`, `oci:${path.join(dir, "out", `${label}-${i}`)}:x`], 60_000);
      if (r.code !== 0) throw new Error(`${label} pull ${i} failed: ${r.stderr.trim().split("\n").at(-1)}`);
      return r.ms;
    };
    fs.mkdirSync(path.join(dir, "out"));
    const t: Record<string, number[]> = { healthy: [], hit: [], failoverMiss: [], failoverHit: [] };
    for (let i = 0; i < ROUNDS; i++) {
      t.healthy!.push(await pull(i, "healthy")); // Harbor mirror fetches from Harbor
      t.hit!.push(await pull(i, "hit")); // Harbor mirror serves its cache
      await harborMirror.stop(); // its port now refuses connections
      t.failoverMiss!.push(await pull(i, "failover-miss")); // backup mirror fetches from the backup
      t.failoverHit!.push(await pull(i, "failover-hit")); // backup mirror serves its cache
      harborMirror = await startMirror("harbor");
    }
    console.log(`## mirrors: skopeo ${ROUNDS} rounds, one single-layer image per round (a 256 KiB file, gzip-compressed), all on 127.0.0.1; times are whole skopeo runs (process start included)`);
    console.log(`  healthy, Harbor mirror cache miss (fetches from Harbor):   ${stats(t.healthy!)}`);
    console.log(`  healthy, Harbor mirror cache hit:                          ${stats(t.hit!)}`);
    console.log(`  failover, Harbor mirror refused -> backup mirror (miss):   ${stats(t.failoverMiss!)}`);
    console.log(`  failover, Harbor mirror refused -> backup mirror (hit):    ${stats(t.failoverHit!)}`);
    console.log("  (a refused connection costs almost nothing; a black-holed mirror would cost 30 s per request, see README 'mirrors')");
  } finally {
    await stopAllMirrorPods();
    removeCertsD?.();
    await stopAllDistributions();
    await ts?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
