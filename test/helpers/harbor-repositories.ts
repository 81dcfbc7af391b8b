/**
 * Harbor's repository-listing API in front of a real distribution registry, for the archive job:
 *
 *   GET /api/v2.0/projects/{project_name}/repositories?page=N&page_size=M
 *
 * Behaviour, as Harbor v2 does it (goharbor/harbor):
 * - src/server/v2.0/handler/repository.go ListRepositories: RequireProjectAccess(list, repository)
 *   first (401 without credentials, 403 when the robot has no `repository:list` on the project),
 *   then the project by name (404), then one page of the project's repositories;
 * - swagger parameters `page` (default 1) and `page_size` (default 10, maximum 100; more is 422 from
 *   go-swagger validation), answer header X-Total-Count (Harbor also sends Link; the job pages by
 *   count and an empty page, so it is left out here);
 * - repositories are Harbor's database records (ListRepositories -> repoCtl.List by project id),
 *   which include a repository whose artifacts all lost their tags: so every repository the
 *   registry has under the project is listed, tags or not. Named with their project prefix
 *   (`library/app`), sorted by name here (Harbor's default sort is creation time; the job does not
 *   depend on the order). Not verified here: whether Harbor drops the record once the last
 *   artifact is deleted (a listed repository without tags is the harder case for the job).
 * Everything else answers 404. Listens on 127.0.0.1 only.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface HarborRepositoriesOptions {
  /** Base URL of the distribution registry holding the images (its /v2/_catalog is read). */
  registryUrl: string;
  projects: string[];
  /** The robot: its credential and the projects where it holds repository:list. */
  robot: { username: string; password: string; listProjects: string[] };
  /**
   * How the registry's repositories are read (Harbor's database knows them); default its catalog
   * without credentials. A registry that requires auth for its catalog needs this.
   */
  listRegistry?: () => Promise<string[]>;
}

export interface HarborRepositories {
  url: string;
  /** Requests answered, by status. */
  requests: Map<number, number>;
  stop(): Promise<void>;
}

async function catalog(registryUrl: string): Promise<string[]> {
  const res = await fetch(`${registryUrl}/v2/_catalog?n=1000`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`catalog: HTTP ${res.status}`);
  const body = (await res.json()) as { repositories?: string[] };
  return body.repositories ?? [];
}

export async function startHarborRepositories(o: HarborRepositoriesOptions): Promise<HarborRepositories> {
  const requests = new Map<number, number>();
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    requests.set(status, (requests.get(status) ?? 0) + 1);
    res.writeHead(status, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const error = (code: string, message: string) => ({ errors: [{ code, message }] });
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const m = /^\/api\/v2\.0\/projects\/([^/]+)\/repositories$/.exec(url.pathname);
      if (req.method !== "GET" || !m) return send(res, 404, error("NOT_FOUND", "not found"));
      const project = decodeURIComponent(m[1]!);
      const auth = req.headers.authorization ?? "";
      const decoded = auth.startsWith("Basic ") ? Buffer.from(auth.slice(6), "base64").toString("utf8") : "";
      if (decoded !== `${o.robot.username}:${o.robot.password}`) return send(res, 401, error("UNAUTHORIZED", "unauthorized"), { "WWW-Authenticate": 'Basic realm="harbor"' });
      if (!o.robot.listProjects.includes(project)) return send(res, 403, error("FORBIDDEN", "forbidden"));
      if (!o.projects.includes(project)) return send(res, 404, error("NOT_FOUND", `project ${project} not found`));
      const page = Number(url.searchParams.get("page") ?? "1");
      const size = Number(url.searchParams.get("page_size") ?? "10");
      if (!Number.isInteger(page) || page < 1 || !Number.isInteger(size) || size < 1 || size > 100) {
        return send(res, 422, error("UNPROCESSABLE_ENTITY", "page must be >= 1, page_size in 1..100"));
      }
      const repos = (await (o.listRegistry ?? (() => catalog(o.registryUrl)))()).filter((r) => r.startsWith(`${project}/`)).sort();
      const slice = repos.slice((page - 1) * size, page * size);
      send(res, 200, slice.map((name, i) => ({ id: i + 1, name, project_id: o.projects.indexOf(project) + 1, artifact_count: 1, pull_count: 0 })), {
        "X-Total-Count": String(repos.length),
      });
    })().catch((e: unknown) => send(res, 500, error("INTERNAL", (e as Error).message)));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
