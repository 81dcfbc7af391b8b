import { formatIssues, formatPath } from "./config/format";
import { knownKeysAt } from "./config/introspect";
import { CREDENTIAL_FIELDS } from "./config/primitives";
import { topologySchema, type TopologyConfig } from "./config/schema";

export type { TopologyConfig } from "./config/schema";
export type { BackupConfig, BackupKind } from "./config/backups";
export type { HarborConfig } from "./config/harbor";
export type { RegionConfig, Runtime } from "./config/regions";
export type { ReplicationConfig } from "./config/replication";

/** The Pulumi project name; every config key is `registry-topology:<key>`. */
export const PROJECT = "registry-topology";

/** Every problem in the stack's config, one line each. Thrown before any resource is registered. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        `\nKeys are under "${PROJECT}:" in stacks/Pulumi.<stack>.yaml; see docs/configuration.md and docs/config-reference.md.`,
    );
    this.name = "ConfigError";
  }
}

/** Paths (as `backups[0].push.password`) of credential values present in the raw config. */
export function credentialPaths(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => credentialPaths(v, [...path, i]));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) =>
    CREDENTIAL_FIELDS.has(k) && typeof v === "string" ? [[...path, k]] : credentialPaths(v, [...path, k]),
  );
}

/**
 * Validate raw config (top-level key -> value) into a TopologyConfig. Credentials become Pulumi
 * secrets; a credential that was not stored as a secret is an error (it would sit in plain text
 * in the stack file and in state).
 */
export function parseTopologyConfig(
  raw: Record<string, unknown>,
  isSecretPath: (path: string) => boolean = () => true,
): TopologyConfig {
  const problems: string[] = [];
  const result = topologySchema.safeParse(raw);
  if (!result.success) problems.push(...formatIssues(result.error.issues, raw, (path) => knownKeysAt(topologySchema, raw, path)));
  for (const path of credentialPaths(raw)) {
    const key = formatPath(path);
    if (!isSecretPath(key)) {
      problems.push(
        `${key}: expected a Pulumi secret, found plain text; run: npx pulumi config set --secret --path '${key}' <value>`,
      );
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}
