/**
 * Harbor emulator: a real HTTP server on 127.0.0.1 that answers the part of Harbor's REST API v2.0
 * the dynamic providers use, the way Harbor v2.15.1 does. Every behaviour cites the Harbor source
 * it follows (file and function at tag v2.15.1); CONFORMANCE.md beside this file is the table.
 * Faults can be injected per route: 5xx bursts, 429 + Retry-After, connection resets (before or
 * after Harbor commits) and slow answers; executions can be made to fail; `restart()` stops and
 * starts the server on the same port with its state kept (Harbor's database survives a restart).
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { validateRequestBody } from "./swagger";
import {
  cronProblem, destNamespaceProblem, filterProblem, queryPredicate, quotaLimitProblem, robotNameProblem, robotValidationProblem,
} from "./rules";

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
  /** Hit only every Nth matching request (the 1st, the N+1th, ...): with 2, every call fails once and its retry succeeds. */
  every?: number;
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

interface Execution { id: number; policy_id: number; status: string; status_text: string; trigger: string; start_time: string; end_time?: string; total: number; succeed: number; failed: number; in_progress: number; stopped: number; doneAt: number; fails: boolean; stopAt?: number }

/** A robot's permission as Harbor stores it (rbac role_permission + permission_policy): by scope. */
interface StoredPermission { scope: string; access: Obj[] }

interface Repository { id: number; project_id: number; name: string; artifact_count: number; creation_time: string }

/** src/pkg/reg/model/registry.go RegistryType* (adapters registered under src/pkg/reg/adapter/*). */
const ADAPTERS = ["harbor", "docker-hub", "docker-registry", "huawei-SWR", "google-gcr", "aws-ecr", "azure-acr", "ali-acr", "jfrog-artifactory", "quay", "gitlab", "dtr", "tencent-tcr", "github-ghcr", "volcengine-cr"];
/** harbor-helm v1.19.1 templates/core/core-cm.yaml PERMITTED_REGISTRY_TYPES_FOR_PROXY_CACHE (read by src/lib/config/systemconfig.go). */
const PROXY_CACHE_TYPES = ["docker-hub", "harbor", "azure-acr", "ali-acr", "aws-ecr", "google-gcr", "docker-registry", "github-ghcr", "jfrog-artifactory"];

export class HarborEmulator {
  readonly requests: RecordedRequest[] = [];
  readonly projects = new Map<number, Obj>();
  /** Repositories by full name "<project>/<repo>" (what makes a project undeletable). */
  readonly repositories = new Map<string, Repository>();
  readonly registries = new Map<number, Obj>();
  readonly policies = new Map<number, Obj>();
  readonly executions = new Map<number, Execution>();
  /** Stored as Harbor stores them: a system robot under its bare name. */
  readonly robots = new Map<number, Obj & { secret: string }>();
  readonly quotas = new Map<number, { id: number; projectId: number; hard: { storage: number } }>();
  /** Remote registry URL -> how many more health checks fail ("unhealthy"); Infinity = always. */
  readonly unhealthy = new Map<string, number>();
  /** How long a replication execution stays InProgress (ms). */
  executionMs = 0;
  /** How long a stopped execution stays InProgress before its tasks report Stopped (ms). */
  stopMs = 300;
  /** How many of the next executions end Failed (the replication flow failed). */
  failExecutions = 0;
  /** Harbor setting `robot_name_prefix` (src/lib/config/metadata/metadatalist.go, default "robot$"). */
  robotNamePrefix = "robot$";
  /**
   * Harbor main after v2.15.2 (PR #23671): a registry PUT that changes the URL without a secret
   * clears the stored secret. Off: v2.15.1 keeps it (src/server/v2.0/handler/registry.go UpdateRegistry).
   */
  urlChangeClearsSecret = false;
  private faults: (Fault & { left: number; seen: number })[] = [];
  private nextId = 1;
  private server?: Server;
  private port = 0;
  url = "";

  /** `port`: listen there (0: a free port); the engine e2e needs the URL before Harbor "starts". */
  constructor(readonly username = "admin", readonly password = "Harbor12345", port = 0) {
    this.port = port;
    // Harbor ships a public `library` project (make/migrations/postgresql/0001_initial_schema.up.sql).
    this.addProject({ name: "library", metadata: { public: "true" } });
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** Harbor restarted: the same address, the database kept, in-flight executions stopped by the restart. */
  async restart(): Promise<void> {
    await this.stop();
    for (const e of this.executions.values()) {
      if (this.execView(e).status === "InProgress") Object.assign(e, { status: "Stopped", doneAt: 0 });
    }
    await this.start();
  }

  inject(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1, seen: 0 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Requests other than GET. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  addProject(p: { name: string; metadata?: Obj; registryId?: number }): number {
    const id = this.nextId++;
    this.projects.set(id, { project_id: id, name: p.name, metadata: { public: "false", ...p.metadata }, registry_id: p.registryId ?? 0, creation_time: now() });
    this.quotas.set(id, { id, projectId: id, hard: { storage: -1 } });
    return id;
  }

  /** A repository with `artifacts` artifacts pushed into a project (as a push or a proxy-cache pull makes). */
  addRepository(project: string, repo: string, artifacts = 1): void {
    const p = [...this.projects.values()].find((x) => x.name === project);
    if (!p) throw new Error(`emulator: no project ${project}`);
    const name = `${project}/${repo}`;
    this.repositories.set(name, { id: this.nextId++, project_id: Number(p.project_id), name, artifact_count: artifacts, creation_time: now() });
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const route = `${method} ${path}`;
    const f = this.faults.find((x) => x.left > 0 && (x.route === "*" || x.route === route || (x.route.endsWith("/*") && route.startsWith(x.route.slice(0, -1)))));
    if (!f) return undefined;
    if ((f.seen++ % (f.every ?? 1)) !== 0) return undefined;
    f.left--;
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
    // src/server/middleware/security: bad or missing credentials make an anonymous caller, and the
    // system-level handlers answer 401 (lib/http BaseAPI.RequireSystemAccess).
    if (!this.authorized(req.headers.authorization)) answer = this.anonymous(method, path, url.searchParams);
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

  /**
   * An anonymous caller (no or bad credentials: src/server/middleware/security/basic_auth.go logs
   * the failure and generates no security context). handler project.go ListProjects answers 200
   * with the public projects only (an empty list for public=false); GetProject runs
   * RequireProjectAccess (base.go): a public project is readable, anything else (private or
   * missing) is 401 for an unauthenticated caller. Every other handler used here requires
   * authentication or system access: 401.
   */
  private anonymous(method: string, path: string, q: URLSearchParams): Answer {
    const publicRows = () => [...this.projects.values()].filter((p) => (p.metadata as Obj | undefined)?.public === "true");
    if (method === "GET" && path === "/projects") {
      if (q.get("public") === "false") return { status: 200, body: [], headers: { "X-Total-Count": 0 } };
      return this.list(publicRows(), q, path, (p) => this.projectView(p));
    }
    const one = /^\/projects\/(\d+)$/.exec(path);
    if (method === "GET" && one) {
      const p = publicRows().find((x) => x.project_id === Number(one[1]));
      if (p) return ok(this.projectView(p));
    }
    return fail(401, "UNAUTHORIZED", "unauthorized");
  }

  private authorized(header: string | undefined): boolean {
    return header === "Basic " + Buffer.from(`${this.username}:${this.password}`).toString("base64");
  }

  private route(method: string, path: string, q: URLSearchParams, body: Obj): Answer {
    const repos = /^\/projects\/([^/]+)\/repositories(?:\/([^/]+))?$/.exec(path);
    if (repos) return this.repositoryRoute(method, repos[1]!, repos[2], q, path);
    const seg = path.split("/").filter(Boolean);
    const id = seg.length > 1 ? Number(seg[seg.length - 1]) : NaN;
    const key = `${method} /${seg.map((s, i) => (i > 0 && /^\d+$/.test(s) ? "{id}" : s)).join("/")}`;
    switch (key) {
      case "GET /configurations": return ok(this.configurations());
      case "POST /projects": return this.createProject(body);
      case "GET /projects": return this.list([...this.projects.values()], q, path, (p) => this.projectView(p));
      case "GET /projects/{id}": { const p = this.projects.get(id); return p ? ok(this.projectView(p)) : fail(404, "NOT_FOUND", `project ${id} not found`); }
      case "PUT /projects/{id}": return this.updateProject(id, body);
      case "DELETE /projects/{id}": return this.deleteProject(id);
      case "GET /quotas": return this.listQuotas(q, path);
      case "PUT /quotas/{id}": return this.updateQuota(id, body);
      case "POST /registries": return this.createRegistry(body);
      case "GET /registries": return this.list([...this.registries.values()], q, path, maskRegistry);
      case "GET /registries/{id}": { const r = this.registries.get(id); return r ? ok(maskRegistry(r)) : fail(404, "NOT_FOUND", `registry ${id} not found`); }
      case "PUT /registries/{id}": return this.updateRegistry(id, body);
      case "DELETE /registries/{id}": return this.deleteRegistry(id);
      case "POST /replication/policies": return this.createPolicy(body);
      case "GET /replication/policies": return this.list([...this.policies.values()], q, path, (p) => this.policyView(p));
      case "GET /replication/policies/{id}": { const p = this.policies.get(id); return p ? ok(this.policyView(p)) : fail(404, "NOT_FOUND", `policy ${id} not found`); }
      case "PUT /replication/policies/{id}": return this.updatePolicy(id, body);
      case "DELETE /replication/policies/{id}": return this.deletePolicy(id);
      case "POST /replication/executions": return this.startExecution(body);
      case "GET /replication/executions": return this.listExecutions(q, path);
      case "GET /replication/executions/{id}": { const e = this.executions.get(id); return e ? ok(this.execView(e)) : fail(404, "NOT_FOUND", `execution ${id} not found`); }
      case "PUT /replication/executions/{id}": return this.stopExecution(id);
      case "POST /robots": return this.createRobot(body);
      case "GET /robots": return this.listRobots(q, path);
      case "GET /robots/{id}": { const r = this.robots.get(id); return r ? ok(this.robotView(r)) : fail(404, "NOT_FOUND", `robot ${id} not found`); }
      case "PUT /robots/{id}": return this.updateRobot(id, body);
      case "PATCH /robots/{id}": return this.refreshRobotSecret(id, body);
      case "DELETE /robots/{id}": return this.robots.delete(id) ? ok(undefined) : fail(404, "NOT_FOUND", `robot ${id} not found`);
      default: return fail(404, "NOT_FOUND", `no route ${method} ${path}`);
    }
  }

  /**
   * Harbor list semantics (src/lib/q/builder.go Build; src/lib/orm/query.go setFilters): `q` filters
   * stored rows (before any answer-only decoration such as the robot prefix), page default 1,
   * page_size default 10, above 100 refused (422), X-Total-Count and a Link header
   * (src/server/v2.0/handler/base.go Links).
   */
  private list(rows: Obj[], q: URLSearchParams, path: string, view: (o: Obj) => Obj = (o) => o, column: (row: Obj, key: string) => unknown = (row, k) => row[k]): Answer {
    const result = rows.filter(queryPredicate(q.get("q"), column));
    const page = Number(q.get("page") ?? 1);
    const size = Number(q.get("page_size") ?? 10);
    // swagger.yaml parameters.pageSize `maximum: 100`: go-swagger refuses more with 422 before the handler.
    if (size > 100) return fail(422, "UNPROCESSABLE_ENTITY", "page_size in query should be less than or equal to 100");
    const slice = result.slice((page - 1) * size, page * size).map(view);
    const links: string[] = [];
    const base = `/api/v2.0${path}?${[...q.entries()].filter(([k]) => k !== "page" && k !== "page_size").map(([k, v]) => `${k}=${encodeURIComponent(v)}&`).join("")}`;
    if (page > 1) links.push(`<${base}page=${page - 1}&page_size=${size}>; rel="prev"`);
    if (page * size < result.length) links.push(`<${base}page=${page + 1}&page_size=${size}>; rel="next"`);
    return { status: 200, body: slice, headers: { "X-Total-Count": result.length, ...(links.length ? { Link: links.join(" , ") } : {}) } };
  }

  private created(path: string, id: number, body?: unknown): Answer {
    return { status: 201, headers: { Location: `/api/v2.0${path}/${id}` }, body };
  }

  /** src/server/v2.0/handler/config.go GetConfigurations: user settings as { value, editable }. */
  private configurations(): Obj {
    return { robot_name_prefix: { value: this.robotNamePrefix, editable: true }, robot_token_duration: { value: 30, editable: true } };
  }

  // ---- projects: src/server/v2.0/handler/project.go ----

  /** ProjectReq -> project: GetProject answers repo_count from populateProperties. */
  private projectView(p: Obj): Obj {
    const repoCount = [...this.repositories.values()].filter((r) => r.project_id === p.project_id).length;
    return { ...p, repo_count: repoCount };
  }

  /** CreateProject + validateProjectReq. */
  private createProject(b: Obj): Answer {
    const name = b.project_name;
    // src/pkg/project/models/project.go ValidateName via the controller: lower case, 1-255.
    if (typeof name !== "string" || name.length > 255 || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(name)) return fail(400, "BAD_REQUEST", "project name is not in lower case or contains illegal characters");
    if (b.registry_id !== undefined && b.registry_id !== null) {
      const registryId = Number(b.registry_id);
      if (registryId <= 0) return fail(400, "BAD_REQUEST", `${registryId} is invalid value of registry_id, it should be geater than 0`);
      const reg = this.registries.get(registryId);
      // validateProjectReq wraps the lookup error in a plain fmt.Errorf: no Harbor error code, so
      // SendError answers 500 (src/lib/http/error.go apiError), not the registry's 404.
      if (!reg) return fail(500, "UNKNOWN", `failed to get the registry ${registryId}: registry ${registryId} not found`);
      if (!PROXY_CACHE_TYPES.includes(String(reg.type))) return fail(400, "BAD_REQUEST", `unsupported registry type ${String(reg.type)}`);
      const speed = (b.metadata as Obj | undefined)?.proxy_speed_kb;
      if (speed !== undefined && !/^-?\d+$/.test(String(speed))) return fail(400, "BAD_REQUEST", `metadata.proxy_speed_kb should by an int32, but got: '${String(speed)}'`);
    }
    // Storage limit: nil or 0 -> the system default StoragePerProject (-1 unless changed); else validated.
    const limit = typeof b.storage_limit === "number" && b.storage_limit !== 0 ? b.storage_limit : -1;
    const quotaProblem = quotaLimitProblem(limit);
    if (quotaProblem) return fail(400, "BAD_REQUEST", quotaProblem);
    if ([...this.projects.values()].some((p) => p.name === name)) return fail(409, "CONFLICT", `The project named ${name} already exists`);
    const id = this.addProject({ name, metadata: (b.metadata as Obj) ?? {}, registryId: Number(b.registry_id ?? 0) });
    this.quotas.get(id)!.hard.storage = limit;
    return this.created("/projects", id);
  }

  /** UpdateProject: metadata merged; proxy_speed_kb ignored for a non-proxy project. */
  private updateProject(id: number, b: Obj): Answer {
    const p = this.projects.get(id);
    if (!p) return fail(404, "NOT_FOUND", `project ${id} not found`);
    if (b.metadata) {
      const meta = { ...(b.metadata as Obj) };
      if (!(Number(p.registry_id) > 0)) delete meta.proxy_speed_kb;
      p.metadata = { ...(p.metadata as Obj), ...meta };
    }
    return ok(undefined);
  }

  /**
   * DeleteProject -> deletable: 412 while repo_count > 0; the quota goes with the project. The row
   * is soft-deleted (src/pkg/project/dao/dao.go Delete: deleted=true, name "<name>#<id>"): its id
   * is never reused, so a robot's `/project/<id>` permission points at nothing from then on.
   */
  private deleteProject(id: number): Answer {
    const p = this.projects.get(id);
    if (!p) return fail(404, "NOT_FOUND", `project ${id} not found`);
    if (Number(this.projectView(p).repo_count) > 0) return fail(412, "PRECONDITION", "the project contains repositories, can not be deleted");
    this.projects.delete(id);
    this.quotas.delete(id);
    return ok(undefined);
  }

  /**
   * src/server/v2.0/handler/repository.go ListRepositories / DeleteRepository, by project *name*.
   * A repository name with a slash is URL-encoded twice in the path (swagger: a/b -> a%252Fb);
   * Harbor decodes it back to "<project>/<a/b>" (the second decoding is asserted by the swagger
   * text, not traced through the router here).
   */
  private repositoryRoute(method: string, projectName: string, repoParam: string | undefined, q: URLSearchParams, path: string): Answer {
    const project = [...this.projects.values()].find((p) => p.name === decodeURIComponent(projectName));
    if (!project) return fail(404, "NOT_FOUND", `project ${projectName} not found`);
    const mine = [...this.repositories.values()].filter((r) => r.project_id === project.project_id);
    if (method === "GET" && repoParam === undefined) return this.list(mine as unknown as Obj[], q, path);
    if (method === "DELETE" && repoParam !== undefined) {
      const name = `${String(project.name)}/${decodeURIComponent(decodeURIComponent(repoParam))}`;
      if (!this.repositories.delete(name)) return fail(404, "NOT_FOUND", `repository ${name} not found`);
      return ok(undefined);
    }
    return fail(404, "NOT_FOUND", `no route ${method} ${path}`);
  }

  /** src/server/v2.0/handler/quota.go ListQuotas: keywords reference and reference_id. */
  private listQuotas(q: URLSearchParams, path: string): Answer {
    const rows = [...this.quotas.values()].filter((x) => (!q.get("reference") || q.get("reference") === "project") && (!q.get("reference_id") || String(x.projectId) === q.get("reference_id")));
    return this.list(rows.map((x) => ({ id: x.id, ref: { id: x.projectId, name: this.projects.get(x.projectId)?.name }, hard: { ...x.hard }, used: { storage: 0 } })), new URLSearchParams(), path);
  }

  /** UpdateQuota: hard required, then src/controller/quota/driver/project Validate -> lib.ValidateQuotaLimit. */
  private updateQuota(id: number, b: Obj): Answer {
    const quota = this.quotas.get(id);
    if (!quota) return fail(404, "NOT_FOUND", `quota ${id} not found`);
    const hard = b.hard as Obj | undefined;
    if (!hard) return fail(400, "BAD_REQUEST", "hard required in body");
    for (const k of Object.keys(hard)) if (k !== "storage") return fail(400, "BAD_REQUEST", `resource ${k} not support`);
    if (typeof hard.storage !== "number") return fail(400, "BAD_REQUEST", "resource storage not found");
    const problem = quotaLimitProblem(hard.storage);
    if (problem) return fail(400, "BAD_REQUEST", problem);
    quota.hard.storage = hard.storage;
    return ok(undefined);
  }

  // ---- registries: src/server/v2.0/handler/registry.go, src/controller/registry/controller.go ----

  /** controller.validate: name 1-64, lib.ValidateHTTPURL, then the adapter's health check. */
  private validateRegistry(r: Obj): Answer | undefined {
    if (typeof r.name !== "string" || r.name.length === 0) return fail(400, "BAD_REQUEST", "name cannot be empty");
    if (r.name.length > 64) return fail(400, "BAD_REQUEST", "the max length of name is 64");
    r.url = normalizeUrl(String(r.url ?? ""));
    // IsHealthy builds the adapter first: an unknown type is a plain error -> 500.
    if (!ADAPTERS.includes(String(r.type))) return fail(500, "UNKNOWN", `adapter factory for ${String(r.type)} not found`);
    const left = this.unhealthy.get(String(r.url)) ?? 0;
    if (left > 0) {
      this.unhealthy.set(String(r.url), left - 1);
      return fail(400, "BAD_REQUEST", "the registry is unhealthy");
    }
    return undefined;
  }

  /**
   * src/pkg/reg/manager.go toDaoModel: the credential is stored only with a non-empty access key
   * (type defaults to basic); without one nothing is stored and GET omits `credential`.
   */
  private storeCredential(r: Obj, cred: Obj): void {
    if (typeof cred.access_key === "string" && cred.access_key.length > 0) {
      r.credential = { type: cred.type || "basic", access_key: cred.access_key, access_secret: cred.access_secret ?? "" };
    } else {
      delete r.credential;
    }
  }

  /** handler CreateRegistry (type or url empty -> 400) + controller.Create. */
  private createRegistry(b: Obj): Answer {
    if (!b.type || typeof b.url !== "string" || !b.url.trim()) return fail(400, "BAD_REQUEST", "type or url cannot be empty");
    const reg: Obj = { name: b.name, type: b.type, url: b.url, description: b.description ?? "", insecure: b.insecure === true, status: "healthy", creation_time: now() };
    const problem = this.validateRegistry(reg);
    if (problem) return problem;
    this.storeCredential(reg, (b.credential as Obj | undefined) ?? {});
    if ([...this.registries.values()].some((r) => r.name === b.name)) return fail(409, "CONFLICT", `registry ${String(b.name)} already exists`);
    const id = this.nextId++;
    this.registries.set(id, { ...reg, id });
    return this.created("/registries", id);
  }

  /**
   * handler UpdateRegistry: every non-null field of the flat body overwrites the stored one
   * (credential_type, access_key, access_secret separately), then controller.Update validates and
   * pings, and the manager writes every column: an empty access_key drops the credential.
   */
  private updateRegistry(id: number, b: Obj): Answer {
    const r = this.registries.get(id);
    if (!r || id === 0) return fail(404, "NOT_FOUND", `registry ${id} not found`);
    const next: Obj = { ...r };
    if (b.name !== undefined && b.name !== null) next.name = b.name;
    if (b.description !== undefined && b.description !== null) next.description = b.description;
    if (b.url !== undefined && b.url !== null) next.url = b.url;
    if (b.insecure !== undefined && b.insecure !== null) next.insecure = b.insecure;
    const cred: Obj = { ...((r.credential as Obj | undefined) ?? {}) };
    if (this.urlChangeClearsSecret && b.url !== undefined && normalizeUrl(String(b.url)) !== r.url && (b.access_secret === undefined || b.access_secret === null)) cred.access_secret = "";
    if (b.credential_type !== undefined && b.credential_type !== null) cred.type = b.credential_type;
    if (b.access_key !== undefined && b.access_key !== null) cred.access_key = b.access_key;
    if (b.access_secret !== undefined && b.access_secret !== null) cred.access_secret = b.access_secret;
    const problem = this.validateRegistry(next);
    if (problem) return problem;
    this.storeCredential(next, cred);
    if ([...this.registries.values()].some((x) => x.name === next.name && x.id !== id)) return fail(409, "CONFLICT", `registry ${String(next.name)} already exists`);
    this.registries.set(id, next);
    return ok(undefined);
  }

  /** controller.Delete: 412 while a policy (src or dest) or a proxy-cache project references it. */
  private deleteRegistry(id: number): Answer {
    if (!this.registries.has(id)) return fail(404, "NOT_FOUND", `registry ${id} not found`);
    const policy = [...this.policies.values()].find((p) => (p.dest_registry as Obj).id === id || (p.src_registry as Obj).id === id);
    if (policy) return fail(412, "PRECONDITION", `the registry ${id} is referenced by replication policies, cannot delete it`);
    if ([...this.projects.values()].some((p) => p.registry_id === id)) return fail(412, "PRECONDITION", `the registry ${id} is referenced by proxy cache projects, cannot delete it`);
    this.registries.delete(id);
    return ok(undefined);
  }

  // ---- replication policies: src/server/v2.0/handler/replication.go, src/controller/replication ----

  /** src/controller/replication/model/model.go (*Policy).Validate (+ the registry must exist). */
  private policyProblem(b: Obj): Answer | undefined {
    if (typeof b.name !== "string" || !b.name) return fail(400, "BAD_REQUEST", "empty name");
    const src = Number((b.src_registry as Obj | undefined)?.id ?? 0);
    const dest = Number((b.dest_registry as Obj | undefined)?.id ?? 0);
    if ((src === 0) === (dest === 0)) return fail(400, "BAD_REQUEST", "either src_registry or dest_registry should be empty and the other one shouldn't be empty");
    for (const f of (b.filters as Obj[] | undefined) ?? []) {
      const problem = filterProblem(f);
      if (problem) return fail(400, "BAD_REQUEST", problem);
    }
    const ns = b.dest_namespace;
    if (typeof ns === "string" && ns.length > 0) {
      const problem = destNamespaceProblem(ns);
      if (problem) return fail(400, "BAD_REQUEST", problem);
    }
    const trigger = b.trigger as Obj | undefined;
    if (trigger) {
      if (trigger.type === "scheduled") {
        const problem = cronProblem(String((trigger.trigger_settings as Obj | undefined)?.cron ?? ""));
        if (problem) return fail(400, "BAD_REQUEST", problem);
      } else if (trigger.type !== "manual" && trigger.type !== "event_based") {
        return fail(400, "BAD_REQUEST", "invalid trigger type");
      }
    }
    // src/controller/replication/policy.go validatePolicy -> reg.Mgr.Get of each side (message text unverified).
    if (!this.registries.has(dest || src)) return fail(404, "NOT_FOUND", `registry ${dest || src} not found`);
    return undefined;
  }

  /** handler Create/UpdateReplicationPolicy: what the body omits is reset (replace count -1). */
  private storePolicy(id: number, b: Obj): void {
    const speed = typeof b.speed === "number" && b.speed > 0 ? b.speed : 0;
    this.policies.set(id, {
      id, name: b.name, description: b.description ?? "",
      src_registry: { id: Number((b.src_registry as Obj | undefined)?.id ?? 0) }, dest_registry: { id: Number((b.dest_registry as Obj | undefined)?.id ?? 0) },
      dest_namespace: b.dest_namespace ?? "", dest_namespace_replace_count: b.dest_namespace_replace_count ?? -1,
      trigger: b.trigger ?? { type: "manual" }, filters: b.filters ?? [], replicate_deletion: b.deletion === true,
      override: b.override === true, enabled: b.enabled === true, speed, copy_by_chunk: b.copy_by_chunk === true,
      creation_time: this.policies.get(id)?.creation_time ?? now(), update_time: now(),
    });
  }

  /** GetReplicationPolicy: registry id 0 is answered as the built-in "Local" registry (src/pkg/reg/manager.go Get). */
  private policyView(p: Obj): Obj {
    const side = (ref: unknown): Obj => {
      const id = Number((ref as Obj).id);
      const reg = this.registries.get(id);
      return id === 0 ? { id: 0, name: "Local", type: "harbor", url: "http://core:8080" } : reg ? maskRegistry(reg) : (ref as Obj);
    };
    return { ...p, deletion: p.replicate_deletion, src_registry: side(p.src_registry), dest_registry: side(p.dest_registry) };
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

  /** controller DeletePolicy -> src/pkg/task/execution.go DeleteByVendor: 412 while one runs. */
  private deletePolicy(id: number): Answer {
    if (!this.policies.has(id)) return fail(404, "NOT_FOUND", `policy ${id} not found`);
    if ([...this.executions.values()].some((e) => e.policy_id === id && this.execView(e).status === "InProgress")) {
      return fail(412, "PRECONDITION", "contains executions that aren't in final status, stop the execution first");
    }
    for (const [k, e] of this.executions) if (e.policy_id === id) this.executions.delete(k);
    this.policies.delete(id);
    return ok(undefined);
  }

  /**
   * handler StartReplication -> src/controller/replication/execution.go Start: 412 for a disabled
   * policy; the execution record is created, then the flow runs in the background and may mark it
   * Failed (here: `failExecutions`).
   */
  private startExecution(b: Obj): Answer {
    const policy = this.policies.get(Number(b.policy_id));
    if (!policy) return fail(404, "NOT_FOUND", `policy ${String(b.policy_id)} not found`);
    if (!policy.enabled) return fail(412, "PRECONDITION", `the policy ${String(b.policy_id)} is disabled`);
    const id = this.nextId++;
    const fails = this.failExecutions > 0;
    if (fails) this.failExecutions--;
    this.executions.set(id, { id, policy_id: Number(b.policy_id), status: "InProgress", status_text: "", trigger: "manual", start_time: now(), total: 0, succeed: 0, failed: 0, in_progress: 0, stopped: 0, doneAt: Date.now() + this.executionMs, fails });
    return this.created("/replication/executions", id);
  }

  /**
   * handler StopReplication -> controller Stop -> src/pkg/task/execution.go (*executionManager).Stop:
   * it asks the jobservice to stop each task and returns; the execution turns Stopped only when the
   * tasks report back (the task status hook), so it stays InProgress for a while (`stopMs`), and
   * DeletePolicy answers 412 meanwhile. An execution already final is left as it is.
   */
  private stopExecution(id: number): Answer {
    const e = this.executions.get(id);
    if (!e) return fail(404, "NOT_FOUND", `execution ${id} not found`);
    if (this.execView(e).status === "InProgress" && e.stopAt === undefined) e.stopAt = Date.now() + this.stopMs;
    return ok(undefined);
  }

  /**
   * handler ListReplicationExecutions: policy_id, status, trigger filters; newest first
   * (src/pkg/task/dao/model.go Execution.StartTime `sort:"default:desc"`, applied by
   * src/lib/orm/query.go setSorts when no sort is given), then paged like every list.
   */
  private listExecutions(q: URLSearchParams, path: string): Answer {
    const paging = new URLSearchParams([...q.entries()].filter(([k]) => k === "page" || k === "page_size"));
    const rows = [...this.executions.values()].sort((a, b) => (a.start_time === b.start_time ? b.id - a.id : a.start_time < b.start_time ? 1 : -1)).map((e) => this.execView(e))
      .filter((e) => !q.get("policy_id") || String(e.policy_id) === q.get("policy_id"))
      .filter((e) => !q.get("status") || e.status === q.get("status"))
      .filter((e) => !q.get("trigger") || e.trigger === q.get("trigger"));
    return this.list(rows, paging, path);
  }

  private execView(e: Execution): Obj {
    const { doneAt, fails, stopAt, ...rest } = e;
    if (rest.status === "InProgress" && stopAt !== undefined && Date.now() >= stopAt) {
      Object.assign(e, { status: "Stopped", doneAt: 0, end_time: now() });
      return { ...rest, status: "Stopped", end_time: e.end_time };
    }
    if (rest.status === "InProgress" && Date.now() >= doneAt) {
      return fails
        ? { ...rest, status: "Failed", status_text: "failed to fetch artifacts: the remote registry refused the credential", failed: 1, total: 1, end_time: now() }
        : { ...rest, status: "Succeed", end_time: now() };
    }
    return rest;
  }

  // ---- robots: src/server/v2.0/handler/robot.go, src/controller/robot/controller.go ----

  /**
   * controller.populate: a v2 (editable) robot's name is answered with the `robot_name_prefix`
   * setting; populatePermissions groups the stored policies by scope and convertScope turns
   * `/project/<id>` back into the project's *current* name, skipping a scope whose project is gone
   * ("if the project is removed, do not list it in the robot account permission").
   */
  private robotView(r: Obj): Obj {
    const { secret: _secret, ...rest } = r;
    const permissions = (r.permissions as StoredPermission[]).flatMap((p) => {
      if (p.scope === "/project/*") return [{ kind: "project", namespace: "*", access: p.access }];
      const project = this.projects.get(Number(p.scope.slice("/project/".length)));
      return project ? [{ kind: "project", namespace: project.name, access: p.access }] : [];
    });
    return { ...rest, name: `${this.robotNamePrefix}${String(r.name)}`, permissions };
  }

  /**
   * controller.createPermission -> toScope: a project permission is stored against the project's
   * *id* (`/project/<id>`, `/project/*` for all); proMgr.Get of a missing project is a 404.
   */
  private toScopes(perms: Obj[]): StoredPermission[] | Answer {
    const out: StoredPermission[] = [];
    for (const p of perms) {
      if (p.namespace === "*") { out.push({ scope: "/project/*", access: (p.access as Obj[]) ?? [] }); continue; }
      const project = [...this.projects.values()].find((x) => x.name === p.namespace);
      if (!project) return fail(404, "NOT_FOUND", `project ${String(p.namespace)} not found`);
      out.push({ scope: `/project/${String(project.project_id)}`, access: (p.access as Obj[]) ?? [] });
    }
    return out;
  }

  /**
   * What a robot may do in a project, as Harbor's RBAC evaluates it for `robot$<name>` with its
   * secret: a stored `/project/<id>` scope of that project's current id (or `/project/*`) granting
   * the (resource, action). For tests of access after a project is replaced.
   */
  robotCan(fullName: string, secret: string, project: string, resource: string, action: string): boolean {
    const r = [...this.robots.values()].find((x) => `${this.robotNamePrefix}${String(x.name)}` === fullName);
    const p = [...this.projects.values()].find((x) => x.name === project);
    if (!r || !p || r.secret !== secret || r.disable === true) return false;
    return (r.permissions as StoredPermission[]).some((perm) =>
      (perm.scope === "/project/*" || perm.scope === `/project/${String(p.project_id)}`) &&
      perm.access.some((a) => a.resource === resource && a.action === action && (a.effect ?? "allow") === "allow"));
  }

  /** ListRobot: Level defaults to system (ProjectID 0); q=name= matches the stored, bare name. */
  private listRobots(q: URLSearchParams, path: string): Answer {
    const terms = (q.get("q") ?? "").split(",").filter(Boolean);
    const level = terms.find((t) => t.startsWith("Level="))?.slice("Level=".length) ?? "system";
    if (level !== "system" && level !== "project") return fail(400, "BAD_REQUEST", "bad request error level input");
    const rest = new URLSearchParams(q);
    rest.set("q", terms.filter((t) => !t.startsWith("Level=") && !t.startsWith("ProjectID=")).join(","));
    const rows = [...this.robots.values()].filter((r) => r.level === level);
    return this.list(rows, rest, path, (r) => this.robotView(r));
  }

  /** CreateRobot: validateName, validate, then the controller stores the bare name (unique). */
  private createRobot(b: Obj): Answer {
    const problem = robotNameProblem(b.name) ?? robotValidationProblem(b.duration, b.level, b.permissions);
    if (problem) return fail(400, "BAD_REQUEST", problem);
    const scopes = this.toScopes(b.permissions as Obj[]);
    if (!Array.isArray(scopes)) return scopes;
    const name = String(b.name);
    if ([...this.robots.values()].some((r) => r.name === name)) return fail(409, "CONFLICT", `robot account 0:${name} already exists`);
    const id = this.nextId++;
    const secret = randomBytes(16).toString("hex");
    const created = now();
    this.robots.set(id, { id, name, description: b.description ?? "", level: b.level, duration: b.duration, disable: false, editable: true, permissions: scopes, creation_time: created, expires_at: -1, secret });
    return this.created("/robots", id, { id, name: `${this.robotNamePrefix}${name}`, secret, creation_time: created, expires_at: -1 });
  }

  /** updateV2Robot: validate, then level and the *answered* (prefixed) name must not change. */
  private updateRobot(id: number, b: Obj): Answer {
    const r = this.robots.get(id);
    if (!r) return fail(404, "NOT_FOUND", `robot ${id} not found`);
    const problem = robotValidationProblem(b.duration ?? r.duration, b.level, b.permissions);
    if (problem) return fail(400, "BAD_REQUEST", problem);
    if (b.name !== `${this.robotNamePrefix}${String(r.name)}` || b.level !== r.level) return fail(400, "BAD_REQUEST", "cannot update the level or name of robot");
    // updateV2Robot: the permissions are deleted and created again (DeletePermissionsByRole, createPermission).
    const scopes = this.toScopes((b.permissions as Obj[] | undefined) ?? []);
    if (!Array.isArray(scopes)) return scopes;
    Object.assign(r, { description: b.description ?? "", duration: b.duration ?? r.duration, disable: b.disable === true, permissions: scopes });
    return ok(undefined);
  }

  /**
   * RefreshSec: an empty body mints a new secret and answers it; a given secret must pass
   * robot.IsValidSec (8-128 characters, upper, lower and digit), is stored and answered empty.
   */
  private refreshRobotSecret(id: number, b: Obj): Answer {
    const r = this.robots.get(id);
    if (!r) return fail(404, "NOT_FOUND", `robot ${id} not found`);
    if (typeof b.secret === "string" && b.secret) {
      if (!(b.secret.length >= 8 && b.secret.length <= 128 && /[A-Z]/.test(b.secret) && /[a-z]/.test(b.secret) && /\d/.test(b.secret))) {
        return fail(400, "BAD_REQUEST", "the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number");
      }
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

/**
 * Harbor's error body. src/lib/http/error.go SendError: for a status >= 500 the detail is only
 * logged and the client gets code UNKNOWN (errors.GeneralCode), message "internal server error".
 */
function fail(status: number, code: string, message: string): Answer {
  if (status >= 500) return { status, body: { errors: [{ code: "UNKNOWN", message: "internal server error" }] } };
  return { status, body: { errors: [{ code, message }] } };
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

/**
 * src/pkg/reg/manager.go fromDaoModel always sets a Credential (empty without an access key) and
 * handler replication.go convertRegistry always answers it, the secret as `*****` only when one is
 * stored; the swagger model's fields are omitempty, so a registry without a key has `credential: {}`.
 */
function maskRegistry(r: Obj): Obj {
  const cred = r.credential as Obj | undefined;
  const out: Obj = {};
  if (cred?.access_key) {
    out.access_key = cred.access_key;
    out.type = cred.type;
    if (cred.access_secret) out.access_secret = "*****";
  }
  return { ...r, credential: out };
}
