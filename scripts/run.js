// Runs one command from its compiled JavaScript: `node scripts/run.js infra/offline/render-cli ARGS`
// brings dist/ up to date when a source is newer (scripts/build.js), then loads
// dist/infra/offline/render-cli.js with the command's arguments.
"use strict";
const path = require("node:path");
const { build, DIST } = require("./build");

const entry = process.argv[2];
if (!entry) {
  console.error("usage: node scripts/run.js <path of a command without .ts> [args]");
  process.exit(2);
}
try {
  build({ quiet: true });
} catch (e) {
  console.error(`build: ${e.message}`);
  process.exit(1);
}
// V8's code cache for every module the command loads (Node's module.enableCompileCache, on disk
// under node_modules/.cache): the SDK, the cloud SDKs and the program are compiled once, not at
// every call. Node keys each entry by the file's content and drops stale ones itself.
require("node:module").enableCompileCache?.(path.join(__dirname, "..", "node_modules", ".cache", "registry-topology-v8"));
// The command runs as the main module (require.main === module), with its own arguments at
// process.argv.slice(2), exactly as `node dist/<entry>.js ARGS` would run it.
process.argv.splice(1, 2, path.join(DIST, `${entry}.js`));
require("node:module").runMain();
