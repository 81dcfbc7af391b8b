/**
 * Dynamic provider of NodeFilesCleanup: nothing on create; on delete (pulumi destroy, or a region
 * removed) it switches the region's writer DaemonSets to cleanup mode and waits, bounded, until
 * every node reports clean, or fails naming the nodes that did not (docs/node-files-lifecycle.md).
 *
 * It talks to the cluster through `kubectl` (the kubeconfig and context the Pulumi run uses:
 * $KUBECONFIG or ~/.kube/config, and the stack's `kubernetes:context`), so every auth plugin the
 * operator's kubectl supports works and no credential enters the state. Methods use only
 * `require()` and what they are given (the text of this provider is stored in the state).
 */
import * as pulumi from "@pulumi/pulumi";
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { cleanupProgress, type DaemonSetView, type PodView } from "./cleanup";
import { DynamicResource } from "../shared/dynamic-resource";

export interface CleanupProps {
  namespace: string;
  /** Writer DaemonSets, in the order they are cleaned (node config before the mirrors it points at). */
  daemonSets: string[];
  /** kubectl context (`kubernetes:context`); "" = the kubeconfig's current context. */
  context: string;
  timeoutSeconds: number;
  pollSeconds: number;
  /** The cleanup patch, stored so a destroy uses the patch of the program that created it. */
  patch: string;
}

interface Run { code: number; stdout: string; stderr: string; missing: boolean }

async function cleanupAll(props: CleanupProps): Promise<void> {
  const { execFile } = require("node:child_process") as typeof import("node:child_process");
  const base = [...(props.context ? ["--context", props.context] : []), "--namespace", props.namespace];
  const kubectl = (args: string[]): Promise<Run> =>
    new Promise((resolve) =>
      execFile(process.env.KUBECTL ?? "kubectl", [...base, ...args], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : -1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr), missing: (err as { code?: unknown } | null)?.code === "ENOENT" });
      }),
    );
  const deadline = Date.now() + props.timeoutSeconds * 1000;
  for (const name of props.daemonSets) {
    const patched = await kubectl(["patch", "daemonset", name, "--type", "strategic", "--patch", props.patch]);
    if (patched.missing) throw new Error(`node file cleanup: kubectl is not on PATH; it is needed to switch DaemonSet ${props.namespace}/${name} to cleanup mode so nodes are restored. Install kubectl and run the destroy again`);
    if (patched.code !== 0) {
      // Gone already (deleted out of band): its pods are gone too; nothing can be switched.
      if (/NotFound|not found/.test(patched.stderr)) continue;
      throw new Error(`node file cleanup: kubectl patch daemonset ${props.namespace}/${name} failed: ${patched.stderr.trim().slice(0, 500)}`);
    }
    for (;;) {
      let last: string;
      const ds = await kubectl(["get", "daemonset", name, "--output", "json"]);
      if (ds.code === 0) {
        const view = JSON.parse(ds.stdout) as DaemonSetView & { spec?: { selector?: { matchLabels?: Record<string, string> } } };
        const selector = Object.entries(view.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(",");
        const pods = await kubectl(["get", "pods", "--selector", selector, "--output", "json"]);
        if (pods.code === 0) {
          const p = cleanupProgress(view, (JSON.parse(pods.stdout) as { items?: PodView[] }).items ?? []);
          if (p.done) break;
          last = p.notClean.length ? `not clean: ${p.notClean.join(", ")}` : p.summary;
        } else last = `kubectl get pods: ${pods.stderr.trim().slice(0, 300)}`;
      } else last = `kubectl get daemonset: ${ds.stderr.trim().slice(0, 300)}`;
      if (Date.now() >= deadline) {
        throw new Error(
          `node file cleanup: DaemonSet ${props.namespace}/${name} did not restore every node within ${props.timeoutSeconds}s (${last}). ` +
            `Each writer pod logs why (kubectl logs -n ${props.namespace} -l app.kubernetes.io/name=registry-node-files: STATUS ... cleanup="pending: ..."); fix it and run the destroy again`,
        );
      }
      await new Promise((r) => setTimeout(r, props.pollSeconds * 1000));
    }
  }
}

export const cleanupProvider: dynamic.ResourceProvider = {
  async check(_olds: CleanupProps, news: CleanupProps) {
    const failures = [];
    if (!Array.isArray(news.daemonSets) || news.daemonSets.length === 0) failures.push({ property: "daemonSets", reason: "names no writer DaemonSet" });
    if (!(Number(news.timeoutSeconds) > 0)) failures.push({ property: "timeoutSeconds", reason: "must be a positive number of seconds" });
    return { inputs: news, failures };
  },
  async create(inputs: CleanupProps) {
    return { id: `${inputs.namespace}/${inputs.daemonSets.join(",")}`, outs: inputs };
  },
  async diff(_id: string, olds: CleanupProps, news: CleanupProps) {
    const changes = JSON.stringify({ ...olds }) !== JSON.stringify({ ...news });
    return { changes, replaces: [], deleteBeforeReplace: false };
  },
  async update(_id: string, _olds: CleanupProps, news: CleanupProps) {
    return { outs: news };
  },
  async delete(_id: string, props: CleanupProps) {
    await cleanupAll(props);
  },
};

/**
 * Restores the node files of a region's writers when it is deleted. Give it `dependsOn` the writer
 * DaemonSets (and their ConfigMap/Secret): the engine deletes dependents first, so the writers
 * still run when it switches them to cleanup mode.
 */
export class NodeFilesCleanup extends DynamicResource {
  constructor(name: string, args: { [K in keyof CleanupProps]: pulumi.Input<CleanupProps[K]> }, opts?: pulumi.CustomResourceOptions) {
    super(cleanupProvider, name, args, opts, "mirrors", "NodeFilesCleanup");
  }
}
