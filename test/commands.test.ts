// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Every command, as `npm run <command>` runs it (scripts/run.js: compiled JavaScript from dist/):
// --help/-h exit 0 with the usage on stdout; no arguments, an unknown flag and a missing value exit
// 2 with what is wrong and the usage on stderr, never a stack trace (infra/cli/command.ts).
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../infra/offline/stackFiles";

const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const script = pkg.scripts[command]!;
  const [node, runner, entry] = script.split(" ");
  expect(node).toBe("node");
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(REPO_ROOT, runner!), entry!, ...args], { cwd: REPO_ROOT, timeout: 90_000, env: { ...process.env, CI: "true", ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** [command, args, exit code, stream, what it must say] */
type Row = [string, string[], number, "stdout" | "stderr", RegExp];

const COMMANDS = ["render", "policy", "verify", "restore", "up", "bench"] as const;
const rows: Row[] = [];
for (const c of COMMANDS) {
  const usage = new RegExp(`usage: npm run ${c}\\b`);
  rows.push([c, ["--help"], 0, "stdout", new RegExp(`^usage: npm run ${c}\\b`)]);
  rows.push([c, ["-h"], 0, "stdout", new RegExp(`^usage: npm run ${c}\\b`)]);
  rows.push([c, ["--bogus"], 2, "stderr", new RegExp(`^${c}: unknown option --bogus\\n${usage.source}`)]);
  // The value-taking flag each command has: --stack everywhere it names a stack, --runs for bench.
  const flag = c === "bench" ? "--runs" : "--stack";
  rows.push([c, [flag], 2, "stderr", new RegExp(`^${c}: ${flag} needs a value\\n${usage.source}`)]);
  // A flag where its value should be: still a usage mistake, not the value.
  rows.push([c, [flag, "--json"], 2, "stderr", new RegExp(`^${c}: ${flag} needs a value`)]);
}
// No arguments: a usage mistake for every command that needs one. `bench` with none runs every
// benchmark (by design, not in a test); `verify` with none reads the outputs from stdin (empty here).
rows.push(["render", [], 2, "stderr", /^render: --stack is required \(stacks: .*local.*\)\nusage: npm run render/]);
rows.push(["policy", [], 2, "stderr", /^policy: give --stack NAME \(repeatable\) or --all .*\nusage: npm run policy/]);
rows.push(["restore", [], 2, "stderr", /^restore: --archive NAME is required\nusage: npm run restore/]);
rows.push(["up", [], 2, "stderr", /^up: --stack NAME is required\nusage: npm run up/]);
rows.push(["verify", [], 2, "stderr", /^verify: the outputs on stdin is empty; expected the JSON of `npx pulumi stack output --json --show-secrets`\n$/]);
// Values out of the one shared range, in every command that takes them.
rows.push(["verify", ["--concurrency", "65", "--outputs", "x.json"], 2, "stderr", /^verify: --concurrency takes a whole number from 1 to 64, found "65"\nusage:/]);
rows.push(["restore", ["--archive", "a", "--to", "https://r.example.com", "--concurrency", "0"], 2, "stderr", /^restore: --concurrency takes a whole number from 1 to 64, found "0"\nusage:/]);
rows.push(["restore", ["--archive", "a", "--to", "https://r.example.com", "--deadline", "soon"], 2, "stderr", /^restore: --deadline takes a whole number from 1 to 86400, found "soon"\nusage:/]);
rows.push(["bench", ["nosuch"], 2, "stderr", /^bench: unknown bench nosuch\nusage: npm run bench/]);

describe("every command: --help, no arguments, an unknown flag, a missing value", () => {
  beforeAll(() => {
    // One build first, so the commands below do not all compile dist/ at once.
    execFileSync(process.execPath, [path.join(REPO_ROOT, "scripts", "build.js")], { stdio: "ignore" });
  });

  it("the table covers every command in package.json's scripts that runs a CLI", () => {
    const clis = Object.entries(pkg.scripts).filter(([, s]) => s.startsWith("node scripts/run.js ")).map(([n]) => n).sort();
    expect(clis).toEqual([...COMMANDS].sort());
  });

  it("answers as the table says", async () => {
    const results: Result[] = [];
    // Two at a time: each start loads the program.
    for (let i = 0; i < rows.length; i += 2) results.push(...(await Promise.all(rows.slice(i, i + 2).map(([c, args]) => run(c, args)))));
    const mismatches: string[] = [];
    rows.forEach(([c, args, code, stream, says], i) => {
      const r = results[i]!;
      const label = `npm run ${c} -- ${args.join(" ")}`;
      if (r.code !== code) mismatches.push(`${label}: exit ${r.code}, expected ${code}\n${r.stderr}`);
      if (!says.test(r[stream])) mismatches.push(`${label}: ${stream} ${JSON.stringify(r[stream].slice(0, 300))} does not match ${says}`);
      if (/\n\s+at /.test(r.stderr) || /TypeError|ReferenceError/.test(r.stderr)) mismatches.push(`${label}: a stack trace\n${r.stderr}`);
      if (code === 0 && r.stderr !== "") mismatches.push(`${label}: --help wrote to stderr: ${r.stderr}`);
    });
    expect(mismatches).toEqual([]);
  }, 600_000);
});

describe("reports as JSON", () => {
  it("policy --json: one entry per stack, the same verdict as the text report", async () => {
    const r = await run("policy", ["--stack", "local", "--stack", "test/fixtures/stacks/Pulumi.single-registry.yaml", "--json"]);
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(r.stdout) as { stacks: { stack: string; blocked: boolean; violations: { policy: string; enforcementLevel: string }[] }[]; passed: number; failed: number };
    expect(report.stacks.map((s) => [s.stack, s.blocked])).toEqual([["local", false], ["single-registry", true]]);
    expect(report.stacks[1]!.violations).toContainEqual(expect.objectContaining({ policy: "requires-backup-target", enforcementLevel: "mandatory" }));
    expect([report.passed, report.failed]).toEqual([1, 1]);
  }, 120_000);
});
