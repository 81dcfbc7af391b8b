// The keys a schema accepts at a path of the input, for "did you mean" hints on unknown keys.
// Reads zod 4's schema definitions (`_zod.def`): object, array, record, union (discriminated or
// not), and the wrappers default/optional/nullable/pipe.
import type { z } from "zod";

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  valueType?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  discriminator?: string;
}

const defOf = (s: z.ZodType): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Object schemas that could describe `value` (a union yields the options matching its discriminator). */
function objects(schema: z.ZodType, value: unknown): z.ZodType[] {
  const d = defOf(schema);
  switch (d.type) {
    case "default":
    case "optional":
    case "nullable":
      return objects(d.innerType!, value);
    case "pipe":
      return objects(d.in!, value);
    case "union": {
      const disc = d.discriminator;
      const found = value !== null && typeof value === "object" && disc ? (value as Record<string, unknown>)[disc] : undefined;
      const all = d.options!.flatMap((o) => objects(o, value));
      const matching = all.filter((o) => {
        const lit = disc ? defOf(defOf(o).shape?.[disc] ?? o) : undefined;
        return lit && (lit as { values?: unknown[] }).values?.includes(found);
      });
      return matching.length > 0 ? matching : all;
    }
    default:
      return [schema];
  }
}

/** Keys the schema accepts for the object at `path` in `input`; [] when unknown. */
export function knownKeysAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] {
  let candidates = objects(schema, input);
  let value = input;
  for (const key of path) {
    value = value !== null && typeof value === "object" ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    candidates = candidates.flatMap((c) => {
      const d = defOf(c);
      if (d.type === "object" && typeof key === "string" && d.shape?.[key]) return objects(d.shape[key], value);
      if (d.type === "array" && typeof key === "number") return objects(d.element!, value);
      if (d.type === "record") return objects(d.valueType!, value);
      return [];
    });
  }
  return [...new Set(candidates.flatMap((c) => Object.keys(defOf(c).shape ?? {})))];
}
