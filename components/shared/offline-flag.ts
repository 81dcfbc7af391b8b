/**
 * The process-local request for offline dynamic resources (components/shared/dynamic-resource.ts).
 * No side effects on load: an offline command sets it from its first import
 * (infra/offline/offline-mode.ts), before any module that defines a dynamic resource loads.
 * A global symbol, not an environment variable: the `pulumi` process `npm run up` starts never
 * inherits it.
 */
const KEY = Symbol.for("registry-topology.offline-dynamic-resources");

export function requestOfflineDynamicResources(): void {
  (globalThis as Record<symbol, unknown>)[KEY] = true;
}

export function offlineDynamicResourcesRequested(): boolean {
  return (globalThis as Record<symbol, unknown>)[KEY] === true;
}
