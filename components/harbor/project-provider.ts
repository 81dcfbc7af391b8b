/**
 * Dynamic provider for a Harbor project: public flag, storage quota, and optionally a proxy cache
 * of another registry (e.g. Docker Hub behind a `docker-hub` registry endpoint, against pull limits).
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { harborClient, type HarborClient } from "./client";
import {
  changedKeys, checkConnection, connectionKeys, connectionOf, connectionOutputs, createOrAdopt, deleteIfPresent,
  findIdByName, gone, isUnknown,
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

/** Harbor's GET answer mapped onto this resource's properties (the quota lives elsewhere: not read). */
export function projectFromHarbor(r: Record<string, unknown>, previous: Record<string, unknown>): Record<string, unknown> {
  const meta = (r.metadata as Record<string, string> | undefined) ?? {};
  const registryId = Number(r.registry_id ?? 0);
  const out: Record<string, unknown> = { projectId: Number(r.project_id), name: r.name, public: meta.public === "true" };
  if (registryId > 0) out.proxyCache = { registryId, speedKbps: Number(meta.proxy_speed_kb ?? -1) };
  else if (previous.proxyCache) out.proxyCache = undefined;
  return out;
}

async function setQuota(client: HarborClient, projectId: number, gib: unknown, name: string): Promise<void> {
  const quotas = await client.list("/quotas", { reference: "project", reference_id: projectId }, `find storage quota of project "${name}"`);
  const quota = quotas[0];
  if (!quota) throw new Error(`Harbor has no storage quota for project "${name}" (id ${projectId}); check Harbor's quota settings.`);
  await client.call("PUT", `/quotas/${String(quota.id)}`, { body: { hard: { storage: quotaBytes(gib) } }, what: `set storage quota of project "${name}"` });
}

function projectOutputs(p: Record<string, unknown>, projectId: number): Record<string, unknown> {
  return { ...connectionOutputs(p), projectId, name: p.name, public: p.public === true, storageQuotaGiB: p.storageQuotaGiB, proxyCache: p.proxyCache };
}

export const projectProvider: dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: dynamic.CheckFailure[] = [];
    const inputs = checkConnection(news, failures);
    inputs.public = news.public ?? false;
    if (!isUnknown(news.name) && (typeof news.name !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(news.name) || news.name.length > 255)) {
      failures.push({ property: "name", reason: "expected a Harbor project name: lower case a-z, 0-9 with . _ - between them" });
    }
    const q = news.storageQuotaGiB;
    if (q !== undefined && !isUnknown(q) && (typeof q !== "number" || !Number.isInteger(q) || q <= 0)) {
      failures.push({ property: "storageQuotaGiB", reason: "expected a whole number of GiB > 0 (omit for unlimited)" });
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
    const updates = changedKeys(olds, news, ["public", "storageQuotaGiB", "proxyCache", ...connectionKeys(), "adoptExisting"]);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && !replaces.includes("name") };
  },

  async create(inputs) {
    const client = harborClient(connectionOf(inputs));
    const name = String(inputs.name);
    const created = await createOrAdopt({
      client, path: "/projects", body: projectCreateBody(inputs), name, kind: "project",
      adoptExisting: inputs.adoptExisting === true,
      findId: () => findIdByName(client, "/projects", name, "project_id"),
    });
    if (created.adopted) {
      await client.call("PUT", `/projects/${created.id}`, { body: { metadata: projectMetadata(inputs) }, what: `take over project "${name}"` });
      await setQuota(client, created.id, inputs.storageQuotaGiB, name);
    }
    return { id: String(created.id), outs: projectOutputs(inputs, created.id) };
  },

  async read(id, props) {
    const client = harborClient(connectionOf(props));
    const r = await client.call("GET", `/projects/${id}`, { accept: [404], what: `read project ${id}` });
    if (r.status === 404) return gone();
    return { id, props: { ...props, ...projectFromHarbor(r.body as Record<string, unknown>, props) } };
  },

  async update(id, olds, news) {
    const client = harborClient(connectionOf(news));
    const name = String(news.name);
    if (changedKeys(olds, news, ["public", "proxyCache"]).length > 0) {
      await client.call("PUT", `/projects/${id}`, { body: { metadata: projectMetadata(news) }, what: `update project "${name}"` });
    }
    if (changedKeys(olds, news, ["storageQuotaGiB"]).length > 0) await setQuota(client, Number(id), news.storageQuotaGiB, name);
    return { outs: projectOutputs(news, Number(id)) };
  },

  async delete(id, props) {
    const client = harborClient(connectionOf(props));
    await deleteIfPresent(client, `/projects/${id}`, `delete project "${String(props.name)}"`);
  },
};
