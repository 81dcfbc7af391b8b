import { randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * In-memory IBM Cloud emulator for the ICR dynamic provider: IAM token exchange, IAM Identity
 * (service IDs, API keys), IAM Access Management (policies) and the Container Registry namespace
 * API, on 127.0.0.1 only. It follows IBM's documented behaviour that the provider relies on:
 * API key value only in the create response, If-Match on service-ID updates, deleting a service ID
 * deletes its keys, namespace names unique per region (409 when another account owns one), 200 on
 * a PUT of a namespace the account already owns. Faults can be injected per route, before the
 * request is handled (the server did nothing) or after it committed (`afterCommit`: the object
 * exists, the answer is lost as a reset connection or a 5xx), which is what makes a retried POST
 * create a second object.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  auth?: string;
  account?: string;
  ifMatch?: string;
  resourceGroup?: string;
  body?: unknown;
}

export interface Fault {
  method: string;
  /** Matched against the path with `startsWith`. */
  pathPrefix: string;
  /** Answer sent instead of the real one; 0 with afterCommit: the connection is reset. */
  status: number;
  times: number;
  retryAfter?: number;
  /** Handle the request (the object is created), then lose the answer. */
  afterCommit?: boolean;
}

interface ServiceIdRec { id: string; iam_id: string; account_id: string; name: string; description: string; crn: string; version: number; created_at: string }
interface ApiKeyRec { id: string; iam_id: string; account_id: string; name: string; description: string; apikey: string; created_at: string }
interface PolicyRec { id: string; state: "active" | "deleted"; subjects: unknown; roles: { role_id: string }[]; resources: { attributes: { name: string; value: string }[] }[] }
interface NamespaceRec { name: string; account: string; crn: string; resource_group: string; created_date: string }

const ROLE_CRN = /^crn:v1:bluemix:public:iam::::serviceRole:(Reader|Writer|Manager)$/;

/** Query parameters of the list calls, per path (platform-services-go-sdk v0.101.0). */
const LIST_PARAMS: Record<string, string[]> = {
  "/v1/serviceids/": ["account_id", "group_id", "name", "pagesize", "pagetoken", "sort", "order", "include_history", "filter", "show_group_id"],
  "/v1/apikeys": ["account_id", "iam_id", "pagesize", "pagetoken", "scope", "type", "sort", "order", "include_history", "filter", "group_id"],
  "/v1/policies": ["account_id", "iam_id", "access_group_id", "type", "service_type", "tag_name", "tag_value", "sort", "format", "state", "limit", "start"],
  "/v2/resource_groups": ["account_id", "date", "name", "default", "include_deleted"],
};

/** The account's default resource group (Resource Manager `GET /v2/resource_groups?default=true`). */
export const EMULATOR_DEFAULT_RESOURCE_GROUP = "d".repeat(32);

export async function startIbmEmulator(opts: { deployerApiKey: string; accountId: string; region?: string }) {
  const region = opts.region ?? "eu-de";
  const serviceIds = new Map<string, ServiceIdRec>();
  const apiKeys = new Map<string, ApiKeyRec>();
  const policies = new Map<string, PolicyRec>();
  const namespaces = new Map<string, NamespaceRec>();
  const tokens = new Map<string, string>(); // access token -> iam_id ("deployer" for the deployer)
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  /** Names another account already owns in this region. */
  const foreignNamespaces = new Set<string>();

  /** Set per request when an afterCommit fault matched: the real answer is replaced. */
  let lose: Fault | undefined;
  const send = (res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    if (lose) {
      const f = lose;
      lose = undefined;
      if (f.status === 0) {
        res.socket?.destroy();
        return;
      }
      status = f.status;
      body = { errors: [{ message: "injected fault after commit" }] };
      headers = {};
    }
    res.writeHead(status, { ...(body === undefined ? {} : { "Content-Type": "application/json" }), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const error = (res: http.ServerResponse, status: number, message: string) => send(res, status, { errors: [{ code: String(status), message }], status_code: status });

  const server = http.createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const path = url.pathname;
      const method = req.method ?? "GET";
      let body: unknown;
      if (raw) {
        body = req.headers["content-type"]?.startsWith("application/x-www-form-urlencoded") ? Object.fromEntries(new URLSearchParams(raw)) : JSON.parse(raw);
      }
      requests.push({
        method, path, query: Object.fromEntries(url.searchParams), auth: req.headers.authorization, account: req.headers.account as string | undefined,
        ifMatch: req.headers["if-match"] as string | undefined, resourceGroup: req.headers["x-auth-resource-group"] as string | undefined, body,
      });

      const fault = faults.find((f) => f.times > 0 && f.method === method && path.startsWith(f.pathPrefix));
      if (fault) {
        fault.times--;
        if (fault.afterCommit) lose = fault;
        else return send(res, fault.status, { errors: [{ message: "injected fault" }] }, fault.retryAfter ? { "Retry-After": String(fault.retryAfter) } : {});
      }

      // IAM token exchange.
      if (method === "POST" && path === "/identity/token") {
        const form = body as Record<string, string> | undefined;
        if (form?.grant_type !== "urn:ibm:params:oauth:grant-type:apikey") return error(res, 400, "unsupported grant_type");
        let subject: string | undefined;
        if (form.apikey === opts.deployerApiKey) subject = "deployer";
        else subject = [...apiKeys.values()].find((k) => k.apikey === form.apikey)?.iam_id;
        if (!subject) return error(res, 400, "Provided API key could not be found");
        const token = randomBytes(24).toString("hex");
        tokens.set(token, subject);
        return send(res, 200, { access_token: token, token_type: "Bearer", expires_in: 3600, refresh_token: "not_supported" });
      }

      const subject = tokens.get((req.headers.authorization ?? "").replace(/^Bearer /, ""));
      if (!subject) return error(res, 401, "missing or invalid bearer token");
      if (subject !== "deployer") return error(res, 403, "only the deployer may manage IAM and namespaces here");

      // List calls accept only the query parameters IBM's SDK sends (platform-services-go-sdk
      // v0.101.0: iamidentityv1 ListServiceIds/ListAPIKeys, iampolicymanagementv1 ListPolicies,
      // resourcemanagerv2 ListResourceGroups); anything else is refused, so a misspelt filter
      // cannot silently widen a lookup.
      if (method === "GET" && LIST_PARAMS[path]) {
        const unknown = [...url.searchParams.keys()].filter((k) => !LIST_PARAMS[path]!.includes(k));
        if (unknown.length > 0) return error(res, 400, `unknown query parameter(s) ${unknown.join(", ")}`);
      }

      // IAM Identity: service IDs. List: GET /v1/serviceids/?account_id=&name= -> { serviceids }.
      if (path === "/v1/serviceids/" && method === "GET") {
        const q = url.searchParams;
        if (q.get("account_id") !== opts.accountId) return error(res, 400, "account_id is required");
        const name = q.get("name");
        const found = [...serviceIds.values()].filter((s) => !name || s.name === name);
        return send(res, 200, { serviceids: found.map((s) => ({ ...s, entity_tag: `${s.version}-0` })) });
      }
      if (path === "/v1/serviceids" && method === "POST") {
        const b = body as { account_id?: string; name?: string; description?: string };
        if (b.account_id !== opts.accountId || !b.name) return error(res, 400, "account_id and name are required");
        const id = `ServiceId-${randomUUID()}`;
        const rec: ServiceIdRec = { id, iam_id: `iam-${id}`, account_id: b.account_id, name: b.name, description: b.description ?? "", crn: `crn:v1:bluemix:public:iam-identity::a/${b.account_id}::serviceid:${id}`, version: 0, created_at: new Date().toISOString() };
        serviceIds.set(id, rec);
        return send(res, 201, { ...rec, entity_tag: `${rec.version}-0` }, { ETag: `${rec.version}-0` });
      }
      let m = /^\/v1\/serviceids\/([^/]+)$/.exec(path);
      if (m) {
        const rec = serviceIds.get(decodeURIComponent(m[1]!));
        if (!rec) return error(res, 404, "service ID not found");
        const tag = () => `${rec.version}-0`;
        if (method === "GET") return send(res, 200, { ...rec, entity_tag: tag() }, { ETag: tag() });
        if (method === "PUT") {
          if (req.headers["if-match"] !== tag() && req.headers["if-match"] !== "*") return error(res, 412, "entity tag mismatch");
          const b = body as { name?: string; description?: string };
          if (b.name) rec.name = b.name;
          if (b.description !== undefined) rec.description = b.description;
          rec.version++;
          return send(res, 200, { ...rec, entity_tag: tag() }, { ETag: tag() });
        }
        if (method === "DELETE") {
          serviceIds.delete(rec.id);
          for (const [id, k] of apiKeys) if (k.iam_id === rec.iam_id) apiKeys.delete(id);
          return send(res, 204);
        }
      }

      // IAM Identity: API keys. List: GET /v1/apikeys?account_id=&iam_id=&scope=entity&type=serviceid -> { apikeys } (no values).
      if (path === "/v1/apikeys" && method === "GET") {
        const q = url.searchParams;
        if (q.get("account_id") !== opts.accountId) return error(res, 400, "account_id is required");
        const iamId = q.get("iam_id");
        const found = [...apiKeys.values()].filter((k) => !iamId || k.iam_id === iamId);
        return send(res, 200, { apikeys: found.map((k) => ({ ...k, apikey: undefined })) });
      }
      if (path === "/v1/apikeys" && method === "POST") {
        const b = body as { name?: string; iam_id?: string; account_id?: string; description?: string; store_value?: boolean };
        if (!b.name || !b.iam_id) return error(res, 400, "name and iam_id are required");
        if (![...serviceIds.values()].some((s) => s.iam_id === b.iam_id)) return error(res, 404, "iam_id not found");
        const id = `ApiKey-${randomUUID()}`;
        const rec: ApiKeyRec = { id, iam_id: b.iam_id, account_id: b.account_id ?? opts.accountId, name: b.name, description: b.description ?? "", apikey: randomBytes(33).toString("base64url"), created_at: new Date().toISOString() };
        apiKeys.set(id, rec);
        return send(res, 201, rec);
      }
      m = /^\/v1\/apikeys\/([^/]+)$/.exec(path);
      if (m) {
        const rec = apiKeys.get(decodeURIComponent(m[1]!));
        if (!rec) return error(res, 404, "API key not found");
        // Never returned again (store_value false).
        if (method === "GET") return send(res, 200, { ...rec, apikey: undefined });
        if (method === "DELETE") {
          apiKeys.delete(rec.id);
          return send(res, 204);
        }
      }

      // IAM Access Management: policies. List: GET /v1/policies?account_id=&iam_id=&type=access -> { policies } (active only).
      if (path === "/v1/policies" && method === "GET") {
        const q = url.searchParams;
        if (q.get("account_id") !== opts.accountId) return error(res, 400, "account_id is required");
        const iamId = q.get("iam_id");
        const found = [...policies.values()].filter((p) => p.state === "active" && (!iamId || JSON.stringify(p.subjects).includes(`"${iamId}"`)));
        return send(res, 200, { policies: found });
      }
      if (path === "/v1/policies" && method === "POST") {
        const b = body as Partial<PolicyRec> & { type?: string };
        const rolesOk = Array.isArray(b.roles) && b.roles.length > 0 && b.roles.every((r) => ROLE_CRN.test(r.role_id));
        const attrs = b.resources?.[0]?.attributes;
        const hasAccount = attrs?.some((a) => a.name === "accountId" && a.value === opts.accountId);
        if (b.type !== "access" || !rolesOk || !attrs || !hasAccount) return error(res, 400, "invalid policy");
        const id = randomUUID();
        policies.set(id, { id, state: "active", subjects: b.subjects, roles: b.roles!, resources: b.resources! });
        return send(res, 201, policies.get(id));
      }
      m = /^\/v1\/policies\/([^/]+)$/.exec(path);
      if (m) {
        const rec = policies.get(decodeURIComponent(m[1]!));
        if (!rec) return error(res, 404, "policy not found");
        if (method === "GET") return send(res, 200, rec);
        if (method === "DELETE") {
          if (rec.state === "deleted") return error(res, 404, "policy not found");
          rec.state = "deleted"; // IBM keeps deleted policies readable for a while
          return send(res, 204);
        }
      }

      // Resource Manager: the account's resource groups (only the default one here).
      if (path === "/v2/resource_groups" && method === "GET") {
        if (url.searchParams.get("account_id") !== opts.accountId) return error(res, 403, "not your account");
        const def = { id: EMULATOR_DEFAULT_RESOURCE_GROUP, name: "Default", default: true, account_id: opts.accountId };
        return send(res, 200, { resources: url.searchParams.get("default") === "false" ? [] : [def] });
      }

      // Container Registry namespaces (account from the Account header).
      if (path.startsWith("/api/v1/namespaces")) {
        const account = req.headers.account as string | undefined;
        if (account !== opts.accountId) return error(res, 401, "Account header missing or not yours");
        if (path === "/api/v1/namespaces/details" && method === "GET") return send(res, 200, [...namespaces.values()].filter((n) => n.account === account));
        m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path);
        if (m) {
          const name = decodeURIComponent(m[1]!);
          const rec = namespaces.get(name);
          if (method === "PUT") {
            if (foreignNamespaces.has(name)) return error(res, 409, "The requested namespace is already in use by another account");
            if (!/^[a-z0-9][a-z0-9_-]{2,28}[a-z0-9]$/.test(name)) return error(res, 400, "invalid namespace name");
            // The answer is `{ namespace }` only (container-registry-go-sdk v1.4.0, model Namespace):
            // the CRN is only in GET /api/v1/namespaces/details.
            if (rec) return send(res, 200, { namespace: name });
            const created: NamespaceRec = { name, account, crn: `crn:v1:bluemix:public:container-registry:${region}:a/${account}::namespace:${name}`, resource_group: (req.headers["x-auth-resource-group"] as string | undefined) ?? "", created_date: new Date().toISOString() };
            namespaces.set(name, created);
            return send(res, 201, { namespace: name });
          }
          if (!rec) return error(res, 404, "namespace not found");
          if (method === "PATCH") {
            if (rec.resource_group) return error(res, 400, "a resource group can only be assigned once");
            rec.resource_group = (req.headers["x-auth-resource-group"] as string | undefined) ?? "";
            return send(res, 200, { namespace: name, crn: rec.crn, account });
          }
          if (method === "DELETE") {
            namespaces.delete(name);
            return send(res, 204);
          }
        }
      }
      return error(res, 404, `no route ${method} ${path}`);
    });
  });

  /**
   * What the registry would allow `apikey` to do on `namespace` under the active policies
   * (Reader: pull; Writer: push and pull; Manager: everything). Used to prove least privilege.
   */
  function can(apikey: string, action: "pull" | "push", namespace: string): boolean {
    const key = [...apiKeys.values()].find((k) => k.apikey === apikey);
    if (!key) return false;
    const roles = new Set<string>();
    for (const p of policies.values()) {
      if (p.state !== "active") continue;
      const subjects = JSON.stringify(p.subjects);
      if (!subjects.includes(`"${key.iam_id}"`)) continue;
      const attrs = Object.fromEntries((p.resources[0]?.attributes ?? []).map((a) => [a.name, a.value]));
      if (attrs.serviceName !== "container-registry") continue;
      if (attrs.resourceType !== "namespace" || attrs.resource !== namespace) continue;
      for (const r of p.roles) roles.add(r.role_id.split(":").pop()!);
    }
    return action === "pull" ? roles.size > 0 : roles.has("Writer") || roles.has("Manager");
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    faults,
    serviceIds,
    apiKeys,
    policies,
    namespaces,
    foreignNamespaces,
    can,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export type IbmEmulator = Awaited<ReturnType<typeof startIbmEmulator>>;
