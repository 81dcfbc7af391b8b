// npm run policy -- --stack NAME|path/to/Pulumi.NAME.yaml [--stack ...] | --all [--json]
// Exit 0: no mandatory violation. 1: a mandatory violation or a stack that does not render. 2: usage.
import "../infra/offline/offline-mode"; // first: before any module that defines a dynamic resource
import { helpRequested, HELP, parseCommandArgs, runCommand, SHARED, UsageError } from "../infra/cli/command";
import type { StackCheck } from "./check";

const USAGE = `usage: npm run policy -- --stack NAME|path/to/Pulumi.NAME.yaml [--stack ...] | --all [--json]
  --stack NAME|FILE  a stack to check offline (repeatable): rendered under mocks, every policy at
                     the levels of the stack's name (no CLI, no cloud, no credentials)
  --all              every stack in stacks/
${HELP.json}
${HELP.help}
Exit 0: no mandatory violation; 1: a mandatory violation, or a stack that does not render; 2: usage.`;

const OPTIONS = { stack: { ...SHARED.stack, multiple: true }, all: { type: "boolean", default: false }, json: SHARED.json, help: SHARED.help } as const;

type Outcome = { stack: string; check: StackCheck } | { stack: string; error: string };

/** The JSON report: one entry per stack, as formatCheck shows it. */
export function outcomeJson(o: Outcome): Record<string, unknown> {
  if ("error" in o) return { stack: o.stack, blocked: true, error: o.error };
  const c = o.check;
  return {
    stack: c.stack,
    environment: c.environment,
    resourceCount: c.resourceCount,
    blocked: c.blocked,
    policies: c.result.ran,
    violations: c.result.violations.map((v) => ({ policy: v.policy, enforcementLevel: v.enforcementLevel, resource: v.resource ? `${v.resource.type}::${v.resource.name}` : null, urn: v.urn ?? null, message: v.message })),
    notApplicable: c.result.notApplicable,
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const { values } = parseCommandArgs(argv, OPTIONS);
  // The program and the SDK load only now: --help and usage mistakes answer at once.
  const { listStacks } = await import("../infra/offline/stackFiles");
  const stacks = [...(values.all ? listStacks() : []), ...(values.stack ?? [])];
  if (stacks.length === 0) throw new UsageError(`give --stack NAME (repeatable) or --all (stacks: ${listStacks().join(", ")})`);
  const { checkStack, formatCheck } = await import("./check");
  const outcomes: Outcome[] = [];
  for (const stack of stacks) {
    try {
      const check = await checkStack(stack);
      outcomes.push({ stack, check });
      if (!values.json) console.log(formatCheck(check));
    } catch (e) {
      // A stack that does not render (bad config) cannot be shown to be safe.
      const error = e instanceof Error ? e.message : String(e);
      outcomes.push({ stack, error });
      if (!values.json) console.log(`stack ${stack}: could not render -> BLOCKED\n  ${error}`);
    }
  }
  const failed = outcomes.filter((o) => "error" in o || o.check.blocked).length;
  if (values.json) console.log(JSON.stringify({ stacks: outcomes.map(outcomeJson), passed: stacks.length - failed, failed }, null, 2));
  else console.log(`${stacks.length - failed} passed, ${failed} failed`);
  return failed > 0 ? 1 : 0;
}

if (require.main === module) runCommand({ name: "policy", usage: USAGE, errorExit: 1 }, main);
