/**
 * Harbor REST API v2.0 client for the dynamic providers.
 *
 * Serialization rule: everything lives inside `harborClient()` and uses only globals or
 * `require()` of Node built-ins, because the providers capture this function and Pulumi writes its
 * text into the state. It holds no module-level object and never a credential outside the call.
 */

/** How to reach Harbor: the connection inputs every Harbor dynamic resource carries. */
export interface HarborConnection {
  harborUrl: string;
  harborUsername: string;
  harborPassword: string;
  /** Skip TLS verification toward Harbor. */
  insecure?: boolean;
  /** PEM CA bundle that signed Harbor's certificate. */
  caCertificate?: string;
  /** Per-request timeout (default 30 s). */
  httpTimeoutSeconds?: number;
}

export interface RetryOptions {
  /** Attempts per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total time budget of one call, retries included. */
  maxElapsedMs: number;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number>;
  /** Statuses returned to the caller instead of thrown (e.g. 404 on read, 409 on create). */
  accept?: number[];
  /** Retry 400 "the registry is unhealthy" for this long (remote credentials still propagating). */
  unhealthyRetryMs?: number;
  /** What the call does, for error messages ("create registry endpoint acr-weu"). */
  what?: string;
  /**
   * false for a POST Harbor would run twice (starting an execution): after an attempt that may
   * have reached Harbor, throw an error with `ambiguous: true` instead of sending it again.
   */
  retryAmbiguous?: boolean;
}

export interface HarborResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** An earlier attempt may have been processed by Harbor (reset, timeout or 5xx before this answer). */
  ambiguous: boolean;
  attempts: number;
}

export interface HarborCallError extends Error {
  /** The request may have been processed although no answer said so. */
  ambiguous?: boolean;
  status?: number;
  code?: string;
  harborMessage?: string;
}

export interface HarborClient {
  call(method: string, path: string, options?: CallOptions): Promise<HarborResponse>;
  /** POST and return the id at the end of `Location`. */
  idFromLocation(response: HarborResponse, what: string): number;
  /** Every item of a paginated list (bounded to 50 pages). */
  list(path: string, query?: Record<string, string | number>, what?: string): Promise<Record<string, unknown>[]>;
}

export function harborClient(conn: HarborConnection, retry?: Partial<RetryOptions>): HarborClient {
  const http = require("http");
  const https = require("https");
  const crypto = require("crypto");

  const opts: RetryOptions = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 8000, maxElapsedMs: 120_000, ...retry };
  const timeoutMs = Math.max(1, conn.httpTimeoutSeconds ?? 30) * 1000;
  const base = new URL(String(conn.harborUrl).replace(/\/+$/, ""));
  if (base.protocol !== "https:" && base.protocol !== "http:") {
    throw new Error(`harborUrl must be an http(s) URL, got protocol "${base.protocol}"`);
  }
  const auth = "Basic " + Buffer.from(`${conn.harborUsername}:${conn.harborPassword}`).toString("base64");
  // Values that must never reach an error message or log.
  const secrets = [conn.harborPassword, auth].filter((s) => typeof s === "string" && s.length >= 4);

  const redact = (text: string, extra: string[] = []): string => {
    let out = text;
    for (const s of [...secrets, ...extra]) if (s && s.length >= 4) out = out.split(s).join("[secret]");
    return out;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  interface RawAnswer { status: number; headers: Record<string, string | string[] | undefined>; text: string }

  function send(method: string, url: URL, bodyText: string | undefined): Promise<RawAnswer> {
    const lib = url.protocol === "https:" ? https : http;
    const headers: Record<string, string> = {
      Authorization: auth,
      Accept: "application/json",
      "User-Agent": "registry-topology-harbor-provider",
      "X-Request-Id": crypto.randomUUID(),
    };
    if (bodyText !== undefined) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(bodyText));
    }
    return new Promise((resolve, reject) => {
      // Declared before use: Pulumi's closure analysis cannot see a const declared after a closure that reads it.
      let timer: ReturnType<typeof setTimeout> | undefined = undefined;
      // agent:false: one connection per request, no cookie jar, nothing shared between calls.
      const req = lib.request(url, {
        method,
        headers,
        agent: false,
        rejectUnauthorized: !conn.insecure,
        ca: conn.caCertificate ? conn.caCertificate : undefined,
      }, (res: import("http").IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (e: Error) => { clearTimeout(timer); reject(e); });
        res.on("aborted", () => { clearTimeout(timer); reject(Object.assign(new Error("answer aborted"), { code: "ECONNRESET" })); });
      });
      timer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs / 1000}s`), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      req.on("error", (e: Error) => { clearTimeout(timer); reject(e); });
      if (bodyText !== undefined) req.write(bodyText);
      req.end();
    });
  }

  function parse(text: string): unknown {
    if (!text) return undefined;
    try { return JSON.parse(text); } catch { return text; }
  }

  function harborMessage(body: unknown, text: string): { code?: string; message: string } {
    const errors = (body as { errors?: { code?: string; message?: string }[] } | undefined)?.errors;
    if (Array.isArray(errors) && errors.length > 0) {
      return { code: errors[0]?.code, message: errors.map((e) => e.message ?? e.code ?? "").join("; ") };
    }
    return { message: text.trim().slice(0, 300) || "(empty answer)" };
  }

  function hint(status: number, message: string): string {
    if (status === 401) return "Harbor refused the credential: check harborUsername/harborPassword (the Harbor admin credential). Harbor locks an account briefly after failed logins, so this is not retried.";
    if (status === 403) return "the credential lacks the permission: use the Harbor admin (system administrator) credential.";
    if (status === 400 && /unhealthy/i.test(message)) return "the remote registry is unreachable from Harbor or refused the access key/secret: check the URL, the adapter type and the credential (a new cloud identity can take minutes to propagate).";
    if (status === 400) return "Harbor rejected the request body: check the resource's inputs.";
    if (status === 404) return "it does not exist in Harbor (deleted outside Pulumi?): run `pulumi refresh`.";
    if (status === 409) return "an object with this name exists already in Harbor: rename it, delete it in Harbor, or set adoptExisting: true to take it over.";
    if (status === 412) return "Harbor refuses while something still uses it (a replication policy, a proxy-cache project, running executions or repositories): remove that first.";
    if (status === 429) return "Harbor kept rate-limiting; try again later.";
    if (status >= 500) return "Harbor failed internally (for registries often the adapter: unknown type or the cloud API refused); see Harbor core's log.";
    return "check the inputs and Harbor's log.";
  }

  function fail(what: string, method: string, path: string, status: number | undefined, detail: { code?: string; message: string }, note = ""): HarborCallError {
    const statusText = status === undefined ? "no answer" : `HTTP ${status}${detail.code ? ` ${detail.code}` : ""}`;
    const text = `Harbor API call failed: ${what} (${method} ${path}): ${statusText}: ${detail.message}${note}. ${status === undefined ? "Check that harborUrl is reachable from where Pulumi runs (and insecure/caCertificate for TLS)." : hint(status, detail.message)}`;
    const err = new Error(redact(text)) as HarborCallError;
    err.name = "HarborApiError";
    err.status = status;
    err.code = detail.code;
    err.harborMessage = redact(detail.message);
    return err;
  }

  function retryableNetwork(e: { code?: string; message?: string }): boolean {
    return ["ECONNRESET", "ECONNREFUSED", "ETIMEDOUT", "EPIPE", "EAI_AGAIN", "ECONNABORTED", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_SOCKET"].includes(e.code ?? "")
      || /socket hang up/i.test(e.message ?? "");
  }

  async function call(method: string, path: string, options: CallOptions = {}): Promise<HarborResponse> {
    const what = options.what ?? `${method} ${path}`;
    const url = new URL(base.href.replace(/\/$/, "") + "/api/v2.0" + path);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
    const bodyText = options.body === undefined ? undefined : JSON.stringify(options.body);
    const bodySecrets: string[] = [];
    const collect = (v: unknown): void => {
      if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) {
        if (/secret|password/i.test(k) && typeof x === "string") bodySecrets.push(x); else collect(x);
      }
    };
    collect(options.body);

    const started = Date.now();
    let ambiguous = false;
    let attempt = 0;
    let unhealthyTries = 0;
    for (;;) {
      attempt++;
      let answer: RawAnswer | undefined;
      let networkError: { code?: string; message?: string } | undefined;
      try {
        answer = await send(method, url, bodyText);
      } catch (e) {
        networkError = e as { code?: string; message?: string };
      }
      const elapsed = Date.now() - started;
      const budgetLeft = opts.maxElapsedMs - elapsed;
      let delay = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
      delay = Math.round(delay / 2 + Math.random() * (delay / 2)); // equal jitter

      if (networkError) {
        if (networkError.code !== "ECONNREFUSED") ambiguous = true;
        const stop = options.retryAmbiguous === false && ambiguous;
        if (stop || !retryableNetwork(networkError) || attempt >= opts.maxAttempts || budgetLeft <= delay) {
          const err = fail(what, method, path, undefined, { message: redact(`${networkError.code ?? "error"}: ${networkError.message ?? ""}`, bodySecrets) },
            attempt > 1 ? ` (after ${attempt} attempts in ${Math.round(elapsed / 1000)}s)` : "");
          err.ambiguous = ambiguous;
          throw err;
        }
        await sleep(delay);
        continue;
      }
      const a = answer as RawAnswer;
      const body = parse(a.text);
      if ((a.status >= 200 && a.status < 300) || options.accept?.includes(a.status)) {
        return { status: a.status, headers: a.headers, body, ambiguous, attempts: attempt };
      }
      const detail = harborMessage(body, a.text);
      detail.message = redact(detail.message, bodySecrets);

      if (a.status === 400 && options.unhealthyRetryMs && /unhealthy/i.test(detail.message)) {
        const spent = Date.now() - started;
        const wait = Math.min(15_000, 1000 * 2 ** unhealthyTries);
        unhealthyTries++;
        if (spent + wait <= options.unhealthyRetryMs) {
          await sleep(wait);
          attempt = 0; // the unhealthy window has its own budget
          continue;
        }
        throw fail(what, method, path, a.status, detail,
          ` (Harbor still answered "unhealthy" after ${Math.round(spent / 1000)}s and ${unhealthyTries} attempts; retried because a new cloud identity can take minutes to propagate; raise unhealthyRetrySeconds if the credential is right)`);
      }
      const retryable = a.status === 429 || a.status >= 500;
      if (a.status >= 500 && a.status !== 503) ambiguous = true;
      if (!retryable || attempt >= opts.maxAttempts || (options.retryAmbiguous === false && ambiguous)) {
        const err = fail(what, method, path, a.status, detail, attempt > 1 ? ` (after ${attempt} attempts)` : "");
        err.ambiguous = ambiguous;
        throw err;
      }
      const retryAfter = Number(a.headers["retry-after"]);
      if (Number.isFinite(retryAfter) && retryAfter >= 0) delay = Math.max(delay, retryAfter * 1000);
      if (Date.now() - started + delay > opts.maxElapsedMs) {
        throw fail(what, method, path, a.status, detail, ` (gave up after ${attempt} attempts: retry budget of ${Math.round(opts.maxElapsedMs / 1000)}s spent)`);
      }
      await sleep(delay);
    }
  }

  function idFromLocation(response: HarborResponse, what: string): number {
    const raw = response.headers.location;
    const location = Array.isArray(raw) ? raw[0] : raw;
    const m = /\/(\d+)\/?$/.exec(location ?? "");
    if (!m) throw new Error(`Harbor answered ${what} with HTTP ${response.status} but no id in its Location header ("${location ?? ""}")`);
    return Number(m[1]);
  }

  async function list(path: string, query: Record<string, string | number> = {}, what?: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for (let page = 1; page <= 50; page++) {
      const r = await call("GET", path, { query: { ...query, page, page_size: 100 }, what: what ?? `list ${path}` });
      const batch = Array.isArray(r.body) ? (r.body as Record<string, unknown>[]) : [];
      items.push(...batch);
      const link = String(r.headers.link ?? "");
      if (!/rel="next"/.test(link) || batch.length === 0) break;
    }
    return items;
  }

  return { call, idFromLocation, list };
}
