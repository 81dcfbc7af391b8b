// npm run restore -- --archive NAME [--at TIME] [--project P] --to REGISTRY_URL [--dry-run] [--json]
//                    [--stack NAME | --outputs FILE | < outputs.json] [--concurrency N]
// Lists the archive's snapshots, picks the newest at or before --at, and pushes its images with
// their exact digests. Exit 0: every image pushed (or planned); 1: some image failed; 2: bad input,
// store unreachable, or no snapshot at that time.
import { parseArgs } from "node:util";
import { archiveLocation, parseArchiveOutputs, pushCredentials, readOutputsText } from "./outputs";
import { RestoreError, restoreSnapshot } from "./restore";
import { urlProblem } from "../config/net";

export function parseTime(text: string): Date {
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new RestoreError(`--at ${text}: expected a time such as 2026-11-30T02:00:00Z or 2026-11-30`);
  return d;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      archive: { type: "string" },
      at: { type: "string" },
      project: { type: "string" },
      to: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      stack: { type: "string" },
      outputs: { type: "string" },
      concurrency: { type: "string", default: "4" },
    },
  });
  if (!values.archive || !values.to) throw new RestoreError("usage: npm run restore -- --archive NAME [--at TIME] [--project P] --to REGISTRY_URL [--dry-run] [--stack NAME | --outputs FILE]");
  // The same URL rules as the config: no credentials in it (they come from the stack outputs or
  // the environment, as for verify), and the message never echoes them.
  const toProblem = urlProblem(values.to, { path: true, secretHint: "give the destination's credentials as for npm run verify (stack outputs, or RESTORE_USERNAME/RESTORE_PASSWORD)" });
  if (toProblem) throw new RestoreError(`--to: ${toProblem}`);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) throw new RestoreError("--concurrency takes a whole number from 1 to 32");
  const outputs = parseArchiveOutputs(readOutputsText(values.stack, values.outputs));
  const store = archiveLocation(outputs, values.archive);
  const creds = pushCredentials(outputs, values.to);
  const log = (line: string) => (values.json ? console.error(line) : console.log(line));
  log(`archive ${values.archive} (${store.path}) -> ${values.to} as ${creds.source}${values["dry-run"] ? " [dry run]" : ""}`);
  const summary = await restoreSnapshot({
    store,
    to: { url: values.to, username: creds.username, password: creds.password },
    at: values.at ? parseTime(values.at) : undefined,
    project: values.project,
    dryRun: values["dry-run"],
    concurrency,
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

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      // Bad input (OutputsError, RestoreError) or an unreachable store (StoreError): exit 2, like verify.
      console.error(`restore: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
