// `npm run docs:config`: writes docs/config-reference.md and schemas/pulumi-stack.schema.json
// from the config schema (the tests fail when either is stale).
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { stackFileJsonSchema } from "./json-schema";
import { configReferenceMarkdown } from "./reference";

// The repository root: two levels up from the source, three from its compiled copy in dist/.
const root = [path.join(__dirname, "..", ".."), path.join(__dirname, "..", "..", "..")].find((d) => existsSync(path.join(d, "Pulumi.yaml")))!;
const outputs: [string, string][] = [
  [path.join(root, "docs", "config-reference.md"), configReferenceMarkdown()],
  [path.join(root, "schemas", "pulumi-stack.schema.json"), `${JSON.stringify(stackFileJsonSchema(), null, 2)}\n`],
];
for (const [target, text] of outputs) {
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, text);
  console.log(`wrote ${path.relative(process.cwd(), target)}`);
}
