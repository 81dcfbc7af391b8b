// npm run render -- --stack NAME [--out DIR] [--with-secrets]
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { RegistrySummary } from "../../components/topology";
import { ConfigError } from "../config";
import { topologyMarkdown } from "./diagram";
import { nodeFilesFromResources, writeNodeFiles } from "./nodeFiles";
import { buildPlan } from "./plan";
import { renderStack } from "./render";
import { listStacks, REPO_ROOT, StackFileError } from "./stackFiles";

const USAGE = "usage: npm run render -- --stack NAME|path/to/Pulumi.NAME.yaml [--out DIR] [--with-secrets]\n  --with-secrets  write the mock runtime's values instead of placeholders (templates for review: not real credentials or X.509; real material comes from a real `up`)";

function parse() {
  return parseArgs({
    options: { stack: { type: "string" }, out: { type: "string" }, "with-secrets": { type: "boolean" }, help: { type: "boolean" } },
  });
}

async function main(): Promise<number> {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse().values;
  } catch (e) {
    console.error(`render: ${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help || !values.stack) {
    const text = `${USAGE}\nstacks: ${listStacks().join(", ")}`;
    if (values.help) console.log(text);
    else console.error(text);
    return values.help ? 0 : 2;
  }
  try {
    const result = await renderStack(values.stack);
    const out = path.resolve(values.out ?? path.join(REPO_ROOT, "out", result.stack));
    fs.mkdirSync(out, { recursive: true });
    const plan = buildPlan(result);
    fs.writeFileSync(path.join(out, "plan.json"), `${JSON.stringify(plan, null, 2)}\n`);
    const registries = (result.outputs.registries?.value ?? []) as RegistrySummary[];
    fs.writeFileSync(path.join(out, "topology.md"), topologyMarkdown(result.stack, result.config, registries));
    // Node files (nodes/<region>/<role>/<absolute path>) for image baking or cloud-init.
    const nodesDir = path.join(out, "nodes");
    fs.rmSync(nodesDir, { recursive: true, force: true });
    const nodeFiles = writeNodeFiles(nodesDir, nodeFilesFromResources(result.resources, { withSecrets: values["with-secrets"] === true }));
    console.log(`Rendered stack ${result.stack}: ${plan.resourceCount} resources -> ${path.relative(process.cwd(), out) || "."}/{plan.json,topology.md}`);
    console.log(`Node files: ${nodeFiles.length} under ${path.relative(process.cwd(), nodesDir) || "."}/<region>/<role>/${values["with-secrets"] ? " (WITH real secrets: keep them safe)" : " (secrets as placeholders; --with-secrets for real values)"}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StackFileError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.stack ?? e.message : e);
    process.exit(1);
  },
);
