/**
 * Run the archive job's script (components/archives/job/archive.sh, the file the CronJob mounts)
 * against a test "Harbor" and a local rclone store, the way the CronJob's containers do: the same
 * environment variables, all three phases in order.
 */
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ARCHIVE_SCRIPT_PATH } from "../../components/archives/script";
import { rcloneEnv } from "../../components/archives/types";
import type { CommandResult } from "./oci-image";

export interface ArchiveRunOptions {
  /** Scratch dir of this run (the CronJob's emptyDir: new for every run). */
  work: string;
  /** Directory of the local rclone store (rclone "local" backend). */
  storeDir: string;
  harborUrl: string;
  /** host:port of the registry (plain HTTP). */
  registry: string;
  projects: string[];
  robot: { username: string; password: string };
  timeoutMs?: number;
  /** Directory put first on PATH (fault injection: a wrapper around skopeo or rclone). */
  pathPrefix?: string;
  /**
   * Run the script under busybox sh with busybox's sed, grep, sort, cut, date, find... first on
   * PATH, as in the rclone image (Alpine: busybox) that runs the state and upload phases.
   */
  busybox?: boolean;
}

/** Text tools archive.sh uses; with `busybox` each is busybox's applet. */
const BUSYBOX_APPLETS = ["sh", "sed", "grep", "sort", "cut", "tr", "wc", "tail", "head", "cat", "date", "find", "mkdir", "rm", "mv", "base64", "sleep", "tee"];

function busyboxDir(work: string): string {
  const dir = path.join(work, "busybox-bin");
  fs.mkdirSync(dir, { recursive: true });
  const busybox = execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim();
  for (const a of BUSYBOX_APPLETS) fs.symlinkSync(busybox, path.join(dir, a));
  return dir;
}

export interface ArchiveRunSummary {
  snapshot: string;
  refs: number;
  uploadedBlobs: number;
  uploadedBytes: number;
}

/** The store as `npm run restore` and the job see it: rclone path + RCLONE_CONFIG_STORE_* variables. */
export function localStore(storeDir: string): { path: string; env: Record<string, string> } {
  return { path: `store:${storeDir}`, env: rcloneEnv({ type: "local" }) };
}

export async function runArchiveJob(o: ArchiveRunOptions): Promise<{ summary: ArchiveRunSummary; result: CommandResult }> {
  fs.rmSync(o.work, { recursive: true, force: true });
  fs.mkdirSync(o.work, { recursive: true });
  const store = localStore(o.storeDir);
  const env = {
    PATH: [o.pathPrefix, o.busybox ? busyboxDir(o.work) : undefined, process.env.PATH ?? "/usr/bin:/bin"].filter(Boolean).join(":"),
    HOME: o.work,
    RCLONE_CONFIG: "/dev/null",
    WORK: path.join(o.work, "run"),
    TMPDIR: path.join(o.work, "tmp"),
    STORE: store.path,
    HARBOR_URL: o.harborUrl,
    REGISTRY: o.registry,
    PROJECTS: o.projects.join(" "),
    TLS_VERIFY: "false",
    // One repository per page: every listing walks Harbor's pagination to its empty last page.
    HARBOR_PAGE_SIZE: "1",
    HARBOR_USERNAME: o.robot.username,
    HARBOR_PASSWORD: o.robot.password,
    ...store.env,
  };
  const result = await runWithEnv(o.busybox ? "busybox" : "/bin/sh", o.busybox ? ["sh", ARCHIVE_SCRIPT_PATH, "all"] : [ARCHIVE_SCRIPT_PATH, "all"], env, o.timeoutMs ?? 120_000);
  if (result.code !== 0) throw new Error(`archive.sh failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${result.stderr.slice(-2000)}`);
  const line = result.stdout.split("\n").find((l) => l.startsWith("snapshot="));
  const m = line && /^snapshot=(\S+) refs=(\d+) uploadedBlobs=(\d+) uploadedBytes=(\d+)$/.exec(line);
  if (!m) throw new Error(`archive.sh printed no summary line:\n${result.stdout}\n${result.stderr}`);
  return { summary: { snapshot: m[1]!, refs: Number(m[2]), uploadedBlobs: Number(m[3]), uploadedBytes: Number(m[4]) }, result };
}

/** Run with exactly `env` (no inherited variables), bounded; never throws on a non-zero exit. */
function runWithEnv(cmd: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<CommandResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      resolve({ code: e ? (typeof e.code === "number" ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr), ms: performance.now() - t0, timedOut: Boolean(e?.killed) });
    });
  });
}
