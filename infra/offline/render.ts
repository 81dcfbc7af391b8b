import * as pulumi from "@pulumi/pulumi";
import { ConfigError, loadTopologyConfig, PROJECT, type TopologyConfig } from "../config";
import { defineStack } from "../program";
import { installMockRuntime, settle, type RecordedResource } from "./mockRuntime";
import { MockRefusalError, takeMockRefusals } from "./mocks";
import { plaintextCredentialProblems } from "./secretLeaves";
import { readStackConfig, type StackConfig } from "./stackFiles";

export interface ResolvedOutput {
  value: unknown;
  secret: boolean;
}

export interface RenderResult {
  stack: string;
  stackConfig: StackConfig;
  config: TopologyConfig;
  resources: RecordedResource[];
  outputs: Record<string, ResolvedOutput>;
}

async function resolve(o: unknown): Promise<ResolvedOutput> {
  if (!pulumi.Output.isInstance(o)) return { value: o, secret: false };
  const output = o as pulumi.Output<unknown>;
  const [value, secret] = await Promise.all([
    new Promise<unknown>((r) => output.apply((v) => r(v))),
    pulumi.isSecret(output),
  ]);
  return { value, secret };
}

/**
 * The program's own config check plus one the program cannot make under the CLI: every credential
 * leaf `secure:` by itself (infra/offline/secretLeaves.ts). All problems in one ConfigError.
 */
function loadCheckedConfig(stackConfig: StackConfig): TopologyConfig {
  const leaves = plaintextCredentialProblems(stackConfig);
  let config: TopologyConfig | undefined;
  let others: string[] = [];
  try {
    config = loadTopologyConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    // The program's key-level message for a path reported here already would say it twice.
    const reported = new Set(leaves.map((l) => l.slice(0, l.indexOf(": "))));
    others = e.problems.filter((p) => !reported.has(p.slice(0, p.indexOf(": "))));
  }
  if (leaves.length > 0 || others.length > 0 || !config) throw new ConfigError([...others, ...leaves]);
  return config;
}

/**
 * Run the program in-process under Pulumi's mock runtime with a stack file's config: no CLI, no
 * cloud calls, no credentials (encrypted values become placeholders). Throws ConfigError for an
 * invalid stack before any resource is registered.
 */
export async function renderStack(stackOrFile: string): Promise<RenderResult> {
  const stackConfig = readStackConfig(stackOrFile);
  const resources = await installMockRuntime(PROJECT, stackConfig.stack);
  takeMockRefusals(); // start clean: a previous render in this process may have left some
  pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
  const config = loadCheckedConfig(stackConfig);
  const stackOutputs = defineStack(config);
  const outputs: Record<string, ResolvedOutput> = {};
  for (const [key, o] of Object.entries(stackOutputs)) outputs[key] = await resolve(o);
  await settle();
  // Inputs a cloud API would refuse (names, regions, missing owners): fail like `pulumi up` would.
  const refused = takeMockRefusals();
  if (refused.length > 0) throw new MockRefusalError(refused);
  return { stack: stackConfig.stack, stackConfig, config, resources, outputs };
}
