// The repository's root, found from the running file: the same from infra/*.ts (tests, ts-node)
// and from the compiled dist/infra/*.js the commands run (scripts/build.js).
import * as fs from "node:fs";
import * as path from "node:path";

/** The nearest directory at or above `from` that holds the project's Pulumi.yaml and package.json. */
export function findRepoRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml")) && fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml at or above ${from}: run the commands from a checkout of registry-topology`);
  }
}

export const REPO_ROOT = findRepoRoot(__dirname);
