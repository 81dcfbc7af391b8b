/**
 * Harbor's schedule check for replication policies: six fields (seconds first), the seconds field
 * must be 0 and the minutes field must not be "*" (Harbor refuses schedules that fire every minute).
 * Returns a reason when the expression is invalid, undefined when valid. Pure; shared by the
 * config loader and the dynamic provider.
 */
const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: "seconds", min: 0, max: 59 },
  { name: "minutes", min: 0, max: 59 },
  { name: "hours", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"] },
  { name: "day of week", min: 0, max: 6, names: ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"] },
];

function parseValue(token: string, field: (typeof FIELDS)[number]): number | undefined {
  if (/^\d+$/.test(token)) return Number(token);
  const idx = field.names?.indexOf(token.toUpperCase()) ?? -1;
  return idx >= 0 ? idx + field.min : undefined;
}

function checkPart(part: string, field: (typeof FIELDS)[number]): string | undefined {
  const [range, step, extra] = part.split("/");
  if (extra !== undefined || range === undefined || range === "") return `"${part}" is not a valid ${field.name} entry`;
  if (step !== undefined && !/^[1-9]\d*$/.test(step)) return `step "${step}" in ${field.name} must be a positive number`;
  // robfig/cron v3.0.1 parser.go getRange: "?" means "*" in every field, as Harbor parses it.
  if (range === "*" || range === "?") return undefined;
  const bounds = range.split("-");
  if (bounds.length > 2) return `"${range}" is not a valid ${field.name} range`;
  const values = bounds.map((b) => parseValue(b, field));
  for (const [i, v] of values.entries()) {
    if (v === undefined || v < field.min || v > field.max) {
      return `${field.name} value "${bounds[i]}" is outside ${field.min}-${field.max}`;
    }
  }
  if (values.length === 2 && values[0]! > values[1]!) return `${field.name} range "${range}" runs backwards`;
  return undefined;
}

export function harborCronProblem(expr: string): string | undefined {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 6) {
    return `expected 6 fields (seconds minutes hours day-of-month month day-of-week), found ${parts.length}`;
  }
  if (parts[0] !== "0") return "the seconds field must be 0 (Harbor refuses sub-minute schedules)";
  if (parts[1] === "*") {
    return "the minutes field must not be * (Harbor refuses schedules that fire every minute)";
  }
  for (const [i, field] of FIELDS.entries()) {
    for (const part of parts[i]!.split(",")) {
      const problem = checkPart(part, field);
      if (problem) return problem;
    }
  }
  return undefined;
}
