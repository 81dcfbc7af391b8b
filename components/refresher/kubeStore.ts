/**
 * The refresher's store in a cluster: one key per backup in the tokens Secret, which the mirror
 * writers project next to their own files (components/mirrors/writer.ts). Two calls of the core/v1
 * API, as the service account the pod runs as:
 * - read: `GET /api/v1/namespaces/{ns}/secrets/{name}` (`data` values are base64);
 * - write: `PATCH` of that Secret with `Content-Type: application/merge-patch+json` and
 *   `{"data":{"<key>":"<base64>"}}` (JSON merge patch, RFC 7386: only that key changes).
 * Both are what the refresher's Role grants (`get`, `patch` on this one Secret by resourceNames);
 * it cannot create, list or touch any other Secret. Node's https with the cluster CA; the token
 * file is read at every call (the kubelet rotates projected service-account tokens).
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { StoredToken } from "./decide";
import type { TokenStore } from "./run";
import { formatTokenFile, parseTokenFile } from "./tokenFile";

export interface KubeApi {
  /** https://host:port */
  server: string;
  /** Bearer token, read when a call is made. */
  token: () => string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * In a pod: KUBERNETES_SERVICE_HOST/PORT, the mounted service-account token and CA (the kubelet's
 * directory; REFRESHER_SERVICE_ACCOUNT_DIR names another, as the engine e2e does outside a pod).
 */
export function inClusterApi(env: NodeJS.ProcessEnv = process.env, dir = env.REFRESHER_SERVICE_ACCOUNT_DIR ?? SA_DIR): KubeApi {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? "443";
  if (!host) throw new Error("KUBERNETES_SERVICE_HOST is not set: the Secret store runs only inside a pod (use a directory store elsewhere)");
  return { server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`, token: () => fs.readFileSync(`${dir}/token`, "utf8").trim(), ca: fs.readFileSync(`${dir}/ca.crt`, "utf8") };
}

interface Answer {
  status: number;
  body: string;
}

function call(api: KubeApi, method: "GET" | "PATCH", path: string, body?: string): Promise<Answer> {
  const url = new URL(path, api.server);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: api.ca,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${api.token()}`,
          accept: "application/json",
          ...(body !== undefined ? { "content-type": "application/merge-patch+json", "content-length": Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname}: no answer from the API server within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** The API server's Status message (never the Secret's data: a failed call has none). */
function why(a: Answer): string {
  try {
    const s = JSON.parse(a.body) as { reason?: string; message?: string };
    return `${a.status} ${s.reason ?? ""}: ${s.message ?? ""}`.trim();
  } catch {
    return `HTTP ${a.status}`;
  }
}

export class KubernetesSecretTokenStore implements TokenStore {
  /** `keys`: backup name -> key in the Secret. */
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly secretName: string,
    private readonly keys: Readonly<Record<string, string>>,
  ) {}

  private get path(): string {
    return `/api/v1/namespaces/${encodeURIComponent(this.namespace)}/secrets/${encodeURIComponent(this.secretName)}`;
  }

  private key(backup: string): string {
    const k = this.keys[backup];
    if (!k) throw new Error(`backup ${backup} has no key in Secret ${this.namespace}/${this.secretName}`);
    return k;
  }

  async read(backup: string): Promise<StoredToken | undefined> {
    const a = await call(this.api, "GET", this.path);
    if (a.status !== 200) throw new Error(`reading Secret ${this.namespace}/${this.secretName} failed: ${why(a)}`);
    const data = (JSON.parse(a.body) as { data?: Record<string, string> }).data ?? {};
    const v = data[this.key(backup)];
    return parseTokenFile(v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8"));
  }

  async write(backup: string, token: StoredToken): Promise<void> {
    const patch = JSON.stringify({ data: { [this.key(backup)]: Buffer.from(formatTokenFile(token), "utf8").toString("base64") } });
    const a = await call(this.api, "PATCH", this.path, patch);
    if (a.status !== 200) throw new Error(`writing key ${this.key(backup)} of Secret ${this.namespace}/${this.secretName} failed: ${why(a)}`);
  }
}
