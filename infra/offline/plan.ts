import { createHash } from "node:crypto";
import type { RecordedResource } from "./mockRuntime";
import type { RenderResult } from "./render";

export const SECRET_MARK = "[secret]";
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";

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
      return `[serialized dynamic provider, sha256:${createHash("sha256").update(value).digest("hex").slice(0, 16)}]`;
    }
    return value;
  }
  const obj = value as Record<string, unknown>;
  if (obj[SIG_KEY] === SECRET_SIG) return SECRET_MARK;
  if (obj[SIG_KEY] === RESOURCE_SIG) return { $ref: obj.urn };
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, sanitize(v, k)]));
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
