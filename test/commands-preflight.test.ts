// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// What `npm run up`, `verify` and `restore` check before long work (infra/cli/): the backend and
// passphrase `up` uses are the ones verify/restore read with; the Pulumi CLI offline gets a hint,
// not "fetch failed"; the Kubernetes context must exist and answer before anything starts.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { probeKubeServer, resolveKubeTarget } from "../infra/cli/kube";
import { createProgress, progressEnabled } from "../infra/cli/progress";
import { LOCAL_STATE_DIR, pulumiBinaryPath, pulumiCliProblem, pulumiEnv } from "../infra/cli/pulumi";
import { REPO_ROOT } from "../infra/offline/stackFiles";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "preflight-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(REPO_ROOT, "scripts", "run.js"), script, ...args], { cwd: REPO_ROOT, timeout: 120_000, env: { ...process.env, CI: "true", ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
    );
    child.stdin?.end();
  });
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

function kubeconfig(server: string, name = "kind-regtopo"): string {
  const file = path.join(tmp, `kubeconfig-${name}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(file, `apiVersion: v1\nkind: Config\ncurrent-context: ${name}\ncontexts:\n- name: ${name}\n  context: { cluster: ${name} }\nclusters:\n- name: ${name}\n  cluster: { server: "${server}" }\nusers: []\n`);
  return file;
}

describe("the backend verify and restore read with is the one up deploys to", () => {
  const clean = { PULUMI_BACKEND_URL: undefined, PULUMI_CONFIG_PASSPHRASE: undefined, PULUMI_CONFIG_PASSPHRASE_FILE: undefined };

  it("local: the .pulumi-state file backend and the empty passphrase; other stacks need theirs", () => {
    const local = pulumiEnv("local", clean);
    expect(local.env.PULUMI_BACKEND_URL).toBe(`file://${path.join(REPO_ROOT, ".pulumi-state")}`);
    expect(local.env.PULUMI_CONFIG_PASSPHRASE).toBe("");
    expect(local.problem).toBeUndefined();
    expect(pulumiEnv("prod", clean).problem).toMatch(/^Set PULUMI_CONFIG_PASSPHRASE/);
    const own = pulumiEnv("prod", { PULUMI_BACKEND_URL: "s3://bucket", PULUMI_CONFIG_PASSPHRASE: "p" });
    expect([own.env.PULUMI_BACKEND_URL, own.env.PULUMI_CONFIG_PASSPHRASE, own.notes]).toEqual(["s3://bucket", "p", []]);
  });

  it("npm run verify -- --stack local looks in .pulumi-state (and says to run up first when there is none)", async () => {
    if (fs.existsSync(LOCAL_STATE_DIR)) return; // a developer's real state: not touched
    const r = await run("infra/verify/cli", ["--stack", "local"], { PULUMI_BACKEND_URL: "", PULUMI_CONFIG_PASSPHRASE: undefined });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`verify: no local state (${LOCAL_STATE_DIR}): deploy the stack first with \`npm run up -- --stack local\`, or set PULUMI_BACKEND_URL to the backend that holds it\n`);
  });
});

describe("npm run up checks before it starts", () => {
  it("offline without the CLI: a hint about npm ci, npx pulumi version and PULUMI_HOME, not 'fetch failed' alone", () => {
    // A stand-in for npm's launcher offline, as node_modules/pulumi/run.js answers when its download
    // fails (lib/resolve.js: "Downloading pulumi v..." then `pulumi: ${err.message}`, exit 1). The
    // real launcher would download the CLI on a machine with network, so it is not run here.
    const root = fs.mkdtempSync(path.join(tmp, "root-"));
    fs.mkdirSync(path.join(root, "node_modules", ".bin"), { recursive: true });
    fs.mkdirSync(path.join(root, "node_modules", "pulumi"));
    fs.writeFileSync(path.join(root, "node_modules", "pulumi", "package.json"), JSON.stringify({ name: "pulumi", version: "3.265.0" }));
    fs.writeFileSync(path.join(root, "node_modules", ".bin", "pulumi"), "#!/bin/sh\necho 'Downloading pulumi v3.265.0...' >&2\necho 'pulumi: fetch failed' >&2\nexit 1\n", { mode: 0o755 });
    const home = fs.mkdtempSync(path.join(tmp, "pulumi-home-"));
    const problem = pulumiCliProblem({ PULUMI_HOME: home }, root);
    expect(problem).toMatch(new RegExp(`^the Pulumi CLI 3\\.265\\.0 is not installed in ${home}/versions/3\\.265\\.0 and could not be downloaded \\(fetch failed\\)\\.\\n`));
    expect(problem).toContain("npx pulumi version");
    expect(problem).toContain("PULUMI_HOME");
    // With the binary in place the launcher is not asked at all; without npm ci, say so.
    const bin = pulumiBinaryPath("3.265.0", { PULUMI_HOME: home });
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    fs.writeFileSync(bin, "#!/bin/sh\n", { mode: 0o755 });
    expect(pulumiCliProblem({ PULUMI_HOME: home }, root)).toBeUndefined();
    expect(pulumiCliProblem({ PULUMI_HOME: home }, tmp)).toMatch(/^the Pulumi CLI launcher is not installed .*: run `npm ci` in /);
  });

  it("a context whose API server does not answer stops up before the CLI runs", async () => {
    const home = fs.mkdtempSync(path.join(tmp, "pulumi-home-"));
    const version = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "node_modules", "pulumi", "package.json"), "utf8")) as { version: string }).version;
    // A CLI binary that records it ran: it must not.
    const bin = pulumiBinaryPath(version, { PULUMI_HOME: home });
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const marker = path.join(home, "ran");
    fs.writeFileSync(bin, `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const port = await closedPort();
    const r = await run("infra/offline/up-cli", ["--stack", "local"], { PULUMI_HOME: home, KUBECONFIG: kubeconfig(`https://127.0.0.1:${port}`) });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`up: the Kubernetes API server of context "kind-regtopo" (https://127.0.0.1:${port}) does not answer: ECONNREFUSED`);
    expect(fs.existsSync(marker)).toBe(false);
  }, 120_000);

  it("resolves the stack's kubernetes:context or the current one, merging files as kubectl does", () => {
    const a = { "current-context": "kind-a", contexts: [{ name: "kind-a", context: { cluster: "a" } }], clusters: [{ name: "a", cluster: { server: "https://127.0.0.1:6443", "insecure-skip-tls-verify": true } }] };
    const b = { "current-context": "kind-b", contexts: [{ name: "prod-eu", context: { cluster: "p" } }], clusters: [{ name: "p", cluster: { server: "https://prod:6443", "certificate-authority-data": Buffer.from("PEM").toString("base64") } }] };
    expect(resolveKubeTarget([{ file: "a", doc: a }, { file: "b", doc: b }])).toEqual({ context: "kind-a", server: "https://127.0.0.1:6443", ca: undefined, insecure: true });
    expect(resolveKubeTarget([{ file: "a", doc: a }, { file: "b", doc: b }], "prod-eu")).toEqual({ context: "prod-eu", server: "https://prod:6443", ca: "PEM", insecure: false });
    expect(resolveKubeTarget([{ file: "a", doc: a }], "dev-eu")).toEqual({ problem: expect.stringMatching(/^no context "dev-eu" in the kubeconfig \(a\); the stack's kubernetes:context names it\. Contexts there: kind-a$/) });
    expect(resolveKubeTarget([])).toEqual({ problem: expect.stringMatching(/^no kubeconfig found/) });
    expect(resolveKubeTarget([{ file: "a", doc: {} }])).toEqual({ problem: expect.stringMatching(/has no current context/) });
  });

  it("any HTTP answer (403 included) means the API server is up", async () => {
    const srv = http.createServer((_req, res) => res.writeHead(403).end());
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      expect(await probeKubeServer({ context: "c", server: `http://127.0.0.1:${port}`, insecure: false }, 2000)).toBeUndefined();
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});

describe("progress", () => {
  it("only on a terminal, never with --json or in CI", () => {
    expect(progressEnabled({ json: false }, { isTTY: true }, {})).toBe(true);
    expect(progressEnabled({ json: true }, { isTTY: true }, {})).toBe(false);
    expect(progressEnabled({ json: false }, { isTTY: true }, { CI: "true" })).toBe(false);
    expect(progressEnabled({ json: false }, { isTTY: false }, {})).toBe(false);
  });

  it("draws the phase with the elapsed time on one line and clears it", () => {
    let out = "";
    const stream = { write: (s: string) => ((out += s), true), columns: 80 } as unknown as NodeJS.WriteStream;
    let t = 0;
    const p = createProgress(true, stream, () => t);
    t = 65_000;
    p("backup 1/2 acr: reading 40 tags and digests");
    p.done();
    expect(out).toBe("\r\x1b[K[1:05] backup 1/2 acr: reading 40 tags and digests\r\x1b[K");
  });
});
