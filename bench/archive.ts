// Archive job and restore throughput with the real tools (skopeo, rclone, docker-registry), all on
// 127.0.0.1 with a local rclone store: a first run (everything new), an unchanged second run (what a
// quiet night costs), and a restore of the first snapshot into an empty registry.
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { restoreSnapshot } from "../infra/restore/restore";
import { localStore, runArchiveJob } from "../test/helpers/archive-job";
import { startDistribution, stopAllDistributions } from "../test/helpers/distribution";
import { startHarborRepositories } from "../test/helpers/harbor-repositories";
import { buildOciImage, pushImage } from "../test/helpers/oci-image";

const PROJECTS = ["alpha", "beta"];
const IMAGES_PER_PROJECT = 4;
/** Incompressible layer size per image (random bytes). */
const LAYER_BYTES = 2 * 1024 * 1024;
const ROBOT = { username: "robot$archive-bench", password: "bench-secret" };

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const rate = (bytes: number, ms: number) => `${(bytes / 1024 / 1024 / (ms / 1000)).toFixed(1)} MiB/s`;

function dirBytes(dir: string): number {
  let total = 0;
  for (const f of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) if (f.isFile()) total += fs.statSync(path.join(f.parentPath, f.name)).size;
  return total;
}

export async function run(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-archive-"));
  const storeDir = path.join(tmp, "store");
  const api: { stop?: () => Promise<void> } = {};
  try {
    const harbor = await startDistribution({ name: "harbor", dir: tmp });
    const target = await startDistribution({ name: "target", dir: tmp });
    const list = await startHarborRepositories({ registryUrl: harbor.url, projects: PROJECTS, robot: { ...ROBOT, listProjects: PROJECTS } });
    api.stop = list.stop;
    for (const p of PROJECTS) {
      for (let i = 0; i < IMAGES_PER_PROJECT; i++) {
        const img = buildOciImage(path.join(tmp, "images", `${p}-${i}`), { tag: "v1", files: { "data.bin": crypto.randomBytes(LAYER_BYTES) } });
        await pushImage(img, `${harbor.address}/${p}/app${i}:v1`);
      }
    }
    const job = (n: number) => runArchiveJob({ work: path.join(tmp, `work-${n}`), storeDir, harborUrl: list.url, registry: harbor.address, projects: PROJECTS, robot: ROBOT, timeoutMs: 600_000 });
    const first = await job(1);
    const stored = dirBytes(path.join(storeDir, "blobs"));
    const second = await job(2);
    const t0 = performance.now();
    const restore = await restoreSnapshot({ store: localStore(storeDir), to: { url: target.url } });
    const restoreMs = performance.now() - t0;
    const images = PROJECTS.length * IMAGES_PER_PROJECT;
    console.log(`## archive: ${images} images (${mib(LAYER_BYTES)} MiB random layer each) in ${PROJECTS.length} projects, docker-registry -> archive.sh (skopeo, rclone) -> local rclone store, all on 127.0.0.1`);
    console.log(`  first run (all new):    ${(first.result.ms / 1000).toFixed(2)} s, ${first.summary.uploadedBlobs} blobs / ${mib(first.summary.uploadedBytes)} MiB uploaded, ${rate(first.summary.uploadedBytes, first.result.ms)}`);
    console.log(`  unchanged second run:   ${(second.result.ms / 1000).toFixed(2)} s, ${second.summary.uploadedBlobs} blobs / ${second.summary.uploadedBytes} bytes uploaded (plus the snapshot's refs.tsv and index.json)`);
    console.log(`  restore of a snapshot:  ${(restoreMs / 1000).toFixed(2)} s, ${restore.pushed} images, ${mib(restore.bytesFetched)} MiB fetched, ${rate(restore.bytesFetched, restoreMs)} (exit ${restore.exitCode})`);
    console.log(`  store: ${mib(stored)} MiB of blobs after the first run, ${mib(dirBytes(path.join(storeDir, "blobs")))} MiB after the unchanged run`);
  } finally {
    await api.stop?.();
    await stopAllDistributions();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
