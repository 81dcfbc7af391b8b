/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the API server is read untyped */
/**
 * The token refresher against a real API server (issue 19): its Secret store and its RBAC, which
 * no stand-in can prove. With the objects the component renders (the Role's rules from
 * components/refresher/pod.ts, the names from names.ts) created in kube-system, and a token of the
 * refresher's service account from the TokenRequest API, the bundled refresher (the esbuild file
 * the Deployment runs) mints with the ECR stand-in and writes its key of the tokens Secret through
 * the API server; then, as the same service account, every other Secret access is refused.
 * Runs against the rig's control plane or, in external mode, the kube context (kubectl).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { REFRESHER_NAMESPACE, REFRESHER_SERVICE_ACCOUNT, REFRESHER_TOKENS_SECRET, tokenKey } from "../../components/refresher/names";
import { REFRESHER_NAME, refresherRoleRules } from "../../components/refresher/pod";
import type { RefresherSettings } from "../../components/refresher/settings";
import { parseTokenFile } from "../../components/refresher/tokenFile";
import { buildRefresherBundle } from "../../infra/refresher-bundle";
import { startEcrStandIn } from "../ecr-emulator/server";
import { kubeRequest } from "./control-plane";

export interface AdminApi {
  server: string;
  ca: Buffer;
  request(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
}

const NS = REFRESHER_NAMESPACE;
const DECOY = "registry-topology-e2e-decoy";
const ACCOUNT = "493817264501";
const REGION = "eu-central-1";
const PULL = { accessKeyId: "AKIAE2EPULL000000001", secretAccessKey: "e2e-pull-secret-0123456789abcdefghijklm", actions: ["ecr:GetAuthorizationToken"] };

/** Returns true when the refresher wrote its key through the API server and could touch nothing else. */
export async function refresherCheck(admin: AdminApi, dir: string, log: (s: string) => void): Promise<boolean> {
  mkdirSync(dir, { recursive: true });
  const labels = { "app.kubernetes.io/part-of": "registry-topology-e2e" };
  const objects: [string, string, unknown][] = [
    [`/api/v1/namespaces/${NS}/serviceaccounts`, `/api/v1/namespaces/${NS}/serviceaccounts/${REFRESHER_SERVICE_ACCOUNT}`, { metadata: { name: REFRESHER_SERVICE_ACCOUNT, labels } }],
    [`/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles`, `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/roles/${REFRESHER_NAME}`, { metadata: { name: REFRESHER_NAME, labels }, rules: refresherRoleRules() }],
    [
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings`,
      `/apis/rbac.authorization.k8s.io/v1/namespaces/${NS}/rolebindings/${REFRESHER_NAME}`,
      { metadata: { name: REFRESHER_NAME, labels }, roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: REFRESHER_NAME }, subjects: [{ kind: "ServiceAccount", name: REFRESHER_SERVICE_ACCOUNT, namespace: NS }] },
    ],
    [`/api/v1/namespaces/${NS}/secrets`, `/api/v1/namespaces/${NS}/secrets/${REFRESHER_TOKENS_SECRET}`, { metadata: { name: REFRESHER_TOKENS_SECRET, labels }, type: "Opaque" }],
    [`/api/v1/namespaces/${NS}/secrets`, `/api/v1/namespaces/${NS}/secrets/${DECOY}`, { metadata: { name: DECOY, labels }, type: "Opaque", stringData: { other: "not the refresher's" } }],
  ];
  const ecr = await startEcrStandIn({ dir: path.join(dir, "ecr"), accountId: ACCOUNT, region: REGION, keys: [PULL], tokenLifetimeMs: 3600_000 });
  try {
    for (const [collection, , body] of objects) {
      const r = await admin.request("POST", collection, body);
      if (r.status !== 201) throw new Error(`creating ${collection}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    const tr = await admin.request("POST", `/api/v1/namespaces/${NS}/serviceaccounts/${REFRESHER_SERVICE_ACCOUNT}/token`, { apiVersion: "authentication.k8s.io/v1", kind: "TokenRequest", spec: { expirationSeconds: 600 } });
    const saToken = tr.body?.status?.token as string | undefined;
    if (tr.status !== 201 || !saToken) throw new Error(`TokenRequest for ${REFRESHER_SERVICE_ACCOUNT}: ${tr.status}`);

    // The refresher's pod, outside a pod: its service-account directory and the API server's address.
    const saDir = path.join(dir, "serviceaccount");
    mkdirSync(saDir, { recursive: true });
    writeFileSync(path.join(saDir, "token"), saToken, { mode: 0o600 });
    writeFileSync(path.join(saDir, "ca.crt"), admin.ca);
    const creds = path.join(dir, "credentials");
    mkdirSync(creds, { recursive: true });
    const key = tokenKey("ecr-e2e", { kind: "ecr", region: REGION, registryId: ACCOUNT });
    writeFileSync(path.join(creds, `${key}.id`), PULL.accessKeyId);
    writeFileSync(path.join(creds, `${key}.secret`), PULL.secretAccessKey);
    const settings: RefresherSettings = {
      store: { kind: "secret", namespace: NS, name: REFRESHER_TOKENS_SECRET },
      credentialsDir: creds,
      intervalSeconds: 60,
      targets: [{ backup: "ecr-e2e", key, kind: "ecr", region: REGION, registryId: ACCOUNT, identity: "accessKey", endpoint: ecr.apiUrl }],
    };
    writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings));
    const bundle = path.join(dir, "refresher.js");
    writeFileSync(bundle, buildRefresherBundle().script);
    const server = new URL(admin.server);
    // Not spawnSync: the ECR stand-in answers from this process's event loop.
    const once = () =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [bundle, "--once"], {
          env: { PATH: process.env.PATH, REFRESHER_SETTINGS: path.join(dir, "settings.json"), KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port || "443", REFRESHER_SERVICE_ACCOUNT_DIR: saDir, AWS_EC2_METADATA_DISABLED: "true" },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("close", (status) => {
          clearTimeout(timer);
          resolve({ status, stdout, stderr });
        });
      });
    const first = await once();
    log(`refresher --once through the API server: exit ${first.status}; ${(first.stdout + first.stderr).trim().split("\n").at(-1) ?? ""}`);
    const second = await once();
    const wrote = await admin.request("GET", `/api/v1/namespaces/${NS}/secrets/${REFRESHER_TOKENS_SECRET}`);
    const stored = parseTokenFile(wrote.body?.data?.[key] ? Buffer.from(wrote.body.data[key], "base64").toString("utf8") : undefined);
    const minted = stored !== undefined && stored.username === "AWS" && ecr.minted.some((m) => m.password === stored.password);
    const kept = second.status === 0 && /state=fresh/.test(second.stdout);
    log(`the tokens Secret holds the minted token: ${minted ? "yes" : "no"}; second round kept it: ${kept ? "yes" : `no (${second.stdout.trim()} ${second.stderr.trim()})`}`);

    // As the refresher's service account: only get and patch of its own Secret.
    const as = (method: string, p: string, body?: unknown) => kubeRequest({ server: admin.server, token: saToken, ca: admin.ca }, method, p, body);
    const denied = [
      ["GET", `/api/v1/namespaces/${NS}/secrets/${DECOY}`],
      ["PUT", `/api/v1/namespaces/${NS}/secrets/${DECOY}`, { metadata: { name: DECOY }, stringData: { other: "overwritten" } }],
      ["GET", `/api/v1/namespaces/${NS}/secrets`],
      ["DELETE", `/api/v1/namespaces/${NS}/secrets/${REFRESHER_TOKENS_SECRET}`],
      ["POST", `/api/v1/namespaces/${NS}/secrets`, { metadata: { name: "registry-topology-e2e-new" } }],
      ["GET", `/api/v1/namespaces/default/secrets`],
    ] as const;
    let refused = 0;
    for (const [method, p, body] of denied) {
      const r = await as(method, p, body);
      if (r.status === 403) refused++;
      else log(`the refresher's service account was NOT refused ${method} ${p}: ${r.status}`);
    }
    const ownRead = (await as("GET", `/api/v1/namespaces/${NS}/secrets/${REFRESHER_TOKENS_SECRET}`)).status === 200;
    log(`the refresher's service account: ${refused}/${denied.length} other Secret accesses refused (403); its own Secret readable: ${ownRead ? "yes" : "no"}`);
    return first.status === 0 && minted && kept && refused === denied.length && ownRead;
  } finally {
    for (const [, one] of [...objects].reverse()) await admin.request("DELETE", one).catch(() => undefined);
    await ecr.stop();
  }
}

/** The admin side through kubectl (external mode): the user's kube context. */
export function kubectlAdmin(): AdminApi {
  const view = spawnSync("kubectl", ["config", "view", "--raw", "--minify", "-o", "json"], { encoding: "utf8", timeout: 30_000 });
  if (view.status !== 0) throw new Error(`kubectl config view: ${view.stderr}`);
  const cluster = JSON.parse(view.stdout).clusters?.[0]?.cluster ?? {};
  const ca = cluster["certificate-authority-data"] ? Buffer.from(cluster["certificate-authority-data"], "base64") : Buffer.from("");
  const raw = (verb: string, p: string, body?: unknown) => {
    const args = [verb, "--raw", p, ...(body !== undefined ? ["-f", "-"] : [])];
    const r = spawnSync("kubectl", args, { encoding: "utf8", timeout: 30_000, input: body !== undefined ? JSON.stringify(body) : undefined });
    if (r.status === 0) return { status: verb === "create" ? 201 : 200, body: r.stdout ? JSON.parse(r.stdout) : {} };
    return { status: /NotFound|not found/.test(r.stderr) ? 404 : /Forbidden|forbidden/.test(r.stderr) ? 403 : 500, body: r.stderr };
  };
  return {
    server: cluster.server,
    ca,
    request: (method, p, body) => Promise.resolve(raw(method === "POST" ? "create" : method === "DELETE" ? "delete" : "get", p, body)),
  };
}
