// Offline commands keep V8's young generation at its initial size (infra/offline/young-generation.ts),
// set from their first import. Checked in plain Node, as the commands run: a process that keeps
// what it allocates would grow it to many MB otherwise.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;
// The compiled offline-mode (dist/, built by the tests' globalSetup), then 400,000 kept objects:
// the young generation's capacity (one semi-space: used + available) before and after them.
const SCRIPT = `
  const v8 = require("node:v8");
  const size = () => {
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
    return s.space_used_size + s.space_available_size;
  };
  if (process.argv[1] === "offline") require("./dist/infra/offline/offline-mode.js");
  const before = size();
  const keep = [];
  for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i });
  process.stdout.write(JSON.stringify({ before, after: size(), kept: keep.length }));`;

const newSpace = (mode: "offline" | "plain") =>
  JSON.parse(execFileSync(process.execPath, ["-e", SCRIPT, mode], { cwd: path.join(__dirname, ".."), encoding: "utf8", timeout: 60_000 })) as { before: number; after: number };

describe("offline young generation", () => {
  it("keeps the size it had when offline-mode loaded, and grows without it", () => {
    const offline = newSpace("offline");
    expect(offline.after).toBe(offline.before);
    expect(offline.after).toBeLessThanOrEqual(2 * MiB);
    const plain = newSpace("plain");
    expect(plain.after).toBeGreaterThan(4 * plain.before);
  });
});
