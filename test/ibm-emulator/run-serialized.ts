import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export interface ProviderCall {
  method: string;
  args: unknown[];
}
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: string };

/**
 * Load serialized `__provider` text the way Pulumi's dynamic-provider host does
 * (require-from-string, `.handler()`) in a clean child process: empty temp cwd (no node_modules),
 * environment = PATH plus `env` only. Runs `calls` in order; each call's args may reference an
 * earlier result as "$<index>.<dotted path>" (e.g. "$0.outs.iamId").
 */
export function runSerializedProvider(providerText: string, calls: ProviderCall[], env: Record<string, string> = {}): Promise<CallOutcome[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ibm-provider-"));
  fs.writeFileSync(path.join(dir, "provider.js"), providerText);
  fs.writeFileSync(path.join(dir, "calls.json"), JSON.stringify(calls));
  const runner = `
    const Module = require("module"); const fs = require("fs");
    const m = new Module("", null); m.paths = Module._nodeModulePaths(process.cwd());
    m._compile(fs.readFileSync("provider.js", "utf8"), "");
    const provider = m.exports.handler();
    const resolveRef = (out, v) => {
      if (typeof v === "string" && /^\\$\\d+\\./.test(v)) {
        const [head, ...rest] = v.slice(1).split(".");
        return rest.reduce((o, k) => (o == null ? o : o[k]), out[Number(head)] && out[Number(head)].value);
      }
      if (Array.isArray(v)) return v.map((x) => resolveRef(out, x));
      if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRef(out, x)]));
      return v;
    };
    (async () => {
      const out = [];
      for (const c of JSON.parse(fs.readFileSync("calls.json", "utf8"))) {
        try { out.push({ ok: true, value: await provider[c.method](...resolveRef(out, c.args)) }); }
        catch (e) { out.push({ ok: false, error: String((e && e.message) || e) }); }
      }
      process.stdout.write(JSON.stringify(out));
    })();`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", runner], { cwd: dir, env: { PATH: process.env.PATH ?? "", ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      fs.rmSync(dir, { recursive: true, force: true });
      if (err) return reject(new Error(`${err.message}\n${stderr}`));
      resolve(JSON.parse(stdout) as CallOutcome[]);
    });
  });
}
