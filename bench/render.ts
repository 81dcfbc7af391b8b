import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { listStacks } from "../infra/offline/stackFiles";

interface Sample {
  stack: string;
  resources: number;
  renderMs: number;
  maxRssMiB: number;
}

/** Wall time and peak memory of rendering each shipped stack, each in a fresh process. */
export async function run(): Promise<void> {
  const runs = 3;
  console.log(`\n## Offline render (npm run render), per stack, ${runs} fresh processes each`);
  console.log("render = in-process renderStack() time; process = whole child incl. Node + ts-node start; peak RSS of the child");
  console.log("stack     resources  render ms (median)  process ms (median)  peak RSS MiB (max)");
  for (const stack of listStacks()) {
    const samples: (Sample & { processMs: number })[] = [];
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const out = execFileSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(__dirname, "render-one.ts"), stack], {
        encoding: "utf8",
        timeout: 120_000,
      });
      samples.push({ ...(JSON.parse(out) as Sample), processMs: performance.now() - start });
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    console.log(
      `${stack.padEnd(9)} ${String(samples[0]!.resources).padStart(9)}  ${median(samples.map((s) => s.renderMs)).toFixed(0).padStart(18)}  ${median(samples.map((s) => s.processMs)).toFixed(0).padStart(19)}  ${Math.max(...samples.map((s) => s.maxRssMiB)).toFixed(0).padStart(18)}`,
    );
  }
}
