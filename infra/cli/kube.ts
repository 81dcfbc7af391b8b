// `npm run up` checks the Kubernetes context before it starts: the context exists in the
// kubeconfig (KUBECONFIG's files, merged the way kubectl merges them: the first file that sets a
// value wins) and its API server answers. Without this, a stopped kind cluster shows up minutes in,
// as a Helm or provider timeout.
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

interface KubeConfigDoc {
  "current-context"?: string;
  contexts?: { name: string; context?: { cluster?: string } }[];
  clusters?: { name: string; cluster?: { server?: string; "certificate-authority-data"?: string; "certificate-authority"?: string; "insecure-skip-tls-verify"?: boolean } }[];
}

export interface KubeTarget {
  context: string;
  server: string;
  /** PEM of the cluster's CA, when the kubeconfig names one. */
  ca?: string;
  insecure: boolean;
}

/** The kubeconfig files kubectl reads: $KUBECONFIG (path list) or ~/.kube/config. */
export function kubeconfigFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const list = env.KUBECONFIG ? env.KUBECONFIG.split(path.delimiter).filter(Boolean) : [path.join(os.homedir(), ".kube", "config")];
  return list;
}

/**
 * The context `up` will deploy to and its API server: `wanted` (the stack's kubernetes:context)
 * or the current context. Pure: `docs` are the parsed kubeconfig files in order, with their paths.
 * Returns a problem (what to do) instead when there is no such context or cluster.
 */
export function resolveKubeTarget(docs: { file: string; doc: KubeConfigDoc }[], wanted?: string): KubeTarget | { problem: string } {
  if (docs.length === 0) return { problem: "no kubeconfig found (KUBECONFIG or ~/.kube/config): create the cluster first (kind create cluster ..., or k3d cluster create ...)" };
  const first = <T extends { name: string }>(key: "contexts" | "clusters", name: string): T | undefined => {
    for (const { doc } of docs) {
      const hit = ((doc[key] ?? []) as T[]).find((x) => x.name === name);
      if (hit) return hit;
    }
    return undefined;
  };
  const current = docs.map((d) => d.doc["current-context"]).find((c) => typeof c === "string" && c !== "");
  const name = wanted ?? current;
  const files = docs.map((d) => d.file).join(", ");
  if (!name) return { problem: `the kubeconfig (${files}) has no current context: pick one with \`kubectl config use-context NAME\`` };
  const ctx = first<NonNullable<KubeConfigDoc["contexts"]>[number]>("contexts", name);
  if (!ctx) {
    const how = wanted ? "the stack's kubernetes:context names it" : "it is the current context";
    return { problem: `no context "${name}" in the kubeconfig (${files}); ${how}. Contexts there: ${docs.flatMap((d) => (d.doc.contexts ?? []).map((c) => c.name)).join(", ") || "none"}` };
  }
  const clusterName = ctx.context?.cluster;
  const cluster = clusterName ? first<NonNullable<KubeConfigDoc["clusters"]>[number]>("clusters", clusterName) : undefined;
  const server = cluster?.cluster?.server;
  if (!cluster || !server) return { problem: `context "${name}" names cluster "${clusterName ?? ""}", which the kubeconfig (${files}) does not define with a server` };
  const c = cluster.cluster!;
  let ca: string | undefined;
  if (c["certificate-authority-data"]) ca = Buffer.from(c["certificate-authority-data"], "base64").toString("utf8");
  else if (c["certificate-authority"]) {
    try {
      ca = fs.readFileSync(c["certificate-authority"], "utf8");
    } catch {
      return { problem: `context "${name}": cannot read the cluster's certificate-authority file ${c["certificate-authority"]}` };
    }
  }
  return { context: name, server, ca, insecure: c["insecure-skip-tls-verify"] === true };
}

/** Reads and parses the kubeconfig files that exist (a file that is not YAML is a problem). */
export function readKubeconfigs(files: string[]): { file: string; doc: KubeConfigDoc }[] {
  const out: { file: string; doc: KubeConfigDoc }[] = [];
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    let doc: unknown;
    try {
      doc = parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
      throw new Error(`the kubeconfig ${file} is not valid YAML: ${(e as Error).message.split("\n")[0]}`, { cause: e });
    }
    if (doc && typeof doc === "object") out.push({ file, doc: doc as KubeConfigDoc });
  }
  return out;
}

/**
 * Asks the API server for /version (readable without credentials on kind, k3d and minikube, as
 * system:public-info-viewer). Any HTTP answer, 401/403 included, shows the server is up; a
 * connection error, a TLS failure or no answer within `timeoutMs` is the problem returned.
 */
export function probeKubeServer(t: KubeTarget, timeoutMs = 5000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL("/version", t.server);
    } catch {
      resolve(`context "${t.context}": the cluster's server ${JSON.stringify(t.server)} is not a URL`);
      return;
    }
    const lib = url.protocol === "http:" ? http : https;
    const req = lib.request(url, { method: "GET", timeout: timeoutMs, ca: t.ca, rejectUnauthorized: !t.insecure }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on("error", (e: NodeJS.ErrnoException) => {
      resolve(`the Kubernetes API server of context "${t.context}" (${t.server}) does not answer: ${e.code ?? e.message}. ` + "Start the cluster (kind/k3d/minikube), or choose another context: `kubectl config use-context NAME` (or `npx pulumi config set kubernetes:context NAME --stack STACK`).");
    });
    req.end();
  });
}
