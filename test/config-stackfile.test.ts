// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Stack files that are not one (bad name, missing, YAML error, not a mapping) and config that used
// to crash: one-line errors, exit 1, no stack trace, from the library and from the CLIs.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readStackConfig, REPO_ROOT, StackFileError } from "../infra/offline/stackFiles";

let dir: string;
const file = (name: string, text: string) => {
  const f = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(f, text);
  return f;
};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "stackfile-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function errorOf(stackOrFile: string): StackFileError {
  try {
    readStackConfig(stackOrFile);
  } catch (e) {
    if (e instanceof StackFileError) return e;
    throw e;
  }
  throw new Error(`${stackOrFile} was accepted`);
}

describe("stack files that are not one", () => {
  it.each([
    ["../x", /^--stack "\.\.\/x": expected a stack name .* whose file is stacks\/Pulumi\.<name>\.yaml/],
    ["prod/../../etc", /^--stack "prod\/\.\.\/\.\.\/etc": expected a stack name/],
    ["org/project/prod", /expected a stack name/],
    ["no-such-stack", /^No stack file stacks\/Pulumi\.no-such-stack\.yaml\. Stacks: dev, local, prod, staging$/],
    ["../x.yaml", /a stack file is named Pulumi\.<stack>\.yaml/],
  ])("--stack %s is refused in one line", (stack, expected) => {
    const e = errorOf(stack);
    expect(e.message).toMatch(expected);
    expect(e.message).not.toContain("\n");
  });

  it.each([
    ["yaml-error", "config:\n  registry-topology:environment: [dev\n", /YAML syntax error: .* at line 3, column 1$/],
    ["duplicate-key", "config:\n  registry-topology:environment: dev\n  registry-topology:environment: prod\n", /YAML syntax error: Map keys must be unique at line 3, column 3$/],
    ["tab-indent", "config:\n\tregistry-topology:environment: dev\n", /YAML syntax error: /],
    ["a-list", "- config\n", /expected a mapping with a config: key, found a list$/],
    ["a-string", "just text\n", /expected a mapping with a config: key, found a string$/],
    ["config-list", "config:\n  - registry-topology:environment: dev\n", /config: expected a mapping of <namespace>:<key> to values, found a list$/],
    ["config-scalar", "config: 3\n", /config: expected a mapping .* found a number$/],
    ["misspelled-config", "confg:\n  registry-topology:environment: dev\n", /unknown top-level key "confg"; expected config \(misspelled\?\)/],
  ])("%s: one line naming the file", (name, text, expected) => {
    const e = errorOf(file(name, text));
    expect(e.message).toMatch(expected);
    expect(e.message.startsWith(path.join(dir, `Pulumi.${name}.yaml`))).toBe(true);
    expect(e.message).not.toContain("\n");
  });

  it("an empty stack file is an empty config (Pulumi accepts it), reported by the loader", () => {
    expect(readStackConfig(file("empty", "")).config).toEqual({ "registry-topology:allowInsecureUpstreams": "false" });
  });
});

describe("the CLIs: exit 1, the message, no stack trace", () => {
  const run = (cli: string, args: string[]) =>
    new Promise<{ code: number; stderr: string; stdout: string }>((resolve) => {
      execFile(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(REPO_ROOT, "infra/offline", cli), ...args], { timeout: 60_000, cwd: REPO_ROOT }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
    });

  // Missing files and non-mappings take the same path as the YAML error (StackFileError), tested in-process above.
  it("render and up refuse a bad name, a YAML error and a URL port out of range", async () => {
    const badPort = file(
      "bad-port",
      [
        "config:",
        "  registry-topology:environment: dev",
        "  registry-topology:harbor: { hostname: harbor.example.com, expose: { type: clusterIP }, projects: [{ name: library }] }",
        "  registry-topology:backups:",
        "    - { name: nas, kind: oci, url: 'https://robot:hunter2@nas.example.com:99999', failureDomain: dc2, push: { username: robot, password: { secure: v1:x } } }",
        "",
      ].join("\n"),
    );
    const cases: [string, string[], RegExp][] = [
      ["render-cli.ts", ["--stack", "../x"], /^--stack "\.\.\/x": expected a stack name/],
      ["render-cli.ts", ["--stack", file("yaml", "config:\n  a: [1\n")], /YAML syntax error/],
      ["render-cli.ts", ["--stack", badPort], /^Invalid stack configuration \(1 problem\):\n {2}- backups\[0\]\.url: the URL holds a password.*--path 'backups\[0\]\.push\.password'/],
      ["up-cli.ts", ["--stack", "../x"], /^--stack "\.\.\/x": expected a stack name/],
    ];
    const results = await Promise.all(cases.map(([cli, args]) => run(cli, args)));
    results.forEach((r, i) => {
      const [cli, args, expected] = cases[i]!;
      expect(r.code, `${cli} ${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack frame
      expect(r.stderr).not.toContain("hunter2");
    });
  }, 90_000);
});
