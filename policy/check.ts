// The offline policy check for one stack: render it under mocks, evaluate every policy at the
// levels of the stack's name (levels.ts). No CLI, no cloud, no credentials.
import { renderStack } from "../infra/offline/render";
import { evaluatePolicies, hasMandatory, type EvaluationResult } from "./evaluate";
import { environmentOfStack, policiesForStack, type Environment } from "./levels";
import { toPolicyResources } from "./offline";
import { policies } from "./policies";

export interface StackCheck {
  stack: string;
  environment: Environment;
  resourceCount: number;
  result: EvaluationResult;
  blocked: boolean;
}

export async function checkStack(stackOrFile: string): Promise<StackCheck> {
  const rendered = await renderStack(stackOrFile);
  const resources = toPolicyResources(rendered.resources);
  // Levels from the stack's NAME, as under the CLI (levels.ts): the stack's own `environment`
  // config cannot lower them; a name that is no environment gets prod's rules.
  // The same call policy/index.ts makes with pulumi.getStack() under the CLI: the two agree by
  // construction (the mock runtime runs the program under this same stack name).
  const environment: Environment = environmentOfStack(rendered.stack);
  const result = await evaluatePolicies(policiesForStack(policies, rendered.stack), resources);
  return { stack: rendered.stack, environment, resourceCount: resources.length, result, blocked: hasMandatory(result) };
}

export function formatCheck(c: StackCheck): string {
  const lines = [
    `stack ${c.stack} (environment ${c.environment}, ${c.resourceCount} resources): ${c.result.ran.length} policies, ` +
      `${c.result.violations.length} violation${c.result.violations.length === 1 ? "" : "s"} -> ${c.blocked ? "BLOCKED" : "ok"}`,
  ];
  for (const v of c.result.violations) {
    const where = v.resource ? `${v.resource.type}::${v.resource.name}` : "(stack)";
    lines.push(`  ${v.enforcementLevel.toUpperCase()} ${v.policy} ${where}`, `    ${v.message}`);
  }
  for (const n of c.result.notApplicable) lines.push(`  not applicable: ${n.policy} (${n.reason})`);
  return lines.join("\n");
}
