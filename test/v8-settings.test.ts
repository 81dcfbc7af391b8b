// Offline commands set V8 up for a short run from their first import (infra/offline/v8-settings.ts):
// the young generation keeps its initial size, and Maglev is off. Checked in plain Node, as the
// commands run, through the compiled offline-mode (dist/, built by the tests' globalSetup), against
// the same process without it.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;

function child(script: string, offline: boolean, nodeFlags: string[] = []): unknown {
  const text = `${offline ? 'require("./dist/infra/offline/offline-mode.js");' : ""}\n${script}`;
  const out = execFileSync(process.execPath, [...nodeFlags, "-e", text], { cwd: path.join(__dirname, ".."), encoding: "utf8", timeout: 60_000 });
  return JSON.parse(out);
}

describe("offline V8 settings", () => {
  it("keep the young generation's capacity while 400,000 objects are kept, which grows it otherwise", () => {
    // Capacity of one semi-space: used + available.
    const script = `
      const v8 = require("node:v8");
      const size = () => {
        const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === "new_space");
        return s.space_used_size + s.space_available_size;
      };
      const before = size();
      const keep = [];
      for (let i = 0; i < 400000; i++) keep.push({ i, s: "x" + i });
      process.stdout.write(JSON.stringify({ before, after: size(), kept: keep.length }));`;
    const offline = child(script, true) as { before: number; after: number };
    expect(offline.after).toBe(offline.before);
    expect(offline.after).toBeLessThanOrEqual(2 * MiB);
    const plain = child(script, false) as { before: number; after: number };
    expect(plain.after).toBeGreaterThan(4 * plain.before);
  });

  it("leave Maglev out: a hot function goes to TurboFan without a Maglev stage, which it has otherwise", () => {
    // V8's optimization status bits (test-only natives syntax): 1 << 5 Maglev code, 1 << 6 TurboFan code.
    const script = `
      function hot(a, b) { return a * b + (a ^ b); }
      let sum = 0, maglev = false, turbofan = false;
      for (let i = 0; i < 2e6 && !turbofan; i++) {
        sum += hot(i, i + 1);
        if (i % 1000 === 0) {
          const status = %GetOptimizationStatus(hot);
          maglev ||= (status & (1 << 5)) !== 0;
          turbofan ||= (status & (1 << 6)) !== 0;
        }
      }
      process.stdout.write(JSON.stringify({ maglev, turbofan, sum: sum > 0 }));`;
    expect(child(script, true, ["--allow-natives-syntax"])).toEqual({ maglev: false, turbofan: true, sum: true });
    expect(child(script, false, ["--allow-natives-syntax"])).toMatchObject({ maglev: true });
  });
});
