import * as pulumi from "@pulumi/pulumi";
import { formatIssues, formatPath } from "./config/format";
import { CREDENTIAL_FIELDS } from "./config/primitives";
import { CONFIG_KEYS, topologySchema, type TopologyConfig } from "./config/schema";

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
        `\nKeys are under "${PROJECT}:" in stacks/Pulumi.<stack>.yaml; see the README's configuration reference.`,
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
  if (!result.success) problems.push(...formatIssues(result.error.issues, raw));
  for (const path of credentialPaths(raw)) {
    const key = formatPath(path);
    if (!isSecretPath(key)) {
      problems.push(
        `${key}: expected a Pulumi secret, found plain text; run: pulumi config set --secret --path '${key}' <value>`,
      );
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return result.data;
}

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // plain strings are passed through unquoted by the engine
  }
}

/** Read `registry-topology:*` from the running stack (CLI or mocks) and validate it. */
export function loadTopologyConfig(): TopologyConfig {
  const raw: Record<string, unknown> = {};
  const prefix = `${PROJECT}:`;
  const unknownKeys: string[] = [];
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) unknownKeys.push(key);
  }
  for (const key of CONFIG_KEYS) {
    const text = pulumi.runtime.getConfig(prefix + key);
    if (text !== undefined) raw[key] = decode(text);
  }
  const runtime = pulumi.runtime as unknown as { isConfigSecret(k: string): boolean };
  const isSecretPath = (path: string) => runtime.isConfigSecret(prefix + path.split(/[.[]/)[0]);
  // Unknown keys are reported together with every other problem.
  const problems = unknownKeys.map((key) => `${key}: unknown key; expected one of ${CONFIG_KEYS.join(", ")}`);
  let config: TopologyConfig | undefined;
  try {
    config = parseTopologyConfig(raw, isSecretPath);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return config;
}
