// npm run render -- --stack NAME [--out DIR] [--with-secrets] [--json]
import "./offline-mode"; // first: before any module that defines a dynamic resource
import * as fs from "node:fs";
import * as path from "node:path";
import type { RegistrySummary } from "../../components/topology";
import { helpRequested, HELP, parseCommandArgs, runCommand, SHARED, UsageError } from "../cli/command";

const USAGE = `usage: npm run render -- --stack NAME|path/to/Pulumi.NAME.yaml [--out DIR] [--with-secrets] [--json]
  --stack NAME|FILE  the stack to render offline (under mocks: no cloud, no credentials, no CLI)
  --out DIR          where to write plan.json, topology.md and nodes/ (default out/NAME)
  --with-secrets     write the mock runtime's values instead of placeholders: offline node
                     files are templates for layout and review (not real credentials or X.509;
                     real node material comes from a real up)
${HELP.json}
${HELP.help}`;

const OPTIONS = { stack: SHARED.stack, out: { type: "string" }, "with-secrets": { type: "boolean", default: false }, json: SHARED.json, help: SHARED.help } as const;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (helpRequested(argv, USAGE)) return 0;
  const { values } = parseCommandArgs(argv, OPTIONS);
  // The program and the SDK load only now: --help and usage mistakes answer at once.
  const { listStacks, REPO_ROOT, StackFileError } = await import("./stackFiles");
  if (!values.stack) throw new UsageError(`--stack is required (stacks: ${listStacks().join(", ")})`);
  const [{ ConfigError }, { topologyMarkdown }, { nodeFilesFromResources, writeNodeFiles }, { buildPlan }, { renderStack }] = await Promise.all([
    import("../config"),
    import("./diagram"),
    import("./nodeFiles"),
    import("./plan"),
    import("./render"),
  ]);
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
    if (values.json) {
      console.log(JSON.stringify({ stack: result.stack, resourceCount: plan.resourceCount, out, plan: path.join(out, "plan.json"), topology: path.join(out, "topology.md"), nodeFiles: nodeFiles.length, withSecrets: values["with-secrets"] }, null, 2));
      return 0;
    }
    console.log(`Rendered stack ${result.stack}: ${plan.resourceCount} resources -> ${path.relative(process.cwd(), out) || "."}/{plan.json,topology.md}`);
    console.log(`Node files: ${nodeFiles.length} under ${path.relative(process.cwd(), nodesDir) || "."}/<region>/<role>/${values["with-secrets"] ? " (with the offline run's mock credentials: templates for layout and review, not real node material)" : " (secrets as placeholders: templates for layout and review; real node material comes from a real up)"}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StackFileError) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}

runCommand({ name: "render", usage: USAGE, errorExit: 1 }, main);
