// npm run verify -- [--stack NAME] [--outputs FILE|-] [--json] [--repair] [--concurrency N] [--deadline S]
// Exit 0: every backup in sync; 1: something missing or different; 2: a registry could not be checked, or bad input.
// Archives count too: 1 stale, empty or corrupt; 2 a store unreachable.
// Region mirror certificates too: 1 when one has fewer than 21 days left (infra/verify/certificates.ts).
import * as fs from "node:fs";
import { archiveOutputsFrom } from "../restore/outputs";
import { formatArchiveReports, verifyArchives } from "./archives";
import { helpRequested, runCommand } from "../cli/command";
import { createProgress, progressEnabled } from "../cli/progress";
import { checkCertificates, formatCertificateReport } from "./certificates";
import { parseVerifyArgs, USAGE } from "./args";
import { readOutputs } from "./read-outputs";
import { formatReport } from "./report";
import { exchangeTokens } from "./token-exchange";
import { OutputsError, verifyInputFromOutputs } from "./stack-outputs";
import { identityFromStackConfig, outputsStackProblem } from "./stack-match";
import { verifyTopology } from "./verify";

/** With --stack, outputs from another stack are refused (when stacks/ has that stack's file). */
async function checkStack(stack: string, json: unknown): Promise<void> {
  // Loaded only here: the stack-file reader pulls in the config schema and the Pulumi SDK.
  const { readStackConfig, stackFilePath } = await import("../offline/stackFiles");
  if (!fs.existsSync(stackFilePath(stack))) {
    console.error(`verify: no stacks/Pulumi.${stack}.yaml here, so the outputs cannot be checked to be stack ${stack}'s`);
    return;
  }
  const o = json as { environment?: unknown; harborUrl?: unknown };
  if (typeof o.harborUrl !== "string") return; // the outputs schema reports it
  const problem = outputsStackProblem(stack, { environment: typeof o.environment === "string" ? o.environment : undefined, harborUrl: o.harborUrl }, identityFromStackConfig(readStackConfig(stack).config));
  if (problem) throw new OutputsError(problem);
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const args = parseVerifyArgs(argv, process.stdin.isTTY === true);
  let json: unknown;
  const text = readOutputs(args.source, "verify");
  try {
    json = JSON.parse(text);
  } catch {
    // JSON.parse errors quote the input, which holds secrets: say only what is wrong.
    throw new OutputsError("the stack outputs are not valid JSON; pass `npx pulumi stack output --json --show-secrets`");
  }
  if (args.stack) await checkStack(args.stack, json);
  const deadlineAt = Date.now() + args.deadlineMs;
  // ECR backups: their pull (and push) identities are access keys; mint docker tokens with them.
  const input = await exchangeTokens(verifyInputFromOutputs(json, { readWithPush: args.readWithPush }), { endpoint: process.env.VERIFY_ECR_ENDPOINT, alibabaEndpoint: process.env.VERIFY_ALIBABA_ENDPOINT, repair: args.repair });
  // Checked before any registry is read: a malformed archives section must not cost the report.
  archiveOutputsFrom(json);
  const progress = createProgress(progressEnabled({ json: args.json }));
  const report = await verifyTopology(input, { concurrency: args.concurrency, repair: args.repair, deadlineMs: args.deadlineMs, onProgress: progress });
  // Point-in-time archives (infra/verify/archives.ts): newest snapshot age and sampled blob digests.
  // The same --deadline bounds them: what is left of it after the registries.
  progress("archives: newest snapshots and sampled blobs");
  const archives = await verifyArchives(json, { deadlineAt });
  progress.done();
  // Mirror certificates: days left from the stack outputs (no network).
  const certificates = checkCertificates(json, new Date());
  console.log(
    args.json
      ? JSON.stringify({ ...report, archives: archives.reports, certificates: certificates.checks }, null, 2)
      : `${formatReport(report)}\n${formatArchiveReports(archives)}\n${formatCertificateReport(certificates)}`,
  );
  return Math.max(report.exitCode, archives.exitCode, certificates.exitCode);
}

// Usage mistakes exit 2 with the usage; bad input and unreachable registries exit 2 with the message.
runCommand({ name: "verify", usage: USAGE, errorExit: 2 }, main);
