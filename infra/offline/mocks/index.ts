// Realistic outputs per resource type for the mock runtime. Each area registers its own.
import "./core";

export { defineMockInvoke, defineMockOutputs, synthesizeInvoke, synthesizeOutputs } from "./registry";
