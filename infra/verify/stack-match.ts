// Outputs of one stack must not be verified as another's: compare what the outputs say with the
// stack file (environment and Harbor's host), the two facts every stack sets.

export interface StackIdentity {
  environment?: string;
  /** Harbor's host as clients reach it (externalUrl's host, else hostname). */
  harborHost?: string;
}

/** What the stack file declares, from the engine-shaped config (full key -> string/JSON). */
export function identityFromStackConfig(config: Readonly<Record<string, string>>): StackIdentity {
  let harbor: { hostname?: unknown; externalUrl?: unknown } = {};
  try {
    harbor = JSON.parse(config["registry-topology:harbor"] ?? "{}") as typeof harbor;
  } catch {
    // an invalid stack file: nothing to compare with
  }
  const fromUrl = typeof harbor.externalUrl === "string" ? hostOf(harbor.externalUrl) : undefined;
  return {
    environment: config["registry-topology:environment"],
    harborHost: fromUrl ?? (typeof harbor.hostname === "string" ? harbor.hostname : undefined),
  };
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return undefined;
  }
}

/** Why these outputs are not stack `stack`'s, or undefined when nothing contradicts it. */
export function outputsStackProblem(stack: string, outputs: { environment?: string; harborUrl: string }, expected: StackIdentity): string | undefined {
  const got = { environment: outputs.environment, harborHost: hostOf(outputs.harborUrl) };
  const differs =
    (expected.environment !== undefined && got.environment !== undefined && got.environment !== expected.environment) ||
    (expected.harborHost !== undefined && got.harborHost !== undefined && got.harborHost !== expected.harborHost.toLowerCase());
  if (!differs) return undefined;
  return (
    `these outputs are not stack "${stack}"'s: they have environment "${got.environment ?? "?"}" and Harbor at ${got.harborHost ?? "?"}, ` +
    `while stacks/Pulumi.${stack}.yaml has environment "${expected.environment ?? "?"}" and Harbor at ${expected.harborHost ?? "?"}; pass the outputs of stack ${stack}`
  );
}
