// Dynamic providers for IBM Cloud Container Registry namespaces and the IAM objects around them.
// Pulumi serializes these objects (and the helpers they call) into the state and runs them in a
// separate process, so: the helpers below use only globals (fetch, URL, URLSearchParams, setTimeout);
// nothing is imported; no credential is captured. The deployer's API key is read from the
// environment (IBMCLOUD_API_KEY) inside each call, never from inputs or from this module.
import type * as pulumi from "@pulumi/pulumi";

interface Endpoints {
  /** IAM base URL, e.g. https://iam.cloud.ibm.com (the emulator in tests). */
  iamUrl: string;
}

export interface NamespaceInputs extends Endpoints {
  /** Registry API base URL, e.g. https://de.icr.io. */
  registryApiUrl: string;
  accountId: string;
  name: string;
  resourceGroupId?: string;
}
export interface NamespaceOutputs extends NamespaceInputs {
  crn: string;
}

export interface ServiceIdInputs extends Endpoints {
  accountId: string;
  name: string;
  description: string;
}
export interface ServiceIdOutputs extends ServiceIdInputs {
  iamId: string;
  crn: string;
  entityTag: string;
}

export interface ApiKeyInputs extends Endpoints {
  accountId: string;
  iamId: string;
  name: string;
  description: string;
  /** Changing it replaces the key (rotation). */
  rotation: string;
}
export interface ApiKeyOutputs extends ApiKeyInputs {
  /** Secret: returned by IBM only in the create response. */
  apikey: string;
}

export interface AccessPolicyInputs extends Endpoints {
  accountId: string;
  subjectIamId: string;
  serviceName: "container-registry";
  region: string;
  resourceType: "namespace";
  resource: string;
  roles: string[];
}
export interface AccessPolicyOutputs extends AccessPolicyInputs {
  policyId: string;
}

interface CallOptions {
  token?: string;
  body?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  /** Statuses that are answers, not errors (e.g. 404 on read). */
  accept?: number[];
}

interface CallResult {
  status: number;
  body: unknown;
  etag: string | null;
}

/** One HTTP call with bounded retries on 429, 5xx and connection errors (IBM IAM is eventually consistent). */
async function ibmCall(method: string, url: string, o: CallOptions): Promise<CallResult> {
  const headers: Record<string, string> = { Accept: "application/json", ...(o.headers ?? {}) };
  let payload: string | undefined;
  if (o.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(o.form).toString();
  } else if (o.body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(o.body);
  }
  if (o.token) headers.Authorization = `Bearer ${o.token}`;
  const where = `${method} ${new URL(url).pathname}`;
  const attempts = 5;
  let last = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body: payload, signal: AbortSignal.timeout(30_000) });
    } catch (e) {
      last = `connection failed (${(e as Error).message})`;
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      continue;
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text for the error message
    }
    if ((res.status >= 200 && res.status < 300) || (o.accept ?? []).includes(res.status)) {
      return { status: res.status, body, etag: res.headers.get("etag") };
    }
    // Never echo the request: it may carry an API key. IBM's error bodies carry no secrets.
    last = `${res.status} ${typeof text === "string" ? text.slice(0, 300) : ""}`;
    const retryable = res.status === 429 || res.status >= 500 || (res.status === 409 && method === "DELETE");
    if (!retryable || attempt === attempts) break;
    const after = Number(res.headers.get("retry-after"));
    await new Promise((r) => setTimeout(r, Number.isFinite(after) && after > 0 ? Math.min(after, 10) * 1000 : 250 * 2 ** (attempt - 1)));
  }
  throw new Error(`IBM Cloud: ${where} failed: ${last}`);
}

/** Exchange the deployer's API key (environment) for an IAM access token. */
async function ibmToken(iamUrl: string): Promise<string> {
  const apikey = process.env.IBMCLOUD_API_KEY ?? process.env.IC_API_KEY;
  if (!apikey) {
    throw new Error("IBM Cloud: set IBMCLOUD_API_KEY to the deployer's API key (it needs Manager on container-registry and IAM Identity/Access administration; see the README's backups section)");
  }
  const res = await ibmCall("POST", `${iamUrl.replace(/\/+$/, "")}/identity/token`, {
    form: { grant_type: "urn:ibm:params:oauth:grant-type:apikey", apikey },
  });
  const token = (res.body as { access_token?: string } | undefined)?.access_token;
  if (!token) throw new Error("IBM Cloud: the IAM token response had no access_token");
  return token;
}

/** `read` without state is an import, which dynamic providers cannot do (pulumi/pulumi#16175). */
function stateOf<T>(props: T | undefined, what: string): T {
  if (!props) throw new Error(`IBM Cloud: cannot read ${what} without its state; importing dynamic resources is not supported`);
  return props;
}

function base(url: string): string {
  return url.replace(/\/+$/, "");
}

function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): (keyof T)[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

function requireFields(inputs: object, fields: string[]): pulumi.dynamic.CheckFailure[] {
  const rec = inputs as Record<string, unknown>;
  return fields.filter((f) => typeof rec[f] !== "string" || rec[f] === "").map((f) => ({ property: f, reason: `${f} is required` }));
}

/** Namespace in the regional registry: `PUT/DELETE <registry>/api/v1/namespaces/<name>`. */
export const namespaceProvider: pulumi.dynamic.ResourceProvider<NamespaceInputs, NamespaceOutputs> = {
  async check(_olds, news) {
    const failures = requireFields(news, ["iamUrl", "registryApiUrl", "accountId", "name"]);
    if (typeof news.name === "string" && !/^[a-z0-9][a-z0-9_-]{2,28}[a-z0-9]$/.test(news.name)) {
      failures.push({ property: "name", reason: "expected 4-30 lowercase letters, digits, '-' or '_', starting and ending with a letter or digit" });
    }
    return { inputs: news, failures };
  },
  async create(inputs) {
    const token = await ibmToken(inputs.iamUrl);
    const headers: Record<string, string> = { Account: inputs.accountId };
    if (inputs.resourceGroupId) headers["X-Auth-Resource-Group"] = inputs.resourceGroupId;
    // 201 created; 200: already ours (adopted, e.g. after a lost state); 409: another account owns the name.
    const res = await ibmCall("PUT", `${base(inputs.registryApiUrl)}/api/v1/namespaces/${encodeURIComponent(inputs.name)}`, { token, headers, accept: [409] });
    if (res.status === 409) throw new Error(`IBM Cloud: namespace ${inputs.name} is taken by another account in this region; choose another name`);
    const crn = (res.body as { crn?: string } | undefined)?.crn ?? "";
    return { id: inputs.name, outs: { ...inputs, crn } };
  },
  async read(id, state) {
    const props = stateOf(state, `namespace ${id}`);
    const token = await ibmToken(props.iamUrl);
    const res = await ibmCall("GET", `${base(props.registryApiUrl)}/api/v1/namespaces/details`, { token, headers: { Account: props.accountId } });
    const found = (res.body as { name: string; crn?: string; resource_group?: string }[]).find((n) => n.name === id);
    if (!found) return { id: "", props: {} as NamespaceOutputs };
    return { id, props: { ...props, name: found.name, crn: found.crn ?? props.crn, resourceGroupId: found.resource_group || props.resourceGroupId } };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["iamUrl", "registryApiUrl", "accountId", "name", "resourceGroupId"]);
    // A resource group can be assigned once (PATCH); moving it again means a new namespace.
    const replaces = changed.filter((k) => k === "registryApiUrl" || k === "accountId" || k === "name" || (k === "resourceGroupId" && !!olds.resourceGroupId));
    return { changes: changed.length > 0, replaces: replaces as string[], deleteBeforeReplace: replaces.length > 0 };
  },
  async update(_id, olds, news) {
    if (news.resourceGroupId && news.resourceGroupId !== olds.resourceGroupId) {
      const token = await ibmToken(news.iamUrl);
      await ibmCall("PATCH", `${base(news.registryApiUrl)}/api/v1/namespaces/${encodeURIComponent(news.name)}`, {
        token,
        headers: { Account: news.accountId, "X-Auth-Resource-Group": news.resourceGroupId },
      });
    }
    return { outs: { ...news, crn: olds.crn } };
  },
  async delete(id, props) {
    // Deletes the namespace and every image in it.
    const token = await ibmToken(props.iamUrl);
    await ibmCall("DELETE", `${base(props.registryApiUrl)}/api/v1/namespaces/${encodeURIComponent(id)}`, { token, headers: { Account: props.accountId }, accept: [404] });
  },
};

/** Service ID: `iam-identity` `/v1/serviceids`. */
export const serviceIdProvider: pulumi.dynamic.ResourceProvider<ServiceIdInputs, ServiceIdOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: requireFields(news, ["iamUrl", "accountId", "name"]) };
  },
  async create(inputs) {
    const token = await ibmToken(inputs.iamUrl);
    const res = await ibmCall("POST", `${base(inputs.iamUrl)}/v1/serviceids`, {
      token,
      body: { account_id: inputs.accountId, name: inputs.name, description: inputs.description },
    });
    const s = res.body as { id: string; iam_id: string; crn: string; entity_tag: string };
    return { id: s.id, outs: { ...inputs, iamId: s.iam_id, crn: s.crn, entityTag: s.entity_tag } };
  },
  async read(id, state) {
    const props = stateOf(state, `service ID ${id}`);
    const token = await ibmToken(props.iamUrl);
    const res = await ibmCall("GET", `${base(props.iamUrl)}/v1/serviceids/${encodeURIComponent(id)}`, { token, accept: [404] });
    if (res.status === 404) return { id: "", props: {} as ServiceIdOutputs };
    const s = res.body as { name: string; description?: string; iam_id: string; crn: string; entity_tag: string };
    return { id, props: { ...props, name: s.name, description: s.description ?? "", iamId: s.iam_id, crn: s.crn, entityTag: s.entity_tag } };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["iamUrl", "accountId", "name", "description"]);
    const replaces = changed.filter((k) => k === "iamUrl" || k === "accountId");
    return { changes: changed.length > 0, replaces: replaces as string[], deleteBeforeReplace: false };
  },
  async update(id, olds, news) {
    const token = await ibmToken(news.iamUrl);
    // If-Match needs the current entity tag (someone may have edited the ID since our last read).
    const current = await ibmCall("GET", `${base(news.iamUrl)}/v1/serviceids/${encodeURIComponent(id)}`, { token });
    const etag = (current.body as { entity_tag?: string }).entity_tag ?? current.etag ?? olds.entityTag;
    const res = await ibmCall("PUT", `${base(news.iamUrl)}/v1/serviceids/${encodeURIComponent(id)}`, {
      token,
      headers: { "If-Match": etag },
      body: { name: news.name, description: news.description },
    });
    const s = res.body as { iam_id: string; crn: string; entity_tag: string };
    return { outs: { ...news, iamId: s.iam_id, crn: s.crn, entityTag: s.entity_tag } };
  },
  async delete(id, props) {
    // Also deletes the ID's API keys; 409 (still in use by a deletion in flight) is retried.
    const token = await ibmToken(props.iamUrl);
    await ibmCall("DELETE", `${base(props.iamUrl)}/v1/serviceids/${encodeURIComponent(id)}`, { token, accept: [404] });
  },
};

/** API key of a service ID: `iam-identity` `/v1/apikeys`. The value exists only in the create response. */
export const apiKeyProvider: pulumi.dynamic.ResourceProvider<ApiKeyInputs, ApiKeyOutputs> = {
  async check(_olds, news) {
    return { inputs: news, failures: requireFields(news, ["iamUrl", "accountId", "iamId", "name"]) };
  },
  async create(inputs) {
    const token = await ibmToken(inputs.iamUrl);
    const res = await ibmCall("POST", `${base(inputs.iamUrl)}/v1/apikeys`, {
      token,
      body: { name: inputs.name, description: inputs.description, iam_id: inputs.iamId, account_id: inputs.accountId, store_value: false },
    });
    const k = res.body as { id: string; apikey?: string };
    if (!k.apikey) throw new Error(`IBM Cloud: the API key ${k.id} was created without its value; delete it and run again`);
    return { id: k.id, outs: { ...inputs, apikey: k.apikey } };
  },
  async read(id, state) {
    const props = stateOf(state, `API key ${id}`);
    const token = await ibmToken(props.iamUrl);
    const res = await ibmCall("GET", `${base(props.iamUrl)}/v1/apikeys/${encodeURIComponent(id)}`, { token, accept: [404] });
    if (res.status === 404) return { id: "", props: {} as ApiKeyOutputs };
    const k = res.body as { name: string; iam_id: string; description?: string };
    // The API never returns the value again: keep the one from state.
    return { id, props: { ...props, name: k.name, iamId: k.iam_id, description: k.description ?? props.description, apikey: props.apikey } };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["iamUrl", "accountId", "iamId", "name", "description", "rotation"]);
    // Any change is a new key; the new one exists before the old one is deleted.
    return { changes: changed.length > 0, replaces: changed as string[], deleteBeforeReplace: false };
  },
  async delete(id, props) {
    const token = await ibmToken(props.iamUrl);
    await ibmCall("DELETE", `${base(props.iamUrl)}/v1/apikeys/${encodeURIComponent(id)}`, { token, accept: [404] });
  },
};

/** IAM access policy for one subject on one container-registry namespace: `iam-access-management` `/v1/policies`. */
export const accessPolicyProvider: pulumi.dynamic.ResourceProvider<AccessPolicyInputs, AccessPolicyOutputs> = {
  async check(_olds, news) {
    const failures = requireFields(news, ["iamUrl", "accountId", "subjectIamId", "region", "resource"]);
    if (news.serviceName !== "container-registry") failures.push({ property: "serviceName", reason: "only container-registry policies are managed here" });
    if (news.resourceType !== "namespace") failures.push({ property: "resourceType", reason: "policies must be scoped to one namespace" });
    const allowed: readonly string[] = ["Reader", "Writer"];
    if (!Array.isArray(news.roles) || news.roles.length === 0 || news.roles.some((r) => !allowed.includes(r))) {
      failures.push({ property: "roles", reason: `expected one or more of ${allowed.join(", ")} (machine identities never get Manager)` });
    }
    return { inputs: news, failures };
  },
  async create(inputs) {
    const token = await ibmToken(inputs.iamUrl);
    const body = {
      type: "access",
      description: `registry-topology: ${inputs.roles.join("+")} on ${inputs.serviceName} namespace ${inputs.resource}`,
      subjects: [{ attributes: [{ name: "iam_id", value: inputs.subjectIamId }] }],
      roles: inputs.roles.map((r) => ({ role_id: `crn:v1:bluemix:public:iam::::serviceRole:${r}` })),
      resources: [
        {
          attributes: [
            { name: "accountId", value: inputs.accountId },
            { name: "serviceName", value: inputs.serviceName },
            { name: "region", value: inputs.region },
            { name: "resourceType", value: inputs.resourceType },
            { name: "resource", value: inputs.resource },
          ],
        },
      ],
    };
    const res = await ibmCall("POST", `${base(inputs.iamUrl)}/v1/policies`, { token, body });
    return { id: (res.body as { id: string }).id, outs: { ...inputs, policyId: (res.body as { id: string }).id } };
  },
  async read(id, state) {
    const props = stateOf(state, `access policy ${id}`);
    const token = await ibmToken(props.iamUrl);
    const res = await ibmCall("GET", `${base(props.iamUrl)}/v1/policies/${encodeURIComponent(id)}`, { token, accept: [404] });
    const p = res.body as { state?: string; roles?: { role_id: string }[] } | undefined;
    if (res.status === 404 || p?.state === "deleted") return { id: "", props: {} as AccessPolicyOutputs };
    const roles = (p?.roles ?? []).map((r) => r.role_id.split(":").pop() ?? r.role_id);
    return { id, props: { ...props, roles } };
  },
  async diff(_id, olds, news) {
    const changed = changedKeys(olds, news, ["iamUrl", "accountId", "subjectIamId", "serviceName", "region", "resourceType", "resource", "roles"]);
    // Replace instead of PUT: no ETag bookkeeping, and the new grant exists before the old one goes.
    return { changes: changed.length > 0, replaces: changed as string[], deleteBeforeReplace: false };
  },
  async delete(id, props) {
    const token = await ibmToken(props.iamUrl);
    await ibmCall("DELETE", `${base(props.iamUrl)}/v1/policies/${encodeURIComponent(id)}`, { token, accept: [404] });
  },
};
