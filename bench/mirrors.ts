// Failover through the region mirrors, on the runtimes' real configuration paths, in one run:
// containerd 1.6 CRI pulls (config_path set by the node writer) and skopeo (containers/image, as
// CRI-O and podman) reading /etc/containers, with node files materialised by writer.sh and the
// writer running with its production probe settings (every 5 s, 2 s bound). Harness:
// test/helpers/node-drill.ts (network namespace; needs root). Reported per runtime:
//   healthy pull; Harbor mirror refused (stopped); Harbor mirror black-holed (iptables DROP) and
//   hung (accepts, never answers): time until the node files leave it out (new pulls no longer
//   try it) and pull time after; time until a recovered mirror is listed again; restart during a
//   Harbor outage: time from (re)starting the Harbor mirror pod until a pull gets its cache.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { netnsSupported } from "../test/helpers/netns";
import { startNodeDrill, type NodeDrill, type NsProcess, type Pull } from "../test/helpers/node-drill";

const ROUNDS = 5;
const PROBE = { healthIntervalSeconds: 5, probeTimeoutSeconds: 2 };

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)} (n=${s.length})`;
}

const CTRD_UA = /containerd\//;
const SKOPEO_UA = /skopeo\//;
const RESTART_BOUND_MS = 30_000;

/** Blob GETs the mirror answered 200 to `ua` since byte `since` of its log: the runtime really fetched layers. */
function blobsServed(logPath: string, since: number, ua: RegExp): number {
  const text = fs.readFileSync(logPath).subarray(since).toString("utf8");
  return text.split("\n").filter((l) => /"GET \/v2\/\S+\/blobs\/sha256:\S+ HTTP\/[\d.]+" 200 /.test(l) && ua.test(l)).length;
}

/**
 * Restart during an outage (issue 14 item 4): Harbor and the backup mirror down, so only the Harbor
 * mirror can serve (the writer keeps every mirror listed when all fail its probe; the Harbor mirror
 * stays listed throughout). Per round: stop the Harbor mirror pod, start it again (rendered
 * supervisor: one probe of Harbor, refused at once, then the read-only server on its cache) and
 * pull until one pull succeeds; the time is from the start of the pod to the end of that pull.
 * containerd keeps pulled images in its content store, so each CRI pull is preceded by CRI
 * RemoveImage (criPull; containerd 1.6 pkg/cri/server/image_remove.go deletes the last reference
 * with images.SynchronousDelete(), so GC drops the unreferenced content); skopeo writes a new OCI
 * layout each pull. Each round checks the mirror served that runtime blob GETs (a real fetch).
 */
async function restartDuringOutage(d: NodeDrill, rounds: number): Promise<{ cri: number[]; skopeo: number[]; attempts: { cri: number[]; skopeo: number[] } }> {
  const out = { cri: [] as number[], skopeo: [] as number[], attempts: { cri: [] as number[], skopeo: [] as number[] } };
  let n = 0;
  for (let i = 0; i < rounds; i++) {
    for (const rt of ["cri", "skopeo"] as const) {
      await d.mirrors.harbor.stop();
      await d.waitListed("harbor", true, 30_000); // every mirror down: all stay listed (no writer delay in the number)
      const logPath = d.mirrors.harbor.logPath;
      const since = fs.statSync(logPath).size;
      const t0 = performance.now();
      const starting = d.startMirror("harbor"); // not awaited: pull while it starts
      let got: Pull | undefined;
      let a = 0;
      for (; a < 300 && !got && performance.now() - t0 < RESTART_BOUND_MS; a++) {
        try {
          got = rt === "cri" ? await d.criPull(10_000) : await d.skopeoPull(`restart-${n++}`, 10_000);
        } catch {
          if (rt === "cri") await new Promise((r) => setTimeout(r, 25)); // skopeo's process start spaces its attempts
        }
      }
      const ms = performance.now() - t0;
      await starting;
      if (!got) throw new Error(`restart during outage, round ${i} (${rt}): the restarted Harbor mirror did not serve within ${RESTART_BOUND_MS} ms`);
      if (got.digest !== d.image.digest) throw new Error(`restart during outage (${rt}): pulled ${got.digest}, expected ${d.image.digest}`);
      if (blobsServed(logPath, since, rt === "cri" ? CTRD_UA : SKOPEO_UA) === 0) throw new Error(`restart during outage (${rt}): the Harbor mirror served no blob to it (not a real fetch)`);
      out[rt].push(ms);
      out.attempts[rt].push(a);
    }
  }
  return out;
}

async function pulls(d: NodeDrill, label: string, n = ROUNDS): Promise<{ cri: number[]; skopeo: number[] }> {
  const cri: number[] = [];
  const skopeo: number[] = [];
  const check = (p: Pull, rt: string) => {
    if (p.digest !== d.image.digest) throw new Error(`${label}: ${rt} pulled ${p.digest}, expected ${d.image.digest}`);
    return p.ms;
  };
  for (let i = 0; i < n; i++) {
    cri.push(check(await d.criPull(60_000), "CRI"));
    skopeo.push(check(await d.skopeoPull(`${label}-${i}`, 60_000), "skopeo"));
  }
  return { cri, skopeo };
}

export async function run(): Promise<void> {
  console.log(`## mirrors: failover on containerd CRI (config_path) and c/image (skopeo, drop-in), writer probes every ${PROBE.healthIntervalSeconds} s with a ${PROBE.probeTimeoutSeconds} s bound`);
  if (!netnsSupported()) {
    console.log("  skipped: needs root (network namespace, iptables, a private containerd)");
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-mirrors-"));
  let d: NodeDrill | undefined;
  let hung: NsProcess | undefined;
  try {
    d = await startNodeDrill({ dir, ...PROBE });
    const line = (what: string, t: { cri: number[]; skopeo: number[] }) => {
      console.log(`  ${what.padEnd(44)} CRI    ${stats(t.cri)}`);
      console.log(`  ${"".padEnd(44)} skopeo ${stats(t.skopeo)}`);
    };
    await pulls(d, "warm", 1); // fills the Harbor mirror's cache
    const healthy = await pulls(d, "healthy");
    line("healthy (Harbor mirror, cached)", healthy);

    await d.mirrors.harbor.stop();
    line("Harbor mirror refused -> backup mirror", await pulls(d, "refused"));
    await d.startMirror("harbor");
    await d.waitListed("harbor", true, 30_000);

    const outage = async (what: string, start: () => Promise<void>, end: () => Promise<void>) => {
      const t0 = performance.now();
      await start();
      await d!.waitListed("harbor", false, 30_000);
      const avoided = performance.now() - t0;
      const after = await pulls(d!, what);
      console.log(`  ${what}: left out of the node files after ${avoided.toFixed(0)} ms (new pulls no longer try it)`);
      line(`  pulls after that`, after);
      const t1 = performance.now();
      await end();
      await d!.waitListed("harbor", true, 30_000);
      console.log(`  ${what}: listed again ${(performance.now() - t1).toFixed(0)} ms after it answered`);
      return after;
    };
    const port = d.mirrors.harbor.port;
    const bh = await outage("Harbor mirror black-holed (DROP)", () => d!.ns.dropPort(port), () => d!.ns.undropPort(port));
    const hg = await outage(
      "Harbor mirror hung (accepts, never answers)",
      async () => {
        await d!.mirrors.harbor.stop();
        hung = await d!.startHung("harbor");
      },
      async () => {
        await hung!.stop();
        hung = undefined;
        await d!.startMirror("harbor");
      },
    );
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [name, t] of [["black-holed", bh], ["hung", hg]] as const) {
      console.log(`  ${name}: median pull / healthy median: CRI ${(med(t.cri) / med(healthy.cri)).toFixed(2)}x, skopeo ${(med(t.skopeo) / med(healthy.skopeo)).toFixed(2)}x (goal <= 1.5x)`);
    }
    console.log("  (without the health-aware writer: a black-holed first mirror costs 90-120 s per pull and a hung one hangs it; docs/mirrors.md)");

    await d.harbor.stop();
    await d.mirrors.backup.stop();
    const rs = await restartDuringOutage(d, ROUNDS);
    console.log(`  restart during outage: Harbor and the backup mirror down, Harbor mirror pod restarted, pull until one succeeds (${ROUNDS} rounds per runtime; each pull really fetches: CRI RemoveImage first, skopeo to a new layout; the mirror served it blobs)`);
    console.log(`  restart during outage, time until the cache is served (containerd CRI): ${stats(rs.cri)}; pulls per round until served: ${rs.attempts.cri.join(", ")}`);
    console.log(`  restart during outage, time until the cache is served (c/image):        ${stats(rs.skopeo)}; pulls per round until served: ${rs.attempts.skopeo.join(", ")}`);
    console.log("  (requirement: within 10 s; the supervisor probes Harbor once (refused: at once; black-holed: up to its 3 s probe timeout) and starts the read-only server; a failed CRI pull is retried after 25 ms)");
  } finally {
    await hung?.stop();
    await d?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
