// Compiles the commands' TypeScript (infra/, components/, policy/*.ts, bench/) to dist/ so that
// `npm run render|policy|verify|restore|up|bench` start from JavaScript instead of transpiling the
// whole program at every call. Each file is transpiled on its own (ts.transpileModule, the same
// transform `ts-node --transpile-only` applied before), and only when its source is newer than
// its output; type-checking stays with `npm run typecheck` (part of `npm test`).
// Used by scripts/run.js (every command, when anything is stale) and `npm run build`.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const DIST = path.join(ROOT, "dist");
/** Source trees the commands load; policy/ only at its top level (policy/node_modules is its own). */
const TREES = [
  { dir: "infra", deep: true },
  { dir: "components", deep: true },
  { dir: "bench", deep: true },
  { dir: "policy", deep: false },
];
/** Files the code reads next to itself at run time (fs.readFileSync(path.join(__dirname, ...))). */
const ASSET = /\.(sh|cjs)$/;

function walk(rel, deep, out) {
  for (const e of fs.readdirSync(path.join(ROOT, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) {
      if (deep && e.name !== "node_modules") walk(r, deep, out);
    } else if ((e.name.endsWith(".ts") && !e.name.endsWith(".d.ts")) || ASSET.test(e.name)) out.push(r);
  }
  return out;
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

/** Every source file and where its output goes. */
function plan() {
  const files = TREES.flatMap((t) => walk(t.dir, t.deep, []));
  return files.map((src) => ({ src, out: path.join(DIST, src.endsWith(".ts") ? src.replace(/\.ts$/, ".js") : src) }));
}

/** The compiler options of tsconfig.json, as transpileModule takes them. */
function compilerOptions(ts) {
  const cfg = ts.readConfigFile(path.join(ROOT, "tsconfig.json"), ts.sys.readFile);
  if (cfg.error) throw new Error(ts.flattenDiagnosticMessageText(cfg.error.messageText, "\n"));
  const opts = ts.convertCompilerOptionsFromJson(cfg.config.compilerOptions, ROOT).options;
  return { ...opts, sourceMap: false, inlineSourceMap: true, inlineSources: false, declaration: false, noEmit: false };
}

/**
 * Brings dist/ up to date. Returns the number of files written. Cheap when nothing changed: one
 * stat per source file; the TypeScript compiler is loaded only when something is stale.
 */
function build({ quiet = false } = {}) {
  const files = plan();
  const configTime = Math.max(mtime(path.join(ROOT, "tsconfig.json")), mtime(__filename));
  const stale = files.filter((f) => mtime(f.out) < Math.max(mtime(path.join(ROOT, f.src)), configTime));
  // Outputs whose source is gone would still load if something asked for them: remove them.
  const wanted = new Set(files.map((f) => f.out));
  if (fs.existsSync(DIST)) {
    for (const t of TREES) {
      const d = path.join(DIST, t.dir);
      if (!fs.existsSync(d)) continue;
      for (const rel of walkAll(d)) if (!wanted.has(rel)) fs.rmSync(rel);
    }
  }
  if (stale.length === 0) return 0;
  const ts = require("typescript");
  const options = compilerOptions(ts);
  for (const f of stale) {
    const text = fs.readFileSync(path.join(ROOT, f.src), "utf8");
    fs.mkdirSync(path.dirname(f.out), { recursive: true });
    if (!f.src.endsWith(".ts")) {
      fs.writeFileSync(f.out, text, { mode: fs.statSync(path.join(ROOT, f.src)).mode });
      continue;
    }
    const res = ts.transpileModule(text, { compilerOptions: options, fileName: path.join(ROOT, f.src), reportDiagnostics: true });
    const errors = (res.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
    if (errors.length > 0) throw new Error(`${f.src}: ${ts.flattenDiagnosticMessageText(errors[0].messageText, "\n")}`);
    // Written to a temporary name first: a command started meanwhile never loads half a file.
    const tmp = `${f.out}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, res.outputText);
    fs.renameSync(tmp, f.out);
  }
  if (!quiet) console.error(`build: ${stale.length} of ${files.length} files compiled to ${path.relative(process.cwd(), DIST) || "dist"}/`);
  return stale.length;
}

function walkAll(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walkAll(p));
    else out.push(p);
  }
  return out;
}

module.exports = { build, DIST, ROOT };

if (require.main === module) {
  try {
    build();
  } catch (e) {
    console.error(`build: ${e.message}`);
    process.exit(1);
  }
}
