import { createHash } from "node:crypto";
import { nextLink, parseChallenge, retryAfterMs, type Challenge } from "./challenge";

/** Manifest media types we ask for: single-arch and multi-arch, Docker and OCI. */
export const MANIFEST_ACCEPT = [
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

export interface RegistryClientOptions {
  /** Name used in errors and reports ("harbor", "acr-weu"). */
  name: string;
  /** scheme://host[:port] */
  baseUrl: string;
  username?: string;
  password?: string;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Attempts per request on 429, 5xx, resets and timeouts. */
  maxAttempts?: number;
  /** Give up retrying a request after this long in total. */
  maxRetryMs?: number;
  baseDelayMs?: number;
  /** Entries asked for per catalog/tags page (registries may return fewer and a Link to the next). */
  pageSize?: number;
  /** Most pages one listing may take before it is an error (never a silently partial list). */
  maxPages?: number;
  /** The overall deadline of the run: once aborted, every request and retry stops at once. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/**
 * `not-registry`: the server does not speak the Registry v2 API (404 or an HTML page on /v2/).
 * `bad-answer`: it does, but its answers cannot be trusted (pagination that loops, a body that is
 * not the JSON the API defines). `deadline`: the run's overall deadline passed.
 */
export type RegistryErrorKind = "unreachable" | "auth" | "forbidden" | "http" | "not-registry" | "bad-answer" | "deadline";

/** A failed registry call: which registry, which call, what it answered. Never a credential. */
export class RegistryError extends Error {
  constructor(
    readonly registry: string,
    readonly kind: RegistryErrorKind,
    readonly call: string,
    readonly status?: number,
    detail?: string,
  ) {
    super(`${registry}: ${call} ${status ? `answered ${status}` : "failed"}${detail ? `: ${detail}` : ""}`);
    this.name = "RegistryError";
  }
}

interface RequestOptions {
  scope?: string;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Statuses handed back to the caller instead of thrown. */
  accept?: number[];
}

/** Wait `ms`, or less when `signal` aborts first. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

const isHtml = (res: Response) => /\btext\/html\b/i.test(res.headers.get("content-type") ?? "");

/**
 * A Docker Registry HTTP API v2 client: Basic and Bearer-token challenges (Harbor, ACR, Artifact
 * Registry, IBM, Alibaba, distribution), pagination, bounded retries with jittered backoff that
 * honour Retry-After, and a request counter for benchmarks.
 */
export class RegistryClient {
  /** HTTP requests sent, including token requests and retries. */
  requests = 0;
  private scheme?: "basic" | "bearer";
  private bearer?: Challenge;
  private readonly tokens = new Map<string, string>();
  private pinged?: Promise<void>;
  private readonly o: Required<Omit<RegistryClientOptions, "username" | "password" | "signal">> & Pick<RegistryClientOptions, "username" | "password" | "signal">;

  constructor(options: RegistryClientOptions) {
    this.o = {
      timeoutMs: 15_000,
      maxAttempts: 5,
      maxRetryMs: 60_000,
      baseDelayMs: 200,
      pageSize: 1000,
      maxPages: 10_000,
      fetch: globalThis.fetch,
      ...options,
      baseUrl: options.baseUrl.replace(/\/+$/, ""),
    };
  }

  get name(): string {
    return this.o.name;
  }

  private basicHeader(): string | undefined {
    if (this.o.username === undefined) return undefined;
    return `Basic ${Buffer.from(`${this.o.username}:${this.o.password ?? ""}`).toString("base64")}`;
  }

  private deadlineError(call: string): RegistryError {
    const reason = this.o.signal?.reason as { message?: string } | undefined;
    return new RegistryError(this.o.name, "deadline", call, undefined, reason?.message ?? "the overall deadline passed");
  }

  /** One HTTP exchange with retries on transient failures, never past the overall deadline. */
  private async send(call: string, url: string, init: RequestInit): Promise<Response> {
    const started = Date.now();
    let lastError = "";
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      if (this.o.signal?.aborted) throw this.deadlineError(call);
      this.requests++;
      let res: Response | undefined;
      try {
        const timeout = AbortSignal.timeout(this.o.timeoutMs);
        const signal = this.o.signal ? AbortSignal.any([timeout, this.o.signal]) : timeout;
        res = await this.o.fetch(url, { ...init, redirect: "follow", signal });
      } catch (e) {
        if (this.o.signal?.aborted) throw this.deadlineError(call);
        const err = e as { name?: string; cause?: { code?: string; message?: string }; message?: string };
        lastError = err.name === "TimeoutError" ? `timed out after ${this.o.timeoutMs} ms` : (err.cause?.code ?? err.cause?.message ?? err.message ?? "network error");
      }
      if (res && res.status !== 429 && res.status < 500) return res;
      if (res) {
        lastError = `HTTP ${res.status}`;
        await res.body?.cancel().catch(() => undefined);
      }
      const backoff = this.o.baseDelayMs * 2 ** (attempt - 1);
      const wait = retryAfterMs(res?.headers.get("retry-after") ?? null, 30_000) ?? Math.random() * backoff;
      if (attempt === this.o.maxAttempts || Date.now() - started + wait > this.o.maxRetryMs) break;
      await sleep(wait, this.o.signal);
    }
    const status = lastError.startsWith("HTTP ") ? Number(lastError.slice(5)) : undefined;
    throw new RegistryError(this.o.name, status ? "http" : "unreachable", call, status, `${lastError} (after retries)`);
  }

  private async token(challenge: Challenge, scope: string | undefined, call: string): Promise<string> {
    const key = `${challenge.realm} ${challenge.service} ${scope ?? ""}`;
    const cached = this.tokens.get(key);
    if (cached) return cached;
    if (!challenge.realm) throw new RegistryError(this.o.name, "auth", call, 401, "Bearer challenge without a realm");
    const url = new URL(challenge.realm);
    if (challenge.service) url.searchParams.set("service", challenge.service);
    if (scope) url.searchParams.set("scope", scope);
    const headers: Record<string, string> = {};
    const basic = this.basicHeader();
    if (basic) headers.authorization = basic;
    const res = await this.send(`token for ${scope ?? "registry"}`, url.toString(), { headers });
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw new RegistryError(this.o.name, "auth", call, res.status, "the token service refused the credential; check the pull identity in the stack outputs");
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(this.o.name, "auth", call, res.status, "the token service answered without a token");
    this.tokens.set(key, token);
    return token;
  }

  private async authHeader(scope: string | undefined, call: string): Promise<string | undefined> {
    if (this.scheme === "basic") return this.basicHeader();
    if (this.scheme === "bearer" && this.bearer) return `Bearer ${await this.token(this.bearer, scope, call)}`;
    return undefined;
  }

  /**
   * `GET /v2/` once, before anything else, as docker does: a registry answers 200 or 401 (the
   * Docker Registry HTTP API v2 spec: "If a 404 Not Found response status, or other unexpected
   * status, is returned, the client should proceed with the assumption that the registry does
   * not implement V2 of the API"). A 401 carries the challenge, which is kept for what follows.
   * Without this a web server answering 404 to everything would look like a backup missing
   * every image.
   */
  private async ping(): Promise<void> {
    const call = "GET /v2/";
    const res = await this.send(call, `${this.o.baseUrl}/v2/`, { method: "GET" });
    await res.body?.cancel().catch(() => undefined);
    if (isHtml(res)) {
      throw new RegistryError(this.o.name, "not-registry", call, res.status, `${this.o.baseUrl} answered an HTML page, not the Registry v2 API; check the registry's URL`);
    }
    if (res.status === 404) {
      throw new RegistryError(this.o.name, "not-registry", call, 404, `${this.o.baseUrl} does not serve the Registry v2 API (a registry answers 200 or 401 there); check the registry's URL`);
    }
    if (res.status === 401) {
      const challenge = parseChallenge(res.headers.get("www-authenticate"));
      if (challenge?.scheme === "bearer") {
        this.scheme = "bearer";
        this.bearer = { ...challenge, scope: undefined };
      } else if (challenge?.scheme === "basic" && this.o.username !== undefined) {
        this.scheme = "basic";
      }
    }
  }

  /** A request with authentication: answers the registry's challenge once, then reuses it. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.o.baseUrl}${path}`;
    const call = `${method} ${new URL(url).pathname}`;
    this.pinged ??= this.ping();
    await this.pinged;
    for (let round = 0; round < 2; round++) {
      const headers: Record<string, string> = { ...opts.headers };
      const auth = await this.authHeader(opts.scope, call);
      if (auth) headers.authorization = auth;
      const res = await this.send(call, url, { method, headers, body: opts.body ? new Uint8Array(opts.body) : undefined });
      if (res.status === 401 && round === 0) {
        const challenge = parseChallenge(res.headers.get("www-authenticate"));
        await res.body?.cancel().catch(() => undefined);
        if (!challenge) throw new RegistryError(this.o.name, "auth", call, 401, "no usable WWW-Authenticate challenge");
        if (challenge.scheme === "bearer") {
          this.scheme = "bearer";
          this.bearer = { ...challenge, scope: undefined };
          // Some registries name the exact scope they want; prefer it.
          if (challenge.scope && !opts.scope) opts = { ...opts, scope: challenge.scope };
        } else {
          if (this.o.username === undefined) throw new RegistryError(this.o.name, "auth", call, 401, "credentials required");
          this.scheme = "basic";
        }
        continue;
      }
      if (res.status === 401) {
        await res.body?.cancel().catch(() => undefined);
        throw new RegistryError(this.o.name, "auth", call, 401, "the credential was refused");
      }
      if (res.ok || opts.accept?.includes(res.status)) return res;
      const text = await res.text().catch(() => "");
      const kind: RegistryErrorKind = res.status === 403 ? "forbidden" : "http";
      throw new RegistryError(this.o.name, kind, call, res.status, registryMessage(text));
    }
    throw new RegistryError(this.o.name, "auth", call, 401, "the credential was refused");
  }

  /**
   * Follow Link pagination, collecting one field from each page. Bounded and honest: a Link back
   * to a page already read, a page repeating the previous one, or more than `maxPages` pages is
   * an error, never an endless loop or a silently partial list.
   */
  private async paginate(firstPath: string, field: "repositories" | "tags", scope: string, accept404 = false): Promise<string[]> {
    const out: string[] = [];
    const visited = new Set<string>();
    let previous: string | undefined;
    let url: string | undefined = `${this.o.baseUrl}${firstPath}`;
    const call = `GET ${new URL(url).pathname}`;
    for (let page = 1; url; page++) {
      if (page > this.o.maxPages) throw new RegistryError(this.o.name, "bad-answer", call, undefined, `more than ${this.o.maxPages} pages; refusing a partial list`);
      visited.add(url);
      const res: Response = await this.request("GET", url, { scope, accept: accept404 ? [404] : [] });
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        return out;
      }
      const text = await res.text();
      let entries: unknown;
      try {
        entries = (JSON.parse(text) as Record<string, unknown>)[field];
      } catch {
        const kind = isHtml(res) ? "not-registry" : "bad-answer";
        throw new RegistryError(this.o.name, kind, call, res.status, `answered ${res.headers.get("content-type") ?? "a body"} that is not Registry API JSON`);
      }
      if (entries !== null && entries !== undefined && !(Array.isArray(entries) && entries.every((e) => typeof e === "string"))) {
        throw new RegistryError(this.o.name, "bad-answer", call, res.status, `"${field}" is not a list of names`);
      }
      const list = (entries ?? []) as string[];
      const key = JSON.stringify(list);
      if (list.length > 0 && key === previous) {
        throw new RegistryError(this.o.name, "bad-answer", call, res.status, `page ${page} repeats page ${page - 1}: pagination does not advance`);
      }
      previous = key;
      out.push(...list);
      const next = nextLink(res.headers.get("link"), url);
      if (next && visited.has(next)) {
        throw new RegistryError(this.o.name, "bad-answer", call, res.status, `pagination loops: page ${page}'s Link points back to ${new URL(next).pathname}${new URL(next).search}`);
      }
      url = next;
    }
    return out;
  }

  /** Every repository name (the catalog), optionally only those under `prefix/`. */
  async repositories(prefix = ""): Promise<string[]> {
    const all = await this.paginate(`/v2/_catalog?n=${this.o.pageSize}`, "repositories", "registry:catalog:*");
    return prefix ? all.filter((r) => r.startsWith(`${prefix}/`)) : all;
  }

  /** Tags of a repository; [] when the repository does not exist. */
  async tags(repo: string): Promise<string[]> {
    return this.paginate(`/v2/${repo}/tags/list?n=${this.o.pageSize}`, "tags", `repository:${repo}:pull`, true);
  }

  /** Manifest digest for a tag or digest; undefined when it does not exist. */
  async manifestDigest(repo: string, ref: string): Promise<string | undefined> {
    const res = await this.request("HEAD", `/v2/${repo}/manifests/${ref}`, {
      scope: `repository:${repo}:pull`,
      headers: { accept: MANIFEST_ACCEPT },
      accept: [404],
    });
    if (res.status === 404) return undefined;
    const digest = res.headers.get("docker-content-digest");
    if (digest) return digest;
    return (await this.manifest(repo, ref))?.digest;
  }

  async manifest(repo: string, ref: string): Promise<{ mediaType: string; bytes: Buffer; digest: string } | undefined> {
    const res = await this.request("GET", `/v2/${repo}/manifests/${ref}`, {
      scope: `repository:${repo}:pull`,
      headers: { accept: MANIFEST_ACCEPT },
      accept: [404],
    });
    if (res.status === 404) {
      await res.body?.cancel().catch(() => undefined);
      return undefined;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    const mediaType = res.headers.get("content-type")?.split(";")[0] ?? (JSON.parse(bytes.toString("utf8")) as { mediaType?: string }).mediaType ?? "";
    return { mediaType, bytes, digest };
  }

  async blobExists(repo: string, digest: string, scope = `repository:${repo}:pull`): Promise<boolean> {
    const res = await this.request("HEAD", `/v2/${repo}/blobs/${digest}`, { scope, accept: [404] });
    return res.status !== 404;
  }

  async blob(repo: string, digest: string): Promise<Buffer> {
    const res = await this.request("GET", `/v2/${repo}/blobs/${digest}`, { scope: `repository:${repo}:pull` });
    const bytes = Buffer.from(await res.arrayBuffer());
    const actual = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    if (digest.startsWith("sha256:") && actual !== digest) {
      throw new RegistryError(this.o.name, "http", `GET /v2/${repo}/blobs/${digest}`, res.status, `content digest mismatch (${actual})`);
    }
    return bytes;
  }

  /** Monolithic blob upload: POST an upload session, then PUT the bytes with their digest. */
  async pushBlob(repo: string, digest: string, bytes: Buffer): Promise<void> {
    const scope = `repository:${repo}:pull,push`;
    const start = await this.request("POST", `/v2/${repo}/blobs/uploads/`, { scope, accept: [202] });
    await start.body?.cancel().catch(() => undefined);
    const location = start.headers.get("location");
    if (!location) throw new RegistryError(this.o.name, "http", `POST /v2/${repo}/blobs/uploads/`, start.status, "no upload Location");
    const url = new URL(location, this.o.baseUrl);
    url.searchParams.set("digest", digest);
    const res = await this.request("PUT", url.toString(), {
      scope,
      headers: { "content-type": "application/octet-stream", "content-length": String(bytes.length) },
      body: bytes,
      accept: [201],
    });
    await res.body?.cancel().catch(() => undefined);
  }

  async putManifest(repo: string, ref: string, mediaType: string, bytes: Buffer): Promise<void> {
    const res = await this.request("PUT", `/v2/${repo}/manifests/${ref}`, {
      scope: `repository:${repo}:pull,push`,
      headers: { "content-type": mediaType },
      body: bytes,
      accept: [201],
    });
    await res.body?.cancel().catch(() => undefined);
  }
}

/** Harbor / distribution error bodies: {"errors":[{"code","message"}]}. */
function registryMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errors?: { code?: string; message?: string }[] };
    const e = body.errors?.[0];
    if (e) return [e.code, e.message].filter(Boolean).join(": ");
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}
