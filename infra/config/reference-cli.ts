// `npm run docs:config`: writes docs/config-reference.md from the config schema.
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { configReferenceMarkdown } from "./reference";

const target = path.join(__dirname, "..", "..", "docs", "config-reference.md");
writeFileSync(target, configReferenceMarkdown());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
