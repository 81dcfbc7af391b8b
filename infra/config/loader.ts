// The pure loader: stack config as the engine hands it to the program (full key -> string, JSON
// for non-strings) -> TopologyConfig, or a ConfigError listing every problem by key path.
// loadTopologyConfig (config/load.ts) feeds it from the running stack; the offline tools and
// the mutation suite feed it from stack files.
import { ConfigError, parseTopologyConfig, PROJECT, type TopologyConfig } from "../config";
import { CONFIG_KEYS } from "./schema";
import { nearMiss } from "./suggest";

function decode(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // plain strings are passed through unquoted by the engine
  }
}

/** Problems with the full keys themselves: a misspelled namespace, an unknown key of ours. */
export function keyProblems(fullKeys: readonly string[]): string[] {
  const problems: string[] = [];
  for (const fullKey of fullKeys) {
    const colon = fullKey.indexOf(":");
    if (colon <= 0) {
      problems.push(`${fullKey}: a config key needs a namespace; expected "${PROJECT}:${fullKey}" (or <provider>:${fullKey})`);
      continue;
    }
    const ns = fullKey.slice(0, colon);
    const key = fullKey.slice(colon + 1);
    if (ns !== PROJECT) {
      if (nearMiss(ns, [PROJECT])) {
        problems.push(`${fullKey}: unknown namespace "${ns}", so this key would be ignored; did you mean "${PROJECT}:${key}"?`);
      }
      continue; // provider config (kubernetes:, azure-native:, gcp: ...) is not ours to check
    }
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      const guess = nearMiss(key, CONFIG_KEYS);
      problems.push(`${key}: unknown key; ${guess ? `did you mean "${guess}"? ` : ""}expected one of ${CONFIG_KEYS.join(", ")}`);
    }
  }
  return problems;
}

/**
 * Validate the stack's config. `isSecretKey(fullKey)` says whether the engine holds that
 * top-level key as a secret (a credential under a plain key is refused).
 */
export function topologyConfigFromEntries(all: Readonly<Record<string, string>>, isSecretKey: (fullKey: string) => boolean): TopologyConfig {
  const problems = keyProblems(Object.keys(all));
  const prefix = `${PROJECT}:`;
  const raw: Record<string, unknown> = {};
  for (const key of CONFIG_KEYS) {
    const text = all[prefix + key];
    if (text !== undefined) raw[key] = decode(text);
  }
  const isSecretPath = (path: string) => isSecretKey(prefix + path.split(/[.[]/)[0]);
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
