/**
 * One verification run of the exporter: what `npm run verify` checks (infra/verify), read-only,
 * turned into metric families. Every backup, archive and certificate is checked on its own: one
 * that fails is reported as such and never stops or hides the others.
 */
import { X509Certificate } from "node:crypto";
import { listSnapshots } from "../restore/store";
import { snapshotTime } from "../restore/snapshots";
import { imageCreated } from "../verify/copy";
import { mapLimit } from "../verify/pool";
import { RegistryClient, type RegistryClientOptions } from "../verify/registry-client";
import type { BackupTarget, CheckStatus, ImageRef, VerifyReport } from "../verify/types";
import { verifyTopology } from "../verify/verify";
import type { MetricFamily, Sample } from "./exposition";
import { harborRepositories } from "./harbor-repositories";
import { LagTracker, projectOf } from "./lag";
import type { Credentials, ExporterSettings } from "./targets";

export const STATUSES: readonly CheckStatus[] = ["checked", "unreachable", "not-a-registry", "bad-answer", "deadline", "not-checked"];

export interface RunOutcome {
  families: MetricFamily[];
  /** The run completed: the source was read (backups and archives may still have failed). */
  ok: boolean;
  requests: number;
  seconds: number;
  report?: VerifyReport;
}

export interface CollectContext {
  settings: ExporterSettings;
  credentials: Credentials;
  lag: LagTracker;
  /** Created dates by source digest (immutable), shared across runs. */
  created: Map<string, number | undefined>;
  now?: () => number;
  client?: Partial<RegistryClientOptions>;
}

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: "gauge", samples });

/** Date the unreplicated images the tracker has no bound for yet, reading each config once. */
async function dateImages(ctx: CollectContext, src: RegistryClient, backup: string, refs: ImageRef[]): Promise<void> {
  const need = ctx.lag.needsDate(backup, refs);
  const todo = refs.filter((r, i) => need[i] && !ctx.created.has(r.digest)).slice(0, ctx.settings.maxDated);
  await mapLimit(todo, ctx.settings.concurrency, async (r) => {
    const d = await imageCreated(src, r.repository, r.digest).catch(() => undefined);
    ctx.created.set(r.digest, d?.getTime());
  });
}

function certificateFamilies(s: ExporterSettings, nowMs: number): MetricFamily[] {
  const expiry: Sample[] = [];
  const left: Sample[] = [];
  const bad: Sample[] = [];
  for (const c of s.certificates) {
    const labels = { region: c.region, certificate: c.certificate };
    try {
      const notAfter = new Date(new X509Certificate(c.pem).validTo).getTime();
      expiry.push({ labels, value: Math.round(notAfter / 1000) });
      left.push({ labels, value: Math.round((notAfter - nowMs) / 1000) });
      bad.push({ labels, value: 0 });
    } catch {
      bad.push({ labels, value: 1 });
    }
  }
  return [
    gauge("registry_topology_mirror_certificate_expiry_timestamp_seconds", "When the mirror certificate expires (notAfter), unix seconds.", expiry),
    gauge("registry_topology_mirror_certificate_expiry_seconds", "Seconds until the mirror certificate expires (negative: expired); divide by 86400 for days.", left),
    gauge("registry_topology_mirror_certificate_unreadable", "1 when the certificate the exporter was given cannot be parsed.", bad),
  ];
}

async function archiveFamilies(ctx: CollectContext, deadlineAt: number): Promise<MetricFamily[]> {
  const up: Sample[] = [];
  const count: Sample[] = [];
  const age: Sample[] = [];
  const newest: Sample[] = [];
  const maxAge: Sample[] = [];
  const now = ctx.now ?? Date.now;
  for (const a of ctx.settings.archives) {
    const labels = { archive: a.name };
    maxAge.push({ labels, value: a.maxAgeSeconds });
    const env = ctx.credentials.archives[a.name];
    if (!env) {
      up.push({ labels, value: 0 });
      continue;
    }
    try {
      const snaps = await listSnapshots({ path: a.path, env, deadlineAt });
      up.push({ labels, value: 1 });
      count.push({ labels, value: snaps.length });
      const last = snaps[snaps.length - 1];
      const t = last ? snapshotTime(last) : undefined;
      if (t) {
        newest.push({ labels, value: Math.round(t.getTime() / 1000) });
        age.push({ labels, value: Math.max(0, Math.round((now() - t.getTime()) / 1000)) });
      }
    } catch {
      up.push({ labels, value: 0 });
    }
  }
  return [
    gauge("registry_topology_archive_up", "1 when the archive store could be listed with the archive job's identity.", up),
    gauge("registry_topology_archive_snapshots", "Complete snapshots in the archive.", count),
    gauge("registry_topology_archive_newest_snapshot_timestamp_seconds", "When the newest complete snapshot was taken, unix seconds.", newest),
    gauge("registry_topology_archive_newest_snapshot_age_seconds", "Age of the newest complete snapshot, seconds.", age),
    gauge("registry_topology_archive_max_age_seconds", "The oldest the newest snapshot may be: the schedule's longest gap times thresholds.archiveScheduleFactor, seconds.", maxAge),
  ];
}

/** One run: registries (bounded by the deadline), then archives with what is left of it, then certificates. */
export async function collectOnce(ctx: CollectContext): Promise<RunOutcome> {
  const s = ctx.settings;
  const now = ctx.now ?? Date.now;
  const started = now();
  const deadlineAt = started + s.deadlineSeconds * 1000;
  const creds = ctx.credentials;
  const listingStats = { requests: 0 };
  const backups: BackupTarget[] = s.backups.map((b) => {
    const c = creds.backups[b.name];
    return { ...b, readIdentity: c ? "pull" : "none", username: c?.username, password: c?.password };
  });
  const input = { source: { name: s.source.name, baseUrl: s.source.baseUrl, username: creds.source?.username, password: creds.source?.password, projects: s.source.projects }, backups };
  const sourceRepositories =
    s.source.listing === "harbor-api"
      ? (signal?: AbortSignal) =>
          harborRepositories({ name: s.source.name, apiUrl: s.source.apiUrl ?? s.source.baseUrl, username: creds.source?.username ?? "", password: creds.source?.password ?? "", projects: s.source.projects, stats: listingStats }, signal)
      : undefined;
  // Registries and archives side by side, each bounded by the run's deadline: neither can use up the other's time.
  const [report, archives] = await Promise.all([
    verifyTopology(input, { concurrency: s.concurrency, deadlineMs: s.deadlineSeconds * 1000, client: ctx.client, sourceRepositories, maxDated: 0 }),
    archiveFamilies(ctx, deadlineAt),
  ]);

  // Dating the unreplicated images: a client of our own, bounded by what is left of the deadline.
  const left = Math.max(1, deadlineAt - now());
  const src = new RegistryClient({ ...ctx.client, name: s.source.name, baseUrl: s.source.baseUrl, username: creds.source?.username, password: creds.source?.password, signal: AbortSignal.timeout(left) });
  const sourceUp = report.source.status === "checked";
  const projects = s.source.projects;
  const perProject = (refs: ImageRef[]) => Object.fromEntries(projects.map((p) => [p, refs.filter((r) => projectOf(r.repository, projects) === p).length]));

  const up: Sample[] = [];
  const status: Sample[] = [];
  const missing: Sample[] = [];
  const mismatched: Sample[] = [];
  const inSync: Sample[] = [];
  const lagSamples: Sample[] = [];
  const checkSeconds: Sample[] = [];
  for (const b of report.backups) {
    up.push({ labels: { backup: b.name }, value: b.status === "checked" ? 1 : 0 });
    for (const st of STATUSES) status.push({ labels: { backup: b.name, status: st }, value: b.status === st ? 1 : 0 });
    checkSeconds.push({ labels: { backup: b.name }, value: b.ms / 1000 });
    if (b.status !== "checked") continue;
    const behind = [...b.missing, ...b.different];
    await dateImages(ctx, src, b.name, behind);
    const lag = ctx.lag.observe(b.name, started, now(), behind.map((r) => ({ ...r, createdMs: ctx.created.get(r.digest) })), projects);
    const m = perProject(b.missing);
    const d = perProject(b.different);
    for (const p of projects) {
      const labels = { backup: b.name, project: p };
      missing.push({ labels, value: m[p]! });
      mismatched.push({ labels, value: d[p]! });
      inSync.push({ labels, value: Math.max(0, (report.source.projectTags?.[p] ?? 0) - m[p]! - d[p]!) });
      lagSamples.push({ labels, value: lag[p]! });
    }
  }
  const families: MetricFamily[] = [
    gauge("registry_topology_source_up", "1 when the primary's registry API answered and its projects were listed with the exporter's pull-only robot.", [{ labels: { source: s.source.name }, value: sourceUp ? 1 : 0 }]),
    gauge("registry_topology_source_tags", "Tags in each replicated project of the primary.", sourceUp ? projects.map((p) => ({ labels: { project: p }, value: report.source.projectTags?.[p] ?? 0 })) : []),
    gauge("registry_topology_backup_up", "1 when the backup was read with its pull identity in the last run.", up),
    gauge("registry_topology_backup_check_status", "The outcome of the backup's last check: 1 for the current status.", status),
    gauge("registry_topology_backup_check_seconds", "Wall time of the backup's last check, seconds.", checkSeconds),
    gauge("registry_topology_backup_tags_missing", "Tags the primary holds that the backup lacks.", missing),
    gauge("registry_topology_backup_tags_mismatched", "Tags the backup holds with another manifest digest than the primary's.", mismatched),
    gauge("registry_topology_backup_tags_in_sync", "Tags the backup holds with the primary's digest.", inSync),
    gauge("registry_topology_backup_replication_lag_seconds", "Age of the oldest unreplicated push (0: in sync), seconds; an upper bound (docs/observability.md).", lagSamples),
    ...archives,
    ...certificateFamilies(s, now()),
  ];
  const requests = report.source.requests + report.backups.reduce((n, b) => n + b.requests, 0) + src.requests + listingStats.requests;
  return { families, ok: sourceUp, requests, seconds: (now() - started) / 1000, report };
}
