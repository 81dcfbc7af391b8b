// One argument parser and one flag vocabulary for every command (render, policy, verify, restore,
// up, bench): `--help`/`-h` prints the usage and exits 0; a usage mistake (unknown flag, missing
// or bad value) prints what is wrong and the usage, and exits 2, never a stack trace. Built on
// node's util.parseArgs (strict: unknown options and missing values are errors).
import { parseArgs, type ParseArgsOptionsConfig } from "node:util";
import { isStackName } from "../offline/stackName";

/** A usage mistake: printed with the usage, exit 2. */
export class UsageError extends Error {}

/** The shared flags: one name, one meaning, one default and range everywhere. */
export const SHARED = {
  stack: { type: "string" },
  outputs: { type: "string" },
  json: { type: "boolean", default: false },
  concurrency: { type: "string" },
  deadline: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

export const CONCURRENCY = { default: 8, min: 1, max: 64 } as const;
export const DEADLINE_SECONDS = { default: 900, min: 1, max: 86_400 } as const;

/** The usage lines of the shared flags, so every command words them the same way. */
export const HELP = {
  outputs: "  --outputs FILE|-   the JSON of `npx pulumi stack output --json --show-secrets`; - reads stdin",
  json: "  --json             print the report as JSON on stdout (progress and notes go to stderr)",
  concurrency: `  --concurrency N    requests in flight, ${CONCURRENCY.min}-${CONCURRENCY.max} (default ${CONCURRENCY.default})`,
  deadline: `  --deadline S       stop all network work after S seconds, ${DEADLINE_SECONDS.min}-${DEADLINE_SECONDS.max} (default ${DEADLINE_SECONDS.default})`,
  help: "  -h, --help         this text",
} as const;

export function wholeNumber(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, found ${JSON.stringify(text)}`);
  return n;
}

export function concurrencyOf(text: string | undefined): number {
  return text === undefined ? CONCURRENCY.default : wholeNumber("--concurrency", text, CONCURRENCY.min, CONCURRENCY.max);
}

export function deadlineMsOf(text: string | undefined): number {
  return (text === undefined ? DEADLINE_SECONDS.default : wholeNumber("--deadline", text, DEADLINE_SECONDS.min, DEADLINE_SECONDS.max)) * 1000;
}

/** A stack name as the Pulumi CLI takes it (not a file). */
export function stackNameOf(text: string): string {
  if (!isStackName(text)) throw new UsageError(`--stack takes a stack name (letters, digits, '-', '_', '.'), found ${JSON.stringify(text)}`);
  return text;
}

/**
 * util.parseArgs' messages, shortened: they are written for programmers (`Unknown option '--x'.
 * To specify a positional argument starting with a '-', place it at the end of the command after
 * '--', as in '-- "--x"`), and npm already eats the first `--`.
 */
function usageMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const unknown = /^Unknown option '([^']+)'/.exec(m);
  if (unknown) return `unknown option ${unknown[1]}`;
  const missing = /^Option '(-\w, )?(--[\w-]+)[^']*' argument missing/.exec(m);
  if (missing) return `${missing[2]} needs a value`;
  const ambiguous = /^Option '(-\w, )?(--[\w-]+)[^']*' argument is ambiguous/.exec(m);
  if (ambiguous) return `${ambiguous[2]} needs a value (found another option where its value should be)`;
  const positional = /^Unexpected argument '([^']+)'/.exec(m);
  if (positional) return `unexpected argument ${JSON.stringify(positional[1])}`;
  return m.split("\n")[0]!;
}

export interface ParsedArgs<O extends ParseArgsOptionsConfig> {
  values: ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: boolean }>>["values"];
  positionals: string[];
}

/** Parses argv (without node and script) strictly; every mistake is a UsageError. */
export function parseCommandArgs<O extends ParseArgsOptionsConfig>(argv: string[], options: O, allowPositionals = false): ParsedArgs<O> {
  try {
    const r = parseArgs({ args: argv, options, strict: true, allowPositionals });
    return { values: r.values as ParsedArgs<O>["values"], positionals: r.positionals };
  } catch (e) {
    throw new UsageError(usageMessage(e));
  }
}

export interface CommandSpec {
  /** As the user types it after `npm run`: render, policy, verify... */
  name: string;
  usage: string;
  /** Exit code for an error that is not a usage mistake (bad config, unreachable store...). */
  errorExit: number;
}

/**
 * Runs a command's main and exits: 0 for `--help` (the body checks `help` first via helpRequested),
 * 2 with the usage for a UsageError, `errorExit` with a one-line message for any other error (the
 * stack trace only with REGISTRY_TOPOLOGY_DEBUG=1).
 */
export function runCommand(spec: CommandSpec, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof UsageError) {
        process.stderr.write(`${spec.name}: ${e.message}\n${spec.usage}\n`);
        process.exit(2);
      }
      const message = e instanceof Error ? e.message : String(e);
      process.stderr.write(`${spec.name}: ${message}\n`);
      if (process.env.REGISTRY_TOPOLOGY_DEBUG === "1" && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
      process.exit(spec.errorExit);
    },
  );
}

/** `--help`/`-h` anywhere in argv (even beside a mistake): the usage on stdout, exit 0. */
export function helpRequested(argv: string[], usage: string): boolean {
  const before = argv.indexOf("--");
  const args = before >= 0 ? argv.slice(0, before) : argv;
  if (!args.includes("--help") && !args.includes("-h")) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}
