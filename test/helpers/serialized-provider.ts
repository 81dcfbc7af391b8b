/**
 * Loads a serialized dynamic provider (`__provider` text) in a clean child process, the way
 * Pulumi's dynamic-provider host does (requireFromString(text).handler()), and runs a list of calls.
 * The child's cwd is an empty temp dir and its env has only PATH: nothing from this checkout.
 * Arguments and results cross google.protobuf.Struct as they do between the engine and the host
 * (@pulumi/pulumi cmd/dynamic-provider/index.js: `Struct.fromJavaScript` on check inputs, create
 * and update outs, read props/inputs; `toJavaScript` on every request), so a result the host could
 * not send (undefined anywhere: "Unexpected struct type.") fails here too. The full gRPC path is
 * test/helpers/provider-host.ts.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";

export interface ProviderCall { method: "check" | "diff" | "create" | "read" | "update" | "delete"; args: unknown[] }

/** An argument taken from an earlier call's result: `ref(0, "id")`, optionally merged with `extra`. */
export function ref(call: number, path: string, extra?: Record<string, unknown>): unknown {
  return { $ref: `${call}.${path}`, ...(extra ? { $with: extra } : {}) };
}
export interface CallOutcome { ok: boolean; value?: unknown; error?: string }

const RUNNER = `
const Module = require("module");
const fs = require("fs");
const [textFile, callsFile, structPath] = process.argv.slice(2);
const { Struct } = require(structPath);
const wire = (o) => Struct.fromJavaScript(o).toJavaScript();
const plain = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
// What the host converts, per method (cmd/dynamic-provider/index.js checkRPC ... updateRPC).
function answer(method, r) {
  if (method === "check") return { ...r, inputs: wire(r.inputs) };
  if (method === "create") return { id: r.id, outs: wire(r.outs || {}) };
  if (method === "read") return { id: r.id, props: wire(r.props || {}), ...(r.inputs ? { inputs: wire(r.inputs) } : {}) };
  if (method === "update") return { outs: wire((r || {}).outs || {}) };
  return r;
}
const m = new Module("provider");
m._compile(fs.readFileSync(textFile, "utf8"), "provider.js");
const provider = m.exports.handler();
function resolve(v, out) {
  if (Array.isArray(v)) return v.map((x) => resolve(x, out));
  if (v && typeof v === "object") {
    if (typeof v.$ref === "string") {
      const [i, ...path] = v.$ref.split(".");
      let x = out[Number(i)].value;
      for (const k of path) x = x == null ? x : x[k];
      return v.$with ? { ...x, ...resolve(v.$with, out) } : x;
    }
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, out)]));
  }
  return v;
}
(async () => {
  const out = [];
  for (const c of JSON.parse(fs.readFileSync(callsFile, "utf8"))) {
    try {
      const args = resolve(c.args, out).map((a) => (plain(a) ? wire(a) : a));
      out.push({ ok: true, value: answer(c.method, await provider[c.method](...args)) });
    }
    catch (e) { out.push({ ok: false, error: String(e && e.message || e) }); }
  }
  process.stdout.write(JSON.stringify(out));
})();
`;

export interface RunOptions {
  /** Extra environment for the child (besides PATH), e.g. a deployer key read inside the methods. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export function runSerializedProvider(text: string, calls: ProviderCall[], opts: RunOptions = {}): Promise<CallOutcome[]> {
  const { env = {}, timeoutMs = 60_000 } = opts;
  const dir = mkdtempSync(join(tmpdir(), "serialized-provider-"));
  writeFileSync(join(dir, "provider.js"), text);
  writeFileSync(join(dir, "calls.json"), JSON.stringify(calls));
  writeFileSync(join(dir, "runner.js"), RUNNER);
  return new Promise<CallOutcome[]>((resolve, reject) => {
    const structPath = require.resolve("google-protobuf/google/protobuf/struct_pb");
    execFile(process.execPath, ["runner.js", "provider.js", "calls.json", structPath], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, timeout: timeoutMs, maxBuffer: 8 << 20 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      if (err) reject(new Error(`provider child failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as CallOutcome[]);
    });
  });
}

/**
 * Register `build()`'s dynamic resources under a throwaway mock runtime and return each type's
 * serialized `__provider` text, as the running serializer (vitest's transform, or ts-node when
 * run as the CLI would) produces it. `state` is merged into every mock resource's outputs.
 */
export async function captureProviderTexts(build: () => pulumi.Resource[], state: Record<string, unknown> = {}): Promise<Record<string, string>> {
  const seen: Record<string, string> = {};
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        if (typeof a.inputs.__provider === "string") seen[a.type] = a.inputs.__provider;
        return { id: `${a.name}-id`, state: { ...a.inputs, ...state } };
      },
      call: (a) => a.inputs,
    },
    "registry-topology",
    "closure-check",
    false,
  );
  const resources = build();
  await Promise.all(resources.map((r) => new Promise((resolve) => r.urn.apply(resolve))));
  await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
  return seen;
}
