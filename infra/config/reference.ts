// The configuration reference (docs/config-reference.md), generated from the same zod schema the
// loader validates with, so the page cannot drift from what is accepted: a test compares it.
// Walks zod 4's JSON Schema output (`z.toJSONSchema`, io "input": what a stack file may write).
import { z } from "zod";
import { topologySchema } from "./schema";

export const CONFIG_NAMESPACE = "registry-topology";

type Json = Record<string, unknown>;

interface Row {
  path: string;
  type: string;
  required: boolean;
  default?: unknown;
  constraints: string[];
}

const code = (v: unknown): string => "`" + (typeof v === "string" ? v : JSON.stringify(v)) + "`";
const escapeCell = (s: string): string => s.replace(/\|/g, "\\|");

/** The discriminator of a oneOf: the property every option holds as a `const`. */
function discriminator(options: Json[]): string | undefined {
  const props = options.map((o) => (o.properties ?? {}) as Record<string, Json>);
  const candidates = Object.keys(props[0] ?? {}).filter((k) => props.every((p) => p[k] && "const" in p[k]));
  return candidates[0];
}

function typeName(s: Json): string {
  if ("const" in s) return `${code(s.const)}`;
  if (Array.isArray(s.enum)) return s.enum.map(code).join(" | ");
  if (s.type === "array") return `list of ${typeName((s.items ?? {}) as Json)}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object" && !s.properties) {
    return `map of ${typeName(s.additionalProperties as Json)}`;
  }
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    const opts = (s.anyOf ?? s.oneOf) as Json[];
    return [...new Set(opts.map(typeName))].join(" or ");
  }
  if (typeof s.type === "string") return s.type;
  return "any";
}

function constraintsOf(s: Json): string[] {
  const c: string[] = [];
  const pairs: [string, string][] = [
    ["minimum", "≥"], ["exclusiveMinimum", ">"], ["maximum", "≤"], ["exclusiveMaximum", "<"],
    ["minLength", "length ≥"], ["maxLength", "length ≤"], ["minItems", "items ≥"], ["maxItems", "items ≤"],
  ];
  for (const [k, label] of pairs) if (typeof s[k] === "number") c.push(`${label} ${String(s[k])}`);
  if (typeof s.pattern === "string") c.push(`pattern ${code(s.pattern)}`);
  if (s.type === "integer") c.push("whole number");
  return c;
}

function walk(s: Json, path: string, required: boolean, rows: Row[], sections: Map<string, Row[]>): void {
  const options = (s.oneOf ?? s.anyOf) as Json[] | undefined;
  if (options && options.every((o) => o.type === "object")) {
    const disc = discriminator(options);
    if (disc) {
      rows.push({ path, type: "object, one of the variants below", required, default: s.default, constraints: [] });
      for (const o of options) {
        const tag = ((o.properties as Record<string, Json>)[disc] as Json).const;
        const title = `${path} (${disc}: ${String(tag)})`;
        const sub: Row[] = [];
        sections.set(title, sub);
        walkObject(o, path, sub, sections);
      }
      return;
    }
  }
  if (s.type === "object" && s.properties) {
    rows.push({ path, type: "object", required, default: s.default, constraints: [] });
    walkObject(s, path, rows, sections);
    return;
  }
  if (s.type === "array" && s.items && ((s.items as Json).properties || (s.items as Json).oneOf || (s.items as Json).anyOf)) {
    rows.push({ path, type: "list", required, default: s.default, constraints: constraintsOf(s) });
    walk(s.items as Json, `${path}[]`, true, rows, sections);
    return;
  }
  rows.push({ path, type: typeName(s), required, default: s.default, constraints: constraintsOf(s) });
}

function walkObject(s: Json, path: string, rows: Row[], sections: Map<string, Row[]>): void {
  const props = (s.properties ?? {}) as Record<string, Json>;
  const req = new Set((s.required ?? []) as string[]);
  for (const [k, v] of Object.entries(props)) walk(v, path ? `${path}.${k}` : k, req.has(k) && !("default" in v), rows, sections);
}

function table(rows: Row[]): string {
  const lines = ["| key | type | required | default | constraints |", "|---|---|---|---|---|"];
  for (const r of rows) {
    const def = r.default === undefined ? "" : code(r.default);
    lines.push(`| ${escapeCell(code(r.path))} | ${escapeCell(r.type)} | ${r.required ? "yes" : ""} | ${escapeCell(def)} | ${escapeCell(r.constraints.join(", "))} |`);
  }
  return lines.join("\n");
}

/** The whole reference page, deterministic for a given schema. */
export function configReferenceMarkdown(): string {
  const json = z.toJSONSchema(topologySchema, { io: "input", unrepresentable: "any" }) as Json;
  const props = (json.properties ?? {}) as Record<string, Json>;
  const req = new Set((json.required ?? []) as string[]);
  const out: string[] = [
    "# Configuration reference (generated)",
    "",
    "<!-- Generated from infra/config/schema.ts by `npm run docs:config`; test/config-reference.test.ts fails when it is out of date. Do not edit by hand. -->",
    "",
    `Every key lives under the \`${CONFIG_NAMESPACE}:\` namespace of \`stacks/Pulumi.<stack>.yaml\`; the`,
    "key below is the path inside it (`backups[]` is each entry of the list). What the keys mean,",
    "and the checks across keys (collisions, ports, regions), are in [configuration.md](configuration.md).",
    "Types are what the stack file may write; `required` means the key has no default.",
    "",
  ];
  for (const [top, schema] of Object.entries(props)) {
    const rows: Row[] = [];
    const sections = new Map<string, Row[]>();
    walk(schema, top, req.has(top) && !("default" in schema), rows, sections);
    out.push(`## \`${CONFIG_NAMESPACE}:${top}\``, "", table(rows), "");
    for (const [title, sub] of sections) out.push(`### \`${title}\``, "", table(sub), "");
  }
  return out.join("\n").trimEnd() + "\n";
}
