// Turns what the offline renderer recorded (infra/offline: raw serialized inputs per resource)
// into the PolicyResources the analyzer would build, so the same policy objects run on both.
import type { PolicyResource } from "@pulumi/policy";
import { SECRET_MARKERS_KEPT } from "./graph";

/** The fields of infra/offline/mockRuntime RecordedResource this needs (kept structural: the pack stays self-contained). */
export interface RecordedLike {
  urn: string;
  type: string;
  name: string;
  parent: string;
  inputs: Record<string, unknown>;
  dependencies: string[];
  additionalSecretOutputs: string[];
}

type ResourceClass = { __pulumiType?: string; isInstance?: (o: unknown) => boolean };

function isTypeOf(type: string, cls: ResourceClass): boolean {
  return cls.__pulumiType !== undefined ? cls.__pulumiType === type : cls.isInstance?.({ __pulumiType: type }) === true;
}

export interface PolicyResourceSpec {
  type: string;
  name: string;
  urn: string;
  props: Record<string, unknown>;
  additionalSecretOutputs?: readonly string[];
  parent?: PolicyResource;
  /** The props still carry secret markers (the offline check); false for CLI-shaped plain props. */
  secretMarkersKept: boolean;
}

/** One PolicyResource shaped like the analyzer's (opts, isType/asType), without the CLI. */
export function policyResourceOf(spec: PolicyResourceSpec): PolicyResource {
  return {
    type: spec.type,
    name: spec.name,
    urn: spec.urn,
    props: spec.props,
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [...(spec.additionalSecretOutputs ?? [])],
    },
    parent: spec.parent,
    dependencies: [],
    propertyDependencies: {},
    isType: (cls: ResourceClass) => isTypeOf(spec.type, cls),
    asType: (cls: ResourceClass) => (isTypeOf(spec.type, cls) ? spec.props : undefined),
    ...(spec.secretMarkersKept ? { [SECRET_MARKERS_KEPT]: true } : {}),
  } as unknown as PolicyResource;
}

/**
 * Props are the inputs with secret markers kept, tagged SECRET_MARKERS_KEPT (credentials-are-secret
 * reads the markers; every other policy reads plain values through graph.plainProps), and
 * opts.additionalSecretOutputs is what the program registered, as the engine would pass it.
 */
export function toPolicyResources(recorded: readonly RecordedLike[]): PolicyResource[] {
  const out = recorded.map((r) =>
    policyResourceOf({ type: r.type, name: r.name, urn: r.urn, props: r.inputs, additionalSecretOutputs: r.additionalSecretOutputs, secretMarkersKept: true }),
  );
  const byUrn = new Map(out.map((r) => [r.urn, r]));
  recorded.forEach((r, i) => {
    const res = out[i]!;
    const parent = byUrn.get(r.parent);
    if (parent) res.parent = parent;
    res.dependencies = r.dependencies.map((d) => byUrn.get(d)).filter((d): d is PolicyResource => d !== undefined);
  });
  return out;
}
