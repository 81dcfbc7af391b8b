// Pure logic of the destroy-time cleanup of node files (docs/node-files-lifecycle.md): when a
// writer DaemonSet switched to cleanup mode (writer.ts cleanupPatch) has restored every node.

/** The fields of a DaemonSet (apps/v1) this reads. */
export interface DaemonSetView {
  metadata?: { generation?: number };
  spec?: { updateStrategy?: { type?: string } };
  status?: { observedGeneration?: number; desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number; numberReady?: number };
}

/** The fields of a Pod (core/v1) this reads. */
export interface PodView {
  metadata?: { name?: string; labels?: Record<string, string>; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type?: string; status?: string }[] };
}

export interface CleanupProgress {
  done: boolean;
  /** Nodes whose writer pod is not yet (or cannot be) clean, sorted; unscheduled pods by name. */
  notClean: string[];
  /** One line for the error or log. */
  summary: string;
}

/**
 * Done when the controller has seen the patch and every scheduled pod runs the cleanup template
 * and is Ready (its readiness = "the last cleanup round left this node clean"). The DaemonSet part
 * is the rule of `kubectl rollout status` (kubectl pkg/polymorphichelpers/rollout_status.go,
 * DaemonSetStatusViewer.Status: generation observed, updatedNumberScheduled and numberAvailable
 * both reach desiredNumberScheduled). Pods are matched to the patched template by the
 * `pod-template-generation` label the DaemonSet controller puts on its pods
 * (pkg/controller/daemon/util/daemonset_util.go, extensions.DaemonSetTemplateGenerationKey).
 */
export function cleanupProgress(ds: DaemonSetView, pods: readonly PodView[]): CleanupProgress {
  const generation = ds.metadata?.generation ?? 0;
  const s = ds.status ?? {};
  const desired = s.desiredNumberScheduled ?? 0;
  const observed = (s.observedGeneration ?? 0) >= generation;
  const notClean = new Set<string>();
  for (const p of pods) {
    const node = p.spec?.nodeName ?? `(unscheduled pod ${p.metadata?.name ?? "?"})`;
    const current = p.metadata?.labels?.["pod-template-generation"] === String(generation);
    const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    if (!current || !ready || p.metadata?.deletionTimestamp) notClean.add(node);
  }
  // A node that is clean has a current, Ready pod; an old pod on it may still be terminating.
  for (const p of pods) {
    const current = p.metadata?.labels?.["pod-template-generation"] === String(generation);
    const ready = p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
    if (current && ready && !p.metadata?.deletionTimestamp && p.spec?.nodeName) notClean.delete(p.spec.nodeName);
  }
  const updated = s.updatedNumberScheduled ?? 0;
  const available = s.numberAvailable ?? 0;
  const done = observed && updated >= desired && available >= desired && notClean.size === 0;
  const summary = observed
    ? `${Math.min(updated, available)}/${desired} nodes clean${notClean.size ? `; not yet: ${[...notClean].sort().join(", ")}` : ""}`
    : "waiting for the DaemonSet controller to see cleanup mode";
  return { done, notClean: [...notClean].sort(), summary };
}
