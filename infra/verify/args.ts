// Command-line arguments of `npm run verify`: pure, so every usage mistake is tested in-process.
// Flags, defaults and ranges from the shared parser (infra/cli/command.ts).
import { concurrencyOf, deadlineMsOf, HELP, parseCommandArgs, SHARED, stackNameOf, UsageError } from "../cli/command";
import { outputsSource, type OutputsSource } from "./read-outputs";

export { UsageError };

export const USAGE = `usage: npm run verify -- [--stack NAME] [--outputs FILE|-] [--json] [--repair] [--read-with-push]
                          [--concurrency N] [--deadline SECONDS]
  --stack NAME       the stack to verify. Without --outputs its outputs come from
                     \`npx pulumi stack output --json --show-secrets --stack NAME\`, with the backend
                     and passphrase \`npm run up\` uses (PULUMI_BACKEND_URL, else .pulumi-state/);
                     with --outputs they must be that stack's (checked against stacks/Pulumi.NAME.yaml)
${HELP.outputs}
                     (stdin is also read when neither --stack nor --outputs is given)
${HELP.json}
  --repair           copy what is missing or different with the push identity, then check again
  --read-with-push   read a backup that has no pull identity with its push identity (default: not checked)
${HELP.concurrency} per registry
${HELP.deadline}
${HELP.help}
Progress goes to stderr when it is a terminal (not with --json, not when CI is set).
Exit 0: every backup in sync; 1: something missing or different; 2: a registry could not be checked, or bad input.`;

export interface VerifyArgs {
  help: boolean;
  stack?: string;
  source: OutputsSource;
  json: boolean;
  repair: boolean;
  readWithPush: boolean;
  concurrency: number;
  deadlineMs: number;
}

const OPTIONS = {
  ...SHARED,
  repair: { type: "boolean", default: false },
  "read-with-push": { type: "boolean", default: false },
} as const;

/** Parse argv (without node and script). `stdinIsTTY`: whether stdin is a terminal (nothing piped). */
export function parseVerifyArgs(argv: string[], stdinIsTTY: boolean): VerifyArgs {
  const { values } = parseCommandArgs(argv, OPTIONS);
  const base = { json: values.json, repair: values.repair, readWithPush: values["read-with-push"] };
  if (values.help) return { help: true, source: { kind: "stdin" }, ...base, concurrency: concurrencyOf(undefined), deadlineMs: deadlineMsOf(undefined) };
  const concurrency = concurrencyOf(values.concurrency);
  const deadlineMs = deadlineMsOf(values.deadline);
  const stack = values.stack === undefined ? undefined : stackNameOf(values.stack);
  if (values.outputs === "") throw new UsageError("--outputs takes a file name, or - for stdin");
  const source: OutputsSource | undefined = outputsSource(stack, values.outputs, stdinIsTTY);
  if (!source) throw new UsageError("give --stack NAME, --outputs FILE, or pipe the outputs in");
  return { help: false, stack, source, ...base, concurrency, deadlineMs };
}
