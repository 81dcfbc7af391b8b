// Preloaded (`node -r dist/bench/cpu-report.js ...`) into a process bench/render.ts measures: at
// exit, writes the whole process's CPU time (user + system, start-up included) and peak RSS to
// the file named by BENCH_CPU_FILE. The same for every process measured, so they compare.
import * as fs from "node:fs";

const file = process.env.BENCH_CPU_FILE;
if (file) {
  process.on("exit", () => {
    const u = process.resourceUsage();
    fs.writeFileSync(file, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssMiB: u.maxRSS / 1024 }));
  });
}
