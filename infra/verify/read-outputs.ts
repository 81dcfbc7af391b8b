// Reading `pulumi stack output --json --show-secrets` for the operator commands (verify, restore):
// from a file, stdin, or the Pulumi CLI. One reader, so both tools fail the same clear way.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { LOCAL_STATE_DIR, pulumiCliProblem, pulumiEnv, pulumiLauncher } from "../cli/pulumi";
import { REPO_ROOT } from "../repo-root";
import { OutputsError } from "./stack-outputs";

export type OutputsSource = { kind: "file"; file: string } | { kind: "stdin" } | { kind: "pulumi"; stack: string };

const REASONS: Record<string, string> = { ENOENT: "no such file", EACCES: "permission denied", EISDIR: "it is a directory" };

/**
 * Where the outputs come from: `--outputs FILE` (`-` is stdin), else `--stack` (it wins over
 * whatever stdin is: under cron or CI stdin is never a terminal), else piped stdin.
 */
export function outputsSource(stack: string | undefined, outputs: string | undefined, stdinIsTTY: boolean): OutputsSource | undefined {
  if (outputs === "-") return { kind: "stdin" };
  if (outputs !== undefined) return { kind: "file", file: outputs };
  if (stack !== undefined) return { kind: "pulumi", stack };
  if (!stdinIsTTY) return { kind: "stdin" };
  return undefined;
}

/** The outputs text; every failure is an OutputsError that says what to do and quotes no content. */
export function readOutputs(source: OutputsSource, tool: string): string {
  if (source.kind === "pulumi") {
    // The backend and passphrase `npm run up` used (infra/cli/pulumi.ts), so the stack it made is found.
    const { env, notes, problem } = pulumiEnv(source.stack);
    if (problem) throw new OutputsError(problem);
    if (env.PULUMI_BACKEND_URL === `file://${LOCAL_STATE_DIR}` && !fs.existsSync(LOCAL_STATE_DIR)) {
      throw new OutputsError(`no local state (${LOCAL_STATE_DIR}): deploy the stack first with \`npm run up -- --stack ${source.stack}\`, or set PULUMI_BACKEND_URL to the backend that holds it`);
    }
    const cli = pulumiCliProblem(env);
    if (cli) throw new OutputsError(cli);
    for (const n of notes) console.error(`${tool}: ${n}`);
    if (!process.stdin.isTTY) console.error(`${tool}: reading stack ${source.stack}'s outputs with \`pulumi stack output\` (stdin is not read; --outputs - reads it)`);
    const bin = pulumiLauncher().bin;
    const res = spawnSync(bin, ["stack", "output", "--json", "--show-secrets", "--stack", source.stack], { encoding: "utf8", env, cwd: REPO_ROOT });
    if (res.error) throw new OutputsError(`cannot run the Pulumi CLI (${bin}): ${(res.error as NodeJS.ErrnoException).code ?? res.error.message}`);
    if (res.status !== 0) throw new OutputsError(`pulumi stack output failed for ${source.stack}: ${(res.stderr ?? "").trim().split("\n").pop() ?? ""}`);
    return res.stdout;
  }
  const what = source.kind === "file" ? `the outputs file ${source.file}` : "the outputs on stdin";
  let text: string;
  try {
    text = fs.readFileSync(source.kind === "file" ? source.file : 0, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw new OutputsError(`cannot read ${what}: ${REASONS[code] ?? (code || (e as Error).message)}`);
  }
  if (text.trim() === "") throw new OutputsError(`${what} is empty; expected the JSON of \`npx pulumi stack output --json --show-secrets\``);
  return text;
}
