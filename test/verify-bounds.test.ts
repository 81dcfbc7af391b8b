// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// verify, bounded and honest: a real distribution registry as Harbor, and small HTTP servers on
// 127.0.0.1 that are not registries, paginate in circles, never answer, or must never be asked.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseVerifyArgs, UsageError } from "../infra/verify/args";
import { formatReport } from "../infra/verify/report";
import { verifyInputFromOutputs } from "../infra/verify/stack-outputs";
import type { VerifyInput } from "../infra/verify/types";
import { verifyTopology } from "../infra/verify/verify";
import { startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { buildOciImage, pushImage } from "./helpers/oci-image";

interface Server {
  url: string;
  /** `METHOD path?query authorization-scheme` of every request received. */
  requests: string[];
  close(): Promise<void>;
}
const servers: Server[] = [];

function serve(handler: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${(req.headers.authorization ?? "none").split(" ")[0]}`);
    handler(req, res);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const s: Server = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      };
      servers.push(s);
      resolve(s);
    });
  });
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};

let dir: string;
let harbor: RunningDistribution;
const fast = { client: { baseDelayMs: 10, maxAttempts: 2, timeoutMs: 5000 } };

function input(backupUrl: string, name = "bk"): VerifyInput {
  return {
    source: { name: "harbor", baseUrl: harbor.url, projects: ["library"] },
    backups: [{ name, baseUrl: backupUrl, pathPrefix: "", keepsProjectPath: true, username: "pull", password: "pull-pw" }],
  };
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-bounds-"));
  harbor = await startDistribution({ name: "harbor", dir });
  await pushImage(buildOciImage(path.join(dir, "img"), { tag: "v1" }), `${harbor.address}/library/app:v1`);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await stopAllDistributions();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe("a server that is not a registry is reported as such, naming it", () => {
  it("a backup answering 404 everywhere is NOT A REGISTRY, not 'missing images'", async () => {
    const web = await serve((_req, res) => json(res, 404, { message: "not found" }));
    const r = await verifyTopology(input(web.url, "nas-dc2"), fast);
    expect(r.backups[0]).toMatchObject({ name: "nas-dc2", status: "not-a-registry", missing: [] });
    expect(r.backups[0]?.reason).toMatch(/^nas-dc2: GET \/v2\/ answered 404: http:\/\/127\.0\.0\.1:\d+ does not serve the Registry v2 API/);
    expect(r.exitCode).toBe(2);
    expect(formatReport(r)).toContain("## nas-dc2: NOT A REGISTRY");
  });

  it("a source answering an HTML page is NOT A REGISTRY", async () => {
    const web = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("<html><body>Welcome to nginx!</body></html>");
    });
    const r = await verifyTopology({ ...input(web.url), source: { name: "harbor", baseUrl: web.url, projects: ["library"] } }, fast);
    expect(r.source.status).toBe("not-a-registry");
    expect(r.source.reason).toMatch(/^harbor: GET \/v2\/ answered 200: .* answered an HTML page, not the Registry v2 API/);
    expect(formatReport(r)).toMatch(/^Source harbor NOT A REGISTRY: /);
    expect(r.exitCode).toBe(2);
  });

  it("a registry whose listings turn into an HTML login page is NOT A REGISTRY", async () => {
    const proxy = await serve((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>Sign in</html>");
    });
    const r = await verifyTopology(input(proxy.url), fast);
    expect(r.backups[0]?.status).toBe("not-a-registry");
    expect(r.backups[0]?.reason).toMatch(/^bk: GET \/v2\/.* answered 200: answered text\/html that is not Registry API JSON/);
  });
});

describe("pagination that never ends is an error, never a hang", () => {
  it("a Link that points back to the first page", async () => {
    const loop = await serve((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      json(res, 200, { repositories: ["library/app"] }, { link: '</v2/_catalog?n=1000>; rel="next"' });
    });
    const r = await verifyTopology({ ...input(harbor.url), source: { name: "harbor", baseUrl: loop.url, projects: ["library"] } }, fast);
    expect(r.source.status).toBe("bad-answer");
    expect(r.source.reason).toBe("harbor: GET /v2/_catalog answered 200: pagination loops: page 1's Link points back to /v2/_catalog?n=1000");
    expect(loop.requests.filter((q) => q.startsWith("GET /v2/_catalog"))).toHaveLength(1);
  });

  it("pages that repeat under new URLs", async () => {
    let page = 0;
    const repeat = await serve((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      page++;
      json(res, 200, { repositories: ["library/app"] }, { link: `</v2/_catalog?last=library%2Fapp&n=1000&p=${page}>; rel="next"` });
    });
    const r = await verifyTopology({ ...input(harbor.url), source: { name: "harbor", baseUrl: repeat.url, projects: ["library"] } }, fast);
    expect(r.source.status).toBe("bad-answer");
    expect(r.source.reason).toMatch(/page 2 repeats page 1: pagination does not advance$/);
    expect(page).toBe(2);
  });

  it("a listing longer than the page bound is an error, not a partial list", async () => {
    let page = 0;
    const endless = await serve((req, res) => {
      if (req.url === "/v2/") return json(res, 200, {});
      page++;
      json(res, 200, { repositories: [`library/app${page}`] }, { link: `</v2/_catalog?last=library%2Fapp${page}&n=1>; rel="next"` });
    });
    const r = await verifyTopology({ ...input(harbor.url), source: { name: "harbor", baseUrl: endless.url, projects: ["library"] } }, { client: { ...fast.client, maxPages: 5 } });
    expect(r.source).toMatchObject({ status: "bad-answer", reason: "harbor: GET /v2/_catalog failed: more than 5 pages; refusing a partial list" });
    expect(page).toBe(5);
  });
});

describe("the overall deadline stops everything", () => {
  it("a source that accepts connections and never answers", async () => {
    const silent = await serve(() => undefined);
    const r = await verifyTopology({ ...input(harbor.url), source: { name: "harbor", baseUrl: silent.url, projects: ["library"] } }, { client: { timeoutMs: 60_000, maxAttempts: 5 }, deadlineMs: 300 });
    expect(r.source).toMatchObject({ status: "deadline", reason: "harbor: GET /v2/ failed: the overall deadline of 300 ms passed" });
    expect(formatReport(r)).toMatch(/^Source harbor DEADLINE PASSED/);
    expect(r.exitCode).toBe(2);
  }, 20_000);

  it("a backup that keeps asking to retry after 30 s", async () => {
    const busy = await serve((_req, res) => json(res, 503, {}, { "retry-after": "30" }));
    const r = await verifyTopology(input(busy.url), { client: { timeoutMs: 60_000, maxAttempts: 10, maxRetryMs: 600_000 }, deadlineMs: 1500 });
    expect(r.source.status).toBe("checked");
    expect(r.backups[0]).toMatchObject({ status: "deadline", reason: "bk: GET /v2/ failed: the overall deadline of 1500 ms passed" });
    expect(busy.requests).toHaveLength(1); // the retry wait was cut short, not slept through
  }, 20_000);
});

describe("no silent fallback from a missing pull identity to the push identity", () => {
  const outputs = (backupUrl: string) => ({
    environment: "dev",
    harborUrl: harbor.url,
    harborAdminUsername: "admin",
    harborAdminPassword: "unused",
    harborProjects: ["library"],
    registries: [
      { name: "harbor", kind: "harbor", host: harbor.address, pathPrefix: "", url: harbor.url, keepsProjectPath: true },
      { name: "nas", kind: "oci", host: new URL(backupUrl).host, pathPrefix: "", url: backupUrl, keepsProjectPath: true },
    ],
    registryCredentials: { nas: { push: { username: "pusher", password: "push-pw" } } },
  });

  it("the backup is NOT CHECKED and never contacted; --read-with-push reads it with the push identity", async () => {
    const nas = await serve((req, res) => {
      if (!req.headers.authorization) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="nas"' });
        return res.end();
      }
      json(res, 200, { name: "library/app", tags: [] });
    });
    const strict = verifyInputFromOutputs(outputs(nas.url));
    expect(strict.backups[0]).toMatchObject({ readIdentity: "none", username: undefined, password: undefined, pushUsername: "pusher" });
    const r = await verifyTopology(strict, fast);
    expect(r.backups[0]?.status).toBe("not-checked");
    expect(r.backups[0]?.reason).toMatch(/no pull identity for this backup \(registryCredentials\.nas\.pull\).*--read-with-push/);
    expect(r.exitCode).toBe(2);
    expect(nas.requests).toEqual([]);

    const opted = verifyInputFromOutputs(outputs(nas.url), { readWithPush: true });
    expect(opted.backups[0]).toMatchObject({ readIdentity: "push", username: "pusher" });
    const r2 = await verifyTopology(opted, fast);
    expect(r2.backups[0]).toMatchObject({ status: "checked", missing: [{ repository: "library/app", tag: "v1" }] });
    expect(nas.requests.some((q) => q.endsWith(" Basic"))).toBe(true);
  });
});

describe("command line", () => {
  it("--stack wins over piped stdin; --outputs - reads it; nothing given reads a pipe", () => {
    expect(parseVerifyArgs(["--stack", "prod"], false).source).toEqual({ kind: "pulumi", stack: "prod" });
    expect(parseVerifyArgs(["--stack", "prod", "--outputs", "-"], false).source).toEqual({ kind: "stdin" });
    expect(parseVerifyArgs(["--stack", "prod", "--outputs", "o.json"], false).source).toEqual({ kind: "file", file: "o.json" });
    expect(parseVerifyArgs([], false).source).toEqual({ kind: "stdin" });
    expect(() => parseVerifyArgs([], true)).toThrow(UsageError);
  });

  it.each([
    [["--bogus"], /^unknown option --bogus$/],
    [["extra"], /^unexpected argument "extra"$/],
    [["--stack"], /^--stack needs a value$/],
    [["--stack", "../prod"], /--stack takes a stack name/],
    [["--concurrency", "0"], /--concurrency takes a whole number from 1 to 64, found "0"/],
    [["--concurrency", "2.5"], /--concurrency takes a whole number/],
    [["--deadline", "soon"], /--deadline takes a whole number from 1 to 86400/],
    [["--outputs", ""], /--outputs takes a file name/],
  ])("usage mistake %j", (argv, expected) => {
    expect(() => parseVerifyArgs(argv, true)).toThrow(expected);
  });

  const run = (args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      // As `npm run verify` runs it: compiled JavaScript (scripts/run.js builds dist/ when stale).
      const child = execFile(process.execPath, [path.join(__dirname, "..", "scripts", "run.js"), "infra/verify/cli", ...args], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
      );
      child.stdin?.end();
    });

  it("exit 0 with --help, exit 2 with the usage for mistakes, outputs files that cannot be read or are another stack's", async () => {
    const prodOutputs = path.join(dir, "prod-outputs.json");
    fs.writeFileSync(prodOutputs, JSON.stringify({ ...{ environment: "prod", harborUrl: "https://harbor.example.com" }, harborAdminUsername: "admin", harborAdminPassword: "x", harborProjects: ["library"], registries: [] }));
    const cases: [string[], number, RegExp, "stdout" | "stderr"][] = [
      [["--help"], 0, /^usage: npm run verify --/, "stdout"],
      [["--bogus"], 2, /^verify: unknown option --bogus\nusage: npm run verify --/, "stderr"],
      [["--concurrency", "0", "--outputs", prodOutputs], 2, /^verify: --concurrency takes a whole number from 1 to 64, found "0"\nusage:/, "stderr"],
      [["--outputs", path.join(dir, "absent.json")], 2, /^verify: cannot read the outputs file .*absent\.json: no such file\n$/, "stderr"],
      [["--outputs", dir], 2, /^verify: cannot read the outputs file .*: it is a directory\n$/, "stderr"],
      [["--stack", "dev", "--outputs", prodOutputs], 2, /^verify: these outputs are not stack "dev"'s: they have environment "prod" and Harbor at harbor\.example\.com, while stacks\/Pulumi\.dev\.yaml has environment "dev" and Harbor at harbor\.dev\.example\.com/, "stderr"],
    ];
    const results = await Promise.all(cases.map(([args]) => run(args)));
    results.forEach((r, i) => {
      const [args, code, expected, stream] = cases[i]!;
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(code);
      expect(r[stream]).toMatch(expected);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }, 90_000);
});
