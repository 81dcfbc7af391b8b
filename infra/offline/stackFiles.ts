import * as fs from "node:fs";
import * as path from "node:path";
import { parse, parseDocument } from "yaml";
import { PROJECT } from "../config";
import { formatPath } from "../config/format";
import { STACK_NAME } from "./stackName";

/** Placeholder that stands for an encrypted (`secure:`) value when rendering offline. */
export const SECRET_PLACEHOLDER = "offline-secret-placeholder";

export { REPO_ROOT } from "../repo-root";
import { REPO_ROOT } from "../repo-root";

export interface StackConfig {
  stack: string;
  /** Full key (`registry-topology:harbor`) -> value as the engine passes it (JSON for non-strings). */
  config: Record<string, string>;
  /** Full keys that hold at least one secret. */
  secretKeys: string[];
  /** Paths (`backups[0].push.password`) of the secure leaves, replaced by SECRET_PLACEHOLDER. */
  secretPaths: string[];
}

export interface ProjectConfigDecl {
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

/** A stack file that cannot be read as one: the message is one line, naming the file and what to do. */
export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

export { isStackName } from "./stackName";

export function stackFilePath(stack: string, root = REPO_ROOT): string {
  if (!STACK_NAME.test(stack)) {
    throw new StackFileError(
      `--stack ${JSON.stringify(stack)}: expected a stack name (letters, digits, '-', '_', '.') whose file is stacks/Pulumi.<name>.yaml, or a path to a Pulumi.<name>.yaml file`,
    );
  }
  return path.join(root, "stacks", `Pulumi.${stack}.yaml`);
}

/** The stack file for `--stack NAME` (under stacks/) or `--stack path/to/Pulumi.NAME.yaml`. */
export function resolveStackFile(stackOrFile: string, root = REPO_ROOT): { stack: string; file: string } {
  if (!stackOrFile.endsWith(".yaml")) return { stack: stackOrFile, file: stackFilePath(stackOrFile, root) };
  const stack = /^Pulumi\.(.+)\.yaml$/.exec(path.basename(stackOrFile))?.[1];
  if (stack === undefined || !STACK_NAME.test(stack)) {
    throw new StackFileError(`--stack ${JSON.stringify(stackOrFile)}: a stack file is named Pulumi.<stack>.yaml, with a stack name of letters, digits, '-', '_', '.'`);
  }
  return { stack, file: path.resolve(stackOrFile) };
}

const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** Parse a stack file's text; YAML errors and non-mapping documents become one-line StackFileErrors. */
export function parseStackFileText(text: string, file: string): Record<string, unknown> {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    // yaml's pretty message is "<what> at line L, column C:" followed by a code frame: keep line one.
    throw new StackFileError(`${file}: YAML syntax error: ${err.message.split("\n")[0]!.replace(/:$/, "")}`);
  }
  const value: unknown = doc.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new StackFileError(`${file}: expected a mapping with a config: key, found ${Array.isArray(value) ? "a list" : `a ${typeof value}`}`);
  }
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!STACK_FILE_KEYS.includes(key)) {
      throw new StackFileError(`${file}: unknown top-level key "${key}"; expected config${key.toLowerCase().startsWith("conf") ? " (misspelled?)" : ""} or one of ${STACK_FILE_KEYS.slice(1).join(", ")}`);
    }
  }
  const config = obj.config;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
    throw new StackFileError(`${file}: config: expected a mapping of <namespace>:<key> to values, found ${Array.isArray(config) ? "a list" : `a ${typeof config}`}`);
  }
  return obj;
}

export function listStacks(root = REPO_ROOT): string[] {
  return fs
    .readdirSync(path.join(root, "stacks"))
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();
}

/** A path as the user would recognise it: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith("..") ? rel : file;
}

/** Project config declarations (Pulumi.yaml `config:`), whose defaults apply to every stack. */
export function readProjectConfig(root = REPO_ROOT): Record<string, ProjectConfigDecl> {
  const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { config?: Record<string, ProjectConfigDecl> };
  return project.config ?? {};
}

/**
 * A parsed stack document as the engine presents it to the program: project defaults, then the
 * stack's keys; `secure:` leaves become placeholders. Pure (the mutation suite calls it).
 */
export function stackConfigFromDocument(stack: string, doc: Record<string, unknown>, project: Record<string, ProjectConfigDecl>): StackConfig {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const secretPaths: string[] = [];
  for (const [key, decl] of Object.entries(project)) {
    if (decl && typeof decl === "object" && "default" in decl) {
      config[`${PROJECT}:${key}`] = typeof decl.default === "string" ? decl.default : JSON.stringify(decl.default);
    }
  }
  for (const [fullKey, raw] of Object.entries((doc.config ?? {}) as Record<string, unknown>)) {
    const [ns, ...rest] = fullKey.split(":");
    const key = rest.join(":");
    const found: string[] = [];
    const value = unwrapSecure(raw, ns === PROJECT ? [key] : [fullKey], found);
    if (found.length > 0) secretKeys.push(fullKey);
    secretPaths.push(...found);
    config[fullKey] = typeof value === "string" ? value : JSON.stringify(value ?? null);
  }
  return { stack, config, secretKeys, secretPaths };
}

/**
 * Read a stack file (and the project's config defaults) the way the engine would present it to
 * the program, without decrypting anything. Throws StackFileError (one line) for a bad name,
 * a missing or unreadable file, a YAML error or a document that is not a mapping.
 */
export function readStackConfig(stackOrFile: string, root = REPO_ROOT): StackConfig {
  const { stack, file } = resolveStackFile(stackOrFile, root);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const shown = displayPath(file);
    if (code === "ENOENT") throw new StackFileError(`No stack file ${shown}. Stacks: ${listStacks(root).join(", ")}`);
    throw new StackFileError(`Cannot read stack file ${shown}: ${code ?? (e as Error).message}`);
  }
  return stackConfigFromDocument(stack, parseStackFileText(text, displayPath(file)), readProjectConfig(root));
}
