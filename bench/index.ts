// npm run bench: runs every benchmark in sequence; each prints what it measured.
import * as os from "node:os";

interface BenchModule {
  run(): Promise<void>;
}

const modules: [string, () => Promise<BenchModule>][] = [
  ["render", () => import("./render")],
  ["verify", () => import("./verify")],
  ["exporter", () => import("./exporter")],
  ["mirrors", () => import("./mirrors")],
  ["harbor-provider", () => import("./harbor-provider")],
  ["archive", () => import("./archive")],
];

async function main() {
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !modules.some(([m]) => m === n));
  // mirror-restart (restart during an outage) is part of `mirrors` since it measures both runtimes on the node drill.
  if (unknown.length > 0) throw new Error(`unknown bench ${unknown.join(", ")}; names: ${modules.map(([m]) => m).join(", ")} (restart during an outage is in "mirrors")`);
  console.log(`# registry-topology benchmarks (${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()})`);
  for (const [name, load] of modules) {
    if (only.length > 0 && !only.includes(name)) continue;
    await (await load()).run();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
