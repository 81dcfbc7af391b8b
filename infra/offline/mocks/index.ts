// Realistic outputs per resource type for the mock runtime. Each area registers its own.
import "./core";
import "./harbor";
import "./backups";
import "./mirrors";

export { defineMockInvoke, defineMockOutputs, synthesizeInvoke, synthesizeOutputs } from "./registry";
export { MockRefusalError, takeMockRefusals, type MockRefusal } from "./refusals";
