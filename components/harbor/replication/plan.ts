/**
 * Pure decisions of the replication wiring: names, destination paths and filters. One policy per
 * (backup, project): exact per-project coverage the policy pack can check, a destination namespace
 * per project, and one failing project does not hide another.
 */
import type { ReplicationSettings } from "../args";
import type { PolicyFilters } from "../api/policy-provider";

/** Name of the pull-only robot the region mirrors use (Harbor shows robot$region-mirrors). */
export const MIRROR_ROBOT_NAME = "region-mirrors";

/** Harbor projects that exist from install on: adopted instead of created. */
export const BUILTIN_PROJECTS = ["library"];

export function policyName(backup: string, project: string): string {
  return `${backup}-${project}`;
}

/**
 * Where `<project>/<repo>` lands on a backup: with keepsProjectPath, `<prefix>/<project>/<repo>`
 * (an empty prefix keeps the source path); otherwise `<prefix>/<repo>` (project level dropped).
 */
export function destinationPath(pathPrefix: string, keepsProjectPath: boolean): { namespace: string; replaceCount: number } {
  const namespace = pathPrefix.replace(/^\/+|\/+$/g, "");
  return { namespace, replaceCount: keepsProjectPath ? 0 : 1 };
}

export function policyFilters(project: string, replication: ReplicationSettings): PolicyFilters {
  const filters: PolicyFilters = { name: `${project}/${replication.repositoryFilter}` };
  if (replication.tagFilter) filters.tag = { pattern: replication.tagFilter.pattern, decoration: replication.tagFilter.decoration };
  return filters;
}
