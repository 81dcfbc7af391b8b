// npm run policy -- --stack NAME|path/to/Pulumi.NAME.yaml [--stack ...] | --all
// Exit 0: no mandatory violation. 1: a mandatory violation or a stack that does not render. 2: usage.
import { parseArgs } from "node:util";
import { listStacks } from "../infra/offline/stackFiles";
import { checkStack, formatCheck } from "./check";

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { stack: { type: "string", multiple: true }, all: { type: "boolean" }, help: { type: "boolean" } },
  });
  const stacks = [...(values.all ? listStacks() : []), ...(values.stack ?? [])];
  if (values.help || stacks.length === 0) {
    console.error(`usage: npm run policy -- --stack NAME|path/to/Pulumi.NAME.yaml [--stack ...] | --all\nstacks: ${listStacks().join(", ")}`);
    return values.help ? 0 : 2;
  }
  let failed = 0;
  for (const stack of stacks) {
    try {
      const check = await checkStack(stack);
      console.log(formatCheck(check));
      if (check.blocked) failed += 1;
    } catch (e) {
      // A stack that does not render (bad config) cannot be shown to be safe.
      console.log(`stack ${stack}: could not render -> BLOCKED\n  ${e instanceof Error ? e.message : String(e)}`);
      failed += 1;
    }
  }
  console.log(`${stacks.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  },
);
