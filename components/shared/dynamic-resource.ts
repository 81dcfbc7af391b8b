import * as pulumi from "@pulumi/pulumi";
import { offlineDynamicResourcesRequested } from "./offline-flag";

/**
 * The base of every dynamic resource in the project: `pulumi.dynamic.Resource`, except in an
 * offline command (render, policy, up's config check) that asked for the offline base before the
 * program's modules loaded.
 *
 * Why: `pulumi.dynamic.Resource` serializes its provider's closure (sdk/nodejs/dynamic/index.ts,
 * `serializeProvider`), and the first serialization in a process loads the TypeScript compiler,
 * opens an inspector session and walks every loaded script (runtime/closure/*): about 0.8 s of CPU
 * for any closure, half of an offline render, for text that an offline render never runs. The
 * offline base registers the same type token (`pulumi-nodejs:dynamic/<module>:<type>`) with the
 * same inputs and a `__provider` that says it was not serialized. Under the engine nothing asks for
 * it, and `npm test`'s provider-host suite and `npm run test:engine` run the SDK's real text.
 *
 * The request is process-local (components/shared/offline-flag.ts), so the `pulumi` process that
 * `npm run up` starts never inherits it.
 */
const OFFLINE_TEXT = "registry-topology: dynamic provider not serialized by an offline command";

/** True for the `__provider` of a resource registered by the offline base. */
export function isOfflineProviderText(text: string): boolean {
  return text === OFFLINE_TEXT;
}

/** Same constructor and registration as pulumi.dynamic.Resource, minus the closure serialization. */
class OfflineDynamicResource extends pulumi.CustomResource {
  constructor(_provider: pulumi.dynamic.ResourceProvider, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions, module?: string, type = "Resource") {
    if (props.__provider) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic${module ? `/${module}` : ""}:${type}`, name, { ...props, __provider: OFFLINE_TEXT }, opts);
  }
}

export const DynamicResource: typeof pulumi.dynamic.Resource =
  offlineDynamicResourcesRequested()
    ? (OfflineDynamicResource as unknown as typeof pulumi.dynamic.Resource)
    : pulumi.dynamic.Resource;
