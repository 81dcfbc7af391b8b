import { compareInventories, type Inventory } from "./compare";
import { copyImage, imageCreated } from "./copy";
import { backupRepository, sourceRepositoryFor } from "./paths";
import { mapLimit } from "./pool";
import { RegistryClient, RegistryError, type RegistryClientOptions } from "./registry-client";
import type { BackupReport, BackupTarget, CheckStatus, ImageRef, VerifyInput, VerifyReport } from "./types";

export interface VerifyOptions {
  /** Requests in flight per registry. */
  concurrency?: number;
  /** Copy what is missing or different from the source to each backup, then check again. */
  repair?: boolean;
  /** Client tuning (timeouts, retries) and a fetch for tests. */
  client?: Partial<RegistryClientOptions>;
  now?: () => Date;
  /** At most this many missing images are dated for the lag figure. */
  maxDated?: number;
  /** Overall deadline for the whole run; every request and retry stops when it passes. */
  deadlineMs?: number;
  /**
   * How the source's repositories are listed; default its catalog (`/v2/_catalog`, which Harbor
   * answers to system admins only). The exporter lists Harbor's projects with a pull-only robot
   * instead (infra/exporter/harbor-repositories.ts). Gets the run's deadline signal.
   */
  sourceRepositories?: (signal?: AbortSignal) => Promise<string[]>;
  /** Called as each phase starts and ends (the CLI shows it on a terminal). */
  onProgress?: (line: string) => void;
}

function reason(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a failure says about the registry: unreachable, not a registry, a bad answer, or out of time. */
function statusOf(e: unknown): CheckStatus {
  if (!(e instanceof RegistryError)) return "unreachable";
  return e.kind === "not-registry" ? "not-a-registry" : e.kind === "bad-answer" ? "bad-answer" : e.kind === "deadline" ? "deadline" : "unreachable";
}

async function digests(client: RegistryClient, repoTags: [string, string[]][], concurrency: number, toPath: (repo: string) => string): Promise<Inventory> {
  const pairs = repoTags.flatMap(([repo, tags]) => tags.map((tag) => [repo, tag] as const));
  const found = await mapLimit(pairs, concurrency, async ([repo, tag]) => [repo, tag, await client.manifestDigest(toPath(repo), tag)] as const);
  const inv: Inventory = new Map(repoTags.map(([repo]) => [repo, new Map<string, string>()]));
  for (const [repo, tag, digest] of found) if (digest) inv.get(repo)!.set(tag, digest);
  return inv;
}

/** Every repository and tag in the replicated projects, with manifest digests. */
async function sourceInventory(client: RegistryClient, projects: string[], concurrency: number, list?: () => Promise<string[]>): Promise<Inventory> {
  const all = list ? await list() : await client.repositories();
  const repos = all.filter((r) => projects.some((p) => r.startsWith(`${p}/`))).sort();
  const repoTags = await mapLimit(repos, concurrency, async (r) => [r, (await client.tags(r)).sort()] as [string, string[]]);
  return digests(client, repoTags, concurrency, (r) => r);
}

/** What a backup holds for the source repositories (keyed by source path), plus extra repositories it lists. */
async function backupInventory(client: RegistryClient, b: BackupTarget, source: Inventory, projects: string[], concurrency: number): Promise<Inventory> {
  const toBackup = (r: string) => backupRepository(r, b.pathPrefix, b.keepsProjectPath);
  const repos = new Set(source.keys());
  // Extra repositories: best effort, some registries refuse the catalog to a pull-only identity.
  try {
    const prefix = b.pathPrefix.replace(/^\/+|\/+$/g, "");
    // Without the project level a listed repository maps back only when there is one project.
    const attributable = b.keepsProjectPath ? projects : projects.length === 1 ? projects : [];
    for (const listed of await client.repositories(prefix)) {
      for (const p of attributable) {
        const src = sourceRepositoryFor(listed, b.pathPrefix, b.keepsProjectPath, p);
        if (src) repos.add(src);
      }
    }
  } catch (e) {
    // Only a refused catalog is tolerated; an unreachable server, a non-registry, a bad answer
    // or the deadline ends this backup's check.
    if (!(e instanceof RegistryError) || !["auth", "forbidden", "http"].includes(e.kind)) throw e;
  }
  const repoTags = await mapLimit([...repos].sort(), concurrency, async (r) => [r, (await client.tags(toBackup(r))).sort()] as [string, string[]]);
  // Digests only where the source has the same tag: extras need no digest to be reported.
  const wanted = repoTags.map(([r, tags]) => [r, tags.filter((t) => source.get(r)?.has(t))] as [string, string[]]);
  const inv = await digests(client, wanted, concurrency, toBackup);
  for (const [r, tags] of repoTags) for (const t of tags) if (!inv.get(r)!.has(t)) inv.get(r)!.set(t, "");
  return inv;
}

async function newestAge(src: RegistryClient, refs: ImageRef[], concurrency: number, now: Date, maxDated: number): Promise<number | undefined> {
  const dates = await mapLimit(refs.slice(0, maxDated), concurrency, (r) => imageCreated(src, r.repository, r.tag).catch(() => undefined));
  const newest = Math.max(...dates.filter((d): d is Date => d !== undefined).map((d) => d.getTime()));
  return Number.isFinite(newest) ? Math.max(0, Math.round((now.getTime() - newest) / 1000)) : undefined;
}

async function checkBackup(b: BackupTarget, ctx: { src: RegistryClient; source: Inventory; projects: string[]; o: Required<Pick<VerifyOptions, "concurrency" | "repair" | "maxDated">> & VerifyOptions }): Promise<BackupReport> {
  const { src, source, projects, o } = ctx;
  const client = new RegistryClient({ ...o.client, name: b.name, baseUrl: b.baseUrl, username: b.username, password: b.password });
  const toBackup = (r: string) => backupRepository(r, b.pathPrefix, b.keepsProjectPath);
  const started = Date.now();
  const report: BackupReport = { name: b.name, status: "checked", inSync: 0, missing: [], different: [], extra: [], requests: 0, ms: 0 };
  if (b.readIdentity === "none") {
    report.status = "not-checked";
    report.reason = `${b.name}: the stack outputs hold no pull identity for this backup (registryCredentials.${b.name}.pull), and verify reads backups only with a pull-only identity; set one up, or pass --read-with-push to read with the push identity`;
    return report;
  }
  try {
    let cmp = compareInventories(source, await backupInventory(client, b, source, projects, o.concurrency), toBackup);
    if (o.repair && cmp.missing.length + cmp.different.length > 0) {
      const pusher = new RegistryClient({ ...o.client, name: b.name, baseUrl: b.baseUrl, username: b.pushUsername ?? b.username, password: b.pushPassword ?? b.password });
      const todo = [...cmp.missing, ...cmp.different];
      await mapLimit(todo, Math.min(o.concurrency, 4), (r) => copyImage(src, pusher, r.repository, r.backupRepository, r.tag));
      report.repaired = todo.length;
      report.requests += pusher.requests;
      cmp = compareInventories(source, await backupInventory(client, b, source, projects, o.concurrency), toBackup);
    }
    Object.assign(report, cmp);
    const behind = [...cmp.missing, ...cmp.different];
    if (behind.length > 0) report.newestMissingAgeSeconds = await newestAge(src, behind, o.concurrency, (o.now ?? (() => new Date()))(), o.maxDated);
  } catch (e) {
    report.status = statusOf(e);
    report.reason = reason(e);
  }
  report.requests += client.requests;
  report.ms = Date.now() - started;
  return report;
}

/**
 * Prove every backup holds every image of the replicated Harbor projects, with the same manifest
 * digest, through the Registry v2 API. Optionally repair what is missing.
 */
export async function verifyTopology(input: VerifyInput, options: VerifyOptions = {}): Promise<VerifyReport> {
  const deadline = new AbortController();
  const seconds = (ms: number) => (ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`);
  const timer = options.deadlineMs === undefined ? undefined : setTimeout(() => deadline.abort(new Error(`the overall deadline of ${seconds(options.deadlineMs!)} passed`)), options.deadlineMs);
  timer?.unref();
  try {
    return await run(input, { ...options, client: { ...options.client, signal: deadline.signal } });
  } finally {
    clearTimeout(timer);
  }
}

function tagsPerProject(source: Inventory, projects: string[]): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(projects.map((p) => [p, 0]));
  for (const [repo, tags] of source) {
    const p = projects.find((x) => repo.startsWith(`${x}/`));
    if (p !== undefined) out[p]! += tags.size;
  }
  return out;
}

async function run(input: VerifyInput, options: VerifyOptions): Promise<VerifyReport> {
  const o = { concurrency: 8, repair: false, maxDated: 200, ...options };
  const s = input.source;
  const src = new RegistryClient({ ...o.client, name: s.name, baseUrl: s.baseUrl, username: s.username, password: s.password });
  let source: Inventory;
  const started = Date.now();
  const progress = o.onProgress ?? (() => undefined);
  progress(`${s.name}: listing the repositories and tags of ${s.projects.join(", ")}`);
  try {
    const list = o.sourceRepositories;
    source = await sourceInventory(src, s.projects, o.concurrency, list && (() => list(o.client?.signal)));
  } catch (e) {
    return {
      source: { name: s.name, status: statusOf(e), reason: reason(e), repositories: 0, tags: 0, requests: src.requests, ms: Date.now() - started },
      backups: [],
      exitCode: 2,
    };
  }
  const sourceMs = Date.now() - started;
  const tags = [...source.values()].reduce((n, t) => n + t.size, 0);
  progress(`${s.name}: ${tags} tags in ${source.size} repositories`);
  // Every backup at once (each is another registry, with its own `concurrency`): a backup that
  // hangs until the deadline must not use up the time of the ones after it.
  const backups: BackupReport[] = await Promise.all(
    input.backups.map(async (b, i) => {
      progress(`backup ${i + 1}/${input.backups.length} ${b.name}: reading ${tags} tags and digests${o.repair ? " (and repairing)" : ""}`);
      const r = await checkBackup(b, { src, source, projects: s.projects, o });
      progress(`backup ${i + 1}/${input.backups.length} ${b.name}: ${r.status === "checked" ? `${r.inSync} in sync, ${r.missing.length} missing, ${r.different.length} different` : r.status}`);
      return r;
    }),
  );
  const exitCode = backups.some((b) => b.status !== "checked") ? 2 : backups.some((b) => b.missing.length + b.different.length > 0) ? 1 : 0;
  return {
    source: { name: s.name, status: "checked", repositories: source.size, tags, projectTags: tagsPerProject(source, s.projects), requests: src.requests, ms: sourceMs },
    backups,
    exitCode,
  };
}
