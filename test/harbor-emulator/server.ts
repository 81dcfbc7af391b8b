/**
 * Harbor emulator: a real HTTP server on 127.0.0.1 that answers the part of Harbor's REST API v2.0
 * the dynamic providers use, the way Harbor does (see ../shared/reference/harbor.md): basic auth,
 * 201 + Location, 409 on duplicates, 400 on invalid bodies and unhealthy remotes, 412 on delete in
 * use, partial registry PUT, whole-policy PUT, masked secrets, robot secret only on create,
 * pagination headers. Faults can be injected per route: 5xx bursts, 429 + Retry-After,
 * connection resets (before or after Harbor commits) and slow answers.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { validateRequestBody } from "./swagger";
import { cronProblem, filterProblem, robotPermissionProblem } from "./rules";

type Obj = Record<string, unknown>;

export interface Fault {
  /** "POST /registries", "GET /replication/policies/*" or "*". */
  route: string;
  kind: "status" | "reset-before" | "reset-after" | "delay";
  status?: number;
  retryAfterSeconds?: number;
  /** Harbor error message of a status fault (default: Harbor's 500 text). */
  message?: string;
  delayMs?: number;
  /** How many matching requests it hits (default 1). */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  body: unknown;
  status: number;
  authorization?: string;
  cookie?: string;
  /** Problems against the swagger body schema (empty when it conforms). */
  schemaProblems: string[];
}

interface Execution { id: number; policy_id: number; status: string; status_text: string; trigger: string; start_time: string; end_time?: string; total: number; succeed: number; failed: number; in_progress: number; stopped: number; doneAt: number }

const ADAPTERS = ["azure-acr", "google-gcr", "docker-registry", "ali-acr", "harbor", "docker-hub", "aws-ecr", "github-ghcr", "jfrog-artifactory", "huawei-SWR", "tencent-tcr", "volcengine-cr"];

export class HarborEmulator {
  readonly requests: RecordedRequest[] = [];
  readonly projects = new Map<number, Obj>();
  readonly registries = new Map<number, Obj>();
  readonly policies = new Map<number, Obj>();
  readonly executions = new Map<number, Execution>();
  readonly robots = new Map<number, Obj & { secret: string }>();
  readonly quotas = new Map<number, { id: number; projectId: number; hard: { storage: number } }>();
  /** Remote registry URL -> how many more health checks fail ("unhealthy"); Infinity = always. */
  readonly unhealthy = new Map<string, number>();
  /** How long a replication execution stays InProgress (ms). */
  executionMs = 0;
  private faults: (Fault & { left: number })[] = [];
  private nextId = 1;
  private server?: Server;
  url = "";

  constructor(readonly username = "admin", readonly password = "Harbor12345") {
    // Harbor ships a public `library` project.
    this.addProject({ name: "library", metadata: { public: "true" } });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Requests other than GET. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  addProject(p: { name: string; metadata?: Obj; repoCount?: number; registryId?: number }): number {
    const id = this.nextId++;
    this.projects.set(id, { project_id: id, name: p.name, metadata: { public: "false", ...p.metadata }, repo_count: p.repoCount ?? 0, registry_id: p.registryId ?? 0, creation_time: now() });
    this.quotas.set(id, { id, projectId: id, hard: { storage: -1 } });
    return id;
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const route = `${method} ${path}`;
    const f = this.faults.find((x) => x.left > 0 && (x.route === "*" || x.route === route || (x.route.endsWith("/*") && route.startsWith(x.route.slice(0, -1)))));
    if (f) f.left--;
    return f;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://x");
    const method = req.method ?? "GET";
    const path = url.pathname.replace(/^\/api\/v2\.0/, "");
    let body: unknown;
    let badJson = false;
    if (text) { try { body = JSON.parse(text); } catch { badJson = true; } }
    const record: RecordedRequest = {
      method, path, query: url.search, body, status: 0,
      authorization: req.headers.authorization, cookie: req.headers.cookie,
      schemaProblems: url.pathname.startsWith("/api/v2.0") ? validateRequestBody(method, url.pathname, body) : [],
    };
    this.requests.push(record);

    const fault = this.takeFault(method, path);
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
    if (fault?.kind === "reset-before") { record.status = -1; req.socket.destroy(); return; }
    if (fault?.kind === "status") {
      record.status = fault.status ?? 503;
      const headers: Record<string, string> = { "Content-Type": "application/json" };
      if (fault.retryAfterSeconds !== undefined) headers["Retry-After"] = String(fault.retryAfterSeconds);
      res.writeHead(record.status, headers);
      res.end(fault.message !== undefined ? errors(codeFor(record.status), fault.message)
        : record.status === 429 ? errors("TOO_MANY_REQUEST", "too many requests") : "\"internal server error\"");
      return;
    }

    let answer: Answer;
    if (!this.authorized(req.headers.authorization)) answer = fail(401, "UNAUTHORIZED", "unauthorized");
    else if (badJson) answer = fail(400, "BAD_REQUEST", "invalid JSON body");
    else {
      // Harbor's go-swagger binding rejects wrong types with 422 before any handler runs.
      const typeProblems = record.schemaProblems.filter((p) => !p.includes("not in the swagger definition"));
      answer = typeProblems.length ? fail(422, "UNPROCESSABLE_ENTITY", typeProblems.join("; ")) : this.route(method, path, url.searchParams, body as Obj);
    }
    record.status = answer.status;
    if (fault?.kind === "reset-after") { req.socket.destroy(); return; }
    const headers: Record<string, string | number> = { ...answer.headers };
    if (req.headers["x-request-id"]) headers["X-Request-Id"] = String(req.headers["x-request-id"]);
    if (answer.body !== undefined) headers["Content-Type"] = "application/json";
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
  }

  private authorized(header: string | undefined): boolean {
    return header === "Basic " + Buffer.from(`${this.username}:${this.password}`).toString("base64");
  }

  private route(method: string, path: string, q: URLSearchParams, body: Obj): Answer {
    const seg = path.split("/").filter(Boolean);
    const id = seg.length > 1 ? Number(seg[seg.length - 1]) : NaN;
    const key = `${method} /${seg.map((s, i) => (i > 0 && /^\d+$/.test(s) ? "{id}" : s)).join("/")}`;
    switch (key) {
      case "POST /projects": return this.createProject(body);
      case "GET /projects": return this.list([...this.projects.values()], q, path);
      case "GET /projects/{id}": return found(this.projects.get(id), "project", id);
      case "PUT /projects/{id}": return this.updateProject(id, body);
      case "DELETE /projects/{id}": return this.deleteProject(id);
      case "GET /quotas": return this.list([...this.quotas.values()].filter((x) => String(x.projectId) === q.get("reference_id")).map((x) => ({ id: x.id, ref: { id: x.projectId }, hard: x.hard })), new URLSearchParams(), path);
      case "PUT /quotas/{id}": return this.updateQuota(id, body);
      case "POST /registries": return this.createRegistry(body);
      case "GET /registries": return this.list([...this.registries.values()].map(maskRegistry), q, path);
      case "GET /registries/{id}": { const r = this.registries.get(id); return r ? ok(maskRegistry(r)) : fail(404, "NOT_FOUND", `registry ${id} not found`); }
      case "PUT /registries/{id}": return this.updateRegistry(id, body);
      case "DELETE /registries/{id}": return this.deleteRegistry(id);
      case "POST /replication/policies": return this.createPolicy(body);
      case "GET /replication/policies": return this.list([...this.policies.values()].map((p) => this.policyView(p)), q, path);
      case "GET /replication/policies/{id}": { const p = this.policies.get(id); return p ? ok(this.policyView(p)) : fail(404, "NOT_FOUND", `policy ${id} not found`); }
      case "PUT /replication/policies/{id}": return this.updatePolicy(id, body);
      case "DELETE /replication/policies/{id}": return this.deletePolicy(id);
      case "POST /replication/executions": return this.startExecution(body);
      case "GET /replication/executions": return this.list([...this.executions.values()].filter((e) => !q.get("policy_id") || String(e.policy_id) === q.get("policy_id")).filter((e) => !q.get("status") || this.execView(e).status === q.get("status")).map((e) => this.execView(e)), new URLSearchParams(), path);
      case "GET /replication/executions/{id}": { const e = this.executions.get(id); return e ? ok(this.execView(e)) : fail(404, "NOT_FOUND", `execution ${id} not found`); }
      case "PUT /replication/executions/{id}": { const e = this.executions.get(id); if (!e) return fail(404, "NOT_FOUND", "execution not found"); if (this.execView(e).status === "InProgress") Object.assign(e, { status: "Stopped", doneAt: 0 }); return ok(undefined); }
      case "POST /robots": return this.createRobot(body);
      case "GET /robots": return this.list([...this.robots.values()].map((r) => robotView(r)), q, path);
      case "GET /robots/{id}": { const r = this.robots.get(id); return r ? ok(robotView(r)) : fail(404, "NOT_FOUND", `robot ${id} not found`); }
      case "PUT /robots/{id}": return this.updateRobot(id, body);
      case "PATCH /robots/{id}": return this.refreshRobotSecret(id, body);
      case "DELETE /robots/{id}": return this.robots.delete(id) ? ok(undefined) : fail(404, "NOT_FOUND", `robot ${id} not found`);
      default: return fail(404, "NOT_FOUND", `no route ${method} ${path}`);
    }
  }

  /** Harbor list semantics: q=name=<exact>, q=Level=system, page/page_size, X-Total-Count and Link. */
  private list(items: Obj[], q: URLSearchParams, path: string): Answer {
    let result = items;
    for (const term of (q.get("q") ?? "").split(",").filter(Boolean)) {
      const [k, v] = term.split("=");
      if (k === "name") result = result.filter((i) => i.name === v || i.name === `robot$${v}`);
      if (k === "Level") result = result.filter((i) => i.level === v);
    }
    const page = Number(q.get("page") ?? 1);
    const size = Math.min(100, Number(q.get("page_size") ?? 10));
    const slice = result.slice((page - 1) * size, page * size);
    const links: string[] = [];
    const base = `/api/v2.0${path}?${[...q.entries()].filter(([k]) => k !== "page" && k !== "page_size").map(([k, v]) => `${k}=${encodeURIComponent(v)}&`).join("")}`;
    if (page > 1) links.push(`<${base}page=${page - 1}&page_size=${size}>; rel="prev"`);
    if (page * size < result.length) links.push(`<${base}page=${page + 1}&page_size=${size}>; rel="next"`);
    return { status: 200, body: slice, headers: { "X-Total-Count": result.length, ...(links.length ? { Link: links.join(" , ") } : {}) } };
  }

  private created(path: string, id: number, body?: unknown): Answer {
    return { status: 201, headers: { Location: `/api/v2.0${path}/${id}` }, body };
  }

  private createProject(b: Obj): Answer {
    const name = b.project_name;
    if (typeof name !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) return fail(400, "BAD_REQUEST", "project name is not in lower case or contains illegal characters");
    if ([...this.projects.values()].some((p) => p.name === name)) return fail(409, "CONFLICT", `The project named ${name} already exists`);
    const registryId = typeof b.registry_id === "number" ? b.registry_id : 0;
    if (b.registry_id !== undefined && b.registry_id !== null && registryId <= 0) return fail(400, "BAD_REQUEST", "registry_id must be > 0");
    if (registryId && !this.registries.has(registryId)) return fail(400, "BAD_REQUEST", `registry ${registryId} not found`);
    const id = this.addProject({ name, metadata: (b.metadata as Obj) ?? {}, registryId });
    const limit = typeof b.storage_limit === "number" ? b.storage_limit : -1;
    this.quotas.get(id)!.hard.storage = limit;
    return this.created("/projects", id);
  }

  private updateProject(id: number, b: Obj): Answer {
    const p = this.projects.get(id);
    if (!p) return fail(404, "NOT_FOUND", `project ${id} not found`);
    if (b.metadata) p.metadata = { ...(p.metadata as Obj), ...(b.metadata as Obj) };
    return ok(undefined);
  }

  private updateQuota(id: number, b: Obj): Answer {
    const quota = this.quotas.get(id);
    if (!quota) return fail(404, "NOT_FOUND", `quota ${id} not found`);
    const storage = (b.hard as Obj | undefined)?.storage;
    if (typeof storage !== "number" || (storage < 0 && storage !== -1)) return fail(400, "BAD_REQUEST", "hard.storage must be -1 or >= 0");
    quota.hard.storage = storage;
    return ok(undefined);
  }

  private deleteProject(id: number): Answer {
    const p = this.projects.get(id);
    if (!p) return fail(404, "NOT_FOUND", `project ${id} not found`);
    if (Number(p.repo_count) > 0) return fail(412, "PRECONDITION", `the project ${String(p.name)} contains repositories, cannot be deleted`);
    this.projects.delete(id);
    this.quotas.delete(id);
    return ok(undefined);
  }

  /** Harbor pings the remote on create and update (and normalises the URL first). */
  private health(r: Obj): Answer | undefined {
    if (!ADAPTERS.includes(String(r.type))) return fail(500, "UNKNOWN", `adapter factory for ${String(r.type)} not found`);
    const left = this.unhealthy.get(String(r.url)) ?? 0;
    if (left > 0) {
      this.unhealthy.set(String(r.url), left - 1);
      return fail(400, "BAD_REQUEST", "the registry is unhealthy");
    }
    return undefined;
  }

  private createRegistry(b: Obj): Answer {
    if (typeof b.name !== "string" || b.name.length === 0 || b.name.length > 64) return fail(400, "BAD_REQUEST", "name is required and must be at most 64 characters");
    if (typeof b.url !== "string" || !b.url.trim()) return fail(400, "BAD_REQUEST", "type or url cannot be empty");
    const reg: Obj = {
      name: b.name, type: b.type, url: normalizeUrl(b.url), description: b.description ?? "", insecure: b.insecure === true,
      status: "healthy", creation_time: now(),
    };
    const cred = b.credential as Obj | undefined;
    if (cred?.access_key) reg.credential = { type: cred.type ?? "basic", access_key: cred.access_key, access_secret: cred.access_secret ?? "" };
    const unhealthy = this.health(reg);
    if (unhealthy) return unhealthy;
    if ([...this.registries.values()].some((r) => r.name === b.name)) return fail(409, "CONFLICT", `registry ${b.name} already exists`);
    const id = this.nextId++;
    this.registries.set(id, { ...reg, id });
    return this.created("/registries", id);
  }

  private updateRegistry(id: number, b: Obj): Answer {
    const r = this.registries.get(id);
    if (!r || id === 0) return fail(404, "NOT_FOUND", `registry ${id} not found`);
    const next: Obj = { ...r };
    if (b.name !== undefined && b.name !== null) next.name = b.name;
    if (b.description !== undefined && b.description !== null) next.description = b.description;
    if (b.insecure !== undefined && b.insecure !== null) next.insecure = b.insecure;
    const cred = { ...((r.credential as Obj | undefined) ?? {}) };
    if (b.url !== undefined && b.url !== null) {
      if (normalizeUrl(String(b.url)) !== r.url && b.access_secret === undefined) cred.access_secret = ""; // Harbor main: URL change clears the secret
      next.url = normalizeUrl(String(b.url));
    }
    if (b.credential_type) cred.type = b.credential_type;
    if (b.access_key !== undefined && b.access_key !== null) cred.access_key = b.access_key;
    if (b.access_secret !== undefined && b.access_secret !== null) cred.access_secret = b.access_secret;
    if (cred.access_key) next.credential = cred;
    const unhealthy = this.health(next);
    if (unhealthy) return unhealthy;
    if ([...this.registries.values()].some((x) => x.name === next.name && x.id !== id)) return fail(409, "CONFLICT", `registry ${String(next.name)} already exists`);
    this.registries.set(id, next);
    return ok(undefined);
  }

  private deleteRegistry(id: number): Answer {
    if (!this.registries.has(id)) return fail(404, "NOT_FOUND", `registry ${id} not found`);
    const policy = [...this.policies.values()].find((p) => (p.dest_registry as Obj).id === id);
    if (policy) return fail(412, "PRECONDITION", `the registry ${id} is referenced by policies, cannot delete it`);
    if ([...this.projects.values()].some((p) => p.registry_id === id)) return fail(412, "PRECONDITION", `the registry ${id} is referenced by proxy cache projects, cannot delete it`);
    this.registries.delete(id);
    return ok(undefined);
  }

  private policyProblem(b: Obj): Answer | undefined {
    if (typeof b.name !== "string" || !b.name) return fail(400, "BAD_REQUEST", "name is required");
    const src = (b.src_registry as Obj | undefined)?.id ?? 0;
    const dest = (b.dest_registry as Obj | undefined)?.id ?? 0;
    if ((src === 0) === (dest === 0)) return fail(400, "BAD_REQUEST", "either src_registry or dest_registry should be empty and the other one shouldn't be empty");
    if (!this.registries.has(Number(dest || src))) return fail(404, "NOT_FOUND", `registry ${String(dest || src)} not found`);
    const trigger = (b.trigger as Obj | undefined) ?? { type: "manual" };
    if (!["manual", "scheduled", "event_based"].includes(String(trigger.type))) return fail(400, "BAD_REQUEST", `invalid trigger type ${String(trigger.type)}`);
    if (trigger.type === "event_based" && src !== 0) return fail(400, "BAD_REQUEST", "the event based trigger is only supported for push-based replication");
    if (trigger.type === "scheduled") {
      const problem = cronProblem(String((trigger.trigger_settings as Obj | undefined)?.cron ?? ""));
      if (problem) return fail(400, "BAD_REQUEST", `invalid cron string for scheduled trigger: ${problem}`);
    }
    for (const f of (b.filters as Obj[] | undefined) ?? []) {
      const problem = filterProblem(f);
      if (problem) return fail(400, "BAD_REQUEST", problem);
    }
    const ns = b.dest_namespace;
    if (ns !== undefined && ns !== "" && !/^[a-z0-9]+(?:[._-][a-z0-9]+)*(\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(String(ns))) return fail(400, "BAD_REQUEST", `invalid destination namespace ${String(ns)}`);
    return undefined;
  }

  private storePolicy(id: number, b: Obj): void {
    const speed = typeof b.speed === "number" && b.speed > 0 ? b.speed : 0;
    // Whole replace: what the body omits is reset (dest_namespace_replace_count silently -1).
    this.policies.set(id, {
      id, name: b.name, description: b.description ?? "", dest_registry: { id: (b.dest_registry as Obj).id },
      dest_namespace: b.dest_namespace ?? "", dest_namespace_replace_count: b.dest_namespace_replace_count ?? -1,
      trigger: b.trigger ?? { type: "manual" }, filters: b.filters ?? [], replicate_deletion: b.deletion === true,
      override: b.override === true, enabled: b.enabled === true, speed, copy_by_chunk: b.copy_by_chunk === true,
      creation_time: this.policies.get(id)?.creation_time ?? now(), update_time: now(),
    });
  }

  private policyView(p: Obj): Obj {
    const dest = this.registries.get(Number((p.dest_registry as Obj).id));
    return { ...p, deletion: p.replicate_deletion, src_registry: { id: 0, name: "Local", type: "harbor", url: "http://core:8080" }, dest_registry: dest ? maskRegistry(dest) : p.dest_registry };
  }

  private createPolicy(b: Obj): Answer {
    const problem = this.policyProblem(b);
    if (problem) return problem;
    if ([...this.policies.values()].some((p) => p.name === b.name)) return fail(409, "CONFLICT", `policy ${String(b.name)} already exists`);
    const id = this.nextId++;
    this.storePolicy(id, b);
    return this.created("/replication/policies", id);
  }

  private updatePolicy(id: number, b: Obj): Answer {
    if (!this.policies.has(id)) return fail(404, "NOT_FOUND", `policy ${id} not found`);
    const problem = this.policyProblem(b);
    if (problem) return problem;
    if ([...this.policies.values()].some((p) => p.name === b.name && p.id !== id)) return fail(409, "CONFLICT", `policy ${String(b.name)} already exists`);
    this.storePolicy(id, b);
    return ok(undefined);
  }

  private deletePolicy(id: number): Answer {
    if (!this.policies.has(id)) return fail(404, "NOT_FOUND", `policy ${id} not found`);
    if ([...this.executions.values()].some((e) => e.policy_id === id && this.execView(e).status === "InProgress")) {
      return fail(412, "PRECONDITION", "the policy contains executions that aren't in final status, stop the execution first");
    }
    this.policies.delete(id);
    return ok(undefined);
  }

  private startExecution(b: Obj): Answer {
    const policy = this.policies.get(Number(b.policy_id));
    if (!policy) return fail(404, "NOT_FOUND", `policy ${String(b.policy_id)} not found`);
    if (!policy.enabled) return fail(412, "PRECONDITION", `the policy ${String(b.policy_id)} is disabled`);
    const id = this.nextId++;
    this.executions.set(id, { id, policy_id: Number(b.policy_id), status: "InProgress", status_text: "", trigger: "manual", start_time: now(), total: 0, succeed: 0, failed: 0, in_progress: 0, stopped: 0, doneAt: Date.now() + this.executionMs });
    return this.created("/replication/executions", id);
  }

  private execView(e: Execution): Obj {
    const { doneAt, ...rest } = e;
    if (rest.status === "InProgress" && Date.now() >= doneAt) return { ...rest, status: "Succeed", end_time: now() };
    return rest;
  }

  private createRobot(b: Obj): Answer {
    const name = b.name;
    if (typeof name !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) return fail(400, "BAD_REQUEST", "robot name is not in lower case or contains illegal characters");
    if (b.level !== "system" && b.level !== "project") return fail(400, "BAD_REQUEST", `bad request level: ${String(b.level)}`);
    if (typeof b.duration !== "number" || !(b.duration === -1 || b.duration > 0)) return fail(400, "BAD_REQUEST", "bad request duration: the duration must be -1 or a positive number");
    for (const p of (b.permissions as Obj[] | undefined) ?? []) {
      const problem = robotPermissionProblem(p, (n) => [...this.projects.values()].some((x) => x.name === n));
      if (problem) return fail(400, "BAD_REQUEST", problem);
    }
    if ([...this.robots.values()].some((r) => r.name === name)) return fail(409, "CONFLICT", `robot account 0:${name} already exists`);
    const id = this.nextId++;
    const secret = randomBytes(16).toString("hex");
    const created = now();
    this.robots.set(id, { id, name, description: b.description ?? "", level: b.level, duration: b.duration, disable: false, editable: true, permissions: b.permissions ?? [], creation_time: created, expires_at: -1, secret });
    return this.created("/robots", id, { id, name: `robot$${name}`, secret, creation_time: created, expires_at: -1 });
  }

  private updateRobot(id: number, b: Obj): Answer {
    const r = this.robots.get(id);
    if (!r) return fail(404, "NOT_FOUND", `robot ${id} not found`);
    if (b.name !== `robot$${String(r.name)}` || b.level !== r.level) return fail(400, "BAD_REQUEST", "cannot update the level or name of robot");
    if (typeof b.duration !== "number" || !(b.duration === -1 || b.duration > 0)) return fail(400, "BAD_REQUEST", "bad request duration: the duration must be -1 or a positive number");
    for (const p of (b.permissions as Obj[] | undefined) ?? []) {
      const problem = robotPermissionProblem(p, (n) => [...this.projects.values()].some((x) => x.name === n));
      if (problem) return fail(400, "BAD_REQUEST", problem);
    }
    Object.assign(r, { description: b.description ?? "", duration: b.duration, disable: b.disable === true, permissions: b.permissions ?? [] });
    return ok(undefined);
  }

  private refreshRobotSecret(id: number, b: Obj): Answer {
    const r = this.robots.get(id);
    if (!r) return fail(404, "NOT_FOUND", `robot ${id} not found`);
    if (typeof b.secret === "string" && b.secret) {
      r.secret = b.secret;
      return ok({ secret: "" });
    }
    r.secret = randomBytes(16).toString("hex");
    return ok({ secret: r.secret });
  }
}

interface Answer { status: number; body?: unknown; headers?: Record<string, string | number> }

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function fail(status: number, code: string, message: string): Answer {
  return { status, body: { errors: [{ code, message }] } };
}

function found(o: Obj | undefined, kind: string, id: number): Answer {
  return o ? ok(o) : fail(404, "NOT_FOUND", `${kind} ${id} not found`);
}

function errors(code: string, message: string): string {
  return JSON.stringify({ errors: [{ code, message }] });
}

function codeFor(status: number): string {
  return ({ 400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 409: "CONFLICT", 412: "PRECONDITION", 429: "TOO_MANY_REQUEST" } as Record<number, string>)[status] ?? "UNKNOWN";
}

function now(): string {
  return new Date().toISOString();
}

/** Harbor's lib.ValidateHTTPURL: trim, drop the trailing slash, prepend http:// without a scheme. */
function normalizeUrl(url: string): string {
  const u = url.trim().replace(/\/+$/, "");
  return /^https?:\/\//.test(u) ? u : `http://${u}`;
}

function maskRegistry(r: Obj): Obj {
  const cred = r.credential as Obj | undefined;
  return { ...r, credential: cred ? { ...cred, access_secret: "*****" } : undefined };
}

function robotView(r: Obj): Obj {
  const { secret: _secret, ...rest } = r;
  return { ...rest, name: `robot$${String(r.name)}` };
}
