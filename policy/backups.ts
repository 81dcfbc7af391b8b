// Is each backup in the graph a real second copy of Harbor's images, and is it outside Harbor's
// failure domain? Two separate answers, because the two rules have different floors:
// - `hard` problems mean it is no backup at all (it is Harbor itself, or no replication ever
//   copies Harbor's projects to it): blocked in every environment, `local` included;
// - `domain` problems mean it is a backup that fails together with Harbor (same cluster, same
//   machine): the only thing `local` may relax.
import { parseCloudDomain, sameFailureDomain } from "../infra/config/cloud-regions/domains";
import type { PolicyResource } from "@pulumi/policy";
import { cronNeverRuns } from "./cron";
import { BACKUP_TYPES, ofType, plainProps, record, str, strings, TOKENS } from "./graph";
import { isClusterInternal, isLoopback, parseAddress, sameMachine, type Address } from "./hosts";
import { filterVerdict } from "./replication-filters";

export interface BackupAssessment {
  backup: string;
  /** Why it is not a backup at all. Empty: it is one. */
  hard: string[];
  /** Why it fails together with Harbor. Empty: another failure domain. */
  domain: string[];
}

const REPLICATING_TRIGGERS = ["event_based", "scheduled"];

/** Every address Harbor answers on: its hostname (80/443), its external URL, the URL our resources call it on, its exposed ports. */
export function harborAddresses(resources: readonly PolicyResource[], harbor: PolicyResource): Address[] {
  const hostname = str(plainProps(harbor).hostname);
  const out: Address[] = [];
  const add = (a: Address | undefined) => a && !out.some((x) => x.host === a.host && x.port === a.port) && out.push(a);
  const hosts = new Set<string>();
  if (hostname) {
    add(parseAddress(`http://${hostname}`));
    add(parseAddress(`https://${hostname}`));
  }
  for (const r of resources.filter((x) => x.type.startsWith("pulumi-nodejs:dynamic/harbor:"))) add(parseAddress(str(plainProps(r).harborUrl) ?? ""));
  const ports: number[] = [];
  for (const rel of resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && str(plainProps(x).chart) === "harbor")) {
    const values = record(plainProps(rel).values);
    add(parseAddress(str(values.externalURL) ?? ""));
    for (const h of Object.values(record(record(record(values.expose).ingress).hosts))) if (typeof h === "string") hosts.add(h);
    const walk = (v: unknown, key: string): void => {
      if (typeof v === "number" && /port$/i.test(key) && Number.isInteger(v)) ports.push(v);
      else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) walk(x, k);
    };
    walk(values.expose, "expose");
  }
  for (const h of hosts) {
    add(parseAddress(`http://${h}`));
    add(parseAddress(`https://${h}`));
  }
  for (const host of [...new Set(out.map((a) => a.host))]) for (const port of ports) add({ host, port });
  return out;
}

/**
 * The in-cluster names of Harbor's own Services, from its chart release (goharbor/harbor-helm
 * v1.19.1 templates/_helpers.tpl: `harbor.fullname` is fullnameOverride, else the release name
 * when it contains nameOverride|"harbor", else "<release>-<name>"; `harbor.core`, `.registry`,
 * `.portal`, `.jobservice`, `.nginx` are "<fullname>-<component>"; the exposed Service is
 * `expose.<type>.name`, default "harbor"). Each as `svc`, `svc.ns`, `svc.ns.svc` and
 * `svc.ns.svc.cluster.local` (a bare name resolves in Harbor's namespace from Harbor's pods).
 */
export function harborServiceHosts(resources: readonly PolicyResource[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const rel of resources.filter((x) => x.type === "kubernetes:helm.sh/v3:Release" && str(plainProps(x).chart) === "harbor")) {
    const p = plainProps(rel);
    const values = record(p.values);
    const release = str(p.name) ?? rel.name;
    const ns = str(p.namespace) ?? "default";
    const name = str(values.nameOverride) || "harbor";
    const fullname = str(values.fullnameOverride) || (release.includes(name) ? release : `${release}-${name}`);
    const expose = record(values.expose);
    const services = [
      ...["core", "registry", "portal", "jobservice", "nginx"].map((c) => `${fullname}-${c}`),
      ...["clusterIP", "nodePort", "loadBalancer"].map((t) => str(record(expose[t]).name) ?? "harbor"),
    ];
    for (const svc of services) for (const h of [svc, `${svc}.${ns}`, `${svc}.${ns}.svc`, `${svc}.${ns}.svc.cluster.local`]) out.set(h, `${svc} in namespace ${ns}`);
  }
  return out;
}

function describe(a: Address): string {
  return `${a.host.includes(":") ? `[${a.host}]` : a.host}:${a.port}`;
}

/** The problems of one backup's endpoint address, split into hard (it is Harbor) and domain (Harbor's machine or cluster). */
function addressProblems(url: string, harbor: Address[], services: Map<string, string>): { hard: string[]; domain: string[] } {
  const a = parseAddress(url);
  if (!a) return { hard: [`its URL ${url} has no valid host`], domain: [] };
  const service = services.get(a.host);
  if (service) return { hard: [`its URL ${url} is Harbor itself (its Service ${service})`], domain: [] };
  const itself = harbor.find((h) => sameMachine(a, h) && h.port === a.port);
  if (itself) return { hard: [`its URL ${url} is Harbor itself (${describe(a)} is where Harbor answers)`], domain: [] };
  const domain: string[] = [];
  const machine = harbor.find((h) => sameMachine(a, h));
  if (machine) domain.push(`its URL ${url} is on Harbor's own machine (${describe(a)}; Harbor is on ${describe(machine)})`);
  else if (isLoopback(a.host)) domain.push(`its URL ${url} is a loopback address, which from Harbor's job service is Harbor's own machine`);
  if (isClusterInternal(a.host)) domain.push(`its URL ${url} is a cluster-internal name, resolved inside Harbor's own cluster`);
  return { hard: [], domain };
}

function policyNeverRuns(rp: Record<string, unknown>): string | undefined {
  const trigger = str(rp.trigger) ?? "manual";
  if (rp.enabled === false) return "is disabled";
  if (!REPLICATING_TRIGGERS.includes(trigger)) return `has trigger "${trigger}" (only event_based or scheduled replicate on their own)`;
  if (trigger === "scheduled") {
    const cron = str(rp.cron);
    if (cron === undefined) return rp.cron === undefined || rp.cron === null || rp.cron === "" ? "is scheduled without a cron" : undefined; // unknown in preview
    const why = cronNeverRuns(cron);
    if (why) return `never runs: ${why}`;
  }
  return undefined;
}

/**
 * Why each backup in the graph is or is not a usable target for Harbor. A backup is usable when
 * it is not Harbor itself and, for every Harbor project, some enabled event_based/scheduled
 * replication policy that can run copies the whole project (name filter covering all of its
 * repositories, tag filter leaving tags to copy).
 */
export function assessBackups(resources: readonly PolicyResource[], harbor: PolicyResource): BackupAssessment[] {
  const h = plainProps(harbor);
  const harborDomain = str(h.failureDomain);
  const harborAddrs = harborAddresses(resources, harbor);
  const services = harborServiceHosts(resources);
  const projects = strings(h.projects);
  const endpoints = ofType(resources, TOKENS.harborRegistryEndpoint).map(plainProps);
  const policies = ofType(resources, TOKENS.harborReplicationPolicy).map(plainProps);

  return ofType(resources, ...BACKUP_TYPES).map((b) => {
    const p = plainProps(b);
    const name = str(p.backupName) ?? b.name;
    const hard: string[] = [];
    const domain: string[] = [];
    const fd = str(p.failureDomain);
    if (fd !== undefined && harborDomain !== undefined && sameFailureDomain(fd, harborDomain)) {
      const how = fd === harborDomain && !parseCloudDomain(fd) ? "same cluster" : "same cloud region";
      domain.push(`it is in Harbor's failure domain "${harborDomain}" (${how}${fd === harborDomain ? "" : `: "${fd}"`}), so it fails together with Harbor`);
    }
    for (const ep of endpoints.filter((e) => str(e.name) === name)) {
      const url = str(ep.url);
      if (url === undefined) continue; // unknown during preview
      const found = addressProblems(url, harborAddrs, services);
      hard.push(...found.hard);
      domain.push(...found.domain);
    }

    const mine = policies.filter((rp) => str(rp.destinationRegistryName) === name);
    if (mine.length === 0) {
      hard.push("no Harbor replication policy pushes to it");
      return { backup: name, hard, domain };
    }
    const runs: Record<string, unknown>[] = [];
    for (const rp of mine) {
      const why = policyNeverRuns(rp);
      if (why) hard.push(`replication policy "${str(rp.name) ?? "?"}" ${why}`);
      else runs.push(rp);
    }
    if (runs.length === 0) {
      if (!hard.some((x) => x.startsWith("replication policy"))) hard.push("no enabled event_based or scheduled replication policy pushes to it");
      return { backup: name, hard, domain };
    }
    const uncovered: string[] = [];
    for (const project of projects) {
      const verdicts = runs.map((rp) => {
        const f = record(rp.filters);
        const tag = record(f.tag);
        return { rp, v: filterVerdict(project, str(f.name), { pattern: str(tag.pattern), decoration: str(tag.decoration) }) };
      });
      if (verdicts.some((x) => x.v.kind === "ok")) continue;
      const details = verdicts
        .filter((x) => str(x.rp.projectName) === undefined || str(x.rp.projectName) === project)
        .map(({ rp, v }) => {
          const n = `"${str(rp.name) ?? "?"}"`;
          if (v.kind === "bad-pattern") return `${n}: its ${v.filter} filter "${v.pattern}" is not a valid pattern (doublestar returns ErrBadPattern), so Harbor's filter fails instead of copying`;
          if (v.kind === "copies-nothing") return `${n}: ${v.why}`;
          if (v.kind === "misses") return `${n}: misses repositories such as ${v.examples.join(", ")}`;
          return n;
        });
      uncovered.push(`project ${project}${details.length > 0 ? ` (${details.join("; ")})` : ""}`);
    }
    if (uncovered.length > 0) hard.push(`no enabled replication policy copies the whole of ${uncovered.join(", ")}`);
    return { backup: name, hard, domain };
  });
}
