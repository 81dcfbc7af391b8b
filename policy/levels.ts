// Enforcement levels. Every policy is mandatory in code; per-environment relaxations live here and
// are shipped as pack config files (policy/config/<environment>.json) for the CLI
// (`pulumi preview --policy-pack policy --policy-pack-config policy/config/prod.json`). The offline
// check applies the same table from the stack's `environment`. A test keeps the files equal to it.
import type { EnforcementLevel, PolicyPackConfig } from "@pulumi/policy";

export const POLICY_NAMES = [
  "requires-backup-target",
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
 * - local: its only backup is a registry in the same cluster (same failure domain), fine on a laptop;
 * - local, dev: a region without a mirror for every registry is reported, not blocked.
 */
export const ENVIRONMENT_LEVELS: Record<Environment, Partial<Record<PolicyName, EnforcementLevel>>> = {
  local: { "requires-backup-target": "advisory", "mirrors-cover-every-region": "advisory" },
  dev: { "mirrors-cover-every-region": "advisory" },
  staging: {},
  // prod: an archive is recommended, not required (policy/archives.ts).
  prod: { "prod-has-archive": "advisory" },
};

export function isEnvironment(v: unknown): v is Environment {
  return typeof v === "string" && (ENVIRONMENTS as readonly string[]).includes(v);
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
