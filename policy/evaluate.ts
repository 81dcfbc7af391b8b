// Runs stack policies over a resource graph the way @pulumi/policy's analyzer does (level from the
// pack config, getConfig() without enforcementLevel, notApplicable() throws), for the offline check.
import type { EnforcementLevel, PolicyPackConfig, PolicyResource, StackValidationArgs, StackValidationPolicy } from "@pulumi/policy";
import { resolvePolicyConfig } from "./levels";

export interface Violation {
  policy: string;
  enforcementLevel: EnforcementLevel;
  message: string;
  /** The resource in violation; undefined for the stack as a whole. */
  urn?: string;
  resource?: { type: string; name: string };
}

export interface EvaluationResult {
  violations: Violation[];
  notApplicable: { policy: string; reason: string }[];
  /** Policies that ran (not disabled), with the level they ran at. */
  ran: { policy: string; enforcementLevel: EnforcementLevel }[];
}

class NotApplicableError extends Error {}

export async function evaluatePolicies(
  policies: readonly StackValidationPolicy[],
  resources: PolicyResource[],
  config: PolicyPackConfig = {},
): Promise<EvaluationResult> {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const result: EvaluationResult = { violations: [], notApplicable: [], ran: [] };
  for (const policy of policies) {
    const { enforcementLevel: configured, properties } = resolvePolicyConfig(config, policy);
    if (configured === "disabled") continue;
    // Like the analyzer: stack policies cannot remediate, so "remediate" runs as mandatory.
    const enforcementLevel = configured === "remediate" ? "mandatory" : configured;
    result.ran.push({ policy: policy.name, enforcementLevel });
    const args: StackValidationArgs = {
      resources,
      stackTags: new Map(),
      getConfig: <T extends object>() => ({ ...properties }) as T,
      notApplicable: (reason?: string): never => {
        throw new NotApplicableError(reason ?? "");
      },
    };
    try {
      await policy.validateStack(args, (message, urn) => {
        const r = urn ? byUrn.get(urn) : undefined;
        result.violations.push({ policy: policy.name, enforcementLevel, message, urn, resource: r ? { type: r.type, name: r.name } : undefined });
      });
    } catch (e) {
      if (e instanceof NotApplicableError) result.notApplicable.push({ policy: policy.name, reason: e.message });
      else throw new Error(`policy ${policy.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return result;
}

export function hasMandatory(result: EvaluationResult): boolean {
  return result.violations.some((v) => v.enforcementLevel === "mandatory");
}
