/**
 * Reading an archive through rclone (the same tool and remote the archive job writes with). The
 * remote comes from RCLONE_CONFIG_STORE_* variables in `env`; nothing secret goes on a command line.
 */
import { execFile } from "node:child_process";
import { completeSnapshots } from "./snapshots";

export class StoreError extends Error {}

export interface StoreLocation {
  /** rclone path of the archive root, e.g. store:registry-archive */
  path: string;
  /** RCLONE_CONFIG_STORE_* variables. */
  env: Record<string, string>;
  /** Epoch ms after which no rclone call may run (verify's --deadline); none: 600 s per call. */
  deadlineAt?: number;
}

export interface RcloneResult {
  stdout: string;
  stderr: string;
}

export function rclone(loc: StoreLocation, args: string[], timeoutMs = 600_000): Promise<RcloneResult> {
  const env = { ...process.env, ...loc.env, RCLONE_CONFIG: "/dev/null" };
  const left = loc.deadlineAt === undefined ? timeoutMs : Math.min(timeoutMs, loc.deadlineAt - Date.now());
  if (left <= 0) return Promise.reject(new StoreError(`rclone ${args[0]} not started: the deadline has passed`));
  return new Promise((resolve, reject) => {
    execFile("rclone", args, { env, timeout: left, killSignal: "SIGKILL", maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const last = String(stderr).trim().split("\n").slice(-2).join(" | ");
        reject(new StoreError(`rclone ${args[0]} failed: ${last || (err as Error).message}`));
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Complete snapshots, oldest first ([] when the archive holds none yet). */
export async function listSnapshots(loc: StoreLocation): Promise<string[]> {
  try {
    const r = await rclone(loc, ["lsf", "-R", "--files-only", "--include", "/*/index.json", `${loc.path}/snapshots`]);
    return completeSnapshots(r.stdout.split("\n"));
  } catch (e) {
    if (e instanceof StoreError && /directory not found/i.test(e.message)) return [];
    throw e;
  }
}

export async function readText(loc: StoreLocation, rel: string): Promise<string> {
  return (await rclone(loc, ["cat", `${loc.path}/${rel}`])).stdout;
}
