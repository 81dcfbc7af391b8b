/**
 * Dynamic provider for a Harbor push replication policy, plus its backfill: one execution started
 * on create (and when `backfillToken` changes) so images older than an event-based rule are copied.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { harborClient, type HarborClient } from "./client";
import { harborCronProblem } from "./cron";
import {
  changedKeys, checkConnection, connectionKeys, connectionOf, connectionOutputs, createOrAdopt, deleteIfPresent,
  findIdByName, gone, isUnknown, wireValue,
} from "./provider-support";

export interface PolicyFilters {
  /** "<project>/<repositoryFilter>", doublestar. */
  name: string;
  tag?: { pattern: string; decoration: "matches" | "excludes" };
  resource?: "image" | "artifact";
}

/** Fields sent to Harbor (the PUT replaces the whole policy, so all of them, always). */
export function policyApiFields(): string[] {
  return ["name", "description", "destinationRegistryId", "destinationNamespace", "destinationNamespaceReplaceCount", "trigger", "cron", "filters", "deletion", "override", "enabled", "speedKbps"];
}

/** Harbor's ReplicationPolicy body for POST and PUT: push mode (no src_registry). */
export function policyBody(p: Record<string, unknown>): Record<string, unknown> {
  const f = p.filters as PolicyFilters;
  const filters: Record<string, unknown>[] = [{ type: "name", value: f.name }];
  if (f.tag) filters.push({ type: "tag", value: f.tag.pattern, decoration: f.tag.decoration });
  if (f.resource) filters.push({ type: "resource", value: f.resource });
  return {
    name: p.name,
    description: p.description ?? "",
    dest_registry: { id: Number(p.destinationRegistryId) },
    dest_namespace: p.destinationNamespace ?? "",
    // Explicit always: omitted, Harbor silently uses -1 (flatten every level).
    dest_namespace_replace_count: Number(p.destinationNamespaceReplaceCount),
    trigger: { type: p.trigger, trigger_settings: { cron: p.trigger === "scheduled" ? String(p.cron ?? "") : "" } },
    filters,
    // `deletion` is what Harbor reads; `replicate_deletion` is ignored on write.
    deletion: p.deletion === true,
    override: p.override === true,
    enabled: p.enabled === true,
    speed: Number(p.speedKbps ?? 0),
  };
}

/** Harbor's GET answer mapped onto this resource's properties. */
export function policyFromHarbor(r: Record<string, unknown>): Record<string, unknown> {
  const filters: PolicyFilters = { name: "" };
  for (const f of (r.filters as Record<string, unknown>[] | undefined) ?? []) {
    if (f.type === "name") filters.name = String(f.value);
    if (f.type === "tag") filters.tag = { pattern: String(f.value), decoration: f.decoration === "excludes" ? "excludes" : "matches" };
    if (f.type === "resource") filters.resource = f.value === "artifact" ? "artifact" : "image";
  }
  const trigger = (r.trigger as { type?: string; trigger_settings?: { cron?: string } } | undefined) ?? {};
  const out: Record<string, unknown> = {
    policyId: Number(r.id),
    name: r.name,
    description: r.description ?? "",
    destinationRegistryId: Number((r.dest_registry as { id?: number } | undefined)?.id ?? 0),
    destinationNamespace: r.dest_namespace ?? "",
    destinationNamespaceReplaceCount: Number(r.dest_namespace_replace_count ?? -1),
    trigger: trigger.type ?? "manual",
    filters,
    deletion: (r.deletion ?? r.replicate_deletion) === true,
    override: r.override === true,
    enabled: r.enabled === true,
    speedKbps: Math.max(0, Number(r.speed ?? 0)),
  };
  if (trigger.type === "scheduled") out.cron = trigger.trigger_settings?.cron ?? "";
  return out;
}

function finalStatus(status: unknown): boolean {
  return status === "Succeed" || status === "Failed" || status === "Stopped";
}

/**
 * Start one execution and wait (bounded) for its state. A retried POST whose first attempt may have
 * reached Harbor looks for a manual execution started meanwhile instead of starting a second one.
 * Never throws once the policy exists: a start that fails is reported as `StartFailed` (the next
 * `up` retries it), a status that cannot be read as `Unknown` (the next refresh reads it).
 */
async function backfill(client: HarborClient, policyId: number, name: string, waitSeconds: number): Promise<Record<string, unknown>> {
  const what = `start backfill execution of replication policy "${name}"`;
  let id = 0;
  try {
    // Bounded: an attempt that may have reached Harbor is looked up before starting another one.
    for (let attempt = 1; id === 0; attempt++) {
      const startedAt = Date.now();
      try {
        const r = await client.call("POST", "/replication/executions", { body: { policy_id: policyId }, what, accept: [412], retryAmbiguous: false });
        if (r.status === 412) return { backfillExecutionId: 0, backfillStatus: "Skipped", backfillStatusText: "policy disabled: Harbor starts no execution" };
        id = client.idFromLocation(r, what);
      } catch (e) {
        if (!(e as { ambiguous?: boolean }).ambiguous || attempt >= 3) throw e;
        const list = await client.list("/replication/executions", { policy_id: policyId, trigger: "manual" }, `find backfill execution of "${name}"`);
        const mine = list.filter((x) => Date.parse(String(x.start_time)) >= startedAt - 60_000).map((x) => Number(x.id));
        id = Math.max(0, ...mine);
      }
    }
  } catch (e) {
    return { backfillExecutionId: 0, backfillStatus: "StartFailed", backfillStatusText: `${(e as Error).message} (the next pulumi up starts it again)` };
  }
  let exec: Record<string, unknown> = { status: "Unknown", status_text: "" };
  let delay = 250;
  const deadline = Date.now() + waitSeconds * 1000;
  try {
    for (let i = 0; i < 100; i++) {
      exec = (await client.call("GET", `/replication/executions/${id}`, { what: `read backfill execution ${id}` })).body as Record<string, unknown>;
      if (finalStatus(exec.status) || Date.now() + delay > deadline) break;
      await new Promise((res) => setTimeout(res, delay));
      delay = Math.min(delay * 2, 5000);
    }
  } catch (e) {
    exec = { status: "Unknown", status_text: `started, but its status could not be read: ${(e as Error).message}` };
  }
  return { backfillExecutionId: id, backfillStatus: String(exec.status ?? "Unknown"), backfillStatusText: String(exec.status_text ?? "") };
}

/**
 * A backfill the next `up` starts again: it could not start, failed, was stopped (Harbor restarted),
 * or was skipped while the policy was disabled and the policy is enabled now.
 */
export function backfillDue(olds: Record<string, unknown>, news: Record<string, unknown>): boolean {
  return news.backfill === true && news.enabled === true && ["StartFailed", "Failed", "Stopped", "Skipped"].includes(String(olds.backfillStatus));
}

/** Harbor's cron as validated: trimmed, single blanks (Harbor splits on " ": model.go Policy.Validate). */
export function normalizeCron(cron: string): string {
  return cron.trim().split(/\s+/).join(" ");
}

/**
 * The policy found under our name is ours: exactly what this resource would create (every field
 * Harbor stores), as for endpoints, robots and projects (provider-support.ts createOrAdopt). A
 * hand-made policy that merely shares name, destination and project is not taken over.
 */
function isOurs(r: Record<string, unknown>, p: Record<string, unknown>): boolean {
  const found = policyFromHarbor(r);
  return (
    found.destinationRegistryId === Number(p.destinationRegistryId) &&
    String((found.filters as PolicyFilters).name).startsWith(`${String(p.projectName)}/`) &&
    changedKeys(found, p, policyApiFields()).length === 0
  );
}

function policyOutputs(p: Record<string, unknown>, policyId: number, run: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...connectionOutputs(p), policyId, ...run };
  for (const k of [...policyApiFields(), "destinationRegistryName", "projectName", "backfill", "backfillToken", "backfillWaitSeconds"]) out[k] = p[k];
  return out;
}

export const policyProvider: dynamic.ResourceProvider = {
  async check(_olds, news) {
    const failures: dynamic.CheckFailure[] = [];
    const inputs = checkConnection(news, failures);
    Object.assign(inputs, {
      description: news.description ?? "",
      destinationNamespace: news.destinationNamespace ?? "",
      deletion: news.deletion ?? false,
      override: news.override ?? true,
      enabled: news.enabled ?? true,
      speedKbps: news.speedKbps ?? 0,
      backfill: news.backfill ?? true,
      backfillToken: news.backfillToken ?? "",
      backfillWaitSeconds: news.backfillWaitSeconds ?? 30,
    });
    const dest = news.destinationRegistryId;
    if (!isUnknown(dest) && (typeof dest !== "number" || !Number.isInteger(dest) || dest <= 0)) {
      failures.push({ property: "destinationRegistryId", reason: "expected the registryId of a RegistryEndpoint (a positive integer)" });
    }
    const count = news.destinationNamespaceReplaceCount;
    if (!isUnknown(count) && (typeof count !== "number" || !Number.isInteger(count) || count < -1 || count > 127)) {
      failures.push({ property: "destinationNamespaceReplaceCount", reason: "expected an explicit integer from -1 to 127 (Harbor treats a missing value as -1: flatten every level)" });
    }
    if (!["event_based", "scheduled", "manual"].includes(String(news.trigger))) {
      failures.push({ property: "trigger", reason: "expected event_based, scheduled or manual" });
    } else if (news.trigger === "scheduled") {
      const problem = typeof news.cron === "string" ? harborCronProblem(news.cron) : "missing";
      if (problem && !isUnknown(news.cron)) failures.push({ property: "cron", reason: `expected a Harbor cron such as "0 0 */6 * * *" (6 fields, seconds first): ${problem}` });
      // What is validated is what is sent: Harbor checks fields split on single blanks.
      else if (typeof news.cron === "string") inputs.cron = normalizeCron(news.cron);
    } else if (news.cron) {
      failures.push({ property: "cron", reason: "cron applies only to trigger scheduled" });
    }
    const f = news.filters as PolicyFilters | undefined;
    if (!isUnknown(f)) {
      if (!f || typeof f.name !== "string" || !/^[^\s/]+\/\S+$/.test(f.name)) {
        failures.push({ property: "filters", reason: "expected filters.name as <project>/<repository pattern>, e.g. library/**" });
      } else if (typeof news.projectName === "string" && !f.name.startsWith(`${news.projectName}/`)) {
        failures.push({ property: "filters", reason: `filters.name "${f.name}" must start with the project "${news.projectName}/"` });
      }
      if (f?.tag && (!f.tag.pattern || !["matches", "excludes"].includes(f.tag.decoration))) {
        failures.push({ property: "filters", reason: "expected filters.tag as { pattern, decoration: matches | excludes }" });
      }
      if (f?.resource && !["image", "artifact"].includes(f.resource)) {
        failures.push({ property: "filters", reason: "filters.resource must be image or artifact (Harbor rejects chart)" });
      }
    }
    const speed = inputs.speedKbps;
    if (!isUnknown(speed) && (typeof speed !== "number" || speed < 0)) failures.push({ property: "speedKbps", reason: "expected Kbit/s >= 0 (0 = unlimited)" });
    if (!isUnknown(news.name) && (typeof news.name !== "string" || !news.name)) failures.push({ property: "name", reason: "expected a policy name" });
    return { inputs, failures };
  },

  async diff(_id, olds, news) {
    // Another destination is another policy: replace, deleting first because the name stays.
    const replaces = changedKeys(olds, news, ["harborUrl", "destinationRegistryId"]);
    const updates = changedKeys(olds, news, [...policyApiFields(), ...connectionKeys(), "destinationRegistryName", "projectName", "backfill", "backfillToken", "backfillWaitSeconds", "adoptExisting"]);
    if (backfillDue(olds, news)) updates.push("backfillStatus");
    const nameSame = changedKeys(olds, news, ["name"]).length === 0;
    return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: replaces.length > 0 && nameSame };
  },

  async create(inputs) {
    const client = harborClient(connectionOf(inputs));
    const name = String(inputs.name);
    // A policy under our name with our destination and project is one this resource created whose
    // state was lost (a crash after Harbor committed, or an older version that threw on a failed
    // backfill): adopted without asking. Another one is not.
    const created = await createOrAdopt({
      client, path: "/replication/policies", body: policyBody(inputs), name, kind: "replication policy",
      adoptExisting: inputs.adoptExisting === true,
      findId: () => findIdByName(client, "/replication/policies", name),
      isOwn: async (id) => isOurs((await client.call("GET", `/replication/policies/${id}`, { what: `read replication policy "${name}"` })).body as Record<string, unknown>, inputs),
    });
    if (created.adopted) await client.call("PUT", `/replication/policies/${created.id}`, { body: policyBody(inputs), what: `take over replication policy "${name}"` });
    const run = inputs.backfill === true && inputs.enabled === true
      ? await backfill(client, created.id, name, Number(inputs.backfillWaitSeconds ?? 30))
      : { backfillExecutionId: 0, backfillStatus: "NotRequested", backfillStatusText: "" };
    return { id: String(created.id), outs: wireValue(policyOutputs(inputs, created.id, run)) };
  },

  async read(id, props) {
    const client = harborClient(connectionOf(props));
    const r = await client.call("GET", `/replication/policies/${id}`, { accept: [404], what: `read replication policy ${id}` });
    if (r.status === 404) return gone();
    const next = { ...props, ...policyFromHarbor(r.body as Record<string, unknown>) };
    if (!next.cron) delete next.cron;
    // Only a backfill still running costs a second GET; a settled one is not read again.
    const execId = Number(props.backfillExecutionId ?? 0);
    if (execId > 0 && !finalStatus(props.backfillStatus)) {
      const e = await client.call("GET", `/replication/executions/${execId}`, { accept: [404], what: `read backfill execution ${execId}` });
      if (e.status === 200) Object.assign(next, { backfillStatus: (e.body as Record<string, unknown>).status, backfillStatusText: (e.body as Record<string, unknown>).status_text ?? "" });
    }
    return { id, props: wireValue(next) };
  },

  async update(id, olds, news) {
    const client = harborClient(connectionOf(news));
    if (changedKeys(olds, news, policyApiFields()).length > 0) {
      await client.call("PUT", `/replication/policies/${id}`, { body: policyBody(news), what: `update replication policy "${String(news.name)}"` });
    }
    let run: Record<string, unknown> = { backfillExecutionId: olds.backfillExecutionId ?? 0, backfillStatus: olds.backfillStatus ?? "NotRequested", backfillStatusText: olds.backfillStatusText ?? "" };
    if ((changedKeys(olds, news, ["backfillToken"]).length > 0 && news.backfill === true && news.enabled === true) || backfillDue(olds, news)) {
      run = await backfill(client, Number(id), String(news.name), Number(news.backfillWaitSeconds ?? 30));
    }
    return { outs: wireValue(policyOutputs(news, Number(id), run)) };
  },

  async delete(id, props) {
    const client = harborClient(connectionOf(props));
    const what = `delete replication policy "${String(props.name)}"`;
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await client.call("DELETE", `/replication/policies/${id}`, { accept: [404, 412], what });
      if (r.status !== 412) return;
      // Harbor refuses while executions run: stop them, then try again (bounded).
      const running = await client.list("/replication/executions", { policy_id: id, status: "InProgress" }, `list running executions of "${String(props.name)}"`);
      for (const e of running) await client.call("PUT", `/replication/executions/${String(e.id)}`, { what: `stop execution ${String(e.id)}` });
      await new Promise((res) => setTimeout(res, 500 * (attempt + 1)));
    }
    await deleteIfPresent(client, `/replication/policies/${id}`, what);
  },
};
