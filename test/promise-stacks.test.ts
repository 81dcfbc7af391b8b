// The offline commands' Error.prepareStackTrace hook (infra/offline/promise-stacks.ts): only the
// SDK's per-promise debug capture is skipped; every other error keeps the stack it had. In this
// process the hook before it is vitest's; the last test checks plain Node, as the commands run.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isPromiseDebugCapture, promiseStackHook, SKIPPED_PROMISE_STACK, skipPromiseDebugStacks } from "../infra/offline/promise-stacks";

// @internal in the SDK's typings, so required untyped: the function the hook singles out.
const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T> };

/** The stack debuggablePromise stored on `p`. */
const storedStack = (p: Promise<unknown>) => (p as Promise<unknown> & { _debugStackTrace?: string })._debugStackTrace;

async function wrapped(): Promise<string | undefined> {
  const p = Promise.resolve(1);
  await debuggablePromise(p, "promise-stacks test");
  return storedStack(p);
}

describe("offline promise-stack hook", () => {
  let saved: typeof Error.prepareStackTrace;
  beforeEach(() => {
    saved = Error.prepareStackTrace;
  });
  afterEach(() => {
    Error.prepareStackTrace = saved;
  });

  it("leaves an ordinary error's stack exactly as it was, full and formatted", () => {
    const make = () => new Error("boom");
    // Same call site both times, so the only difference could come from the hook.
    const [before, after] = [false, true].map((hook) => {
      if (hook) skipPromiseDebugStacks({});
      return make().stack!;
    });
    expect(after).toBe(before);
    expect(after).toMatch(/^Error: boom\n {4}at make \(/);
    expect(after!.split("\n").length).toBeGreaterThan(3);
  });

  it("leaves Node's own errors' stacks as they were", () => {
    const [before, after] = [false, true].map((hook) => {
      if (hook) skipPromiseDebugStacks({});
      try {
        Buffer.alloc(-1);
        return "";
      } catch (e) {
        return (e as Error).stack!;
      }
    });
    expect(after).toBe(before);
    expect(after).toMatch(/^RangeError\b.*: The value of "size" is out of range\..*\n {4}at /);
  });

  it("skips the stack debuggablePromise records, once installed, and installs only once", async () => {
    expect(await wrapped()).toMatch(/^Error\b.*\n {4}at debuggablePromise \(.*[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js:/);
    expect(skipPromiseDebugStacks({})).toBe(true);
    const hook = Error.prepareStackTrace;
    expect(skipPromiseDebugStacks({})).toBe(true);
    expect(Error.prepareStackTrace).toBe(hook);
    expect(await wrapped()).toBe(SKIPPED_PROMISE_STACK);
  });

  it("installs nothing with PULUMI_DEBUG_PROMISE_LEAKS set, so the leak report keeps its stacks", async () => {
    expect(skipPromiseDebugStacks({ PULUMI_DEBUG_PROMISE_LEAKS: "1" })).toBe(false);
    expect(Error.prepareStackTrace).toBe(saved);
    expect(await wrapped()).toMatch(/^Error\b.*\n {4}at debuggablePromise \(/);
  });

  it("keeps the stack of an error thrown inside debuggablePromise", () => {
    skipPromiseDebugStacks({});
    let stack = "";
    try {
      void debuggablePromise(undefined as unknown as Promise<number>, "not a promise");
    } catch (e) {
      stack = (e as Error).stack!;
    }
    expect(stack).toMatch(/^TypeError: /);
    expect(stack).toMatch(/\n {4}at debuggablePromise \(/);
  });

  it("tells the capture apart by prototype, message, function and file", () => {
    const frame = (fn: string | null, file: string) => ({ getFunctionName: () => fn, getFileName: () => file }) as unknown as NodeJS.CallSite;
    const sdk = "/x/node_modules/@pulumi/pulumi/runtime/debuggable.js";
    expect(isPromiseDebugCapture(new Error(), [frame("debuggablePromise", sdk)])).toBe(true);
    expect(isPromiseDebugCapture(new Error("m"), [frame("debuggablePromise", sdk)])).toBe(false);
    expect(isPromiseDebugCapture(new TypeError(), [frame("debuggablePromise", sdk)])).toBe(false);
    expect(isPromiseDebugCapture(new Error(), [frame("debuggablePromise", "/x/mine.js")])).toBe(false);
    expect(isPromiseDebugCapture(new Error(), [frame("other", sdk)])).toBe(false);
    expect(isPromiseDebugCapture(new Error(), [])).toBe(false);
  });

  it("formats like V8 when there was no hook before it", () => {
    const hook = promiseStackHook(undefined);
    const frames = [{ toString: () => "f (/a.js:1:2)" }, { toString: () => "/b.js:3:4" }] as unknown as NodeJS.CallSite[];
    expect(hook(new RangeError("bad"), frames)).toBe("RangeError: bad\n    at f (/a.js:1:2)\n    at /b.js:3:4");
    expect(hook(new Error(), [])).toBe("Error");
  });

  it("under plain Node, as the commands run: Node's own stacks unchanged, the capture skipped from offline-mode", () => {
    // Compiled offline-mode (dist/, built by the tests' globalSetup), loaded between two calls of
    // run() from one call site: both stacks must be identical.
    const script = `
      const fail = () => { try { Buffer.alloc(-1); } catch (e) { return e; } };
      const run = () => [new Error("boom"), fail()].map((e) => e.stack);
      const out = {};
      for (const phase of ["before", "after"]) {
        if (phase === "after") require("./dist/infra/offline/offline-mode.js");
        out[phase] = run();
      }
      const { debuggablePromise } = require("@pulumi/pulumi/runtime/debuggable");
      const p = Promise.resolve(1);
      void debuggablePromise(p, "test");
      out.capture = p._debugStackTrace;
      process.stdout.write(JSON.stringify(out));`;
    const child = (extra: NodeJS.ProcessEnv) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
      if (!("PULUMI_DEBUG_PROMISE_LEAKS" in extra)) delete env.PULUMI_DEBUG_PROMISE_LEAKS;
      return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: path.join(__dirname, ".."), env, encoding: "utf8", timeout: 60_000 })) as { before: string[]; after: string[]; capture: string };
    };
    const skipped = child({});
    expect(skipped.after).toEqual(skipped.before);
    expect(skipped.before[0]).toMatch(/^Error: boom\n {4}at run \(/);
    expect(skipped.before[1]).toMatch(/^RangeError \[ERR_OUT_OF_RANGE\]: The value of "size" is out of range\..*\n {4}at Buffer\.alloc /);
    expect(skipped.capture).toBe(SKIPPED_PROMISE_STACK);
    const kept = child({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
    expect(kept.after).toEqual(kept.before);
    expect(kept.capture).toMatch(/^Error\n {4}at debuggablePromise \(.*debuggable\.js:\d+:\d+\)\n {4}at /);
  });
});
