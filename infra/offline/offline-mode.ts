// The first import of every offline command (render, policy, up's config check): their program
// runs under the mock runtime, where a dynamic provider's serialized closure is never run, so the
// program's dynamic resources skip serializing it (components/shared/dynamic-resource.ts).
// Must stay first: the choice is made when the resource modules load.
// The same commands skip the SDK's per-promise debug stacks (./promise-stacks.ts) and set V8 up
// for a short run (./v8-settings.ts).
import { requestOfflineDynamicResources } from "../../components/shared/offline-flag";
import { requestSkippedPromiseStacks } from "./promise-stacks";
import { tuneV8ForShortRuns } from "./v8-settings";

requestOfflineDynamicResources();
requestSkippedPromiseStacks();
tuneV8ForShortRuns();
