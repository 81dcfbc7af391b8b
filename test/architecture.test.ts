// The dependency rules a newcomer relies on: components are a library (nothing under
// components/ reaches into infra/, the program that uses them), and no module imports itself
// back through others. Relative imports are read from the source text.
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.join(__dirname, "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    if (statSync(p).isDirectory()) return n === "node_modules" ? [] : tsFiles(p);
    return p.endsWith(".ts") && !p.endsWith(".d.ts") ? [p] : [];
  });
}

/** Relative module specifiers of `import … from`, `export … from` and `import("…")`. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\(\s*)"(\.{1,2}\/[^"]+)"/g)].map((m) => m[1] ?? "");
  return specs.map((s) => {
    const base = path.resolve(path.dirname(file), s);
    for (const c of [`${base}.ts`, path.join(base, "index.ts")]) {
      try {
        if (statSync(c).isFile()) return c;
      } catch {
        /* try the next candidate */
      }
    }
    return base;
  });
}

const files = ["components", "infra", "policy", "bench"].flatMap((d) => tsFiles(path.join(ROOT, d)));

describe("architecture", () => {
  it("no file under components/ imports from infra/", () => {
    const offenders = tsFiles(path.join(ROOT, "components")).flatMap((f) =>
      relativeImports(f)
        .filter((t) => t.startsWith(path.join(ROOT, "infra") + path.sep))
        .map((t) => `${path.relative(ROOT, f)} -> ${path.relative(ROOT, t)}`),
    );
    expect(offenders).toEqual([]);
  });

  it("has no import cycle", () => {
    const graph = new Map(files.map((f) => [f, relativeImports(f).filter((t) => t.endsWith(".ts"))]));
    const cycles: string[] = [];
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, "open");
      stack.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === "open") cycles.push([...stack.slice(stack.indexOf(t)), t].map((x) => path.relative(ROOT, x)).join(" -> "));
        else if (!state.has(t)) visit(t);
      }
      stack.pop();
      state.set(f, "done");
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});
