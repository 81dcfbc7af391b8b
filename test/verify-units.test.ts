import { describe, expect, it } from "vitest";
import { nextLink, parseChallenge, retryAfterMs } from "../infra/verify/challenge";
import { compareInventories, type Inventory } from "../infra/verify/compare";
import { backupRepository, sourceRepositoryFor } from "../infra/verify/paths";
import { RegistryClient, RegistryError } from "../infra/verify/registry-client";
import { formatAge, formatReport } from "../infra/verify/report";
import { OutputsError, verifyInputFromOutputs } from "../infra/verify/stack-outputs";

describe("auth challenges and pagination headers", () => {
  it("parses Bearer and Basic challenges", () => {
    expect(parseChallenge('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"')).toEqual({
      scheme: "bearer",
      realm: "https://auth.example/token",
      service: "registry.example",
      scope: "repository:a/b:pull",
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toMatchObject({ scheme: "basic", realm: "Registry Realm" });
    expect(parseChallenge("Negotiate abc")).toBeUndefined();
    expect(parseChallenge(null)).toBeUndefined();
  });

  it("finds the next page in a Link header, relative or absolute", () => {
    expect(nextLink('</v2/_catalog?last=b&n=2>; rel="next"', "http://127.0.0.1:5000")).toBe("http://127.0.0.1:5000/v2/_catalog?last=b&n=2");
    expect(nextLink('<https://r.example/v2/x/tags/list?last=9>; rel="next", <https://r.example/v2/x/tags/list>; rel="prev"', "https://r.example")).toBe(
      "https://r.example/v2/x/tags/list?last=9",
    );
    expect(nextLink(null, "http://x")).toBeUndefined();
  });

  it("honours Retry-After in seconds or as a date, capped", () => {
    expect(retryAfterMs("2", 30_000)).toBe(2000);
    expect(retryAfterMs("120", 30_000)).toBe(30_000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 30_000, 5_000)).toBe(5000);
    expect(retryAfterMs("soon", 30_000)).toBeUndefined();
  });
});

describe("paths on a backup", () => {
  it.each([
    ["library/app", "", true, "library/app"],
    ["library/app", "proj/repo", true, "proj/repo/library/app"],
    ["library/team/app", "ns", false, "ns/team/app"],
    ["library/app", "/ns/", false, "ns/app"],
  ])("%s with prefix %j (keep project: %s) -> %s", (src, prefix, keep, expected) => {
    expect(backupRepository(src, prefix, keep)).toBe(expected);
  });

  it("maps listed backup repositories back to the project they came from", () => {
    expect(sourceRepositoryFor("proj/repo/library/app", "proj/repo", true, "library")).toBe("library/app");
    expect(sourceRepositoryFor("proj/repo/apps/x", "proj/repo", true, "library")).toBeUndefined();
    expect(sourceRepositoryFor("other/app", "proj/repo", true, "library")).toBeUndefined();
    expect(sourceRepositoryFor("ns/app", "ns", false, "library")).toBe("library/app");
  });
});

describe("inventory comparison", () => {
  const inv = (entries: Record<string, Record<string, string>>): Inventory =>
    new Map(Object.entries(entries).map(([r, tags]) => [r, new Map(Object.entries(tags))]));

  it("sorts every source tag into in sync, missing or different, and lists extras", () => {
    const source = inv({ "library/app": { v1: "sha256:a", v2: "sha256:b", v3: "sha256:c" }, "apps/x": { "1": "sha256:x" } });
    const backup = inv({ "library/app": { v1: "sha256:a", v2: "sha256:OTHER", old: "" } });
    const cmp = compareInventories(source, backup, (r) => `bk/${r}`);
    expect(cmp.inSync).toBe(1);
    expect(cmp.missing.map((m) => `${m.repository}:${m.tag}`)).toEqual(["apps/x:1", "library/app:v3"]);
    expect(cmp.different).toEqual([{ repository: "library/app", tag: "v2", digest: "sha256:b", backupDigest: "sha256:OTHER", backupRepository: "bk/library/app" }]);
    expect(cmp.extra.map((m) => `${m.backupRepository}:${m.tag}`)).toEqual(["bk/library/app:old"]);
  });
});

describe("registry client retries", () => {
  /** Answers `answers` in turn to every call but the API check (GET /v2/ answers 401 Basic) unless `pingToo`. */
  function fakeFetch(answers: (number | "reset")[], headers: Record<string, string> = {}, pingToo = false) {
    const seen: number[] = [];
    const f = (async (url: string) => {
      if (!pingToo && new URL(url).pathname === "/v2/") return new Response("", { status: 401, headers: { "www-authenticate": 'Basic realm="r"' } });
      const a = answers[Math.min(seen.length, answers.length - 1)]!;
      seen.push(Date.now());
      if (a === "reset") throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNRESET" } });
      return new Response(a === 200 ? JSON.stringify({ repositories: ["library/app"] }) : "", { status: a, headers });
    }) as unknown as typeof fetch;
    return { f, seen };
  }

  it("retries 429, 5xx and resets with backoff, then succeeds", async () => {
    const { f, seen } = fakeFetch([429, 503, "reset", 200]);
    const c = new RegistryClient({ name: "r", baseUrl: "http://r.test", fetch: f, baseDelayMs: 1 });
    expect(await c.repositories()).toEqual(["library/app"]);
    expect(seen).toHaveLength(4);
    expect(c.requests).toBe(5); // the API check, then four attempts
  });

  it("waits as long as Retry-After says", async () => {
    const { f, seen } = fakeFetch([429, 200], { "retry-after": "1" });
    const c = new RegistryClient({ name: "r", baseUrl: "http://r.test", fetch: f, baseDelayMs: 1 });
    await c.repositories();
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(900);
  });

  it("gives up after the attempt bound with a clear, typed error", async () => {
    const { f, seen } = fakeFetch(["reset"], {}, true);
    const c = new RegistryClient({ name: "acr-weu", baseUrl: "http://r.test", fetch: f, baseDelayMs: 1, maxAttempts: 3 });
    const err = await c.repositories().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).kind).toBe("unreachable");
    expect((err as Error).message).toBe("acr-weu: GET /v2/ failed: ECONNRESET (after retries)");
    expect(seen).toHaveLength(3);
  });
});

describe("registry client pagination", () => {
  it("follows Link headers across tag pages", async () => {
    const pages: Record<string, { tags: string[]; link?: string }> = {
      "/v2/library/app/tags/list?n=2": { tags: ["a", "b"], link: '</v2/library/app/tags/list?last=b&n=2>; rel="next"' },
      "/v2/library/app/tags/list?last=b&n=2": { tags: ["c", "d"], link: '</v2/library/app/tags/list?last=d&n=2>; rel="next"' },
      "/v2/library/app/tags/list?last=d&n=2": { tags: ["e"] },
    };
    const f = (async (url: string) => {
      const u = new URL(url);
      if (u.pathname === "/v2/") return new Response("{}", { status: 200, headers: { "content-type": "application/json" } });
      const page = pages[u.pathname + u.search];
      if (!page) return new Response("", { status: 404 });
      return new Response(JSON.stringify({ name: "library/app", tags: page.tags }), { status: 200, headers: page.link ? { link: page.link } : {} });
    }) as unknown as typeof fetch;
    const c = new RegistryClient({ name: "r", baseUrl: "http://r.test", fetch: f, pageSize: 2 });
    expect(await c.tags("library/app")).toEqual(["a", "b", "c", "d", "e"]);
    expect(c.requests).toBe(4); // the API check, then three pages
  });
});

describe("stack outputs", () => {
  const outputs = {
    harborUrl: "https://harbor.example.com",
    harborAdminUsername: "admin",
    harborAdminPassword: "pw",
    harborProjects: ["library"],
    registries: [
      { name: "harbor", kind: "harbor", host: "harbor.example.com", pathPrefix: "", url: "https://harbor.example.com", keepsProjectPath: true },
      { name: "gar", kind: "gar", host: "europe-west3-docker.pkg.dev", pathPrefix: "p/r", url: "https://europe-west3-docker.pkg.dev", keepsProjectPath: true },
    ],
    registryCredentials: { gar: { push: { username: "_json_key", password: "{push}" }, pull: { username: "_json_key", password: "{pull}" } } },
  };

  it("reads backups with their pull identity and keeps the push identity for repair", () => {
    const input = verifyInputFromOutputs(outputs);
    expect(input.source).toMatchObject({ baseUrl: "https://harbor.example.com", projects: ["library"] });
    expect(input.backups).toEqual([
      { name: "gar", readIdentity: "pull", baseUrl: "https://europe-west3-docker.pkg.dev", pathPrefix: "p/r", keepsProjectPath: true, username: "_json_key", password: "{pull}", pushUsername: "_json_key", pushPassword: "{push}" },
    ]);
  });

  it("refuses outputs read without --show-secrets, and says why", () => {
    expect(() => verifyInputFromOutputs({ ...outputs, harborAdminPassword: "[secret]" })).toThrow(/--show-secrets/);
    expect(() => verifyInputFromOutputs({ harborUrl: "x" })).toThrow(OutputsError);
  });
});

describe("report", () => {
  it("formats ages and verdicts", () => {
    expect(formatAge(30)).toBe("30 s");
    expect(formatAge(3600)).toBe("60 min");
    expect(formatAge(3 * 86_400)).toBe("3.0 days");
    const text = formatReport({
      source: { name: "harbor", status: "checked", repositories: 1, tags: 2, requests: 5, ms: 10 },
      backups: [{ name: "acr", status: "checked", inSync: 1, missing: [{ repository: "library/app", tag: "v2", digest: "sha256:b", backupRepository: "library/app" }], different: [], extra: [], newestMissingAgeSeconds: 90, requests: 3, ms: 10 }],
      exitCode: 1,
    });
    expect(text).toContain("## acr: OUT OF SYNC");
    expect(text).toContain("replication lag: newest image not in sync was created 90 s ago");
    expect(text).toContain("Result: something is missing or different (exit 1)");
  });
});
