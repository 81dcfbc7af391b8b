import type * as pulumi from "@pulumi/pulumi";
import { runMockChecks } from "./refusals";

/** Computes the outputs a provider would return for a resource type (merged over its inputs). */
export type OutputSynth = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

const synths = new Map<string, OutputSynth>();
const invokes = new Map<string, (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>>();

/** Register realistic outputs for a resource type (each cloud module adds its own). */
export function defineMockOutputs(type: string, synth: OutputSynth): void {
  synths.set(type, synth);
}

/** Register a result for a provider function (invoke) token. */
export function defineMockInvoke(token: string, fn: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>): void {
  invokes.set(token, fn);
}

export function synthesizeOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  runMockChecks(args);
  return synths.get(args.type)?.(args) ?? {};
}

export function synthesizeInvoke(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const fn = invokes.get(args.token);
  return fn ? fn(args) : args.inputs;
}
