// npm run verify -- --stack NAME [--outputs FILE | < outputs.json] [--json] [--repair] [--concurrency N]
// Exit 0: every backup in sync; 1: something missing or different; 2: a registry unreachable or bad input.
// Archives count too: 1 stale, empty or corrupt; 2 a store unreachable.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatArchiveReports, verifyArchives } from "./archives";
import { formatReport } from "./report";
import { OutputsError, verifyInputFromOutputs } from "./stack-outputs";
import { verifyTopology } from "./verify";

function readOutputs(stack: string | undefined, file: string | undefined): string {
  if (file) return fs.readFileSync(file === "-" ? 0 : file, "utf8");
  if (!process.stdin.isTTY) return fs.readFileSync(0, "utf8");
  if (!stack) throw new OutputsError("give --stack NAME, --outputs FILE, or pipe `pulumi stack output --json --show-secrets` in");
  // Ask the Pulumi CLI for the stack's outputs (needs a logged-in backend).
  const bin = path.join(__dirname, "..", "..", "node_modules", ".bin", "pulumi");
  const res = spawnSync(bin, ["stack", "output", "--json", "--show-secrets", "--stack", stack], { encoding: "utf8" });
  if (res.status !== 0) throw new OutputsError(`pulumi stack output failed for ${stack}: ${res.stderr.trim().split("\n").pop() ?? ""}`);
  return res.stdout;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stack: { type: "string" },
      outputs: { type: "string" },
      json: { type: "boolean", default: false },
      repair: { type: "boolean", default: false },
      concurrency: { type: "string", default: "8" },
    },
  });
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new OutputsError("--concurrency takes a whole number from 1 to 64");
  let json: unknown;
  try {
    json = JSON.parse(readOutputs(values.stack, values.outputs));
  } catch (e) {
    if (e instanceof OutputsError) throw e;
    // JSON.parse errors quote the input, which holds secrets: say only what is wrong.
    throw new OutputsError("the stack outputs are not valid JSON; pass `pulumi stack output --json --show-secrets`");
  }
  const input = verifyInputFromOutputs(json);
  const report = await verifyTopology(input, { concurrency, repair: values.repair });
  // Point-in-time archives (infra/verify/archives.ts): newest snapshot age and sampled blob digests.
  const archives = await verifyArchives(json);
  console.log(values.json ? JSON.stringify({ ...report, archives: archives.reports }, null, 2) : `${formatReport(report)}\n${formatArchiveReports(archives)}`);
  return Math.max(report.exitCode, archives.exitCode);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`verify: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
