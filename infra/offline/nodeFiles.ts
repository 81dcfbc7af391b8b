// Node files for image baking and cloud-init users: the same files the region DaemonSets write,
// read back from the ConfigMaps and Secrets the program registered, laid out as
// nodes/<region>/<role>/<absolute path>. Secret values become placeholders unless asked for.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { parseWriterManifest } from "../../components/mirrors/writer";
import { unwrapSecrets } from "../../components/shared/wire";
import { CREDENTIAL_FIELDS } from "../config/primitives";
import type { RecordedResource } from "./mockRuntime";

export interface OfflineNodeFile {
  region: string;
  role: string;
  path: string;
  mode: string;
  secret: boolean;
  content: string;
}

/** Replace every credential value in a YAML document with a placeholder naming where it goes. */
export function redactYaml(text: string, label: string): string {
  const lead = text.match(/^(#[^\n]*\n)*/)?.[0] ?? "";
  const doc = YAML.parse(text) as unknown;
  const walk = (v: unknown, at: string): unknown => {
    if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`));
    if (v === null || typeof v !== "object") return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, CREDENTIAL_FIELDS.has(k) ? `<secret: ${label} ${at}${k}>` : walk(x, `${at}${k}.`)]),
    );
  };
  return lead + YAML.stringify(walk(doc, ""));
}

/** A secret node file as offline renders show it: a PEM private key whole, a YAML config per credential field. */
export function redactSecretFile(text: string, label: string): string {
  if (/-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text)) return `<secret: ${label} (PEM private key)>\n`;
  return redactYaml(text, label);
}

const labelsOf = (r: RecordedResource) => ((unwrapSecrets(r.inputs.metadata) as { labels?: Record<string, string> } | undefined)?.labels ?? {});

/** Every node file the recorded program would deliver. */
export function nodeFilesFromResources(resources: readonly RecordedResource[], opts: { withSecrets?: boolean } = {}): OfflineNodeFile[] {
  const isWriterObject = (r: RecordedResource) => labelsOf(r)["registry-topology/role"] !== undefined;
  const secrets = new Map(
    resources
      .filter((r) => r.type === "kubernetes:core/v1:Secret" && isWriterObject(r))
      .map((r) => [r.name, (unwrapSecrets(r.inputs.stringData) ?? {}) as Record<string, unknown>]),
  );
  const out: OfflineNodeFile[] = [];
  for (const cm of resources.filter((r) => r.type === "kubernetes:core/v1:ConfigMap" && isWriterObject(r))) {
    const labels = labelsOf(cm);
    const data = (unwrapSecrets(cm.inputs.data) ?? {}) as Record<string, unknown>;
    const region = labels["registry-topology/region"]!;
    const role = labels["registry-topology/role"]!;
    for (const entry of parseWriterManifest(String(data.manifest ?? ""))) {
      const secret = entry.key.startsWith("s");
      const raw = secret ? secrets.get(cm.name)?.[entry.key] : data[entry.key];
      if (typeof raw !== "string") throw new Error(`${cm.name}: no content for ${entry.path} (key ${entry.key})`);
      const content = secret && !opts.withSecrets ? redactSecretFile(String(unwrapSecrets(raw)), `Secret ${cm.name} key ${entry.key}`) : String(unwrapSecrets(raw));
      out.push({ region, role, path: entry.path, mode: entry.mode, secret, content });
    }
  }
  return out;
}

/** Write files under `<outDir>/<region>/<role>/<absolute path>`; returns the written paths. */
export function writeNodeFiles(outDir: string, files: readonly OfflineNodeFile[]): string[] {
  return files.map((f) => {
    const target = path.join(outDir, f.region, f.role, f.path);
    if (!target.startsWith(path.join(outDir, f.region, f.role) + path.sep)) throw new Error(`node file path escapes the output directory: ${f.path}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, f.content, { mode: parseInt(f.mode, 8) });
    fs.chmodSync(target, parseInt(f.mode, 8));
    return target;
  });
}
