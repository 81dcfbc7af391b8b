// How the commands reach the Pulumi CLI and the stack's backend: the same for `npm run up` (which
// creates the stack) and for `npm run verify`/`npm run restore` (which read its outputs), so after
// the quick start `npm run verify -- --stack local` finds what `npm run up -- --stack local` made.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { REPO_ROOT } from "../repo-root";

/** The local file backend `npm run up` uses when PULUMI_BACKEND_URL is not set. */
export const LOCAL_STATE_DIR = path.join(REPO_ROOT, ".pulumi-state");

export interface PulumiEnv {
  env: NodeJS.ProcessEnv;
  /** Said once on stderr: which backend, and why. */
  notes: string[];
  /** Why the CLI cannot be used for this stack (no passphrase...), with what to do. */
  problem?: string;
}

/**
 * The environment for the Pulumi CLI: PULUMI_BACKEND_URL (default: the file backend in
 * .pulumi-state/), and the passphrase (the `local` stack holds only generated secrets for a
 * throwaway cluster: an empty one; every other stack needs PULUMI_CONFIG_PASSPHRASE or _FILE).
 */
export function pulumiEnv(stack: string, base: NodeJS.ProcessEnv = process.env): PulumiEnv {
  const env = { ...base };
  const notes: string[] = [];
  if (!env.PULUMI_BACKEND_URL) {
    env.PULUMI_BACKEND_URL = `file://${LOCAL_STATE_DIR}`;
    notes.push(`Using the local file backend ${LOCAL_STATE_DIR} (set PULUMI_BACKEND_URL to use another).`);
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    if (stack !== "local") {
      return { env, notes, problem: "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to this stack's passphrase: it encrypts its secrets." };
    }
    env.PULUMI_CONFIG_PASSPHRASE = "";
  }
  return { env, notes };
}

/** npm's `pulumi` launcher (pinned in package.json) and the CLI version it runs. */
export function pulumiLauncher(root = REPO_ROOT): { bin: string; version?: string } {
  const bin = path.join(root, "node_modules", ".bin", "pulumi");
  let version: string | undefined;
  try {
    version = (JSON.parse(fs.readFileSync(path.join(root, "node_modules", "pulumi", "package.json"), "utf8")) as { version?: string }).version;
  } catch {
    version = undefined;
  }
  return { bin, version };
}

/**
 * Where the launcher keeps the CLI binary: $PULUMI_HOME/versions/<version>/bin/pulumi (default
 * ~/.pulumi), as node_modules/pulumi/lib/cache.js and lib/resolve.js do (PULUMI_VERSION overrides
 * the pinned version there too).
 */
export function pulumiBinaryPath(version: string, env: NodeJS.ProcessEnv = process.env): string {
  const home = env.PULUMI_HOME || path.join(os.homedir(), ".pulumi");
  return path.join(home, "versions", env.PULUMI_VERSION || version, "bin", "pulumi");
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).size > 0;
  } catch {
    return false;
  }
}

/**
 * Checks, before any long work, that the Pulumi CLI can run: the launcher is installed (`npm ci`)
 * and has its binary, or can download it now. Returns what to do when it cannot (offline: the
 * launcher's own message is only "fetch failed").
 */
export function pulumiCliProblem(env: NodeJS.ProcessEnv = process.env, root = REPO_ROOT): string | undefined {
  const { bin, version } = pulumiLauncher(root);
  if (!version || !fs.existsSync(bin)) return `the Pulumi CLI launcher is not installed (${path.relative(process.cwd(), bin) || bin}): run \`npm ci\` in ${root}`;
  const binary = pulumiBinaryPath(version, env);
  if (executable(binary)) return undefined;
  // The launcher downloads the pinned CLI on first use; `pulumi version` does exactly that.
  const res = spawnSync(bin, ["version"], { env, encoding: "utf8", timeout: 300_000 });
  if (res.status === 0 && executable(binary)) return undefined;
  const said = `${res.stderr ?? ""}`.trim().split("\n").pop() ?? "";
  return (
    `the Pulumi CLI ${env.PULUMI_VERSION || version} is not installed in ${path.dirname(path.dirname(binary))} and could not be downloaded` +
    `${said ? ` (${said.replace(/^pulumi: /, "")})` : ""}.\n` +
    `  Run \`npx pulumi version\` once while online (after \`npm ci\`): it downloads the pinned CLI into $PULUMI_HOME/versions/ (default ~/.pulumi).\n` +
    `  Offline: copy that directory from a machine that has it, or set PULUMI_HOME to where it is.`
  );
}
