// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Offline commands run the SDK's debuggablePromise with no stack frames captured
// (infra/offline/promise-stacks.ts): only that capture changes; every other error keeps its stack,
// and PULUMI_DEBUG_PROMISE_LEAKS keeps the SDK as it is. The last test runs plain Node, as the
// commands do, through the compiled offline-mode, installMockRuntime and a real registration.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { skipPromiseDebugStacks, withoutStackFrames } from "../infra/offline/promise-stacks";

type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
// @internal in the SDK's typings, so required untyped: the module the wrapper replaces an export of.
const sdk = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: DebuggablePromise };

/** The stack debuggablePromise stored on a promise it wrapped, as the SDK's own callers call it. */
async function storedStack(): Promise<string> {
  const p = Promise.resolve(1);
  await sdk.debuggablePromise(p, "promise-stacks test");
  return (p as Promise<number> & { _debugStackTrace: string })._debugStackTrace;
}

const FRAME = /\n {4}at /;

describe("offline promise stacks", () => {
  let original: DebuggablePromise;
  let limit: number;
  beforeEach(() => {
    original = sdk.debuggablePromise;
    limit = Error.stackTraceLimit;
  });
  afterEach(() => {
    sdk.debuggablePromise = original;
    Error.stackTraceLimit = limit;
  });

  it("records no frames for the SDK's capture once installed, and installs only once", async () => {
    expect(await storedStack()).toMatch(/^Error\b.*\n {4}at (Object\.)?debuggablePromise \(.*[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js:/);
    expect(skipPromiseDebugStacks({}, sdk)).toBe(true);
    const wrapper = sdk.debuggablePromise;
    expect(wrapper).not.toBe(original);
    expect(skipPromiseDebugStacks({}, sdk)).toBe(true);
    expect(sdk.debuggablePromise).toBe(wrapper);
    const stack = await storedStack();
    expect(stack).toMatch(/^Error/);
    expect(stack).not.toMatch(FRAME);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("leaves every other error's stack as it was", () => {
    const make = () => [new Error("boom"), new RangeError("out")];
    // Same call site both times: only the wrapper could make a difference.
    const [before, after] = [false, true].map((installed) => {
      if (installed) {
        skipPromiseDebugStacks({}, sdk);
        void sdk.debuggablePromise(Promise.resolve(1), "a capture first");
      }
      return make().map((e) => e.stack!);
    });
    expect(after).toEqual(before);
    expect(after![0]).toMatch(/^Error: boom\n {4}at make \(/);
    expect(after![1]).toMatch(/^RangeError: out\n {4}at make \(/);
  });

  it("changes nothing with PULUMI_DEBUG_PROMISE_LEAKS set, so the leak report keeps its stacks", async () => {
    expect(skipPromiseDebugStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" }, sdk)).toBe(false);
    expect(sdk.debuggablePromise).toBe(original);
    expect(await storedStack()).toMatch(/\n {4}at (Object\.)?debuggablePromise \(/);
  });

  it("throws an error from inside the SDK's function with its whole stack, and restores the limit", () => {
    skipPromiseDebugStacks({}, sdk);
    let stack = "";
    try {
      void sdk.debuggablePromise(undefined as unknown as Promise<number>, "not a promise");
    } catch (e) {
      stack = (e as Error).stack!;
    }
    expect(stack).toMatch(/^TypeError: /);
    expect(stack).toMatch(/\n {4}at (Object\.)?debuggablePromise \(/);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("runs the function it wraps with the limit at 0, then restores it", () => {
    const seen: number[] = [];
    const wrapped = withoutStackFrames(<T>(p: Promise<T>) => {
      seen.push(Error.stackTraceLimit);
      return p;
    });
    const p = Promise.resolve(2);
    expect(wrapped(p, "ctx")).toBe(p);
    expect(seen).toEqual([0]);
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("under plain Node, as the commands run: offline-mode asks without loading the SDK, installMockRuntime installs it; the SDK's registrations record no frames, other stacks unchanged; PULUMI_DEBUG_PROMISE_LEAKS keeps them", () => {
    // Compiled modules (dist/, built by the tests' globalSetup). run() is called from one call
    // site before and after the wrapper is in place; then one resource is registered and the
    // stacks of the SDK promises still pending right after it are read.
    const script = `
      const fail = () => { try { Buffer.alloc(-1); } catch (e) { return e; } };
      const run = () => [new Error("boom"), fail()].map((e) => e.stack);
      (async () => {
        require("./dist/infra/offline/offline-mode.js");
        const out = { sdkLoadedByOfflineMode: Object.keys(require.cache).some((f) => f.includes("@pulumi")) };
        for (const phase of ["before", "after"]) {
          // Both resume from an await, so both stacks start the same way.
          await (phase === "after" ? require("./dist/infra/offline/mockRuntime.js").installMockRuntime("project", "stack") : null);
          out[phase] = run();
        }
        const pulumi = require("@pulumi/pulumi");
        const r = new pulumi.CustomResource("test:index:Thing", "thing", { size: 1 });
        out.pending = [...require("@pulumi/pulumi/runtime/state").getStore().leakCandidates].map((p) => p._debugStackTrace);
        await new Promise((resolve) => r.urn.apply(resolve));
        process.stdout.write(JSON.stringify(out));
      })();`;
    const child = (extra: NodeJS.ProcessEnv, offlineMode = true) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      if (!("PULUMI_DEBUG_PROMISE_LEAKS" in extra)) delete env.PULUMI_DEBUG_PROMISE_LEAKS;
      const text = offlineMode ? script : script.replace(/require\("\.\/dist\/infra\/offline\/offline-mode\.js"\);/, "");
      const out = execFileSync(process.execPath, ["-e", text], { cwd: path.join(__dirname, ".."), env, encoding: "utf8", timeout: 60_000 });
      return JSON.parse(out) as { sdkLoadedByOfflineMode: boolean; before: string[]; after: string[]; pending: string[] };
    };
    const full = /^Error\n {4}at (Object\.)?debuggablePromise \(.*debuggable\.js:\d+:\d+\)\n {4}at /;
    const skipped = child({});
    expect(skipped.sdkLoadedByOfflineMode).toBe(false);
    expect(skipped.after).toEqual(skipped.before);
    expect(skipped.before[0]).toMatch(/^Error: boom\n {4}at run \(/);
    expect(skipped.before[1]).toMatch(/^RangeError \[ERR_OUT_OF_RANGE\]: The value of "size" is out of range\..*\n {4}at Buffer\.alloc /);
    expect(skipped.pending.length).toBeGreaterThan(0);
    for (const s of skipped.pending) expect(s).toBe("Error");
    const kept = child({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
    expect(kept.after).toEqual(kept.before);
    expect(kept.pending.length).toBe(skipped.pending.length);
    for (const s of kept.pending) expect(s).toMatch(full);
    // Without offline-mode (a test, the engine's program): the SDK as it is.
    for (const s of child({}, false).pending) expect(s).toMatch(full);
  });
});
