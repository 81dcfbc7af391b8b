/**
 * The exporter as it ships: its TypeScript modules (and the verify/restore modules it reuses)
 * transpiled to CommonJS with the project's own TypeScript, flattened into one directory
 * (`verify/registry-client.ts` -> `verify__registry-client.js`, requires rewritten), for a
 * ConfigMap mounted into a pinned Node image. The exporter imports only Node's own modules, so
 * nothing else is needed in the image; a relative import that leaves infra/ or a package import is
 * refused here. Deterministic: the same sources give the same files (and the same ConfigMap).
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type * as TS from "typescript";

export const EXPORTER_ENTRY = "exporter/main.ts";
/**
 * infra/ in the source tree. The bundle is built from the TypeScript sources, also when the
 * program itself runs from its compiled copy (dist/infra/exporter/bundle.js, scripts/build.js).
 */
export const EXPORTER_ROOT = [path.join(__dirname, ".."), path.join(__dirname, "..", "..", "..", "infra")].find((d) =>
  fs.existsSync(path.join(d, EXPORTER_ENTRY)),
) ?? path.join(__dirname, "..");

const flat = (rel: string): string => `${rel.replace(/\.ts$/, "").split("/").join("__")}.js`;

/** The ConfigMap data: flattened file name -> JavaScript. The entry is `flatName(EXPORTER_ENTRY)`. */
export function bundleExporter(root = EXPORTER_ROOT, entry = EXPORTER_ENTRY): Record<string, string> {
  return bundleWithSources(root, entry).files;
}

interface Bundle { files: Record<string, string>; sources: Record<string, string> }

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/**
 * bundleExporter, reusing the last bundle while every source it was built from is unchanged (same
 * content hashes, same TypeScript version). The bundle is a function of exactly those files (the
 * imports are read from them), so the cached one is the bundle the compiler would give; loading
 * the compiler and transpiling cost every offline render about 0.6 s of CPU. A cache that cannot be
 * read or written is ignored.
 */
export function cachedExporterBundle(root = EXPORTER_ROOT, entry = EXPORTER_ENTRY, cacheDir = path.join(root, "..", "node_modules", ".cache", "registry-topology")): Record<string, string> {
  const tsVersion = (require("typescript/package.json") as { version: string }).version;
  const cacheFile = path.join(cacheDir, `exporter-bundle-${sha256(`${tsVersion}\0${root}\0${entry}`).slice(0, 16)}.json`);
  try {
    const cached = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as Bundle;
    const fresh = Object.entries(cached.sources).every(([rel, hash]) => {
      try { return sha256(fs.readFileSync(path.join(root, rel), "utf8")) === hash; } catch { return false; }
    });
    if (fresh && Object.keys(cached.sources).length > 0) return cached.files;
  } catch { /* no cache yet, or unreadable: build */ }
  const bundle = bundleWithSources(root, entry);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(bundle));
    fs.renameSync(tmp, cacheFile);
  } catch { /* read-only tree: no cache */ }
  return bundle.files;
}

function bundleWithSources(root: string, entry: string): Bundle {
  // Loaded here only: the program renders without the compiler otherwise.
  const ts = require("typescript") as typeof TS;
  const out: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const todo = [entry];
  const seen = new Set<string>();
  while (todo.length > 0) {
    const rel = todo.pop()!;
    if (seen.has(rel)) continue;
    seen.add(rel);
    const file = path.join(root, rel);
    const source = fs.readFileSync(file, "utf8");
    sources[rel] = sha256(source);
    const resolve = (spec: string): string => {
      if (!spec.startsWith(".")) {
        if (spec.startsWith("node:") || spec === "typescript") return spec;
        throw new Error(`${rel}: imports package "${spec}"; the exporter image has Node's own modules only`);
      }
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
      if (target.startsWith("..")) throw new Error(`${rel}: import "${spec}" leaves ${root}`);
      return `${target}.ts`;
    };
    // Imports are read from the JavaScript, after type-only imports are erased: a type the
    // exporter shares with its component (ExporterSettings) costs nothing at run time.
    const js = ts.transpileModule(source, {
      fileName: rel,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, removeComments: false, sourceMap: false },
    }).outputText;
    for (const m of js.matchAll(/require\("([^"]+)"\)/g)) {
      const r = resolve(m[1]!);
      if (r.endsWith(".ts")) todo.push(r);
    }
    out[flat(rel)] = js.replace(/require\("(\.{1,2}\/[^"]+)"\)/g, (_m, spec: string) => `require("./${flat(resolve(spec)).replace(/\.js$/, "")}")`);
  }
  // `import type * as TS from "typescript"` above is the only package named, and only by this file.
  return { files: Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1))), sources };
}

export const flatName = flat;
