// Command-line arguments of `npm run verify`: pure, so every usage mistake is tested in-process.
import { parseArgs } from "node:util";
import { isStackName } from "../offline/stackName";
import { outputsSource, type OutputsSource } from "./read-outputs";

export const USAGE = `usage: npm run verify -- [--stack NAME] [--outputs FILE|-] [--json] [--repair] [--read-with-push]
                          [--concurrency N] [--deadline SECONDS]
  --stack NAME       the stack to verify. Without --outputs its outputs come from
                     \`pulumi stack output --json --show-secrets --stack NAME\` (stdin is not read);
                     with --outputs they must be that stack's (checked against stacks/Pulumi.NAME.yaml)
  --outputs FILE|-   the JSON of \`pulumi stack output --json --show-secrets\`; - reads stdin
                     (stdin is also read when neither --stack nor --outputs is given)
  --json             print the report as JSON
  --repair           copy what is missing or different with the push identity, then check again
  --read-with-push   read a backup that has no pull identity with its push identity (default: not checked)
  --concurrency N    requests in flight per registry, 1-64 (default 8)
  --deadline S       stop everything after S seconds, 1-86400 (default 900)
  --help             this text
Exit 0: every backup in sync; 1: something missing or different; 2: a registry could not be checked, or bad input.`;

/** A usage mistake: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}


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

function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, found ${JSON.stringify(text)}`);
  return n;
}

/** Parse argv (without node and script). `stdinIsTTY`: whether stdin is a terminal (nothing piped). */
export function parseVerifyArgs(argv: string[], stdinIsTTY: boolean): VerifyArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        stack: { type: "string" },
        outputs: { type: "string" },
        json: { type: "boolean", default: false },
        repair: { type: "boolean", default: false },
        "read-with-push": { type: "boolean", default: false },
        concurrency: { type: "string", default: "8" },
        deadline: { type: "string", default: "900" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const base = { json: values.json, repair: values.repair, readWithPush: values["read-with-push"] };
  if (values.help) return { help: true, source: { kind: "stdin" }, ...base, concurrency: 8, deadlineMs: 900_000 };
  const concurrency = wholeNumber("--concurrency", values.concurrency, 1, 64);
  const deadlineMs = wholeNumber("--deadline", values.deadline, 1, 86_400) * 1000;
  const stack = values.stack;
  if (stack !== undefined && !isStackName(stack)) throw new UsageError(`--stack takes a stack name (letters, digits, '-', '_', '.'), found ${JSON.stringify(stack)}`);
  if (values.outputs === "") throw new UsageError("--outputs takes a file name, or - for stdin");
  const source: OutputsSource | undefined = outputsSource(stack, values.outputs, stdinIsTTY);
  if (!source) throw new UsageError("give --stack NAME, --outputs FILE, or pipe the outputs in");
  return { help: false, stack, source, ...base, concurrency, deadlineMs };
}
