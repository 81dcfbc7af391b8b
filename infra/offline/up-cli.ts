// npm run up -- --stack NAME [extra `pulumi up` flags]
// Runs the real program with the Pulumi CLI (npm's `pulumi` launcher, pinned in package.json).
// Without PULUMI_BACKEND_URL it uses a file backend in .pulumi-state/ next to this repo.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError } from "../config";
import { findExampleValues, ExampleValueError } from "../config/examples";
import { MockRefusalError } from "./mocks";
import { renderStack } from "./render";
import { REPO_ROOT, StackFileError } from "./stackFiles";

function pulumi(args: string[], env: NodeJS.ProcessEnv): number {
  const bin = path.join(REPO_ROOT, "node_modules", ".bin", "pulumi");
  const res = spawnSync(bin, args, { stdio: "inherit", env, cwd: REPO_ROOT });
  if (res.error) throw res.error;
  return res.status ?? 1;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const i = argv.indexOf("--stack");
  const stack = i >= 0 ? argv[i + 1] : undefined;
  if (!stack || stack.startsWith("--")) {
    console.error("usage: npm run up -- --stack NAME [pulumi up flags, e.g. --yes]");
    return 2;
  }
  const passthrough = argv.filter((_, j) => j !== i && j !== i + 1);

  // The real CLI takes a stack name, never a file: refuse anything that is not one.
  if (stack.endsWith(".yaml")) {
    console.error(`up: --stack takes a stack name (its file is stacks/Pulumi.<name>.yaml), found ${JSON.stringify(stack)}`);
    return 2;
  }
  // Fail fast, before the CLI downloads anything, if the stack's name, file or config is invalid,
  // a cloud would refuse an input, or the stack still holds the example IDs this repository ships.
  try {
    const { stack: name, stackConfig } = await renderStack(stack);
    const examples = findExampleValues(stackConfig.config, name);
    if (examples.length > 0) throw new ExampleValueError(name, examples);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StackFileError || e instanceof ExampleValueError || e instanceof MockRefusalError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }

  const env = { ...process.env };
  if (!env.PULUMI_BACKEND_URL) {
    const dir = path.join(REPO_ROOT, ".pulumi-state");
    fs.mkdirSync(dir, { recursive: true });
    env.PULUMI_BACKEND_URL = `file://${dir}`;
    console.log(`Using the local file backend ${dir} (set PULUMI_BACKEND_URL to use another).`);
  }
  if (env.PULUMI_CONFIG_PASSPHRASE === undefined && env.PULUMI_CONFIG_PASSPHRASE_FILE === undefined) {
    if (stack !== "local") {
      console.error("Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to encrypt this stack's secrets.");
      return 2;
    }
    // The local stack holds only generated secrets for a throwaway cluster.
    env.PULUMI_CONFIG_PASSPHRASE = "";
  }
  const select = pulumi(["stack", "select", "--create", "--secrets-provider", "passphrase", stack], env);
  if (select !== 0) return select;
  return pulumi(["up", "--stack", stack, ...passthrough], env);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
