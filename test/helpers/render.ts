import type { RecordedResource } from "../../infra/offline/mockRuntime";
import { renderStack, type RenderResult } from "../../infra/offline/render";

export { renderStack };
export type { RenderResult, RecordedResource };

export function byType(result: RenderResult, type: string): RecordedResource[] {
  return result.resources.filter((r) => r.type === type);
}

export function one(result: RenderResult, type: string, name?: string): RecordedResource {
  const found = byType(result, type).filter((r) => name === undefined || r.name === name);
  if (found.length !== 1) throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
  return found[0]!;
}
