// Enforcement levels. Every policy is mandatory in code; per-environment relaxations live here.
// The environment is the Pulumi STACK NAME, never the stack's own config (`environment:`,
// `regions: []`), so a stack cannot lower its own enforcement:
// - under the CLI, policy/index.ts reads `pulumi.getStack()` (the engine starts the pack with
//   PULUMI_NODEJS_STACK=<stack>: pulumi/pulumi pkg/resource/plugin/analyzer_plugin.go
//   `constructEnv`, fed from pkg/engine/update.go `target.Name`) and serves the policies at that
//   stack's levels; the same table is also shipped as pack config files
//   (policy/config/<stack>.json, a test keeps them equal) for workflows that pass one;
// - the offline check (policy/check.ts) applies the table from the rendered stack's name.
// A stack name that is not one of ENVIRONMENTS gets no relaxation at all (prod's rules).
import type { EnforcementLevel, PolicyPackConfig, StackValidationPolicy } from "@pulumi/policy";

export const POLICY_NAMES = [
  "requires-backup-target",
  "backup-outside-harbor-failure-domain",
  "no-registry-admin-credentials",
  "credentials-are-secret",
  "mirrors-cover-every-region",
  "pinned-images",
  "no-insecure-upstreams",
  "archives-are-immutable",
  "prod-has-archive",
] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Where an environment departs from "mandatory":
 * - local: its only backup is a registry in the same cluster (same failure domain), fine on a
 *   laptop. Only the failure-domain rule is relaxed: requires-backup-target (zero backups, Harbor
 *   itself as its backup, replication that never runs) stays mandatory everywhere;
 * - local, dev: a region without a mirror for every registry is reported, not blocked.
 */
export const ENVIRONMENT_LEVELS: Record<Environment, Partial<Record<PolicyName, EnforcementLevel>>> = {
  local: { "backup-outside-harbor-failure-domain": "advisory", "mirrors-cover-every-region": "advisory" },
  dev: { "mirrors-cover-every-region": "advisory" },
  staging: {},
  prod: {},
};

export function isEnvironment(v: unknown): v is Environment {
  return typeof v === "string" && (ENVIRONMENTS as readonly string[]).includes(v);
}

/** Policies no environment may relax (a test holds the table to it). */
export const NEVER_RELAXED: readonly PolicyName[] = ["requires-backup-target"];

/** The environment whose levels a stack gets: its name ("org/project/prod" counts as "prod"), else prod's rules. */
export function environmentOfStack(stack: string): Environment {
  const name = stack.split("/").pop() ?? "";
  return isEnvironment(name) ? name : "prod";
}

/** The policies with the stack's levels set in code: what the pack serves for that stack. */
export function policiesForStack<P extends StackValidationPolicy>(policies: readonly P[], stack: string): P[] {
  const levels = ENVIRONMENT_LEVELS[environmentOfStack(stack)] as Partial<Record<string, EnforcementLevel>>;
  return policies.map((p) => ({ ...p, enforcementLevel: levels[p.name] ?? p.enforcementLevel ?? "mandatory" }));
}

/** Pack config for an environment, in the shape `--policy-pack-config` files take. */
export function packConfigFor(environment: Environment): PolicyPackConfig {
  return Object.fromEntries(Object.entries(ENVIRONMENT_LEVELS[environment]).map(([name, level]) => [name, { enforcementLevel: level }]));
}

export interface ResolvedPolicyConfig {
  enforcementLevel: EnforcementLevel;
  /** What `args.getConfig()` returns: the policy's own properties, without enforcementLevel. */
  properties: Record<string, unknown>;
}

const LEVELS: readonly string[] = ["advisory", "mandatory", "remediate", "disabled"];

/**
 * Resolve one policy's level and properties from a pack config the way the engine and
 * @pulumi/policy do: a string is a level; `all` applies to every policy; the policy's own entry
 * wins; then the policy's level in code; then the pack's default ("advisory").
 */
export function resolvePolicyConfig(config: PolicyPackConfig, policy: { name: string; enforcementLevel?: EnforcementLevel }): ResolvedPolicyConfig {
  const entry = (v: unknown): { level?: EnforcementLevel; props: Record<string, unknown> } => {
    if (typeof v === "string") {
      if (!LEVELS.includes(v)) throw new Error(`policy config for ${policy.name}: unknown enforcement level "${v}" (expected ${LEVELS.join(", ")})`);
      return { level: v as EnforcementLevel, props: {} };
    }
    if (v !== null && typeof v === "object") {
      const { enforcementLevel, ...props } = v as Record<string, unknown>;
      if (enforcementLevel !== undefined && (typeof enforcementLevel !== "string" || !LEVELS.includes(enforcementLevel))) {
        throw new Error(`policy config for ${policy.name}: unknown enforcementLevel ${JSON.stringify(enforcementLevel)}`);
      }
      return { level: enforcementLevel as EnforcementLevel | undefined, props };
    }
    return { props: {} };
  };
  const all = entry(config.all);
  const own = entry(config[policy.name]);
  return {
    enforcementLevel: own.level ?? all.level ?? policy.enforcementLevel ?? "advisory",
    properties: own.props,
  };
}
