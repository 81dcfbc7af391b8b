import * as pulumi from "@pulumi/pulumi";
import { PROJECT, type TopologyConfig } from "../config";
import { loadTopologyConfig } from "../config/load";
import { defineStack } from "../program";
import { installMockRuntime, settle, type RecordedResource } from "./mockRuntime";
import { MockRefusalError, takeMockRefusals } from "./mocks";
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
 * Run the program in-process under Pulumi's mock runtime with a stack file's config: no CLI, no
 * cloud calls, no credentials (encrypted values become placeholders). Throws ConfigError for an
 * invalid stack before any resource is registered.
 */
export async function renderStack(stackOrFile: string): Promise<RenderResult> {
  const stackConfig = readStackConfig(stackOrFile);
  const resources = await installMockRuntime(PROJECT, stackConfig.stack);
  takeMockRefusals(); // start clean: a previous render in this process may have left some
  pulumi.runtime.setAllConfig(stackConfig.config, stackConfig.secretKeys);
  const config = loadTopologyConfig();
  const stackOutputs = defineStack(config);
  const outputs: Record<string, ResolvedOutput> = {};
  for (const [key, o] of Object.entries(stackOutputs)) outputs[key] = await resolve(o);
  await settle();
  // Inputs a cloud API would refuse (names, regions, missing owners): fail like `pulumi up` would.
  const refused = takeMockRefusals();
  if (refused.length > 0) throw new MockRefusalError(refused);
  return { stack: stackConfig.stack, stackConfig, config, resources, outputs };
}
