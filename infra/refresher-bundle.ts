/**
 * The token refresher as it ships: components/refresher/main.ts and the packages it uses
 * (@aws-sdk/client-ecr, @alicloud/pop-core, zod) bundled by esbuild into one CommonJS file, for a
 * ConfigMap mounted into the pinned Node image (components/shared/images.ts NODE_IMAGE): no image
 * of our own to build or pin. Deterministic for the same sources and lockfile (esbuild's output
 * is; no source map, no build time, paths relative to the repository root), so the ConfigMap
 * changes only when the code does.
 *
 * Cached under node_modules/.cache by the content hashes of every input esbuild read (its
 * metafile) and esbuild's version: a render of a stack with token backups bundles once, not at
 * every call (bundling costs about 0.9 s of CPU). A cache that cannot be read or written is ignored.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_ROOT } from "./repo-root";

export const REFRESHER_ENTRY = "components/refresher/main.ts";

interface Cached {
  script: string;
  inputs: Record<string, string>;
}

const sha256 = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

function fresh(root: string, c: Cached): boolean {
  return (
    Object.keys(c.inputs).length > 0 &&
    Object.entries(c.inputs).every(([rel, hash]) => {
      try {
        return sha256(fs.readFileSync(path.join(root, rel))) === hash;
      } catch {
        return false;
      }
    })
  );
}

/** Bundle now (no cache): the script and the hash of every file it was made from. */
export function buildRefresherBundle(root = REPO_ROOT): Cached {
  // Loaded here only: stacks without token backups never need esbuild.
  const esbuild = require("esbuild") as typeof import("esbuild");
  const r = esbuild.buildSync({
    absWorkingDir: root,
    entryPoints: [REFRESHER_ENTRY],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "cjs",
    minify: true,
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "silent",
    banner: { js: `// registry-topology token refresher (${REFRESHER_ENTRY}), bundled by esbuild ${esbuild.version}: do not edit` },
  });
  const script = r.outputFiles[0]!.text;
  const inputs = Object.fromEntries(Object.keys(r.metafile.inputs).sort().map((rel) => [rel, sha256(fs.readFileSync(path.join(root, rel)))]));
  return { script, inputs };
}

export function cachedRefresherBundle(root = REPO_ROOT, cacheDir = path.join(root, "node_modules", ".cache", "registry-topology")): string {
  const version = (require("esbuild/package.json") as { version: string }).version;
  const cacheFile = path.join(cacheDir, `refresher-bundle-${sha256(`${version}\0${root}`).slice(0, 16)}.json`);
  try {
    const c = JSON.parse(fs.readFileSync(cacheFile, "utf8")) as Cached;
    if (fresh(root, c)) return c.script;
  } catch {
    /* no cache yet, or unreadable: build */
  }
  const built = buildRefresherBundle(root);
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(built));
    fs.renameSync(tmp, cacheFile);
  } catch {
    /* read-only tree: no cache */
  }
  return built.script;
}
