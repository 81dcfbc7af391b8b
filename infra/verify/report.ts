import type { BackupReport, CheckStatus, VerifyReport } from "./types";

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} days`;
}

/** Heading word for a registry that could not be checked. */
const NOT_CHECKED: Record<Exclude<CheckStatus, "checked">, string> = {
  unreachable: "UNREACHABLE",
  "not-a-registry": "NOT A REGISTRY",
  "bad-answer": "BAD ANSWER",
  deadline: "DEADLINE PASSED",
  "not-checked": "NOT CHECKED",
};

function backupSection(b: BackupReport): string[] {
  if (b.status !== "checked") return [`## ${b.name}: ${NOT_CHECKED[b.status]}`, `  ${b.reason ?? "no reason given"}`, ""];
  const behind = b.missing.length + b.different.length;
  const lines = [
    `## ${b.name}: ${behind === 0 ? "in sync" : "OUT OF SYNC"}${b.repaired ? ` (repaired ${b.repaired})` : ""}`,
    `  in sync    ${b.inSync}`,
    `  missing    ${b.missing.length}`,
    `  different  ${b.different.length}`,
    `  extra      ${b.extra.length}`,
  ];
  if (b.newestMissingAgeSeconds !== undefined) lines.push(`  replication lag: newest image not in sync was created ${formatAge(b.newestMissingAgeSeconds)} ago`);
  const show = (label: string, items: BackupReport["missing"], detail: (i: BackupReport["missing"][number]) => string) => {
    for (const i of items.slice(0, 20)) lines.push(`  ${label.padEnd(9)} ${i.repository}:${i.tag} -> ${i.backupRepository} ${detail(i)}`);
    if (items.length > 20) lines.push(`  ... and ${items.length - 20} more ${label}`);
  };
  show("missing", b.missing, (i) => i.digest);
  show("different", b.different, (i) => `${i.digest} != ${i.backupDigest}`);
  show("extra", b.extra, () => "(not in Harbor)");
  lines.push("");
  return lines;
}

/** Human-readable report: one table per backup. */
export function formatReport(r: VerifyReport): string {
  const lines: string[] = [];
  if (r.source.status !== "checked") {
    lines.push(`Source ${r.source.name} ${NOT_CHECKED[r.source.status]}: ${r.source.reason ?? ""}`);
  } else {
    lines.push(`Source ${r.source.name}: ${r.source.repositories} repositories, ${r.source.tags} tags`, "");
    for (const b of r.backups) lines.push(...backupSection(b));
  }
  const verdict = ["every backup is in sync", "something is missing or different", "a registry could not be checked"][r.exitCode];
  lines.push(`Result: ${verdict} (exit ${r.exitCode})`);
  return lines.join("\n");
}
