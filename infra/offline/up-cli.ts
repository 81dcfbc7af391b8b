// npm run up -- --stack NAME [--yes] [--skip-preview] [--diff] [--refresh] [--target URN]... [--replace URN]... [--json]
// Runs the real program with the Pulumi CLI (npm's `pulumi` launcher, pinned in package.json).
// Without PULUMI_BACKEND_URL it uses a file backend in .pulumi-state/ next to this repo
// (infra/cli/pulumi.ts: verify and restore find it the same way).
import "./offline-mode"; // first: before any module that defines a dynamic resource
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import { helpRequested, parseCommandArgs, runCommand, SHARED, UsageError, HELP } from "../cli/command";
import { kubeconfigFiles, probeKubeServer, readKubeconfigs, resolveKubeTarget } from "../cli/kube";
import { LOCAL_STATE_DIR, pulumiCliProblem, pulumiEnv, pulumiLauncher } from "../cli/pulumi";
import { REPO_ROOT } from "../repo-root";

const USAGE = `usage: npm run up -- --stack NAME [--yes] [--skip-preview] [--diff] [--refresh] [--target URN]... [--replace URN]... [--json]
  --stack NAME       the stack (its config is stacks/Pulumi.NAME.yaml)
  --yes, -y          no confirmation prompt          --skip-preview  do not preview first
  --diff             detailed diff                    --refresh       refresh state first
  --target URN       only this resource (repeatable)  --replace URN   replace this resource (repeatable)
${HELP.json.replace("the report", "pulumi up's events")}
${HELP.help}
Checks first: the stack's config, the Pulumi CLI (offline: install it while online with \`npm ci\` and
\`npx pulumi version\`, or set PULUMI_HOME), and that the Kubernetes context answers.
Backend: PULUMI_BACKEND_URL, else the file backend .pulumi-state/. Passphrase: PULUMI_CONFIG_PASSPHRASE
(or _FILE); the local stack's is empty.`;

const OPTIONS = {
  stack: SHARED.stack,
  json: SHARED.json,
  help: SHARED.help,
  yes: { type: "boolean", short: "y", default: false },
  "skip-preview": { type: "boolean", default: false },
  diff: { type: "boolean", default: false },
  refresh: { type: "boolean", default: false },
  target: { type: "string", multiple: true },
  replace: { type: "string", multiple: true },
} as const;

function pulumi(args: string[], env: NodeJS.ProcessEnv): number {
  const res = spawnSync(pulumiLauncher().bin, args, { stdio: "inherit", env, cwd: REPO_ROOT });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

/** Flags for `pulumi up`, in the CLI's own spelling. */
function upFlags(v: ReturnType<typeof parseCommandArgs<typeof OPTIONS>>["values"]): string[] {
  const out: string[] = [];
  for (const f of ["yes", "skip-preview", "diff", "refresh", "json"] as const) if (v[f]) out.push(`--${f}`);
  for (const t of v.target ?? []) out.push("--target", t);
  for (const r of v.replace ?? []) out.push("--replace", r);
  return out;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const { values } = parseCommandArgs(argv, OPTIONS);
  if (values.stack === undefined) throw new UsageError("--stack NAME is required");
  // The real CLI takes a stack name, never a file: refuse anything that is not one.
  if (values.stack.endsWith(".yaml")) throw new UsageError(`--stack takes a stack name (its file is stacks/Pulumi.<name>.yaml), found ${JSON.stringify(values.stack)}`);
  const stack = values.stack;
  // The program and the SDK load only now: --help and usage mistakes answer at once.
  const [{ ConfigError }, { findExampleValues, ExampleValueError }, { MockRefusalError }, { renderStack }, { StackFileError }] = await Promise.all([
    import("../config"),
    import("../config/examples"),
    import("./mocks"),
    import("./render"),
    import("./stackFiles"),
  ]);
  const say = (line: string) => (values.json ? console.error(line) : console.log(line));

  // Fail fast, before the CLI downloads anything, if the stack's name, file or config is invalid,
  // a cloud would refuse an input, or the stack still holds the example IDs this repository ships.
  let kubeContext: string | undefined;
  try {
    const { stack: name, stackConfig } = await renderStack(stack);
    const examples = findExampleValues(stackConfig.config, name);
    if (examples.length > 0) throw new ExampleValueError(name, examples);
    kubeContext = stackConfig.config["kubernetes:context"];
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StackFileError || e instanceof ExampleValueError || e instanceof MockRefusalError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }

  const { env, notes, problem } = pulumiEnv(stack);
  if (problem) {
    console.error(`up: ${problem}`);
    return 2;
  }
  const cli = pulumiCliProblem(env);
  if (cli) {
    console.error(`up: ${cli}`);
    return 1;
  }
  // The cluster the program deploys to must answer before anything starts.
  const target = resolveKubeTarget(readKubeconfigs(kubeconfigFiles(env)), kubeContext);
  const kube = "problem" in target ? target.problem : await probeKubeServer(target);
  if (kube) {
    console.error(`up: ${kube}`);
    return 1;
  }
  if (!("problem" in target)) say(`Kubernetes context ${target.context} (${target.server}) answers.`);
  for (const n of notes) say(n);
  if (env.PULUMI_BACKEND_URL === `file://${LOCAL_STATE_DIR}`) fs.mkdirSync(LOCAL_STATE_DIR, { recursive: true });

  const select = pulumi(["stack", "select", "--create", "--secrets-provider", "passphrase", stack], env);
  if (select !== 0) return select;
  return pulumi(["up", "--stack", stack, ...upFlags(values)], env);
}

runCommand({ name: "up", usage: USAGE, errorExit: 1 }, main);
