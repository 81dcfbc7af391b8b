import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarborEmulator } from "./harbor-emulator/server";
import { validateRequestBody } from "./harbor-emulator/swagger";

// The emulator itself must behave like Harbor, or the provider tests prove nothing.
let emu: HarborEmulator;
beforeAll(async () => { emu = new HarborEmulator(); await emu.start(); });
afterAll(async () => { await emu.stop(); });

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${emu.url}/api/v2.0${path}`, {
    method,
    headers: { Authorization: "Basic " + Buffer.from("admin:Harbor12345").toString("base64"), "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
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
    expect((await api("POST", "/replication/policies", { name: "p2", src_registry: { id: regId }, trigger: { type: "event_based" } })).status).toBe(400);
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

  it("lists paginate with X-Total-Count and Link", async () => {
    for (let i = 0; i < 12; i++) emu.addProject({ name: `page-${i}` });
    const first = await api("GET", "/projects?page=1&page_size=5");
    expect(first.body).toHaveLength(5);
    expect(Number(first.headers.get("x-total-count"))).toBeGreaterThanOrEqual(13);
    expect(first.headers.get("link")).toMatch(/page=2&page_size=5>; rel="next"/);
  });
});
