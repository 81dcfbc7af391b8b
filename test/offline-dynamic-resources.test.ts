// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Offline commands register dynamic resources without serializing their providers
// (components/shared/dynamic-resource.ts): the same resources, types and inputs as the SDK's own
// pulumi.dynamic.Resource, only `__provider` says it was not serialized. And the exporter bundle
// cache gives exactly the compiler's bundle, and rebuilds when a source changes.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { bundleExporter, cachedExporterBundle, EXPORTER_ENTRY, EXPORTER_ROOT } from "../infra/exporter/bundle";
import { buildPlan } from "../infra/offline/plan";
import { renderStack } from "./helpers/render";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..");

describe("offline dynamic resources", () => {
  it("npm run render's plan equals a serializing render's except for __provider", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "offline-dyn-"));
    try {
      const cli = ["-r", "ts-node/register/transpile-only", path.join(ROOT, "infra", "offline", "render-cli.ts")];
      await run(process.execPath, [...cli, "--stack", "prod", "--out", out], { timeout: 120_000 });
      const offline = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8")) as ReturnType<typeof buildPlan>;
      // In this process nothing asked for the offline base: the SDK serializes, as under the engine.
      const serialized = JSON.parse(JSON.stringify(buildPlan(await renderStack("prod")))) as ReturnType<typeof buildPlan>;
      const dynamic = (p: typeof offline) => p.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
      expect(dynamic(offline).length).toBeGreaterThan(5);
      for (const r of dynamic(offline)) expect((r.inputs as Record<string, unknown>).__provider).toMatch(/not by an offline command/);
      for (const r of dynamic(serialized)) expect((r.inputs as Record<string, unknown>).__provider).toMatch(/^\[serialized dynamic provider, sha256:[0-9a-f]{16}\]$/);
      // Registration order differs (nothing waits for a serialization): compare by URN.
      const strip = (p: typeof offline) =>
        p.resources.map((r) => ({ ...r, inputs: { ...(r.inputs as object), __provider: undefined } })).sort((a, b) => (a.urn < b.urn ? -1 : 1));
      expect(strip(offline)).toEqual(strip(serialized));
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);

  it("every offline command asks for it in its first import, and nothing under the engine does", () => {
    const entries = ["infra/offline/render-cli.ts", "infra/offline/up-cli.ts", "policy/check-cli.ts", "bench/render-one.ts"];
    for (const e of entries) {
      const first = fs.readFileSync(path.join(ROOT, e), "utf8").split("\n").find((l) => l.startsWith("import "));
      expect(first, e).toMatch(/^import "(\.\/|\.\.\/infra\/offline\/)offline-mode";/);
    }
    for (const e of ["infra/index.ts", "infra/program.ts", "policy/index.ts"]) {
      expect(fs.readFileSync(path.join(ROOT, e), "utf8"), e).not.toMatch(/offline-mode|requestOfflineDynamicResources/);
    }
  });
});

describe("exporter bundle cache", () => {
  it("returns the compiler's bundle, and a new one once a source it was built from changes", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-cache-"));
    try {
      const root = path.join(tmp, "infra");
      fs.cpSync(EXPORTER_ROOT, root, { recursive: true });
      const cacheDir = path.join(tmp, "cache");
      const first = cachedExporterBundle(root, EXPORTER_ENTRY, cacheDir);
      expect(first).toEqual(bundleExporter(root));
      expect(fs.readdirSync(cacheDir)).toHaveLength(1);
      expect(cachedExporterBundle(root, EXPORTER_ENTRY, cacheDir)).toEqual(first);
      const entry = path.join(root, EXPORTER_ENTRY);
      fs.appendFileSync(entry, "\nexport const cacheProbe = 42;\n");
      const changed = cachedExporterBundle(root, EXPORTER_ENTRY, cacheDir);
      expect(changed).not.toEqual(first);
      expect(changed).toEqual(bundleExporter(root));
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
