/**
 * Harbor's server-side validation rules the emulator applies, written from Harbor v2.15.1's source
 * (goharbor/harbor tag v2.15.1) and independently of the provider's own checks. Each function names
 * the Harbor file and function it follows; CONFORMANCE.md lists them per endpoint.
 */
type Obj = Record<string, unknown>;

const CRON_RANGES: [number, number][] = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/**
 * src/controller/replication/model/model.go `(*Policy).Validate`, scheduled trigger:
 * 1. `utils.CronParser().Parse(cron)` (robfig/cron v3, Second|Minute|Hour|Dom|Month|Dow): fields
 *    split with strings.Fields, so runs of blanks are fine for the parser;
 * 2. then `strings.Split(cron, " ")`: part 0 must be "0" and part 1 must not be "*". With a leading
 *    blank or a double blank these parts are "" and the check works on the wrong field (a leading
 *    blank makes part 0 "" and the policy is refused).
 * The robfig field grammar is approximated (numbers, names, ranges, steps, * and ?); descriptors
 * such as @every are not accepted here (unverified whether Harbor's parser flag set accepts them:
 * it does not set cron.Descriptor, so they are refused there too).
 */
export function cronProblem(cron: string): string | undefined {
  if (cron.length === 0) return "the cron string cannot be empty when the trigger type is scheduled";
  const fields = cron.split(/\s+/).filter(Boolean);
  if (fields.length !== 6) return `invalid cron string for scheduled trigger: ${cron}`;
  for (const [i, field] of fields.entries()) {
    for (const item of field.split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || (step !== undefined && !/^\d+$/.test(step))) return `invalid cron string for scheduled trigger: ${cron}`;
      if (range === "*" || (range === "?" && (i === 3 || i === 5))) continue;
      for (const n of (range ?? "").split("-")) {
        const names = i === 4 ? MONTHS : i === 5 ? DAYS : [];
        const named = names.indexOf(n.toUpperCase());
        const v = named >= 0 ? named + CRON_RANGES[i]![0] : /^\d+$/.test(n) ? Number(n) : NaN;
        if (!(v >= CRON_RANGES[i]![0] && v <= CRON_RANGES[i]![1])) return `invalid cron string for scheduled trigger: ${cron}`;
      }
    }
  }
  const parts = cron.split(" ");
  if (parts[0] !== "0") return "the 1st field (indicating Seconds of time) of the cron setting must be 0";
  if (parts[1] === "*") return "* is not allowed for the Minutes field of the cron setting of replication policy";
  return undefined;
}

/** src/pkg/reg/model/policy.go `(*Filter).Validate`. */
export function filterProblem(f: Obj): string | undefined {
  const type = String(f.type);
  const decoration = f.decoration === undefined || f.decoration === null ? "" : String(f.decoration);
  if (type === "resource" || type === "name" || type === "tag") {
    if (typeof f.value !== "string") return "the type of filter value isn't string";
    if (type === "resource" && f.value !== "artifact" && f.value !== "image") return `invalid resource filter: ${f.value}`;
    if ((type === "name" || type === "resource") && decoration !== "") return "only tag and label filter support decoration";
  } else if (type === "label") {
    if (!Array.isArray(f.value) || f.value.some((x) => typeof x !== "string")) return "the type of label filter value isn't string slice";
  } else {
    return "invalid filter type";
  }
  if (decoration !== "" && decoration !== "matches" && decoration !== "excludes") return `invalid filter decoration, :${decoration}`;
  return undefined;
}

/**
 * src/lib/patterns.go `RepositoryNameRe` = `^` + distribution reference.NameRegexp + `$`: path
 * components of lower-case alphanumerics joined by `.`, `_`, `__` or dashes, separated by `/`.
 * The optional leading domain component of NameRegexp is not emulated (stricter: refused here).
 */
export function destNamespaceProblem(ns: string): string | undefined {
  const component = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
  return new RegExp(`^${component}(?:/${component})*$`).test(ns) ? undefined : `invalid destination namespace: ${ns}`;
}

/**
 * src/lib/quota_storage_limit.go `ValidateQuotaLimit` with src/pkg/quota/types/resources.go
 * `MaxLimitedValue` (1125899906842624 bytes = 1024 TB): -1 (unlimited) or 1..MaxLimitedValue.
 */
export const MAX_QUOTA_BYTES = 1125899906842624;
export function quotaLimitProblem(limit: number): string | undefined {
  if (limit <= 0) return limit === -1 ? undefined : `invalid non-positive value for quota limit, value=${limit}`;
  if (limit > MAX_QUOTA_BYTES) return `exceeded 1024TB, which is 1125899906842624 Bytes, value=${limit}`;
  return undefined;
}

/**
 * Project-scope (resource, action) pairs a robot may hold: src/common/rbac/const.go `PoliciesMap`
 * [ScopeProject] plus what `(*NolimitProvider).GetPermissions(ScopeProject)` appends (robot,
 * export-cve, member), which is what `rbac.GetPermissionProvider()` returns in v2.15.1.
 */
const PROJECT_POLICIES = new Set([
  "log:list",
  "project:read", "project:delete", "project:update",
  "metadata:read", "metadata:create", "metadata:delete", "metadata:list", "metadata:update",
  "repository:read", "repository:update", "repository:delete", "repository:list", "repository:pull", "repository:push",
  "artifact:read", "artifact:create", "artifact:list", "artifact:delete",
  "scan:create", "scan:read", "scan:stop",
  "sbom:create", "sbom:stop", "sbom:read",
  "tag:create", "tag:list", "tag:delete",
  "accessory:list",
  "artifact-addition:read",
  "artifact-label:create", "artifact-label:delete",
  "scanner:create", "scanner:read",
  "preheat-policy:read", "preheat-policy:create", "preheat-policy:delete", "preheat-policy:list", "preheat-policy:update",
  "immutable-tag:create", "immutable-tag:delete", "immutable-tag:list", "immutable-tag:update",
  "notification-policy:read", "notification-policy:create", "notification-policy:delete", "notification-policy:list", "notification-policy:update",
  "tag-retention:read", "tag-retention:create", "tag-retention:delete", "tag-retention:list", "tag-retention:update",
  "label:read", "label:create", "label:delete", "label:list", "label:update",
  "quota:read",
  "robot:create", "robot:read", "robot:list", "robot:delete",
  "export-cve:create", "export-cve:read",
  "member:create", "member:read", "member:update", "member:list", "member:delete",
]);

/**
 * src/server/v2.0/handler/robot.go `(*robotAPI).validate`: duration -1 or 1..MaxInt32-1, level
 * system|project, at least one permission, each with at least one access, and every (resource,
 * action) pair in the scope's catalogue (`containsAccess` compares both). The system-scope
 * catalogue is not emulated: system-kind permissions are refused (stricter than Harbor).
 */
export function robotValidationProblem(duration: unknown, level: unknown, permissions: unknown): string | undefined {
  const d = Number(duration);
  if (typeof duration !== "number" || !(d === -1 || (d > 0 && d < 2147483647))) {
    return `bad request error duration input: ${String(duration)}, duration must be either -1(Never) or a positive integer`;
  }
  if (level !== "system" && level !== "project") return `bad request error level input: ${String(level)}`;
  const perms = Array.isArray(permissions) ? (permissions as Obj[]) : [];
  if (perms.length === 0) return "bad request empty permission";
  for (const p of perms) if (!Array.isArray(p.access) || p.access.length === 0) return "bad request empty access";
  if (level === "project" && perms.length > 1) return "bad request permission";
  for (const p of perms) {
    if (p.kind !== "project") return `bad request permission level: ${String(p.kind)}`;
    for (const a of p.access as Obj[]) {
      if (!PROJECT_POLICIES.has(`${String(a.resource)}:${String(a.action)}`)) return `bad request permission: ${String(a.resource)}:${String(a.action)}`;
    }
  }
  return undefined;
}

/** src/server/v2.0/handler/robot.go `validateName`. */
export function robotNameProblem(name: unknown): string | undefined {
  return typeof name === "string" && /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name) ? undefined : "robot name is not in lower case or contains illegal characters";
}

/**
 * src/lib/q/builder.go `Build`/`parseKeywords`/`parsePattern` with src/lib/orm/query.go
 * `setFilters`: `k=v` is an exact match on the stored column, `k=~v` a case-insensitive contains
 * (`__icontains`), `k={a b}` any of, `k=[min~max]` a range. Returns a predicate over stored rows.
 */
export function queryPredicate(q: string | null, column: (row: Obj, key: string) => unknown): (row: Obj) => boolean {
  const terms: [string, string][] = [];
  for (const param of (q ?? "").split(",").filter(Boolean)) {
    const i = param.indexOf("=");
    if (i <= 0) continue;
    terms.push([param.slice(0, i), param.slice(i + 1)]);
  }
  return (row) => terms.every(([k, v]) => {
    const have = column(row, k);
    if (have === undefined) return true; // a key the model does not filter on is ignored
    if (v.startsWith("~")) return String(have).toLowerCase().includes(v.slice(1).toLowerCase());
    if (v.startsWith("{") && v.endsWith("}")) return v.slice(1, -1).split(" ").includes(String(have));
    if (v.startsWith("[") && v.endsWith("]")) {
      const [min, max] = v.slice(1, -1).split("~");
      return (min === "" || Number(have) >= Number(min)) && (max === "" || Number(have) <= Number(max));
    }
    return String(have) === v;
  });
}
