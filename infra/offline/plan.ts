import { createHash } from "node:crypto";
import { isResourceRef, isSecretMarker } from "../../components/shared/wire";
import type { RecordedResource } from "./mockRuntime";
import type { RenderResult } from "./render";
import { isOfflineProviderText } from "../../components/shared/dynamic-resource";

export const SECRET_MARK = "[secret]";

export interface PlanResource {
  type: string;
  name: string;
  urn: string;
  parent: string | null;
  custom: boolean;
  dependsOn: string[];
  additionalSecretOutputs: string[];
  inputs: unknown;
}

export interface Plan {
  stack: string;
  resourceCount: number;
  resources: PlanResource[];
  outputs: Record<string, unknown>;
}

/** Replace secrets with SECRET_MARK, resource references with their URN, closures with a digest. */
export function sanitize(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => sanitize(v));
  if (value === null || typeof value !== "object") {
    if (key === "__provider" && typeof value === "string") {
      if (isOfflineProviderText(value)) return "[dynamic provider: serialized by the engine at deploy time, not by an offline command]";
      return `[serialized dynamic provider, sha256:${createHash("sha256").update(value).digest("hex").slice(0, 16)}]`;
    }
    return value;
  }
  if (isSecretMarker(value)) return SECRET_MARK;
  if (isResourceRef(value)) return { $ref: value.urn };
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, sanitize(v, k)]));
}

export function planResource(r: RecordedResource): PlanResource {
  return {
    type: r.type,
    name: r.name,
    urn: r.urn,
    parent: r.parent || null,
    custom: r.custom,
    dependsOn: r.dependencies,
    additionalSecretOutputs: r.additionalSecretOutputs,
    inputs: sanitize(r.inputs),
  };
}

/** plan.json: every resource with its inputs, and the stack outputs; no secret in plain text. */
export function buildPlan(result: RenderResult): Plan {
  const outputs = Object.fromEntries(
    Object.entries(result.outputs).map(([k, o]) => [k, o.secret ? SECRET_MARK : sanitize(o.value)]),
  );
  return {
    stack: result.stack,
    resourceCount: result.resources.length,
    resources: result.resources.map(planResource),
    outputs,
  };
}
