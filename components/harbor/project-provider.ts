/**
 * Dynamic provider for a Harbor project: public flag, storage quota, and optionally a proxy cache
 * of another registry (e.g. Docker Hub behind a `docker-hub` registry endpoint, against pull limits).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { harborClient, type HarborClient } from "./client";
import {
  changedKeys, checkConnection, connectionKeys, connectionOf, connectionOutputs, createOrAdopt, findIdByName, gone, isUnknown, wireValue,
} from "./provider-support";

export interface ProxyCache {
  /** Harbor registry endpoint id of the upstream (a `docker-hub` endpoint for Docker Hub). */
  registryId: number;
  /** Bandwidth cap toward the upstream in Kbit/s; -1 = unlimited. */
  speedKbps?: number;
}

export function quotaBytes(gib: unknown): number {
  return typeof gib === "number" && gib > 0 ? gib * 1024 ** 3 : -1;
}

/**
 * Harbor's largest storage quota: 1024 TB = 1125899906842624 bytes = 1048576 GiB (v2.15.1
 * src/pkg/quota/types/resources.go MaxLimitedValue, checked by src/lib/quota_storage_limit.go).
 */
export function maxQuotaGiB(): number {
  return 1024 * 1024;
}

export function projectMetadata(p: Record<string, unknown>): Record<string, string> {
  const meta: Record<string, string> = { public: p.public === true ? "true" : "false" };
  const proxy = p.proxyCache as ProxyCache | undefined;
  if (proxy) meta.proxy_speed_kb = String(proxy.speedKbps ?? -1);
  return meta;
}

export function projectCreateBody(p: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = { project_name: p.name, metadata: projectMetadata(p), storage_limit: quotaBytes(p.storageQuotaGiB) };
  const proxy = p.proxyCache as ProxyCache | undefined;
  if (proxy) body.registry_id = Number(proxy.registryId);
  return body;
}

/** Harbor's GET answer mapped onto this resource's properties (the quota lives elsewhere: readQuotaGiB). */
export function projectFromHarbor(r: Record<string, unknown>, previous: Record<string, unknown>): Record<string, unknown> {
  const meta = (r.metadata as Record<string, string> | undefined) ?? {};
  const registryId = Number(r.registry_id ?? 0);
  const out: Record<string, unknown> = { projectId: Number(r.project_id), name: r.name, public: meta.public === "true" };
  if (registryId > 0) out.proxyCache = { registryId, speedKbps: Number(meta.proxy_speed_kb ?? -1) };
  else if (previous.proxyCache) out.proxyCache = undefined;
  return out;
}

/** The project's storage quota in GiB as Harbor holds it; undefined when unlimited (-1). */
async function readQuotaGiB(client: HarborClient, projectId: number, name: string): Promise<number | undefined> {
  const quotas = await client.list("/quotas", { reference: "project", reference_id: projectId }, `read storage quota of project "${name}"`);
  const storage = Number((quotas[0]?.hard as { storage?: unknown } | undefined)?.storage ?? -1);
  return storage > 0 ? storage / 1024 ** 3 : undefined;
}

/**
 * Repositories of a project, by full name "<project>/<repo>" (GET /projects/{name}/repositories,
 * bounded to 50 pages of 100), and how many there are.
 */
async function repositoriesOf(client: HarborClient, name: string): Promise<string[]> {
  const repos = await client.list(`/projects/${encodeURIComponent(name)}/repositories`, {}, `list repositories of project "${name}"`);
  return repos.map((r) => String(r.name));
}

/**
 * Harbor refuses to delete a project that holds repositories (412; v2.15.1
 * src/server/v2.0/handler/project.go DeleteProject -> deletable). With forceDestroy, the
 * repositories are deleted first (terraform-provider-harbor `force_destroy`); a proxy cache may
 * pull again meanwhile, so this is retried a bounded number of times. Without it: a clear error.
 */
async function deleteProject(client: HarborClient, id: string, props: Record<string, unknown>): Promise<void> {
  const name = String(props.name);
  const what = `delete project "${name}"`;
  for (let attempt = 1; attempt <= 3; attempt++) {
    const r = await client.call("DELETE", `/projects/${id}`, { accept: [404, 412], what });
    if (r.status !== 412) return;
    const repos = await repositoriesOf(client, name);
    if (props.forceDestroy !== true) {
      throw new Error(`Harbor API call failed: ${what} (DELETE /projects/${id}): HTTP 412: project "${name}" still holds ${repos.length} repositories ` +
        `(${repos.slice(0, 5).join(", ")}${repos.length > 5 ? ", ..." : ""}); Harbor deletes only an empty project. ` +
        `Set forceDestroy: true on this project to have its repositories deleted first (their images are lost), or delete or move them in Harbor, then run again.`);
    }
    for (const full of repos) {
      const repo = full.startsWith(`${name}/`) ? full.slice(name.length + 1) : full;
      // A repository name with "/" is URL-encoded twice in the path (Harbor's swagger: a/b -> a%252Fb).
      await client.call("DELETE", `/projects/${encodeURIComponent(name)}/repositories/${encodeURIComponent(encodeURIComponent(repo))}`, { accept: [404], what: `delete repository "${full}" (forceDestroy)` });
    }
  }
  throw new Error(`Harbor API call failed: ${what}: the project still held repositories after deleting them 3 times (a proxy cache still being pulled through?); stop its clients and run again.`);
}

async function setQuota(client: HarborClient, projectId: number, gib: unknown, name: string): Promise<void> {
  const quotas = await client.list("/quotas", { reference: "project", reference_id: projectId }, `find storage quota of project "${name}"`);
  const quota = quotas[0];
  if (!quota) throw new Error(`Harbor has no storage quota for project "${name}" (id ${projectId}); check Harbor's quota settings.`);
  await client.call("PUT", `/quotas/${String(quota.id)}`, { body: { hard: { storage: quotaBytes(gib) } }, what: `set storage quota of project "${name}"` });
}

function projectOutputs(p: Record<string, unknown>, projectId: number): Record<string, unknown> {
  return { ...connectionOutputs(p), projectId, name: p.name, public: p.public === true, storageQuotaGiB: p.storageQuotaGiB, proxyCache: p.proxyCache, forceDestroy: p.forceDestroy === true };
}

export const projectProvider: dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: dynamic.CheckFailure[] = [];
    const inputs = checkConnection(news, failures);
    inputs.public = news.public ?? false;
    inputs.forceDestroy = news.forceDestroy ?? false;
    if (!isUnknown(inputs.forceDestroy) && typeof inputs.forceDestroy !== "boolean") failures.push({ property: "forceDestroy", reason: "expected true or false" });
    if (!isUnknown(news.name) && (typeof news.name !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(news.name) || news.name.length > 255)) {
      failures.push({ property: "name", reason: "expected a Harbor project name: lower case a-z, 0-9 with . _ - between them" });
    }
    const q = news.storageQuotaGiB;
    if (q !== undefined && !isUnknown(q) && (typeof q !== "number" || !Number.isInteger(q) || q <= 0 || q > maxQuotaGiB())) {
      failures.push({ property: "storageQuotaGiB", reason: `expected a whole number of GiB from 1 to ${maxQuotaGiB()} GiB (1024 TB), Harbor's limit; omit for unlimited` });
    }
    const proxy = news.proxyCache as ProxyCache | undefined;
    if (proxy !== undefined && !isUnknown(proxy) && !isUnknown(proxy.registryId) && !(Number(proxy.registryId) > 0)) {
      failures.push({ property: "proxyCache", reason: "expected proxyCache.registryId: the id of a registry endpoint (e.g. type docker-hub)" });
    }
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    // A project cannot be renamed, nor become (or stop being) a proxy cache: replace.
    const oldProxy = (olds.proxyCache as ProxyCache | undefined)?.registryId;
    const newProxy = (news.proxyCache as ProxyCache | undefined)?.registryId;
    const replaces = changedKeys(olds, news, ["harborUrl", "name"]);
    if (isUnknown(newProxy) || (oldProxy ?? 0) !== (newProxy ?? 0)) replaces.push("proxyCache");
    const updates = changedKeys(olds, news, ["public", "storageQuotaGiB", "proxyCache", "forceDestroy", ...connectionKeys(), "adoptExisting"]);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && !replaces.includes("name") };
  },

  async create(inputs) {
    const client = harborClient(connectionOf(inputs));
    const name = String(inputs.name);
    const created = await createOrAdopt({
      client, path: "/projects", body: projectCreateBody(inputs), name, kind: "project",
      adoptExisting: inputs.adoptExisting === true,
      findId: () => findIdByName(client, "/projects", name, "project_id"),
      // Empty, with our public flag and proxy upstream: what this resource's own create makes.
      isOwn: async (id) => {
        const current = (await client.call("GET", `/projects/${id}`, { what: `read project "${name}"` })).body as Record<string, unknown>;
        const mine = projectFromHarbor(current, inputs);
        return Number(current.repo_count ?? 0) === 0 && mine.public === (inputs.public === true) &&
          ((mine.proxyCache as ProxyCache | undefined)?.registryId ?? 0) === Number((inputs.proxyCache as ProxyCache | undefined)?.registryId ?? 0);
      },
    });
    if (created.adopted) {
      await client.call("PUT", `/projects/${created.id}`, { body: { metadata: projectMetadata(inputs) }, what: `take over project "${name}"` });
      await setQuota(client, created.id, inputs.storageQuotaGiB, name);
    }
    return { id: String(created.id), outs: wireValue(projectOutputs(inputs, created.id)) };
  },

  async read(id, props) {
    const client = harborClient(connectionOf(props));
    const r = await client.call("GET", `/projects/${id}`, { accept: [404], what: `read project ${id}` });
    if (r.status === 404) return gone();
    const next = { ...props, ...projectFromHarbor(r.body as Record<string, unknown>, props) };
    // A managed quota is read back (a second GET); an unset one is left to Harbor, which keeps a
    // refresh of the usual project at one call.
    if (props.storageQuotaGiB !== undefined) next.storageQuotaGiB = await readQuotaGiB(client, Number(id), String(props.name));
    return { id, props: wireValue(next) };
  },

  async update(id, olds, news) {
    const client = harborClient(connectionOf(news));
    const name = String(news.name);
    if (changedKeys(olds, news, ["public", "proxyCache"]).length > 0) {
      await client.call("PUT", `/projects/${id}`, { body: { metadata: projectMetadata(news) }, what: `update project "${name}"` });
    }
    if (changedKeys(olds, news, ["storageQuotaGiB"]).length > 0) await setQuota(client, Number(id), news.storageQuotaGiB, name);
    return { outs: wireValue(projectOutputs(news, Number(id))) };
  },

  async delete(id, props) {
    await deleteProject(harborClient(connectionOf(props)), id, props);
  },
};
