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
  /**
   * Resource Manager base URL (https://resource-controller.cloud.ibm.com), to find the account's
   * default resource group when `resourceGroupId` is not set.
   */
  resourceManagerUrl?: string;
  accountId: string;
  name: string;
  resourceGroupId?: string;
}
export interface NamespaceOutputs extends NamespaceInputs {
  crn: string;
  /** The group the namespace is in (the default one when resourceGroupId is not set). */
  resourceGroup?: string;
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
  /**
   * The call creates something (POST): a 5xx, a reset or a lost answer leaves it unknown whether
   * it did, so it is not repeated here; the error is marked `ambiguous` and the caller looks the
   * object up by name before creating again (createOnce). 429 is still retried: it is refused
   * before anything is done.
   */
  creates?: boolean;
}

/** An error after which the server may or may not have done what was asked. */
interface AmbiguousError extends Error {
  ambiguous: true;
}

function ambiguousError(message: string): AmbiguousError {
  return Object.assign(new Error(message), { ambiguous: true as const });
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
      if (o.creates) throw ambiguousError(`IBM Cloud: ${where}: ${last}`);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      continue;
    }
    let text: string;
    try {
      text = await res.text();
    } catch (e) {
      // The status arrived, the body did not: for a create the outcome is unknown.
      last = `answer lost (${(e as Error).message})`;
      if (o.creates) throw ambiguousError(`IBM Cloud: ${where}: ${last}`);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      continue;
    }
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
    if (o.creates && res.status >= 500) throw ambiguousError(`IBM Cloud: ${where} failed: ${last}`);
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
    throw new Error("IBM Cloud: set IBMCLOUD_API_KEY to the deployer's API key (it needs Manager on container-registry and IAM Identity/Access administration; see docs/backups-icr.md)");
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

/**
 * Create something that has no idempotency key: POST once; after an ambiguous failure look it up
 * (by name, or by what it grants) and adopt what the lost call made, else POST again (bounded).
 * This keeps a lost answer from leaving an untracked service ID, or an API key nobody knows the
 * value of that still grants push access.
 */
async function createOnce<T>(create: () => Promise<T>, lookup: () => Promise<T | undefined>): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      return await create();
    } catch (e) {
      if (!(e as { ambiguous?: boolean }).ambiguous) throw e;
      last = e;
      const found = await lookup();
      if (found !== undefined) return found;
    }
  }
  throw last;
}

/** Objects of a list answer created at or after `since` (minus a minute of clock skew). */
function createdSince<T extends { created_at?: string }>(items: T[], since: number): T[] {
  return items.filter((i) => !i.created_at || Date.parse(i.created_at) >= since - 60_000);
}

function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): (keyof T)[] {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

function requireFields(inputs: object, fields: string[]): pulumi.dynamic.CheckFailure[] {
  const rec = inputs as Record<string, unknown>;
  return fields.filter((f) => typeof rec[f] !== "string" || rec[f] === "").map((f) => ({ property: f, reason: `${f} is required` }));
}

interface NamespaceDetails {
  name: string;
  crn?: string;
  resource_group?: string;
}

async function namespaceDetails(inputs: NamespaceInputs, token: string): Promise<NamespaceDetails | undefined> {
  const res = await ibmCall("GET", `${base(inputs.registryApiUrl)}/api/v1/namespaces/details`, { token, headers: { Account: inputs.accountId } });
  return (res.body as NamespaceDetails[]).find((n) => n.name === inputs.name);
}

async function defaultResourceGroup(inputs: NamespaceInputs, token: string): Promise<string> {
  // Resource Manager ListResourceGroups: GET /v2/resource_groups?account_id=&default=true -> { resources }
  // (platform-services-go-sdk v0.101.0 resourcemanagerv2, whose DefaultServiceURL this is).
  const rm = base(inputs.resourceManagerUrl ?? "https://resource-controller.cloud.ibm.com");
  const res = await ibmCall("GET", `${rm}/v2/resource_groups?account_id=${encodeURIComponent(inputs.accountId)}&default=true`, { token });
  const id = (res.body as { resources?: { id: string }[] } | undefined)?.resources?.[0]?.id;
  if (!id) {
    throw new Error(`IBM Cloud: no default resource group visible in account ${inputs.accountId}; set backups[].resourceGroupId, or give the deployer Viewer on the default resource group`);
  }
  return id;
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
    // IBM's Terraform provider always sends X-Auth-Resource-Group on create: the configured group,
    // else the account's default one (terraform-provider-ibm v2.5.0,
    // ibm/service/registry/resource_ibm_cr_namespace.go resourceIBMCrNamespaceCreate and
    // ibm/flex/structures.go DefaultResourceGroup: Resource Manager ListResourceGroups default=true).
    const resourceGroup = inputs.resourceGroupId ?? (await defaultResourceGroup(inputs, token));
    const headers: Record<string, string> = { Account: inputs.accountId, "X-Auth-Resource-Group": resourceGroup };
    // 201 created; 200: already ours (adopted, e.g. after a lost state); 409: another account owns the name.
    // PUT of a name is idempotent, so retries are safe here.
    const res = await ibmCall("PUT", `${base(inputs.registryApiUrl)}/api/v1/namespaces/${encodeURIComponent(inputs.name)}`, { token, headers, accept: [409] });
    if (res.status === 409) throw new Error(`IBM Cloud: namespace ${inputs.name} is taken by another account in this region; choose another name`);
    // The create answer is `{ namespace }` only (container-registry-go-sdk v1.4.0, model Namespace);
    // the CRN is in the namespace details, where Terraform also reads it (resourceIBMCrNamespaceRead).
    const details = await namespaceDetails(inputs, token);
    return { id: inputs.name, outs: { ...inputs, crn: details?.crn ?? "", resourceGroup: details?.resource_group || resourceGroup } };
  },
  async read(id, state) {
    const props = stateOf(state, `namespace ${id}`);
    const token = await ibmToken(props.iamUrl);
    const found = await namespaceDetails({ ...props, name: id }, token);
    if (!found) return { id: "", props: {} as NamespaceOutputs };
    return { id, props: { ...props, name: found.name, crn: found.crn ?? props.crn, resourceGroup: found.resource_group || props.resourceGroup } };
  },
  async diff(_id, olds, news) {
    const changed: string[] = changedKeys(olds, news, ["iamUrl", "registryApiUrl", "accountId", "name"]);
    // Compare a configured group with the one the namespace is really in (the default group when
    // none was configured). A group is assigned once: only a namespace without one (made before
    // this provider sent the header) is updated in place; moving it means a new namespace.
    const current = olds.resourceGroup ?? olds.resourceGroupId ?? "";
    const rgChanged = !!news.resourceGroupId && news.resourceGroupId !== current;
    if (rgChanged) changed.push("resourceGroupId");
    const replaces = changed.filter((k) => k === "registryApiUrl" || k === "accountId" || k === "name" || (k === "resourceGroupId" && current !== ""));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 };
  },
  async update(_id, olds, news) {
    if (news.resourceGroupId && news.resourceGroupId !== (olds.resourceGroup ?? olds.resourceGroupId)) {
      const token = await ibmToken(news.iamUrl);
      await ibmCall("PATCH", `${base(news.registryApiUrl)}/api/v1/namespaces/${encodeURIComponent(news.name)}`, {
        token,
        headers: { Account: news.accountId, "X-Auth-Resource-Group": news.resourceGroupId },
      });
    }
    return { outs: { ...news, crn: olds.crn, resourceGroup: news.resourceGroupId ?? olds.resourceGroup } };
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
    type Sid = { id: string; name: string; iam_id: string; crn: string; entity_tag: string; created_at?: string };
    const since = Date.now();
    const s = await createOnce<Sid>(
      async () =>
        (await ibmCall("POST", `${base(inputs.iamUrl)}/v1/serviceids`, {
          token,
          creates: true,
          body: { account_id: inputs.accountId, name: inputs.name, description: inputs.description },
        })).body as Sid,
      async () => {
        // IAM Identity ListServiceIds: GET /v1/serviceids/?account_id=&name= -> { serviceids }
        // (platform-services-go-sdk v0.101.0 iamidentityv1). Names are not unique: adopt only one
        // made by this create call; several means a human must look.
        const q = `account_id=${encodeURIComponent(inputs.accountId)}&name=${encodeURIComponent(inputs.name)}&pagesize=100`;
        const list = ((await ibmCall("GET", `${base(inputs.iamUrl)}/v1/serviceids/?${q}`, { token })).body as { serviceids?: Sid[] }).serviceids ?? [];
        const mine = createdSince(list.filter((x) => x.name === inputs.name), since);
        if (mine.length > 1) throw new Error(`IBM Cloud: ${mine.length} service IDs named ${inputs.name} appeared during this create; delete the extra ones (${mine.map((x) => x.id).join(", ")}) and run again`);
        return mine[0];
      },
    );
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
    type Key = { id: string; name: string; apikey?: string };
    const k = await createOnce<Key>(
      async () =>
        (await ibmCall("POST", `${base(inputs.iamUrl)}/v1/apikeys`, {
          token,
          creates: true,
          body: { name: inputs.name, description: inputs.description, iam_id: inputs.iamId, account_id: inputs.accountId, store_value: false },
        })).body as Key,
      async () => {
        // A key whose create answer was lost can never be used by us (its value is shown only in
        // that answer) but it still grants the service ID's access: delete it, then create again.
        // IAM Identity ListAPIKeys: GET /v1/apikeys?account_id=&iam_id=&scope=&type= -> { apikeys }.
        const q = `account_id=${encodeURIComponent(inputs.accountId)}&iam_id=${encodeURIComponent(inputs.iamId)}&scope=entity&type=serviceid&pagesize=100`;
        const list = ((await ibmCall("GET", `${base(inputs.iamUrl)}/v1/apikeys?${q}`, { token })).body as { apikeys?: Key[] }).apikeys ?? [];
        for (const orphan of list.filter((x) => x.name === inputs.name)) {
          await ibmCall("DELETE", `${base(inputs.iamUrl)}/v1/apikeys/${encodeURIComponent(orphan.id)}`, { token, accept: [404] });
        }
        return undefined;
      },
    );
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
    type Pol = { id: string; state?: string; roles?: { role_id: string }[]; resources?: { attributes: { name: string; value: string }[] }[] };
    const same = (p: Pol) =>
      p.state !== "deleted" &&
      JSON.stringify((p.roles ?? []).map((r) => r.role_id).sort()) === JSON.stringify(body.roles.map((r) => r.role_id).sort()) &&
      JSON.stringify(p.resources?.[0]?.attributes ?? []) === JSON.stringify(body.resources[0]!.attributes);
    const p = await createOnce<Pol>(
      async () => (await ibmCall("POST", `${base(inputs.iamUrl)}/v1/policies`, { token, body, creates: true })).body as Pol,
      async () => {
        // A policy has no name: the same subject, roles and resource is the one the lost call made.
        // IAM Policy Management ListPolicies: GET /v1/policies?account_id=&iam_id=&type=access -> { policies }.
        const q = `account_id=${encodeURIComponent(inputs.accountId)}&iam_id=${encodeURIComponent(inputs.subjectIamId)}&type=access`;
        const list = ((await ibmCall("GET", `${base(inputs.iamUrl)}/v1/policies?${q}`, { token })).body as { policies?: Pol[] }).policies ?? [];
        return list.find(same);
      },
    );
    return { id: p.id, outs: { ...inputs, policyId: p.id } };
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
