/**
 * Harbor's server-side validation rules the emulator applies (src/server/v2.0/handler/replication.go,
 * robot.go, src/common/rbac/const.go), written independently of the provider's own checks.
 */
type Obj = Record<string, unknown>;

/** Harbor's cron check: 6 fields, seconds 0, minutes not "*", each field in range. */
export function cronProblem(cron: string): string | undefined {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 6) return `expected 6 fields, got ${parts.length}`;
  if (parts[0] !== "0") return "the 1st field (seconds) must be 0";
  if (parts[1] === "*") return "the 2nd field (minutes) must not be *";
  const ranges: [number, number][] = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6]];
  for (const [i, part] of parts.entries()) {
    for (const item of part.split(",")) {
      const [range, step] = item.split("/");
      if (step !== undefined && !/^\d+$/.test(step)) return `bad step in field ${i + 1}`;
      if (range === "*" || range === "?") continue;
      for (const n of (range ?? "").split("-")) {
        if (/^[A-Za-z]{3}$/.test(n) && (i === 4 || i === 5)) continue;
        const v = Number(n);
        if (!/^\d+$/.test(n) || v < ranges[i]![0] || v > ranges[i]![1]) return `value ${n} out of range in field ${i + 1}`;
      }
    }
  }
  return undefined;
}

export function filterProblem(f: Obj): string | undefined {
  if (!["name", "tag", "label", "resource"].includes(String(f.type))) return `invalid filter type ${String(f.type)}`;
  if (f.decoration !== undefined && f.decoration !== "") {
    if (f.type !== "tag" && f.type !== "label") return `the decoration is only supported for tag and label filters, not ${String(f.type)}`;
    if (f.decoration !== "matches" && f.decoration !== "excludes") return `invalid decoration ${String(f.decoration)}`;
  }
  if (f.type === "label") return Array.isArray(f.value) ? undefined : "the value of a label filter must be a string array";
  if (typeof f.value !== "string") return `the value of a ${String(f.type)} filter must be a string`;
  if (f.type === "resource" && !["image", "artifact"].includes(f.value)) return `invalid resource filter ${f.value}`;
  return undefined;
}

/** Project-scope (resource, action) pairs of Harbor's RBAC catalogue that robots may hold (subset). */
const PROJECT_POLICIES = new Set([
  "repository:pull", "repository:push", "repository:delete", "repository:list", "repository:read", "repository:update",
  "artifact:read", "artifact:list", "artifact:create", "artifact:delete", "tag:list", "tag:create", "tag:delete",
  "artifact-label:create", "artifact-label:delete", "scan:create", "scan:stop", "helm-chart:read",
]);

export function robotPermissionProblem(p: Obj, projectExists: (name: string) => boolean): string | undefined {
  if (p.kind !== "project" && p.kind !== "system") return `bad request permission kind: ${String(p.kind)}`;
  if (p.kind === "project" && p.namespace !== "*" && !projectExists(String(p.namespace))) return `project ${String(p.namespace)} not found`;
  for (const a of (p.access as Obj[] | undefined) ?? []) {
    const pair = `${String(a.resource)}:${String(a.action)}`;
    if (p.kind === "project" && !PROJECT_POLICIES.has(pair)) return `bad request permission: ${pair}`;
  }
  return undefined;
}
