import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { listStacks, REPO_ROOT } from "../infra/offline/stackFiles";

interface Sample {
  stack: string;
  resources: number;
  renderMs: number;
  maxRssMiB: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** CPU time (user + system, whole process) and peak RSS of one fresh node process. */
function measure(args: string[], dir: string): { cpuMs: number; maxRssMiB: number } {
  const file = path.join(dir, "cpu.json");
  fs.rmSync(file, { force: true });
  execFileSync(process.execPath, ["-r", path.join(__dirname, "cpu-report.js"), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, BENCH_CPU_FILE: file },
    stdio: ["ignore", "ignore", "inherit"],
    timeout: 300_000,
  });
  return JSON.parse(fs.readFileSync(file, "utf8")) as { cpuMs: number; maxRssMiB: number };
}

/**
 * `npm run render -- --stack prod` (the command exactly as npm runs it: scripts/run.js, which
 * checks dist/ is fresh, then the compiled CLI, writing plan, diagram and node files) against a
 * bare `require('@pulumi/pulumi')`, in the same run, interleaved, fresh processes each.
 */
async function startup(runs: number): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
  try {
    // Compile once first, so every measured run is a warm start (as after `npm ci` and one run).
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "build.js")], { stdio: "inherit" });
    const bare: { cpuMs: number; maxRssMiB: number }[] = [];
    const render: { cpuMs: number; maxRssMiB: number }[] = [];
    for (let i = 0; i < runs; i++) {
      bare.push(measure(["-e", "require('@pulumi/pulumi')"], dir));
      render.push(measure([path.join(REPO_ROOT, "scripts", "run.js"), "infra/offline/render-cli", "--stack", "prod", "--out", path.join(dir, "out")], dir));
    }
    const b = median(bare.map((x) => x.cpuMs));
    const r = median(render.map((x) => x.cpuMs));
    console.log(`\n## Start-up: npm run render -- --stack prod vs a bare require('@pulumi/pulumi'), CPU time (user+system, whole process), median of ${runs}, same run`);
    console.log("process                          CPU ms (median)  CPU ms (min..max)  peak RSS MiB (max)");
    const row = (name: string, xs: { cpuMs: number; maxRssMiB: number }[]) =>
      console.log(`${name.padEnd(32)} ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(15)}  ${`${Math.min(...xs.map((x) => x.cpuMs)).toFixed(0)}..${Math.max(...xs.map((x) => x.cpuMs)).toFixed(0)}`.padStart(17)}  ${Math.max(...xs.map((x) => x.maxRssMiB)).toFixed(0).padStart(18)}`);
    row("node -e require('@pulumi/pulumi')", bare);
    row("render --stack prod (compiled)", render);
    console.log(`ratio render / bare SDK import: ${(r / b).toFixed(2)}x (target: at most 2x)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Wall time and peak memory of rendering each shipped stack, each in a fresh process. */
export async function run(options: { runs: number } = { runs: 5 }): Promise<void> {
  await startup(options.runs);
  const runs = Math.min(options.runs, 3);
  console.log(`\n## Offline render (npm run render), per stack, ${runs} fresh processes each`);
  console.log("render = in-process renderStack() time; process = whole child incl. Node start (compiled JavaScript); peak RSS of the child");
  console.log("stack     resources  render ms (median)  process ms (median)  peak RSS MiB (max)");
  for (const stack of listStacks()) {
    const samples: (Sample & { processMs: number })[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const out = execFileSync(process.execPath, [path.join(__dirname, "render-one.js"), stack], {
        encoding: "utf8",
        timeout: 120_000,
      });
      samples.push({ ...(JSON.parse(out) as Sample), processMs: performance.now() - start });
    }
    console.log(
      `${stack.padEnd(9)} ${String(samples[0]!.resources).padStart(9)}  ${median(samples.map((s) => s.renderMs)).toFixed(0).padStart(18)}  ${median(samples.map((s) => s.processMs)).toFixed(0).padStart(19)}  ${Math.max(...samples.map((s) => s.maxRssMiB)).toFixed(0).padStart(18)}`,
    );
  }
}
