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
  fetch?: typeof fetch;
}

export type RegistryErrorKind = "unreachable" | "auth" | "forbidden" | "http";

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
  private readonly o: Required<Omit<RegistryClientOptions, "username" | "password">> & Pick<RegistryClientOptions, "username" | "password">;

  constructor(options: RegistryClientOptions) {
    this.o = {
      timeoutMs: 15_000,
      maxAttempts: 5,
      maxRetryMs: 60_000,
      baseDelayMs: 200,
      pageSize: 1000,
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

  /** One HTTP exchange with retries on transient failures. */
  private async send(call: string, url: string, init: RequestInit): Promise<Response> {
    const started = Date.now();
    let lastError = "";
    for (let attempt = 1; attempt <= this.o.maxAttempts; attempt++) {
      this.requests++;
      let res: Response | undefined;
      try {
        res = await this.o.fetch(url, { ...init, redirect: "follow", signal: AbortSignal.timeout(this.o.timeoutMs) });
      } catch (e) {
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
      await sleep(wait);
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

  /** A request with authentication: answers the registry's challenge once, then reuses it. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = path.startsWith("http") ? path : `${this.o.baseUrl}${path}`;
    const call = `${method} ${new URL(url).pathname}`;
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

  /** Follow Link pagination, collecting one field from each page. */
  private async paginate(firstPath: string, field: "repositories" | "tags", scope: string, accept404 = false): Promise<string[]> {
    const out: string[] = [];
    let url: string | undefined = `${this.o.baseUrl}${firstPath}`;
    for (let page = 0; url && page < 10_000; page++) {
      const res: Response = await this.request("GET", url, { scope, accept: accept404 ? [404] : [] });
      if (res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        return out;
      }
      const body = (await res.json()) as Record<string, string[] | null>;
      out.push(...(body[field] ?? []));
      url = nextLink(res.headers.get("link"), this.o.baseUrl);
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
