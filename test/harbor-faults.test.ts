import { createServer } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { harborClient } from "../components/harbor/client";
import { endpointProvider } from "../components/harbor/endpoint-provider";
import { policyProvider } from "../components/harbor/policy-provider";
import { projectProvider } from "../components/harbor/project-provider";
import { robotProvider } from "../components/harbor/robot-provider";
import { conn, driver } from "./harbor-emulator/drive";
import { HarborEmulator } from "./harbor-emulator/server";

let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator("admin", "Adm1n-Password-xyz"); await emu.start(); });
afterAll(async () => { await emu.stop(); });
beforeEach(() => { emu.requests.length = 0; emu.clearFaults(); });

const endpoints = driver(endpointProvider);
const policies = driver(policyProvider);
const projects = driver(projectProvider);
const robots = driver(robotProvider);
const SECRET = "Push-Secret-4711";
const ep = (name: string, extra: Record<string, unknown> = {}) =>
  ({ ...conn(emu), name, type: "azure-acr", url: `https://${name}.azurecr.io`, accessKey: "app-id", accessSecret: SECRET, ...extra });

/** The message of a rejected promise, checked to carry no credential. */
async function failure(p: Promise<unknown>): Promise<string> {
  const message = await p.then(() => "resolved", (e: Error) => e.message);
  expect(message).not.toContain(emu.password);
  expect(message).not.toContain(SECRET);
  expect(message).not.toContain(Buffer.from(`admin:${emu.password}`).toString("base64"));
  return message;
}

describe("faults survived without duplicates", () => {
  it("retries a 5xx burst and a 429 with Retry-After", async () => {
    emu.inject({ route: "POST /registries", kind: "status", status: 503, times: 2 });
    emu.inject({ route: "GET /registries/*", kind: "status", status: 429, retryAfterSeconds: 1 });
    const { id, outs } = await endpoints.create(ep("burst"));
    expect(emu.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([503, 503, 201]);
    const read = await endpoints.read(id, outs);
    expect(read.id).toBe(id);
    expect(emu.requests.filter((r) => r.method === "GET").map((r) => r.status)).toEqual([429, 200]);
    expect([...emu.registries.values()].filter((r) => r.name === "burst")).toHaveLength(1);
  });

  it("a reset after Harbor committed a create adopts what the first attempt made, for every type", async () => {
    emu.inject({ route: "POST /registries", kind: "reset-after" });
    const e = await endpoints.create(ep("reset"));
    expect([...emu.registries.values()].filter((r) => r.name === "reset")).toHaveLength(1);
    expect(e.outs.registryId).toBe([...emu.registries.values()].find((r) => r.name === "reset")!.id);

    emu.inject({ route: "POST /projects", kind: "reset-after" });
    await projects.create({ ...conn(emu), name: "resetproj" });
    expect([...emu.projects.values()].filter((p) => p.name === "resetproj")).toHaveLength(1);

    emu.inject({ route: "POST /robots", kind: "reset-after" });
    const robot = await robots.create({ ...conn(emu), name: "resetbot", projects: ["resetproj"] });
    expect([...emu.robots.values()].filter((r) => r.name === "resetbot")).toHaveLength(1);
    // The lost answer carried the only copy of the secret: a fresh one was minted and is the live one.
    expect(robot.outs.secret).toBe([...emu.robots.values()].find((r) => r.name === "resetbot")!.secret);

    emu.inject({ route: "POST /replication/policies", kind: "reset-after" });
    emu.inject({ route: "POST /replication/executions", kind: "reset-after" });
    const policy = await policies.create({
      ...conn(emu), name: "reset-policy", destinationRegistryId: e.outs.registryId, destinationRegistryName: "reset", projectName: "resetproj",
      destinationNamespace: "", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: "resetproj/**" },
      deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true,
    });
    expect([...emu.policies.values()].filter((p) => p.name === "reset-policy")).toHaveLength(1);
    const execs = [...emu.executions.values()].filter((x) => x.policy_id === Number(policy.id));
    expect(execs).toHaveLength(1);
    expect(policy.outs.backfillExecutionId).toBe(execs[0]!.id);
  });

  it("retries resets before Harbor saw the request and slow answers past the timeout", async () => {
    const { id, outs } = await endpoints.create(ep("slow"));
    emu.requests.length = 0;
    emu.inject({ route: "GET /registries/*", kind: "reset-before" });
    emu.inject({ route: "GET /registries/*", kind: "delay", delayMs: 2500 });
    const read = await endpoints.read(id, { ...outs, httpTimeoutSeconds: 1 });
    expect(read.props!.name).toBe("slow");
    expect(emu.requests.filter((r) => r.method === "GET")).toHaveLength(3);
  });

  it("retries Harbor's 400 unhealthy while a new credential propagates, then reports it", async () => {
    emu.unhealthy.set("https://iam.azurecr.io", 1);
    await endpoints.create(ep("iam", { unhealthyRetrySeconds: 10 }));
    expect(emu.requests.filter((r) => r.method === "POST").map((r) => r.status)).toEqual([400, 201]);

    emu.unhealthy.set("https://dead.azurecr.io", Infinity);
    const message = await failure(endpoints.create(ep("dead", { unhealthyRetrySeconds: 2 })));
    expect(message).toMatch(/create registry endpoint "dead" \(POST \/registries\): HTTP 400 BAD_REQUEST: the registry is unhealthy \(Harbor still answered "unhealthy" after \d+s and \d+ attempts; .*propagate.*unhealthyRetrySeconds/);
    expect(message).toMatch(/remote registry is unreachable from Harbor or refused the access key\/secret/);
    expect([...emu.registries.values()].filter((r) => r.name === "dead")).toHaveLength(0);
  });
});

describe("error messages say which call, the status, Harbor's message and what to do", () => {
  it("401: check the admin credential, not retried", async () => {
    const message = await failure(endpoints.create({ ...ep("auth"), harborPassword: "wrong-Password-1" }));
    expect(message).toMatch(/create registry endpoint "auth" \(POST \/registries\): HTTP 401 UNAUTHORIZED: unauthorized\. Harbor refused the credential: check harborUsername\/harborPassword/);
    expect(message).not.toContain("wrong-Password-1");
    expect(emu.requests).toHaveLength(1);
  });

  it("403: needs a system administrator", async () => {
    emu.inject({ route: "POST /robots", kind: "status", status: 403, message: "forbidden" });
    const message = await failure(robots.create({ ...conn(emu), name: "forbid", projects: ["library"] }));
    expect(message).toMatch(/create robot account "forbid" \(POST \/robots\): HTTP 403 FORBIDDEN: forbidden\. the credential lacks the permission: use the Harbor admin/);
  });

  it("400 unhealthy without a retry window, and Harbor echoing a secret is redacted", async () => {
    emu.inject({ route: "POST /registries", kind: "status", status: 400, message: `the registry is unhealthy: login with ${SECRET} refused` });
    const message = await failure(endpoints.create(ep("echo", { unhealthyRetrySeconds: 0 })));
    expect(message).toMatch(/HTTP 400 BAD_REQUEST: the registry is unhealthy: login with \[secret\] refused\. the remote registry is unreachable/);
  });

  it("404 on update: refresh", async () => {
    const { id, outs } = await endpoints.create(ep("vanish"));
    emu.registries.delete(Number(id));
    const message = await failure(endpoints.update(id, outs, ep("vanish", { description: "x" })));
    expect(message).toMatch(/update registry endpoint "vanish" \(PUT \/registries\/\d+\): HTTP 404 NOT_FOUND: registry \d+ not found\. it does not exist in Harbor .*pulumi refresh/);
  });

  it("409 and 412 and 500", async () => {
    await endpoints.create(ep("dupe"));
    expect(await failure(endpoints.create(ep("dupe", { url: "https://other.azurecr.io" })))).toMatch(/HTTP 409 CONFLICT: a registry endpoint named "dupe" exists already in Harbor and differs from what this resource creates\. Set adoptExisting: true/);
    const unknownType = await failure(endpointProvider.create({ ...ep("weird"), type: "no-such-adapter", unhealthyRetrySeconds: 0 }).then(() => undefined));
    // Harbor answers every 5xx as "internal server error" (src/lib/http/error.go SendError): the hint must do without Harbor's detail.
    expect(unknownType).toMatch(/HTTP 500 UNKNOWN: internal server error \(after 6 attempts\)\. Harbor failed internally \(for registries often the adapter: unknown type/);
  });

  it("unreachable Harbor: no answer, check harborUrl", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
    });
    const client = harborClient({ harborUrl: `http://127.0.0.1:${port}`, harborUsername: "admin", harborPassword: "Never-Shown-1" }, { maxAttempts: 3, baseDelayMs: 10 });
    const message = await client.call("GET", "/ping", { what: "ping Harbor" }).then(() => "resolved", (e: Error) => e.message);
    expect(message).toMatch(/ping Harbor \(GET \/ping\): no answer: ECONNREFUSED.*after 3 attempts.*Check that harborUrl is reachable/);
    expect(message).not.toContain("Never-Shown-1");
  });
});

describe("client", () => {
  it("sends basic auth and a request id, never a cookie, and follows pagination", async () => {
    for (let i = 0; i < 120; i++) emu.addProject({ name: `bulk-${i}` });
    const client = harborClient(conn(emu));
    const all = await client.list("/projects");
    expect(all.length).toBeGreaterThan(120);
    expect(emu.requests.map((r) => r.query)).toEqual(["?page=1&page_size=100", "?page=2&page_size=100"]);
    for (const r of emu.requests) {
      expect(r.authorization).toBe("Basic " + Buffer.from(`admin:${emu.password}`).toString("base64"));
      expect(r.cookie).toBeUndefined();
    }
  });
});
