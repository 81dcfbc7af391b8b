// Failover through the region mirrors, on the runtimes' real configuration paths, in one run:
// containerd 1.6 CRI pulls (config_path set by the node writer) and skopeo (containers/image, as
// CRI-O and podman) reading /etc/containers, with node files materialised by writer.sh and the
// writer running with its production probe settings (every 5 s, 2 s bound). Harness:
// test/helpers/node-drill.ts (network namespace; needs root). Reported per runtime:
//   healthy pull; Harbor mirror refused (stopped); Harbor mirror black-holed (iptables DROP) and
//   hung (accepts, never answers): time until the node files leave it out (new pulls no longer
//   try it) and pull time after; time until a recovered mirror is listed again.
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
  return `median ${q(0.5).toFixed(0)} ms, min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)} (n=${s.length})`;
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
    console.log("  (without the health-aware writer: a black-holed first mirror costs 90-120 s per pull and a hung one hangs it; README 'Region mirrors and node runtime config')");
  } finally {
    await hung?.stop();
    await d?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
