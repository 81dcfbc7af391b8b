// npm run bench [-- NAME...] [--runs N]: runs every benchmark (or the named ones) in sequence; each
// prints what it measured.
import * as os from "node:os";
import { helpRequested, HELP, parseCommandArgs, runCommand, SHARED, UsageError, wholeNumber } from "../infra/cli/command";

interface BenchModule {
  run(options: { runs: number }): Promise<void>;
}

const modules: [string, () => Promise<BenchModule>][] = [
  ["render", () => import("./render")],
  ["verify", () => import("./verify")],
  ["exporter", () => import("./exporter")],
  ["mirrors", () => import("./mirrors")],
  ["harbor-provider", () => import("./harbor-provider")],
  ["archive", () => import("./archive")],
];

const USAGE = `usage: npm run bench [-- NAME... [--runs N]]
  NAME      ${modules.map(([m]) => m).join(", ")} (default: all; restart during an outage is in "mirrors")
  --runs N  fresh processes per measurement where a benchmark repeats them, 1-20 (default 5)
${HELP.help}`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const { values, positionals } = parseCommandArgs(argv, { help: SHARED.help, runs: { type: "string" } } as const, true);
  const unknown = positionals.filter((n) => !modules.some(([m]) => m === n));
  if (unknown.length > 0) throw new UsageError(`unknown bench ${unknown.join(", ")}`);
  const runs = values.runs === undefined ? 5 : wholeNumber("--runs", values.runs, 1, 20);
  console.log(`# registry-topology benchmarks (${os.cpus().length} cores, Node ${process.version}, ${new Date().toISOString()})`);
  for (const [name, load] of modules) {
    if (positionals.length > 0 && !positionals.includes(name)) continue;
    await (await load()).run({ runs });
  }
  return 0;
}

runCommand({ name: "bench", usage: USAGE, errorExit: 1 }, main);
