/**
 * The Pulumi SDK's debuggablePromise (`@pulumi/pulumi/runtime/debuggable.js`) stores
 * `new Error().stack` on every promise it wraps (8192 of them in a render of prod), and reads it
 * only to report leaked promises when PULUMI_DEBUG_PROMISE_LEAKS is set. Capturing and formatting
 * those stacks is about a tenth of an offline command's CPU time. Offline commands replace the
 * module's export with a wrapper that runs the SDK's own function with `Error.stackTraceLimit` at
 * 0, so that capture records no frames. Nothing else changes: the limit is restored before the
 * wrapper returns, and an error the function throws is thrown again from a second call at the
 * usual limit, whole stack included. With PULUMI_DEBUG_PROMISE_LEAKS set nothing is replaced, so
 * the leak report keeps its stacks.
 * The commands ask for it in their first import (offline-mode.ts), which must not load the SDK
 * (`--help` answers before it loads); installMockRuntime puts it in place before the program runs.
 */

type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
interface DebuggableModule {
  debuggablePromise: DebuggablePromise;
}

const WRAPPED = Symbol.for("registry-topology.promise-stacks-skipped");
/** A global symbol like components/shared/offline-flag.ts: process-local, never inherited. */
const REQUESTED = Symbol.for("registry-topology.skip-promise-debug-stacks-requested");

/** Offline commands' first import (offline-mode.ts): no SDK load here. */
export function requestSkippedPromiseStacks(): void {
  (globalThis as Record<symbol, unknown>)[REQUESTED] = true;
}

/** installMockRuntime: the wrapper, if this process's command asked for it. */
export function skipPromiseDebugStacksIfRequested(): boolean {
  return (globalThis as Record<symbol, unknown>)[REQUESTED] === true && skipPromiseDebugStacks();
}

/** `fn` run with no stack frames captured; an error it throws comes from a rerun with them. */
export function withoutStackFrames(fn: DebuggablePromise): DebuggablePromise & { [WRAPPED]: true } {
  const wrapped = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return fn(p, ctx);
    } catch {
      // Only a bug gets here (debuggablePromise throws when given no promise): the same call at
      // the usual limit throws it again, with the frames that show where.
      Error.stackTraceLimit = limit;
      return fn(p, ctx);
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
  return Object.assign(wrapped, { [WRAPPED]: true as const });
}

/**
 * Replaces the SDK's debuggablePromise with the wrapper, once per process, unless
 * PULUMI_DEBUG_PROMISE_LEAKS is set (the SDK's own test: any non-empty value) or
 * `Error.stackTraceLimit` cannot be set (frozen intrinsics). Returns whether the wrapper is in place.
 */
export function skipPromiseDebugStacks(env: NodeJS.ProcessEnv = process.env, sdk: DebuggableModule = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule): boolean {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  if (!Object.getOwnPropertyDescriptor(Error, "stackTraceLimit")?.writable) return false;
  const current = sdk.debuggablePromise as DebuggablePromise & { [WRAPPED]?: true };
  if (current[WRAPPED]) return true;
  // The SDK's modules call it through this export (`debuggable_1.debuggablePromise(...)`).
  sdk.debuggablePromise = withoutStackFrames(current);
  return true;
}
