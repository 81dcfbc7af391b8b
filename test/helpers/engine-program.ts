/**
 * Runs the program as the Pulumi engine loads it (test/fixtures/engine-load.js: the SDK's own
 * cmd/run `run()` with the language host's --pwd and environment) under the mock monitor, in a
 * child process, and returns how it was compiled and the `__provider` text of every dynamic type.
 */
import { execFile } from "node:child_process";
import * as path from "node:path";
import { readStackConfig } from "../../infra/offline/stackFiles";

export interface EngineLoad {
  /** Program directory and entry point as the engine derives them from Pulumi.yaml main. */
  pwd: string;
  main: string;
  /** The program's cwd while it ran. */
  cwd: string;
  /** tsconfig ts-node used (null: none, ts-node's own defaults). */
  tsconfig: string | null;
  transpileOnly: boolean | null;
  /** ts.ModuleKind ts-node compiled with (1 = CommonJS, 199 = NodeNext). */
  module: number | null;
  resources: number;
  /** Type token -> `__provider` text, exactly as the SDK serialized it for the engine. */
  providers: Record<string, string>;
}

const ROOT = path.resolve(__dirname, "..", "..");

export function loadProgramAsEngine(stack: string): Promise<EngineLoad> {
  const cfg = readStackConfig(stack);
  const env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    // How the language host hands config to the program (sdk/nodejs/runtime/config.ts).
    PULUMI_CONFIG: JSON.stringify(cfg.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(cfg.secretKeys),
    ENGINE_LOAD_STACK: cfg.stack,
  };
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [path.join(ROOT, "test/fixtures/engine-load.js")], { cwd: ROOT, env, maxBuffer: 64 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`engine-load failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as EngineLoad);
    });
  });
}
