/**
 * Dynamic provider for a Harbor registry endpoint (`/registries`): where replication pushes to.
 * The access secret never enters the outputs: a salted hash lets diff see that it changed.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { harborClient } from "./client";
import {
  changedKeys, checkConnection, connectionKeys, connectionOf, connectionOutputs, createOrAdopt, deleteIfPresent,
  findIdByName, gone, hashSecret, isUnknown, secretMatches, wireValue,
} from "./provider-support";

/** Harbor adapter types that can be a replication destination or a proxy-cache upstream. */
export function endpointAdapters(): string[] {
  return ["azure-acr", "google-gcr", "docker-registry", "ali-acr", "harbor", "docker-hub", "aws-ecr", "github-ghcr", "jfrog-artifactory", "huawei-SWR", "tencent-tcr", "volcengine-cr"];
}

/**
 * Same normalisation Harbor applies (trim, no trailing slash; ali-acr stores cr.<region> as
 * registry.<region>), so a refresh never shows drift.
 */
export function normalizeEndpointUrl(url: string, type?: string): string {
  const u = url.trim().replace(/\/+$/, "");
  return type === "ali-acr" ? u.replace(/^https:\/\/cr\.([a-z0-9-]+)\.aliyuncs\.com$/, "https://registry.$1.aliyuncs.com") : u;
}

/** Harbor's POST /registries body. */
export function endpointCreateBody(p: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {
    name: p.name,
    type: p.type,
    url: p.url,
    description: p.description ?? "",
    insecure: p.insecure === true,
  };
  if (p.accessKey) body.credential = { type: "basic", access_key: p.accessKey, access_secret: p.accessSecret ?? "" };
  return body;
}

/**
 * Harbor's flat, partial PUT body (v2.15.1 src/server/v2.0/handler/registry.go UpdateRegistry: a
 * field that is absent keeps its stored value). The credential fields are always sent: the secret
 * because a URL change without it clears it on Harbor after 2.15.2, and an empty access key because
 * that is the only way to remove a credential (src/pkg/reg/manager.go toDaoModel stores none
 * without a key); omitting them would keep the old one forever.
 */
export function endpointUpdateBody(p: Record<string, unknown>): Record<string, unknown> {
  return {
    name: p.name,
    description: p.description ?? "",
    url: p.url,
    insecure: p.insecure === true,
    credential_type: "basic",
    access_key: p.accessKey ?? "",
    access_secret: p.accessKey ? (p.accessSecret ?? "") : "",
  };
}

/** Harbor's GET answer mapped onto this resource's properties. */
export function endpointFromHarbor(r: Record<string, unknown>): Record<string, unknown> {
  const cred = r.credential as { access_key?: string } | undefined;
  return {
    registryId: Number(r.id),
    name: r.name,
    type: r.type,
    url: r.url,
    accessKey: cred?.access_key ?? "",
    insecure: r.insecure === true,
    description: r.description ?? "",
  };
}

/** Fields Harbor stores (a function, not a module-level object: see client.ts). */
export function endpointApiFields(): string[] {
  return ["name", "url", "accessKey", "insecure", "description"];
}

export const endpointProvider: dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: dynamic.CheckFailure[] = [];
    const inputs = checkConnection(news, failures, "harborInsecure");
    inputs.insecure = news.insecure ?? false;
    inputs.description = news.description ?? "";
    inputs.accessKey = news.accessKey ?? "";
    inputs.unhealthyRetrySeconds = news.unhealthyRetrySeconds ?? 300;
    if (!isUnknown(news.name) && (typeof news.name !== "string" || !/^.{1,64}$/.test(news.name))) {
      failures.push({ property: "name", reason: "expected an endpoint name of 1 to 64 characters" });
    }
    if (!isUnknown(news.type) && !endpointAdapters().includes(String(news.type))) {
      failures.push({ property: "type", reason: `unknown Harbor adapter "${String(news.type)}"; expected one of ${endpointAdapters().join(", ")}` });
    }
    if (!isUnknown(news.url)) {
      if (typeof news.url !== "string" || !/^https?:\/\/[^\s/]+(\/\S*)?$/.test(news.url.trim())) {
        failures.push({ property: "url", reason: "expected the registry URL with its scheme, e.g. https://myreg.azurecr.io (Harbor would prepend http:// otherwise)" });
      } else {
        inputs.url = normalizeEndpointUrl(news.url, typeof news.type === "string" ? news.type : undefined);
      }
    }
    if (!isUnknown(news.accessSecret) && news.accessSecret && !isUnknown(inputs.accessKey) && !inputs.accessKey) {
      failures.push({ property: "accessKey", reason: "Harbor stores a credential only with a non-empty access key; set accessKey (the user name / key id)" });
    }
    const retry = inputs.unhealthyRetrySeconds;
    if (!isUnknown(retry) && (typeof retry !== "number" || retry < 0 || retry > 3600)) {
      failures.push({ property: "unhealthyRetrySeconds", reason: "expected 0 to 3600 seconds" });
    }
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["type", "harborUrl"]);
    const updates = changedKeys(olds, news, [...endpointApiFields(), ...connectionKeys("harborInsecure"), "unhealthyRetrySeconds", "adoptExisting"]);
    const secretChanged = isUnknown(news.accessSecret) || (Boolean(news.accessSecret) || Boolean(olds.accessSecretHash))
      && !secretMatches(news.accessSecret ?? "", olds.accessSecretHash);
    if (secretChanged) updates.push("accessSecret");
    const changes = replaces.length > 0 || updates.length > 0;
    // A replacement keeps the name, which Harbor holds unique: delete the old one first.
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 && !changedKeys(olds, news, ["name"]).length };
  },

  async create(inputs) {
    const client = harborClient(connectionOf(inputs, "harborInsecure"));
    const name = String(inputs.name);
    const created = await createOrAdopt({
      client, path: "/registries", body: endpointCreateBody(inputs), name, kind: "registry endpoint",
      adoptExisting: inputs.adoptExisting === true,
      findId: () => findIdByName(client, "/registries", name),
      isOwn: async (id) => {
        const current = endpointFromHarbor((await client.call("GET", `/registries/${id}`, { what: `read registry endpoint "${name}"` })).body as Record<string, unknown>);
        return current.type === inputs.type && changedKeys(current, inputs, endpointApiFields()).length === 0;
      },
      unhealthyRetryMs: Number(inputs.unhealthyRetrySeconds ?? 300) * 1000,
    });
    if (created.adopted) {
      const existing = await client.call("GET", `/registries/${created.id}`, { what: `read registry endpoint "${name}"` });
      const type = (existing.body as { type?: string }).type;
      if (type !== inputs.type) {
        throw new Error(`Harbor already has a registry endpoint "${name}" of type "${type}", not "${String(inputs.type)}"; Harbor cannot change an endpoint's type: delete it in Harbor or choose another name.`);
      }
      await client.call("PUT", `/registries/${created.id}`, {
        body: endpointUpdateBody(inputs), what: `take over registry endpoint "${name}"`,
        unhealthyRetryMs: Number(inputs.unhealthyRetrySeconds ?? 300) * 1000,
      });
    }
    return { id: String(created.id), outs: wireValue(endpointOutputs(inputs, created.id, hashSecret(String(inputs.accessSecret ?? "")))) };
  },

  async read(id, props) {
    const client = harborClient(connectionOf(props, "harborInsecure"));
    const r = await client.call("GET", `/registries/${id}`, { accept: [404], what: `read registry endpoint ${id}` });
    if (r.status === 404) return gone();
    return { id, props: wireValue({ ...props, ...endpointFromHarbor(r.body as Record<string, unknown>) }) };
  },

  async update(id, olds, news) {
    const apiChanged = changedKeys(olds, news, endpointApiFields()).length > 0 || !secretMatches(news.accessSecret ?? "", olds.accessSecretHash);
    if (apiChanged) {
      const client = harborClient(connectionOf(news, "harborInsecure"));
      await client.call("PUT", `/registries/${id}`, {
        body: endpointUpdateBody(news), what: `update registry endpoint "${String(news.name)}"`,
        unhealthyRetryMs: Number(news.unhealthyRetrySeconds ?? 300) * 1000,
      });
    }
    const hash = secretMatches(news.accessSecret ?? "", olds.accessSecretHash) ? olds.accessSecretHash : hashSecret(String(news.accessSecret ?? ""));
    return { outs: wireValue(endpointOutputs(news, Number(id), String(hash))) };
  },

  async delete(id, props) {
    const client = harborClient(connectionOf(props, "harborInsecure"));
    await deleteIfPresent(client, `/registries/${id}`, `delete registry endpoint "${String(props.name)}"`);
  },
};

function endpointOutputs(p: Record<string, unknown>, registryId: number, accessSecretHash: string): Record<string, unknown> {
  return {
    ...connectionOutputs(p, "harborInsecure"),
    registryId,
    name: p.name,
    type: p.type,
    url: p.url,
    accessKey: p.accessKey ?? "",
    accessSecretHash,
    insecure: p.insecure === true,
    description: p.description ?? "",
    unhealthyRetrySeconds: p.unhealthyRetrySeconds ?? 300,
  };
}
