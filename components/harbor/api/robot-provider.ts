/**
 * Dynamic provider for a Harbor system robot account with read-only access to some projects.
 * Harbor returns the secret once (create) or on a refresh (PATCH): both land in the `secret` output,
 * which the resource marks secret. Changing `rotationToken` refreshes it.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { harborClient, type HarborClient } from "./client";
import {
  changedKeys, checkConnection, connectionKeys, connectionOf, connectionOutputs, createOrAdopt, deleteIfPresent,
  gone, isUnknown, wireValue,
} from "./provider-support";

export interface RobotAccess { resource: string; action: string }

/**
 * (resource, action) pairs a pull-only robot may hold: the read-only part of Harbor's project-scope
 * catalogue (v2.15.1 src/common/rbac/const.go `PoliciesMap[ScopeProject]`). Harbor validates the
 * pair, not the action alone (src/server/v2.0/handler/robot.go `containsAccess`): `artifact:pull`
 * is refused although `pull` is read-only.
 */
export function readOnlyPermissions(): string[] {
  return [
    "repository:pull", "repository:read", "repository:list", "artifact:read", "artifact:list", "tag:list", "accessory:list",
    "artifact-addition:read", "scan:read", "sbom:read", "label:read", "label:list", "metadata:read", "metadata:list", "project:read", "quota:read",
  ];
}

/**
 * Harbor's `robot_name_prefix` setting (default "robot$"; src/lib/config/userconfig.go RobotPrefix):
 * Harbor stores a system robot under its bare name and adds the prefix only in its answers.
 */
export async function robotNamePrefix(client: HarborClient): Promise<string> {
  const r = await client.call("GET", "/configurations", { what: "read Harbor's robot_name_prefix setting" });
  const value = (r.body as { robot_name_prefix?: { value?: unknown } } | undefined)?.robot_name_prefix?.value;
  if (typeof value !== "string") throw new Error("Harbor's GET /configurations answered no robot_name_prefix; check that harborUsername is a system administrator.");
  return value;
}

/**
 * A system robot by its bare name: `q=name=` is an exact match on the *stored* name
 * (src/lib/orm/query.go setFilters), which has no prefix; the answer carries the prefix.
 */
async function findRobotId(client: HarborClient, name: string): Promise<number | undefined> {
  const prefix = await robotNamePrefix(client);
  const items = await client.list("/robots", { q: `Level=system,name=${name}` }, `look up robot "${name}"`);
  const hit = items.find((i) => i.name === `${prefix}${name}`);
  return hit ? Number(hit.id) : undefined;
}

export function robotPermissions(projects: string[], access: RobotAccess[]): Record<string, unknown>[] {
  return projects.map((p) => ({ kind: "project", namespace: p, access: access.map((a) => ({ resource: a.resource, action: a.action, effect: "allow" })) }));
}

export function robotBody(p: Record<string, unknown>): Record<string, unknown> {
  return {
    name: p.name,
    description: p.description ?? "",
    level: "system",
    duration: Number(p.duration),
    disable: false,
    permissions: robotPermissions(p.projects as string[], p.access as RobotAccess[]),
  };
}

/** Harbor's GET answer mapped onto this resource's properties. */
export function robotFromHarbor(r: Record<string, unknown>): Record<string, unknown> {
  const perms = (r.permissions as { kind?: string; namespace?: string; access?: RobotAccess[] }[] | undefined) ?? [];
  const projects = perms.filter((x) => x.kind === "project").map((x) => String(x.namespace)).sort();
  const first = perms[0]?.access ?? [];
  return {
    robotId: Number(r.id),
    robotName: r.name,
    level: r.level,
    description: r.description ?? "",
    duration: Number(r.duration ?? -1),
    disabled: r.disable === true,
    projects,
    access: first.map((a) => ({ resource: a.resource, action: a.action })),
  };
}

/** Inputs whose change makes the update PUT the robot (projectIds: a replaced project, see robot.ts). */
function robotApiFields(): string[] {
  return ["description", "duration", "projects", "projectIds", "access", "disabled"];
}

function robotOutputs(p: Record<string, unknown>, robotId: number, robotName: string, secret: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...connectionOutputs(p), robotId, robotName, secret };
  for (const k of ["name", "level", "description", "duration", "projects", "projectIds", "access", "rotationToken"]) out[k] = p[k];
  out.disabled = false;
  return out;
}

export const robotProvider: dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: dynamic.CheckFailure[] = [];
    const inputs = checkConnection(news, failures);
    Object.assign(inputs, {
      level: news.level ?? "system",
      description: news.description ?? "",
      duration: news.duration ?? -1,
      rotationToken: news.rotationToken ?? "",
      disabled: false,
      access: news.access ?? [{ resource: "repository", action: "pull" }],
    });
    if (Array.isArray(news.projects)) inputs.projects = [...(news.projects as string[])].sort();
    if (!isUnknown(news.projectIds)) {
      const ids = news.projectIds ?? [];
      if (!Array.isArray(ids) || ids.some((x) => !isUnknown(x) && !(typeof x === "number" && Number.isInteger(x) && x > 0))) {
        failures.push({ property: "projectIds", reason: "expected the ids of the robot's projects (HarborProject.projectId)" });
      } else inputs.projectIds = [...ids].sort((a, b) => Number(a) - Number(b));
    }
    if (!isUnknown(news.name) && (typeof news.name !== "string" || !/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/.test(news.name))) {
      failures.push({ property: "name", reason: "expected a robot name in lower case: a-z, 0-9 with . _ - between them (Harbor answers it with its robot_name_prefix setting, default robot$)" });
    }
    if (inputs.level !== "system") failures.push({ property: "level", reason: "only system-level robots are managed here (one robot spans several projects)" });
    const d = inputs.duration;
    if (!isUnknown(d) && (typeof d !== "number" || !Number.isInteger(d) || !(d === -1 || d > 0))) {
      failures.push({ property: "duration", reason: "expected -1 (never expires) or a positive number of days" });
    }
    if (!isUnknown(news.projects) && (!Array.isArray(news.projects) || news.projects.length === 0)) {
      failures.push({ property: "projects", reason: "expected at least one Harbor project name" });
    }
    const access = inputs.access as RobotAccess[];
    if (!isUnknown(access)) {
      if (!Array.isArray(access) || access.length === 0) failures.push({ property: "access", reason: "expected at least one { resource, action }" });
      else for (const a of access) {
        const pair = `${String(a.resource)}:${String(a.action)}`;
        if (!readOnlyPermissions().includes(pair)) {
          failures.push({ property: "access", reason: `"${pair}" is not a read-only permission Harbor grants a project robot; this robot is pull-only (allowed resource:action pairs: ${readOnlyPermissions().join(", ")})` });
        }
      }
    }
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    const replaces = changedKeys(olds, news, ["harborUrl", "name", "level"]);
    const updates = changedKeys(olds, news, [...robotApiFields(), ...connectionKeys(), "rotationToken", "adoptExisting"]);
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && !changedKeys(olds, news, ["name"]).length };
  },

  async create(inputs) {
    const client = harborClient(connectionOf(inputs));
    const name = String(inputs.name);
    const created = await createOrAdopt({
      client, path: "/robots", body: robotBody(inputs), name, kind: "robot account",
      adoptExisting: inputs.adoptExisting === true,
      findId: () => findRobotId(client, name),
      // Same description, lifetime, projects and access: what this resource's own create makes.
      isOwn: async (id) => {
        const current = robotFromHarbor((await client.call("GET", `/robots/${id}`, { what: `read robot "${name}"` })).body as Record<string, unknown>);
        return current.level === "system" && changedKeys(current, inputs, ["description", "duration", "projects", "access"]).length === 0;
      },
    });
    const answer = created.body as { name?: string; secret?: string } | undefined;
    let robotName = answer?.name;
    let secret = answer?.secret;
    if (created.adopted) {
      // Taken over (or created by an attempt whose answer was lost): converge it and mint a secret we know.
      const current = (await client.call("GET", `/robots/${created.id}`, { what: `read robot "${name}"` })).body as Record<string, unknown>;
      robotName = String(current.name);
      await client.call("PUT", `/robots/${created.id}`, { body: { ...robotBody(inputs), id: created.id, name: robotName }, what: `take over robot "${name}"` });
      secret = ((await client.call("PATCH", `/robots/${created.id}`, { body: {}, what: `refresh secret of robot "${name}"` })).body as { secret?: string }).secret;
    }
    if (!secret) throw new Error(`Harbor created robot "${name}" but returned no secret; delete it in Harbor and run again.`);
    robotName ??= `${await robotNamePrefix(client)}${name}`;
    return { id: String(created.id), outs: wireValue(robotOutputs(inputs, created.id, robotName, secret)) };
  },

  async read(id, props) {
    const client = harborClient(connectionOf(props));
    const r = await client.call("GET", `/robots/${id}`, { accept: [404], what: `read robot ${id}` });
    if (r.status === 404) return gone();
    const current = robotFromHarbor(r.body as Record<string, unknown>);
    return { id, props: wireValue({ ...props, ...current }) };
  },

  async update(id, olds, news) {
    const client = harborClient(connectionOf(news));
    const robotName = String(olds.robotName);
    if (changedKeys(olds, news, robotApiFields()).length > 0) {
      // PUT needs the full prefixed name exactly as Harbor returns it.
      await client.call("PUT", `/robots/${id}`, { body: { ...robotBody(news), id: Number(id), name: robotName }, what: `update robot "${String(news.name)}"` });
    }
    let secret = olds.secret;
    if (changedKeys(olds, news, ["rotationToken"]).length > 0) {
      secret = ((await client.call("PATCH", `/robots/${id}`, { body: {}, what: `rotate secret of robot "${String(news.name)}"` })).body as { secret?: string }).secret;
      if (!secret) throw new Error(`Harbor refreshed the secret of robot "${String(news.name)}" but returned none`);
    }
    return { outs: wireValue(robotOutputs(news, Number(id), robotName, secret)) };
  },

  async delete(id, props) {
    const client = harborClient(connectionOf(props));
    await deleteIfPresent(client, `/robots/${id}`, `delete robot "${String(props.name)}"`);
  },
};
