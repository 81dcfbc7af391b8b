/**
 * Checks a request body against the body schema that Harbor's swagger (v2.0) declares for that
 * operation: types, enums, maxLength, $ref, and properties the schema does not know (Harbor's
 * server ignores those silently, which is exactly how a typo goes unnoticed).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** Harbor's own contract, vendored next to the tests (HARBOR_SWAGGER overrides it). */
export const SWAGGER_PATH = path.join(__dirname, "..", "fixtures", "harbor-v2.0-swagger.yaml");

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  maxLength?: number;
  additionalProperties?: Schema | boolean;
  "x-nullable"?: boolean;
}
interface Operation { parameters?: { in?: string; schema?: Schema; $ref?: string }[] }
interface Swagger { basePath: string; paths: Record<string, Record<string, Operation>>; definitions: Record<string, Schema> }

let cached: Swagger | undefined;
function swagger(): Swagger {
  cached ??= parse(readFileSync(process.env.HARBOR_SWAGGER ?? SWAGGER_PATH, "utf8")) as Swagger;
  return cached;
}

/** The swagger path template and body schema for a request, if the contract declares one. */
export function bodySchemaFor(method: string, path: string): { template: string; schema?: Schema } | undefined {
  const s = swagger();
  const rel = path.replace(/^\/api\/v2\.0/, "").split("?")[0]!;
  for (const [template, ops] of Object.entries(s.paths)) {
    const re = new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`);
    if (!re.test(rel)) continue;
    const op = ops[method.toLowerCase()];
    if (!op) continue;
    const param = (op.parameters ?? []).find((p) => p.in === "body");
    return { template, schema: param?.schema };
  }
  return undefined;
}

function resolve(schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 10 && s.$ref; i++) {
    const name = s.$ref.replace("#/definitions/", "");
    const def = swagger().definitions[name];
    if (!def) throw new Error(`swagger: unknown definition ${name}`);
    s = { ...def, ...Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")) };
    if (def.$ref) s.$ref = def.$ref; else delete s.$ref;
  }
  return s;
}

/** Problems of `value` against `schema`, each with its JSON path. */
export function validate(value: unknown, schema: Schema, path = "body"): string[] {
  const s = resolve(schema);
  if (value === null) return s["x-nullable"] ? [] : [`${path}: null is not allowed`];
  const problems: string[] = [];
  switch (s.type) {
    case "string":
      if (typeof value !== "string") return [`${path}: expected string, got ${typeof value}`];
      if (s.maxLength !== undefined && value.length > s.maxLength) problems.push(`${path}: longer than ${s.maxLength}`);
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return [`${path}: expected integer, got ${JSON.stringify(value)}`];
      break;
    case "number":
      if (typeof value !== "number") return [`${path}: expected number`];
      break;
    case "boolean":
      if (typeof value !== "boolean") return [`${path}: expected boolean, got ${typeof value}`];
      break;
    case "array":
      if (!Array.isArray(value)) return [`${path}: expected array`];
      value.forEach((v, i) => problems.push(...validate(v, s.items ?? {}, `${path}[${i}]`)));
      break;
    default:
      if (s.type === "object" || s.properties) {
        if (typeof value !== "object" || Array.isArray(value)) return [`${path}: expected object`];
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
          const prop = s.properties?.[k];
          if (prop) problems.push(...validate(v, prop, `${path}.${k}`));
          else if (s.additionalProperties && typeof s.additionalProperties === "object") problems.push(...validate(v, s.additionalProperties, `${path}.${k}`));
          else if (!s.additionalProperties) problems.push(`${path}.${k}: not in the swagger definition`);
        }
      }
  }
  if (s.enum && !s.enum.includes(value)) problems.push(`${path}: ${JSON.stringify(value)} not in ${JSON.stringify(s.enum)}`);
  return problems;
}

/** Problems of a request body against its operation in the swagger (no schema: no body allowed). */
export function validateRequestBody(method: string, path: string, body: unknown): string[] {
  const op = bodySchemaFor(method, path);
  if (!op) return [`${method} ${path}: no such operation in the swagger`];
  if (!op.schema) return body === undefined ? [] : [`${method} ${op.template}: takes no body`];
  if (body === undefined) return [];
  return validate(body, op.schema);
}
