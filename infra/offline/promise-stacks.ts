/**
 * The Pulumi SDK's debuggablePromise (`@pulumi/pulumi/runtime/debuggable.js`) stores
 * `new Error().stack` on every promise it wraps, and reads it only to report leaked promises when
 * PULUMI_DEBUG_PROMISE_LEAKS is set. Formatting those stacks (thousands per render) is about a
 * tenth of an offline command's CPU time. Offline commands install this hook from their first
 * import (offline-mode.ts): that one capture gets a short constant instead of a formatted stack;
 * every other error is formatted by the hook that was there before (Node's own: same text, source
 * maps included). With PULUMI_DEBUG_PROMISE_LEAKS set nothing is installed, so the leak report
 * keeps its stacks.
 */

/** What debuggablePromise stores instead of a stack while the hook is installed. */
export const SKIPPED_PROMISE_STACK = "Error: not recorded by offline commands (set PULUMI_DEBUG_PROMISE_LEAKS=1 to record where each promise was made)";

type PrepareStackTrace = (error: Error, trace: NodeJS.CallSite[]) => unknown;

const DEBUGGABLE_FILE = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
const INSTALLED = Symbol.for("registry-topology.skip-promise-debug-stacks");

/**
 * True only for debuggablePromise's own `new Error()`: a plain Error with no message whose top
 * frame is that function in the SDK's file. An error thrown inside it (a TypeError, say) is not.
 */
export function isPromiseDebugCapture(error: Error, trace: readonly NodeJS.CallSite[]): boolean {
  const top = trace[0];
  return (
    top !== undefined &&
    Object.getPrototypeOf(error) === Error.prototype &&
    error.message === "" &&
    top.getFunctionName() === "debuggablePromise" &&
    DEBUGGABLE_FILE.test(top.getFileName() ?? "")
  );
}

/** V8's own text when no hook is set: `String(error)` then one `    at <frame>` line per frame. */
function v8Format(error: Error, trace: readonly NodeJS.CallSite[]): string {
  return `${Error.prototype.toString.call(error)}${trace.map((f) => `\n    at ${String(f)}`).join("")}`;
}

/** The hook: skips debuggablePromise's capture, hands every other error to `previous`. */
export function promiseStackHook(previous: PrepareStackTrace | undefined): PrepareStackTrace & { [INSTALLED]: true } {
  const hook = (error: Error, trace: NodeJS.CallSite[]): unknown => {
    if (isPromiseDebugCapture(error, trace)) return SKIPPED_PROMISE_STACK;
    return previous ? previous.call(Error, error, trace) : v8Format(error, trace);
  };
  return Object.assign(hook, { [INSTALLED]: true as const });
}

/**
 * Installs the hook once per process, unless PULUMI_DEBUG_PROMISE_LEAKS is set (the SDK's own
 * test: any non-empty value). Returns whether the hook is in place.
 */
export function skipPromiseDebugStacks(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PULUMI_DEBUG_PROMISE_LEAKS) return false;
  const current = Error.prepareStackTrace as (PrepareStackTrace & { [INSTALLED]?: true }) | undefined;
  if (current?.[INSTALLED]) return true;
  Error.prepareStackTrace = promiseStackHook(current);
  return true;
}
