import { ConfigError, parseTopologyConfig } from "../../infra/config";

/** The keyed problems the config loader reports for a raw config ([] when it is valid). */
export function problems(raw: Record<string, unknown>, isSecretPath?: (p: string) => boolean): string[] {
  try {
    parseTopologyConfig(raw, isSecretPath);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}
