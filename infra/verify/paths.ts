/** Where a Harbor repository (`library/app`) lives on a backup. Mirrors the replication rule. */
export function backupRepository(sourceRepo: string, pathPrefix: string, keepsProjectPath: boolean): string {
  const rest = keepsProjectPath ? sourceRepo : sourceRepo.split("/").slice(1).join("/");
  return [pathPrefix.replace(/^\/+|\/+$/g, ""), rest].filter((s) => s !== "").join("/");
}

/** The inverse, for backup repositories found by listing: undefined when it cannot come from `project`. */
export function sourceRepositoryFor(backupRepo: string, pathPrefix: string, keepsProjectPath: boolean, project: string): string | undefined {
  const prefix = pathPrefix.replace(/^\/+|\/+$/g, "");
  const rest = prefix ? (backupRepo.startsWith(`${prefix}/`) ? backupRepo.slice(prefix.length + 1) : undefined) : backupRepo;
  if (rest === undefined) return undefined;
  if (keepsProjectPath) return rest.startsWith(`${project}/`) ? rest : undefined;
  return `${project}/${rest}`;
}
