// npm run restore -- --archive NAME [--at TIME] [--project P] --to REGISTRY_URL [--dry-run] [--json]
//                    [--stack NAME | --outputs FILE | < outputs.json] [--concurrency N] [--deadline S]
// Lists the archive's snapshots, picks the newest at or before --at, and pushes its images with
// their exact digests. Exit 0: every image pushed (or planned); 1: some image failed; 2: bad input,
// store unreachable, or no snapshot at that time.
import { concurrencyOf, deadlineMsOf, helpRequested, HELP, parseCommandArgs, runCommand, SHARED, stackNameOf, UsageError } from "../cli/command";
import { archiveLocation, parseArchiveOutputs, pushCredentials, readOutputsText } from "./outputs";
import { RestoreError, restoreSnapshot } from "./restore";
import { urlProblem } from "../config/net";

export function parseTime(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new RestoreError(`--at ${text}: expected a time such as 2026-11-30T02:00:00Z or 2026-11-30`);
  return d;
}

export const USAGE = `usage: npm run restore -- --archive NAME --to REGISTRY_URL [--at TIME] [--project P] [--dry-run] [--json]
                           [--stack NAME | --outputs FILE|-] [--concurrency N] [--deadline SECONDS]
  --archive NAME     the archive (stack outputs' archives[].name) to restore from
  --to URL           the registry to push to, http(s)://host[:port], no credentials in it (they come
                     from the stack outputs, or RESTORE_USERNAME/RESTORE_PASSWORD)
  --at TIME          the newest snapshot at or before TIME (2026-11-30T02:00:00Z or 2026-11-30; default: newest)
  --project P        only this Harbor project
  --dry-run          list what would be pushed, push nothing
  --stack NAME       read the outputs with \`npx pulumi stack output\`, with the backend and passphrase
                     \`npm run up\` uses (PULUMI_BACKEND_URL, else .pulumi-state/)
${HELP.outputs}
${HELP.json}
${HELP.concurrency.replace("requests in flight", "images pushed at once")}
${HELP.deadline}
${HELP.help}
Exit 0: every image pushed (or planned); 1: some image failed; 2: bad input, store unreachable, or no snapshot at that time.`;

const OPTIONS = {
  ...SHARED,
  archive: { type: "string" },
  at: { type: "string" },
  project: { type: "string" },
  to: { type: "string" },
  "dry-run": { type: "boolean", default: false },
} as const;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (!values.archive) throw new UsageError("--archive NAME is required");
  if (!values.to) throw new UsageError("--to REGISTRY_URL is required");
  const concurrency = concurrencyOf(values.concurrency);
  const deadlineAt = Date.now() + deadlineMsOf(values.deadline);
  if (values.stack !== undefined) stackNameOf(values.stack);
  if (values.outputs === "") throw new UsageError("--outputs takes a file name, or - for stdin");
  // The same URL rules as the config: no credentials in it (they come from the stack outputs or
  // the environment, as for verify), and the message never echoes them.
  const toProblem = urlProblem(values.to, { path: true, secretHint: "give the destination's credentials as for npm run verify (stack outputs, or RESTORE_USERNAME/RESTORE_PASSWORD)" });
  if (toProblem) throw new RestoreError(`--to: ${toProblem}`);
  const at = values.at ? parseTime(values.at) : undefined;
  const outputs = parseArchiveOutputs(readOutputsText(values.stack, values.outputs));
  const store = { ...archiveLocation(outputs, values.archive), deadlineAt };
  const creds = pushCredentials(outputs, values.to);
  const log = (line: string) => (values.json ? console.error(line) : console.log(line));
  log(`archive ${values.archive} (${store.path}) -> ${values.to} as ${creds.source}${values["dry-run"] ? " [dry run]" : ""}`);
  const summary = await restoreSnapshot({
    store,
    to: { url: values.to, username: creds.username, password: creds.password },
    at,
    project: values.project,
    dryRun: values["dry-run"],
    concurrency,
    deadlineAt,
    onProgress: log,
  });
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else {
    console.log(`snapshots: ${summary.snapshots.length} (${summary.snapshots.slice(-3).join(", ") || "none"}${summary.snapshots.length > 3 ? ", ..." : ""})`);
    console.log(`restored snapshot ${summary.snapshot ?? "-"}: ${summary.pushed} pushed, ${summary.failed} failed, ${summary.refs.filter((r) => r.status === "planned").length} planned; ` +
      `${summary.blobsFetched} blobs (${summary.bytesFetched} bytes) fetched in ${(summary.ms / 1000).toFixed(1)} s`);
    for (const r of summary.refs.filter((x) => x.status === "failed")) console.log(`FAILED ${r.ref} ${r.digest}: ${r.reason ?? "unknown"}`);
    if (summary.ignoredFuture.length > 0) console.log(`ignored future-dated snapshots (planted?): ${summary.ignoredFuture.join(", ")}`);
  }
  return summary.exitCode;
}

// Bad input (OutputsError, RestoreError) or an unreachable store (StoreError): exit 2, like verify.
if (require.main === module) runCommand({ name: "restore", usage: USAGE, errorExit: 2 }, main);
