import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT } from "../config";
import { formatPath } from "../config/format";

/** Placeholder that stands for an encrypted (`secure:`) value when rendering offline. */
export const SECRET_PLACEHOLDER = "offline-secret-placeholder";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface StackConfig {
  stack: string;
  /** Full key (`registry-topology:harbor`) -> value as the engine passes it (JSON for non-strings). */
  config: Record<string, string>;
  /** Full keys that hold at least one secret. */
  secretKeys: string[];
  /** Paths (`backups[0].push.password`) of the secure leaves, replaced by SECRET_PLACEHOLDER. */
  secretPaths: string[];
}

interface ProjectConfigDecl {
  type?: string;
  default?: unknown;
}

/** Replace `{ secure: ... }` leaves with a placeholder and collect their paths. */
function unwrapSecure(value: unknown, at: (string | number)[], secretPaths: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => unwrapSecure(v, [...at, i], secretPaths));
  if (value !== null && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (Object.keys(obj).length === 1 && typeof obj.secure === "string") {
      secretPaths.push(formatPath(at));
      return SECRET_PLACEHOLDER;
    }
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrapSecure(v, [...at, k], secretPaths)]));
  }
  return value;
}

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  return path.join(root, "stacks", `Pulumi.${stack}.yaml`);
}

export function listStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(path.join(root, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/**
 * Read a stack file (and the project's config defaults) the way the engine would present it to
 * the program, without decrypting anything.
 */
export function readStackConfig(stackOrFile: string, root = REPO_ROOT): StackConfig {
  const file = stackOrFile.endsWith(".yaml") ? path.resolve(stackOrFile) : stackFilePath(stackOrFile, root);
  if (!fs.existsSync(file)) {
    throw new Error(`No stack file ${file}. Stacks: ${listStacks(root).join(", ")}`);
  }
  const stack = /Pulumi\.(.+)\.yaml$/.exec(path.basename(file))?.[1] ?? path.basename(file, ".yaml");
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, ProjectConfigDecl> };
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretPaths: string[] = [];
  for (const [key, decl] of Object.entries(project.config ?? {})) {
    if (decl && typeof decl === "object" && "default" in decl) {
      config[`${PROJECT}:${key}`] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
    }
  }
  for (const [fullKey, raw] of Object.entries(doc.config ?? {})) {
    const [ns, ...rest] = fullKey.split(":");
    const key = rest.join(":");
    const found: string[] = [];
    const value = unwrapSecure(raw, ns === PROJECT ? [key] : [fullKey], found);
    if (found.length > 0) secretKeys.push(fullKey);
    secretPaths.push(...found);
    config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { stack, config, secretKeys, secretPaths };
}
