import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarborEmulator } from "./harbor-emulator/server";
import { validateRequestBody } from "./harbor-emulator/swagger";

// The emulator itself must behave like Harbor, or the provider tests prove nothing.
let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });

async function api(method: string, path: string, body?: unknown) {
  const send = () => fetch(`${emu.url}/api/v2.0${path}`, {
    method,
    headers: { Authorization: "Basic " + Buffer.from("admin:Harbor12345").toString("base64"), "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // fetch keeps connections alive: the first request after emu.restart() may hit a closed one.
  const res = await send().catch(send);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe("swagger body check", () => {
  it("accepts a conforming body and names each problem of a bad one", () => {
    expect(validateRequestBody("POST", "/api/v2.0/registries", { name: "a", type: "harbor", url: "https://x", credential: { type: "basic", access_key: "k", access_secret: "s" } })).toEqual([]);
    expect(validateRequestBody("PUT", "/api/v2.0/replication/policies/3", { name: "p", dest_namespace_replace_count: "0", replicate_deletions: true })).toEqual([
      "body.dest_namespace_replace_count: expected integer, got \"0\"",
      "body.replicate_deletions: not in the swagger definition",
    ]);
    expect(validateRequestBody("POST", "/api/v2.0/robots", { name: "r", permissions: [{ kind: "project", access: [{ resource: 1 }] }] })).toEqual(["body.permissions[0].access[0].resource: expected string, got number"]);
    expect(validateRequestBody("DELETE", "/api/v2.0/registries/1", { x: 1 })).toEqual(["DELETE /registries/{id}: takes no body"]);
  });
});

describe("emulator follows Harbor", () => {
  it("401 without credentials, 422 on a wrongly typed body", async () => {
    expect((await fetch(`${emu.url}/api/v2.0/registries`)).status).toBe(401);
    expect(await api("POST", "/registries", { name: 1 })).toMatchObject({ status: 422, body: { errors: [{ code: "UNPROCESSABLE_ENTITY" }] } });
  });

  it("registry: 201 + Location, 409, masked secret, partial PUT, URL normalisation", async () => {
    const created = await api("POST", "/registries", { name: "r1", type: "docker-registry", url: "nas.local/", credential: { type: "basic", access_key: "k", access_secret: "s" } });
    expect(created.status).toBe(201);
    const id = Number(/\/registries\/(\d+)$/.exec(created.headers.get("location")!)![1]);
    expect((await api("POST", "/registries", { name: "r1", type: "docker-registry", url: "https://x" })).status).toBe(409);
    expect((await api("GET", `/registries/${id}`)).body).toMatchObject({ url: "http://nas.local", credential: { access_key: "k", access_secret: "*****" } });
    expect((await api("PUT", `/registries/${id}`, { description: "d" })).status).toBe(200);
    expect(emu.registries.get(id)).toMatchObject({ description: "d", url: "http://nas.local", credential: { access_secret: "s" } });
  });

  it("policy: whole PUT resets omitted fields; delete of a referenced registry is 412", async () => {
    const reg = await api("POST", "/registries", { name: "r2", type: "docker-registry", url: "https://r2" });
    const regId = Number(reg.headers.get("location")!.split("/").pop());
    const p = await api("POST", "/replication/policies", { name: "p1", dest_registry: { id: regId }, dest_namespace_replace_count: 0, trigger: { type: "event_based" }, enabled: true });
    const pid = Number(p.headers.get("location")!.split("/").pop());
    expect((await api("PUT", `/replication/policies/${pid}`, { name: "p1", dest_registry: { id: regId }, trigger: { type: "event_based" } })).status).toBe(200);
    expect((await api("GET", `/replication/policies/${pid}`)).body).toMatchObject({ dest_namespace_replace_count: -1, enabled: false });
    expect((await api("DELETE", `/registries/${regId}`)).status).toBe(412);
    // Harbor's API refuses a policy naming both sides (or neither), not a pull-mode one (model.go Policy.Validate).
    expect((await api("POST", "/replication/policies", { name: "p2", src_registry: { id: regId }, dest_registry: { id: regId }, trigger: { type: "event_based" } })).status).toBe(400);
    expect((await api("POST", "/replication/policies", { name: "p3", dest_registry: { id: regId }, filters: [{ type: "name", value: "x", decoration: "matches" }] })).status).toBe(400);
  });

  it("robot: secret only in the create answer; duration 0 is 400; PUT needs the prefixed name", async () => {
    expect((await api("POST", "/robots", { name: "bot", level: "system", duration: 0, permissions: [] })).status).toBe(400);
    const r = await api("POST", "/robots", { name: "bot", level: "system", duration: -1, permissions: [{ kind: "project", namespace: "library", access: [{ resource: "repository", action: "pull" }] }] });
    expect(r.body).toMatchObject({ name: "robot$bot", secret: expect.any(String) });
    const id = r.body.id as number;
    expect((await api("GET", `/robots/${id}`)).body).not.toHaveProperty("secret");
    expect((await api("PUT", `/robots/${id}`, { name: "bot", level: "system", duration: -1 })).status).toBe(400);
  });

  it("robot: stored bare, answered with the robot_name_prefix setting; q=name= matches the stored name; pairs validated", async () => {
    const body = (name: string, resource = "repository", action = "pull") => ({ name, level: "system", duration: -1, permissions: [{ kind: "project", namespace: "library", access: [{ resource, action }] }] });
    expect((await api("POST", "/robots", body("pair", "artifact", "pull"))).body).toMatchObject({ errors: [{ message: "bad request permission: artifact:pull" }] });
    emu.robotNamePrefix = "svc-";
    const r = await api("POST", "/robots", body("stored"));
    expect(r.body.name).toBe("svc-stored");
    expect(emu.robots.get(r.body.id as number)!.name).toBe("stored");
    expect((await api("GET", "/robots?q=name=stored")).body.map((x: { name: string }) => x.name)).toEqual(["svc-stored"]);
    expect((await api("GET", "/robots?q=name=svc-stored")).body).toEqual([]);
    expect((await api("GET", "/configurations")).body.robot_name_prefix).toEqual({ value: "svc-", editable: true });
    emu.robotNamePrefix = "robot$";
  });

  it("project: 412 while it holds repositories; repositories listed and deleted by project name; quota limits", async () => {
    const p = await api("POST", "/projects", { project_name: "imgs", metadata: { public: "false" }, storage_limit: 1125899906842625 });
    expect(p).toMatchObject({ status: 400, body: { errors: [{ message: expect.stringMatching(/exceeded 1024TB/) }] } });
    const created = await api("POST", "/projects", { project_name: "imgs", metadata: { public: "false" }, storage_limit: 0 });
    const id = Number(created.headers.get("location")!.split("/").pop());
    expect(emu.quotas.get(id)!.hard.storage).toBe(-1); // 0 means Harbor's default (-1)
    expect((await api("PUT", `/quotas/${id}`, { hard: { storage: 0 } })).status).toBe(400);
    emu.addRepository("imgs", "a/b");
    expect((await api("GET", `/projects/${id}`)).body.repo_count).toBe(1);
    expect(await api("DELETE", `/projects/${id}`)).toMatchObject({ status: 412, body: { errors: [{ code: "PRECONDITION", message: "the project contains repositories, can not be deleted" }] } });
    expect((await api("GET", "/projects/imgs/repositories")).body.map((r: { name: string }) => r.name)).toEqual(["imgs/a/b"]);
    expect((await api("DELETE", "/projects/imgs/repositories/a%252Fb")).status).toBe(200);
    expect((await api("DELETE", `/projects/${id}`)).status).toBe(200);
  });

  it("registry PUT: an empty access_key drops the credential; v2.15.1 keeps the secret on a URL change", async () => {
    const created = await api("POST", "/registries", { name: "cred", type: "docker-registry", url: "https://cred", credential: { type: "basic", access_key: "k", access_secret: "s" } });
    const id = Number(created.headers.get("location")!.split("/").pop());
    expect((await api("PUT", `/registries/${id}`, { url: "https://cred2" })).status).toBe(200);
    expect(emu.registries.get(id)!.credential).toMatchObject({ access_key: "k", access_secret: "s" });
    expect((await api("PUT", `/registries/${id}`, { access_key: "", access_secret: "" })).status).toBe(200);
    // fromDaoModel always sets a credential; convertRegistry answers it with omitempty fields: {}.
    expect((await api("GET", `/registries/${id}`)).body.credential).toEqual({});
  });

  it("registry GET answers the credential as Harbor does: the key, the type, the secret masked only when one is stored", async () => {
    const created = await api("POST", "/registries", { name: "cred-view", type: "docker-registry", url: "https://cred-view", credential: { type: "basic", access_key: "k", access_secret: "s" } });
    const id = Number(created.headers.get("location")!.split("/").pop());
    expect((await api("GET", `/registries/${id}`)).body.credential).toEqual({ access_key: "k", type: "basic", access_secret: "*****" });
    const bare = await api("POST", "/registries", { name: "no-cred", type: "docker-registry", url: "https://no-cred" });
    expect((await api("GET", `/registries/${Number(bare.headers.get("location")!.split("/").pop())}`)).body.credential).toEqual({});
  });

  it("anonymous GET /projects is 200 with the public projects only; other calls 401", async () => {
    const priv = await api("POST", "/projects", { project_name: "anon-private", metadata: { public: "false" } });
    expect(priv.status).toBe(201);
    const anon = await fetch(`${emu.url}/api/v2.0/projects?q=name%3Danon-private`);
    expect(anon.status).toBe(200);
    expect(await anon.json()).toEqual([]);
    const wrong = await fetch(`${emu.url}/api/v2.0/projects`, { headers: { Authorization: "Basic " + Buffer.from("admin:wrong").toString("base64") } });
    expect(wrong.status).toBe(200);
    expect(((await wrong.json()) as { name: string }[]).map((p) => p.name)).toEqual(["library"]);
    expect(await (await fetch(`${emu.url}/api/v2.0/projects?public=false`)).json()).toEqual([]);
    const privId = Number(priv.headers.get("location")!.split("/").pop());
    expect((await fetch(`${emu.url}/api/v2.0/projects/${privId}`)).status).toBe(401);
    expect((await fetch(`${emu.url}/api/v2.0/projects/1`)).status).toBe(200);
    expect((await fetch(`${emu.url}/api/v2.0/robots`)).status).toBe(401);
  });

  it("5xx answers carry only \"internal server error\"; a missing registry_id is a 500, not a 404", async () => {
    const r = await api("POST", "/projects", { project_name: "proxy-nowhere", registry_id: 987654, metadata: { public: "false" } });
    expect(r).toMatchObject({ status: 500, body: { errors: [{ code: "UNKNOWN", message: "internal server error" }] } });
    const adapter = await api("POST", "/registries", { name: "bad-adapter", type: "no-such-adapter", url: "https://x" });
    expect(adapter).toMatchObject({ status: 500, body: { errors: [{ code: "UNKNOWN", message: "internal server error" }] } });
  });

  it("executions: newest first, page_size above 100 refused with 422; a stop completes later and DELETE of the policy is 412 meanwhile", async () => {
    const reg = await api("POST", "/registries", { name: "exec-dest", type: "docker-registry", url: "https://exec-dest" });
    const regId = Number(reg.headers.get("location")!.split("/").pop());
    const pol = await api("POST", "/replication/policies", { name: "exec-order", dest_registry: { id: regId }, enabled: true, trigger: { type: "manual" }, dest_namespace_replace_count: 0 });
    const policyId = Number(pol.headers.get("location")!.split("/").pop());
    emu.executionMs = 60_000;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(Number((await api("POST", "/replication/executions", { policy_id: policyId })).headers.get("location")!.split("/").pop()));
    const listed = await api("GET", `/replication/executions?policy_id=${policyId}`);
    expect(listed.body.map((e: { id: number }) => e.id)).toEqual([...ids].reverse());
    expect((await api("GET", `/replication/executions?policy_id=${policyId}&page_size=1`)).body.map((e: { id: number }) => e.id)).toEqual([ids[2]]);
    expect((await api("GET", `/replication/executions?policy_id=${policyId}&page_size=101`)).status).toBe(422);
    expect((await api("GET", "/projects?page_size=101")).status).toBe(422);
    emu.stopMs = 60_000;
    for (const id of ids) expect((await api("PUT", `/replication/executions/${id}`)).status).toBe(200);
    expect((await api("GET", `/replication/executions/${ids[0]}`)).body.status).toBe("InProgress");
    expect((await api("DELETE", `/replication/policies/${policyId}`)).status).toBe(412);
    emu.stopMs = 0;
    for (const id of ids) expect((await api("PUT", `/replication/executions/${id}`)).status).toBe(200);
    for (const e of emu.executions.values()) if (e.policy_id === policyId) e.stopAt = 0; // the tasks report back
    expect((await api("GET", `/replication/executions/${ids[0]}`)).body.status).toBe("Stopped");
    expect((await api("DELETE", `/replication/policies/${policyId}`)).status).toBe(200);
    emu.executionMs = 0;
    emu.stopMs = 300;
  });

  it("robot permissions are stored by project id: gone with the project, not given to a new project of the same name", async () => {
    const make = async () => Number((await api("POST", "/projects", { project_name: "swap", metadata: { public: "false" } })).headers.get("location")!.split("/").pop());
    const first = await make();
    const bot = await api("POST", "/robots", { name: "swapper", level: "system", duration: -1, permissions: [{ kind: "project", namespace: "swap", access: [{ resource: "repository", action: "pull" }] }] });
    const botId = Number(bot.headers.get("location")!.split("/").pop());
    expect(emu.robotCan(bot.body.name, bot.body.secret, "swap", "repository", "pull")).toBe(true);
    expect((await api("DELETE", `/projects/${first}`)).status).toBe(200);
    expect((await api("GET", `/robots/${botId}`)).body.permissions).toEqual([]);
    const second = await make();
    expect(second).not.toBe(first);
    expect((await api("GET", `/robots/${botId}`)).body.permissions).toEqual([]);
    expect(emu.robotCan(bot.body.name, bot.body.secret, "swap", "repository", "pull")).toBe(false);
    // The robot's update stores the name against the new project's id again.
    const put = await api("PUT", `/robots/${botId}`, { name: bot.body.name, level: "system", duration: -1, description: "", disable: false, permissions: [{ kind: "project", namespace: "swap", access: [{ resource: "repository", action: "pull" }] }] });
    expect(put.status).toBe(200);
    expect((await api("GET", `/robots/${botId}`)).body.permissions).toEqual([{ kind: "project", namespace: "swap", access: [{ resource: "repository", action: "pull" }] }]);
    expect(emu.robotCan(bot.body.name, bot.body.secret, "swap", "repository", "pull")).toBe(true);
  });

  it("policy: cron checked on single blanks, destination namespace and filters as Harbor does", async () => {
    const reg = await api("POST", "/registries", { name: "cronreg", type: "docker-registry", url: "https://cronreg" });
    const regId = Number(reg.headers.get("location")!.split("/").pop());
    const policy = (name: string, extra: Record<string, unknown>) => api("POST", "/replication/policies", { name, dest_registry: { id: regId }, ...extra });
    expect((await policy("c1", { trigger: { type: "scheduled", trigger_settings: { cron: " 0 0 * * * *" } } })).status).toBe(400);
    expect((await policy("c2", { trigger: { type: "scheduled", trigger_settings: { cron: "0 * * * * *" } } })).status).toBe(400);
    expect((await policy("c3", { trigger: { type: "scheduled", trigger_settings: { cron: "0 0 */6 * * *" } } })).status).toBe(201);
    expect((await policy("n1", { dest_namespace: "Upper/Case" })).status).toBe(400);
    expect((await policy("f1", { filters: [{ type: "resource", value: "chart" }] })).status).toBe(400);
  });

  it("execution: fails when told to, and a restart keeps the state on the same address", async () => {
    const reg = await api("POST", "/registries", { name: "execreg", type: "docker-registry", url: "https://execreg" });
    const regId = Number(reg.headers.get("location")!.split("/").pop());
    const p = await api("POST", "/replication/policies", { name: "exec", dest_registry: { id: regId }, enabled: true });
    const pid = Number(p.headers.get("location")!.split("/").pop());
    emu.failExecutions = 1;
    const e = await api("POST", "/replication/executions", { policy_id: pid });
    const eid = Number(e.headers.get("location")!.split("/").pop());
    expect((await api("GET", `/replication/executions/${eid}`)).body).toMatchObject({ status: "Failed" });
    const before = emu.url;
    await emu.restart();
    expect(emu.url).toBe(before);
    expect((await api("GET", `/replication/policies/${pid}`)).body).toMatchObject({ name: "exec" });
  });

  it("lists paginate with X-Total-Count and Link", async () => {
    for (let i = 0; i < 12; i++) emu.addProject({ name: `page-${i}` });
    const first = await api("GET", "/projects?page=1&page_size=5");
    expect(first.body).toHaveLength(5);
    expect(Number(first.headers.get("x-total-count"))).toBeGreaterThanOrEqual(13);
    expect(first.headers.get("link")).toMatch(/page=2&page_size=5>; rel="next"/);
  });
});
