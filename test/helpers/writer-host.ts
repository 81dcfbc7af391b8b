/**
 * The node file writer (components/mirrors/writer.sh) run for real against a fake host root:
 * busybox applets only on PATH (as in the writer image), optionally inside a private mount
 * namespace (util-linux `unshare -m`; root here, `unshare -rm` otherwise) where the test mounts a
 * small tmpfs (a full scratch or host filesystem) or a read-only bind mount before the writer
 * starts. Nothing is skipped when a tool is missing: the helper throws and says which package.
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { NodeFile } from "../../components/mirrors/nodeFiles";
import { publicConfigData, secretData, WRITER_SCRIPT } from "../../components/mirrors/writer";

export const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
const UNSHARE = ["/usr/bin/unshare", "/bin/unshare"].find((p) => fs.existsSync(p));

/** A directory of busybox applet links: the only PATH the writer gets. */
export function busyboxPath(dir: string): string {
  if (!BUSYBOX) throw new Error("busybox is not installed (Debian package busybox; .ci/run installs it)");
  const bin = path.join(dir, "bb");
  fs.mkdirSync(bin, { recursive: true });
  const list = execFileSync(BUSYBOX, ["--list"], { encoding: "utf8" });
  for (const applet of list.split("\n").filter(Boolean)) fs.symlinkSync(BUSYBOX, path.join(bin, applet));
  return bin;
}

/** Put the ConfigMap + Secret keys where the projected volume would. */
export function writeSources(src: string, files: readonly NodeFile[]): void {
  fs.rmSync(src, { recursive: true, force: true });
  fs.mkdirSync(src, { recursive: true });
  for (const [k, v] of Object.entries({ ...publicConfigData(files), ...secretData(files) })) fs.writeFileSync(path.join(src, k), v);
}

export interface WriterRun {
  code: number | null;
  out: string;
}

export interface RunOptions {
  env: Record<string, string>;
  /**
   * Shell (dash, host tools on PATH) run inside a private mount namespace before the writer, e.g.
   * a tmpfs mount; `after` runs there after it (e.g. copy a tree out of the tmpfs). The writer's
   * exit code is kept.
   */
  before?: string;
  after?: string;
  /** Spawn in its own process group (so a test can kill the writer and its children at once). */
  onSpawn?: (pid: number) => void;
  timeoutMs?: number;
}

export function runWriter(base: string, o: RunOptions): Promise<WriterRun> {
  const script = path.join(base, "writer.sh");
  fs.writeFileSync(script, WRITER_SCRIPT);
  const sh = path.join(o.env.PATH!, "sh");
  let cmd: string;
  let args: string[];
  if (o.before !== undefined || o.after !== undefined) {
    if (!UNSHARE) throw new Error("unshare is not installed (Debian package util-linux)");
    const wrapper = path.join(base, "ns-wrapper.sh");
    const envArgs = Object.entries(o.env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ");
    fs.writeFileSync(
      wrapper,
      ["set -e", o.before ?? "", "set +e", `env -i ${envArgs} ${shellQuote(sh)} ${shellQuote(script)}`, "rc=$?", o.after ?? "", "exit $rc", ""].join("\n"),
    );
    cmd = UNSHARE;
    args = [...(process.getuid?.() === 0 ? ["-m"] : ["-r", "-m"]), "--propagation", "private", "/bin/sh", wrapper];
  } else {
    cmd = sh;
    args = [script];
  }
  const env = o.before !== undefined || o.after !== undefined ? { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" } : o.env;
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: o.onSpawn !== undefined });
    if (o.onSpawn && child.pid !== undefined) o.onSpawn(child.pid);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 30_000);
    child.on("exit", (code) => (clearTimeout(t), resolve({ code, out })));
  });
}

export const shellQuote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/** Every entry under `root`: files with sha256 and mode, directories and symlinks with mode/target. */
export function snapshotTree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = path.join(root, rel);
    const st = fs.lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `link ${fs.readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      if (rel !== "") out[rel + "/"] = `dir ${mode}`;
      for (const e of fs.readdirSync(abs).sort()) walk(path.join(rel, e));
    } else out[rel] = `file ${mode} ${createHash("sha256").update(fs.readFileSync(abs)).digest("hex")}`;
  };
  walk("");
  return out;
}

/**
 * Shell (for RunOptions.before) that mounts a tmpfs at `dir` and leaves exactly `freePages` 4 KiB
 * pages free on it (a filler file takes the rest); `prepare` runs between mount and fill.
 */
export function fullTmpfs(dir: string, freePages: number, prepare = ""): string {
  const f = shellQuote(path.join(dir, ".filler"));
  return [
    `mkdir -p ${shellQuote(dir)}`,
    `mount -t tmpfs -o size=4m,mode=0755 tmpfs ${shellQuote(dir)}`,
    prepare,
    `dd if=/dev/zero of=${f} bs=4096 2>/dev/null || true`,
    `truncate -s -${freePages * 4096} ${f}`,
  ].join("\n");
}
