// `npm run docs:config`: writes docs/config-reference.md from the config schema.
import { existsSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { configReferenceMarkdown } from "./reference";

// The repository root: two levels up from the source, four from its compiled copy in dist/.
const root = [path.join(__dirname, "..", ".."), path.join(__dirname, "..", "..", "..")].find((d) => existsSync(path.join(d, "Pulumi.yaml")))!;
const target = path.join(root, "docs", "config-reference.md");
writeFileSync(target, configReferenceMarkdown());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
