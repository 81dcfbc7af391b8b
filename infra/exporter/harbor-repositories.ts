/**
 * Harbor's repositories of some projects, listed with a pull-only robot. Harbor answers its
 * registry catalog (`/v2/_catalog`) to system admins only (goharbor/harbor
 * src/server/registry/catalog.go behind the v2auth middleware), so the exporter, which never holds
 * an admin credential, lists each project through the REST API instead, as the archive job does
 * (components/archives/job/archive.sh harbor_repositories):
 *
 *   GET /api/v2.0/projects/{project_name}/repositories?page=N&page_size=100
 *
 * (swagger listRepositories; the robot needs `repository:list` on the project; page_size at most
 * 100; `X-Is-Resource-Name: true` because the path holds a name.) Basic auth on every call, no
 * cookie jar (reference/harbor.md). Pages until one is shorter than the page size, bounded.
 */
import { RegistryError } from "../verify/registry-client";

export interface HarborListing {
  name: string;
  /** scheme://host[:port] of Harbor's REST API (the same host as its registry API in a cluster). */
  apiUrl: string;
  username: string;
  password: string;
  projects: readonly string[];
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  maxPages?: number;
  /** Counts the HTTP requests sent (for the benchmark). */
  stats?: { requests: number };
}

const PAGE_SIZE = 100;

export async function harborRepositories(o: HarborListing, signal?: AbortSignal): Promise<string[]> {
  const f = o.fetch ?? globalThis.fetch;
  const auth = `Basic ${Buffer.from(`${o.username}:${o.password}`).toString("base64")}`;
  const out: string[] = [];
  for (const project of o.projects) {
    const call = `GET /api/v2.0/projects/${project}/repositories`;
    for (let page = 1; ; page++) {
      if (page > (o.maxPages ?? 1000)) throw new RegistryError(o.name, "bad-answer", call, undefined, `more than ${o.maxPages ?? 1000} pages; refusing a partial list`);
      if (signal?.aborted) throw new RegistryError(o.name, "deadline", call, undefined, "the run's deadline passed");
      const url = `${o.apiUrl.replace(/\/+$/, "")}/api/v2.0/projects/${encodeURIComponent(project)}/repositories?page=${page}&page_size=${PAGE_SIZE}`;
      let res: Response;
      if (o.stats) o.stats.requests++;
      try {
        const timeout = AbortSignal.timeout(o.timeoutMs ?? 15_000);
        res = await f(url, { headers: { authorization: auth, accept: "application/json", "X-Is-Resource-Name": "true" }, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
      } catch (e) {
        if (signal?.aborted) throw new RegistryError(o.name, "deadline", call, undefined, "the run's deadline passed");
        const err = e as { cause?: { code?: string }; message?: string };
        throw new RegistryError(o.name, "unreachable", call, undefined, err.cause?.code ?? err.message ?? "network error");
      }
      const text = await res.text();
      if (res.status === 401) throw new RegistryError(o.name, "auth", call, 401, "the robot's credential was refused");
      if (res.status === 403) throw new RegistryError(o.name, "forbidden", call, 403, `the robot may not list repositories of project ${project} (it needs repository:list there)`);
      if (!res.ok) throw new RegistryError(o.name, res.status === 404 ? "http" : "unreachable", call, res.status, `HTTP ${res.status}`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new RegistryError(o.name, "bad-answer", call, res.status, "the answer is not JSON");
      }
      if (!Array.isArray(body) || !body.every((r) => typeof r === "object" && r !== null && typeof (r as { name?: unknown }).name === "string")) {
        throw new RegistryError(o.name, "bad-answer", call, res.status, "the answer is not a list of repositories");
      }
      const names = (body as { name: string }[]).map((r) => r.name);
      out.push(...names);
      if (names.length < PAGE_SIZE) break;
    }
  }
  return out;
}
