import type { z } from "zod";
import { hideUserinfo } from "./net";
import { CREDENTIAL_FIELDS } from "./primitives";
import { nearMiss } from "./suggest";

type Path = readonly PropertyKey[];

/**
 * `["backups", 1, "region"]` -> `backups[1].region`; a key that is not a plain identifier is
 * quoted the way `pulumi config set --path` takes it: `nodeSelector["kubernetes.io/os"]`.
 */
export function formatPath(path: Path): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === "number") return `${acc}[${key}]`;
    const k = String(key);
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(k)) return `${acc}[${JSON.stringify(k)}]`;
    return acc ? `${acc}.${k}` : k;
  }, "");
}

function valueAt(root: unknown, path: Path): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const key of path) {
    if (cur === null || typeof cur !== "object" || !(key in (cur as object))) return { found: false, value: undefined };
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: cur };
}

/** What the user wrote, short, and never a credential. */
export function describeFound(root: unknown, path: Path): string {
  const { found, value } = valueAt(root, path);
  if (!found || value === undefined) return "nothing";
  if (path.some((k) => typeof k === "string" && CREDENTIAL_FIELDS.has(k))) return "a value (not shown: credential)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return `an object with keys ${Object.keys(value).join(", ") || "(none)"}`;
  const text = hideUserinfo(JSON.stringify(value));
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `expected ${issue.expected === "int" ? "a whole number" : issue.expected}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(" | ")}`;
    case "invalid_union":
      if ("discriminator" in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return `expected ${String(issue.discriminator)} to be one of ${options.map((o) => JSON.stringify(o)).join(" | ")}`;
      }
      return issue.message;
    case "too_small":
      if (issue.origin === "array") return issue.message.startsWith("Too small") ? `expected at least ${String(issue.minimum)} item(s)` : issue.message;
      if (issue.origin === "string") return issue.message.startsWith("Too small") ? "expected a non-empty string" : issue.message;
      return `expected at least ${String(issue.minimum)}`;
    case "too_big":
      return issue.origin === "string" ? `expected at most ${String(issue.maximum)} characters` : `expected at most ${String(issue.maximum)}`;
    case "invalid_format":
      return issue.message;
    default:
      return issue.message;
  }
}

/**
 * One line per problem: `<key path>: <what was expected>, found <what was there>`. `knownKeys`
 * gives the keys accepted at a path, for a "did you mean" on unknown keys.
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown, knownKeys: (path: Path) => string[] = () => []): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        const guess = nearMiss(key, knownKeys(issue.path));
        lines.push(`${formatPath([...issue.path, key])}: unknown key; ${guess ? `did you mean "${guess}"? ` : ""}remove it or check its spelling`);
      }
      continue;
    }
    const path = formatPath(issue.path) || "(config)";
    // `{parent}` in a message stands for the key path of the object holding the bad key.
    const expected = expectation(issue).replaceAll("{parent}", formatPath(issue.path.slice(0, -1)));
    lines.push(`${path}: ${expected}, found ${describeFound(input, issue.path)}`);
  }
  return lines;
}
