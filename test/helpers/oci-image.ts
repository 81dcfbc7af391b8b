/**
 * Build small container images as OCI image layouts without any container engine, and move
 * them with skopeo.
 *
 *   const img = buildOciImage(dir, { tag: "v1", files: { "hello.txt": "hello" } });
 *   await pushImage(img, "127.0.0.1:5101/library/hello:v1", { username, password });
 *   // img.digest = the manifest digest (the index digest with `platforms`), stable for the same input
 *
 * Output is deterministic: same files, tag and platforms give the same digests (tar entries have
 * mtime 0 and uid/gid 0; gzip has no timestamp), so tests can compare digests across registries.
 */
import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
} as const;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageOptions {
  tag: string;
  /** Files of the single layer: path inside the image -> content. Default: one `hello.txt`. */
  files?: Record<string, string | Buffer>;
  /**
   * One platform (default linux/amd64) builds a single manifest. Several build one manifest per
   * platform (each layer also carries `/platform.txt`) behind an OCI image index.
   */
  platforms?: Platform[];
  /** Image creation time (RFC 3339) recorded in each config's `created`; omitted by default. */
  created?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
}

export interface BuiltImage {
  /** The OCI layout directory. */
  dir: string;
  tag: string;
  /** What a pull by tag resolves to: the manifest digest, or the index digest for several platforms. */
  digest: string;
  mediaType: string;
  /** One manifest per platform. */
  manifests: Descriptor[];
  /** skopeo source reference: oci:<dir>:<tag> */
  ref: string;
}

export function sha256(data: Buffer | string): string {
  return `sha256:${crypto.createHash("sha256").update(data).digest("hex")}`;
}

/** A ustar archive with regular files (mode 0644, uid/gid 0, mtime 0), entries in the given order. */
export function tarFiles(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8");
    if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name longer than 100 bytes: ${name}`);
    const h = Buffer.alloc(512, 0);
    const put = (s: string, off: number, len: number): void => void h.write(s, off, len, "ascii");
    h.write(name, 0, 100, "utf8");
    put("0000644\0", 100, 8);
    put("0000000\0", 108, 8);
    put("0000000\0", 116, 8);
    put(`${body.length.toString(8).padStart(11, "0")}\0`, 124, 12);
    put("00000000000\0", 136, 12);
    put("        ", 148, 8);
    put("0", 156, 1);
    put("ustar\0", 257, 6);
    put("00", 263, 2);
    let sum = 0;
    for (const b of h) sum += b;
    put(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

function writeBlob(dir: string, data: Buffer): string {
  const digest = sha256(data);
  const file = path.join(dir, "blobs", "sha256", digest.slice("sha256:".length));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  return digest;
}

const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v), "utf8");

function buildManifest(dir: string, files: Record<string, string | Buffer>, platform: Platform, created?: string): Descriptor {
  const tar = tarFiles(files);
  const gz = zlib.gzipSync(tar, { level: 9 });
  const layer = writeBlob(dir, gz);
  const config = json({
    ...(created ? { created } : {}),
    architecture: platform.architecture,
    os: platform.os,
    ...(platform.variant ? { variant: platform.variant } : {}),
    config: { Cmd: ["/hello.txt"] },
    rootfs: { type: "layers", diff_ids: [sha256(tar)] },
    history: [{ created_by: "test/helpers/oci-image.ts" }],
  });
  const configDigest = writeBlob(dir, config);
  const manifest = json({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: config.length },
    layers: [{ mediaType: MEDIA.layer, digest: layer, size: gz.length }],
  });
  return { mediaType: MEDIA.manifest, digest: writeBlob(dir, manifest), size: manifest.length, platform };
}

/** Write an OCI image layout to `dir` (created; an existing layout there gains this tag). */
export function buildOciImage(dir: string, opts: ImageOptions): BuiltImage {
  const files = opts.files ?? { "hello.txt": `hello from ${opts.tag}\n` };
  const platforms = opts.platforms ?? [{ os: "linux", architecture: "amd64" }];
  if (platforms.length === 0) throw new Error("platforms: expected at least one");
  fs.mkdirSync(dir, { recursive: true });
  const manifests = platforms.map((p) =>
    buildManifest(dir, platforms.length > 1 ? { ...files, "platform.txt": `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}\n` } : files, p, opts.created),
  );
  let top: Descriptor;
  if (manifests.length === 1) {
    top = manifests[0]!;
  } else {
    const index = json({ schemaVersion: 2, mediaType: MEDIA.index, manifests });
    top = { mediaType: MEDIA.index, digest: writeBlob(dir, index), size: index.length };
  }
  const indexPath = path.join(dir, "index.json");
  const existing = fs.existsSync(indexPath)
    ? (JSON.parse(fs.readFileSync(indexPath, "utf8")) as { manifests: (Descriptor & { annotations?: Record<string, string> })[] }).manifests
    : [];
  const kept = existing.filter((m) => m.annotations?.["org.opencontainers.image.ref.name"] !== opts.tag);
  const entry = { mediaType: top.mediaType, digest: top.digest, size: top.size, annotations: { "org.opencontainers.image.ref.name": opts.tag } };
  fs.writeFileSync(indexPath, JSON.stringify({ schemaVersion: 2, manifests: [...kept, entry] }));
  fs.writeFileSync(path.join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return { dir, tag: opts.tag, digest: top.digest, mediaType: top.mediaType, manifests, ref: `oci:${dir}:${opts.tag}` };
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Run a command with a hard time bound (SIGKILL at `timeoutMs`); never throws on a non-zero exit. */
export function run(cmd: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : null) : 0,
        stdout: String(stdout),
        stderr: e && typeof e.code === "string" ? `${String(stderr)}${e.message}` : String(stderr),
        ms: performance.now() - t0,
        timedOut: Boolean(e?.killed),
      });
    });
  });
}

export interface SkopeoAuth {
  username: string;
  password: string;
}

/** `skopeo <args>`, bounded; throws with skopeo's stderr (never the password) when it fails. */
export async function skopeo(args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  const r = await run("skopeo", args, timeoutMs);
  if (r.code !== 0) throw new Error(`skopeo ${args[0]} failed (${r.timedOut ? "timed out" : `exit ${r.code}`}): ${r.stderr.trim().split("\n").slice(-3).join(" | ")}`);
  return r;
}

/**
 * Push a built image to `dest` ("host:port/repo:tag", plain HTTP allowed). With several platforms
 * all of them are copied (`--all`) and digests are kept as built.
 */
export async function pushImage(img: BuiltImage, dest: string, auth?: SkopeoAuth, timeoutMs = 60_000): Promise<CommandResult> {
  const args = ["copy", "--quiet", "--all", "--preserve-digests", "--dest-tls-verify=false"];
  if (auth) args.push("--dest-creds", `${auth.username}:${auth.password}`);
  return skopeo([...args, img.ref, `docker://${dest}`], timeoutMs);
}
