// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// Destroy lifecycle of node files (docs/node-files-lifecycle.md): the cleanup patch of the writer
// DaemonSet, the real writer.sh in cleanup mode on fake host roots (one per node), the readiness
// command the patch adds, and the NodeFilesCleanup provider's bounded wait that names the nodes
// that are not clean.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanupProgress, type DaemonSetView, type PodView } from "../components/mirrors/cleanup";
import { cleanupProvider, NodeFilesCleanup, type CleanupProps } from "../components/mirrors/cleanup-provider";
import type { NodeFile } from "../components/mirrors/nodeFiles";
import { CLEAN_MARKER, cleanupPatch, writerDaemonSetSpec } from "../components/mirrors/writer";
import { captureProviderTexts, runSerializedProvider } from "./helpers/serialized-provider";
import { busyboxPath, runWriter, snapshotTree, writeSources } from "./helpers/writer-host";

type Env = { name: string; value?: string }[];
type Container = { name: string; env: Env; readinessProbe?: { exec: { command: string[] } } };

/**
 * Strategic merge of the patch's container into the spec's, as the API server does it for
 * PodSpec.containers (patchMergeKey "name") and Container.env (patchMergeKey "name"); other
 * fields of the patched container replace (k8s.io/api/core/v1/types.go struct tags).
 */
function mergeContainer(spec: Container, patch: Partial<Container>): Container {
  const env = [...spec.env];
  for (const e of patch.env ?? []) {
    const i = env.findIndex((x) => x.name === e.name);
    if (i >= 0) env[i] = e;
    else env.push(e);
  }
  return { ...spec, ...patch, env };
}

const hostsFile: NodeFile = { role: "node", path: "/etc/containerd/certs.d/h/hosts.toml", mode: "0644", anchor: "/etc/containerd", secret: false, content: 'server = "https://h"\n', apply: "replace" };
const dropin: NodeFile = { role: "node", path: "/etc/containers/registries.conf.d/50-registry-topology.conf", mode: "0644", anchor: "/etc/containers", secret: false, content: "[[registry]]\n", apply: "replace" };

describe("node file cleanup (destroy)", () => {
  let base: string;
  let bb: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), "cleanup-"));
    bb = busyboxPath(base);
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  it("the patched DaemonSet runs writer.sh in cleanup mode; its readiness command passes exactly when the node is clean", async () => {
    const spec = writerDaemonSetSpec({ region: "eu", role: "node", files: [hostsFile, dropin], configMapName: "cm", signalCrio: false }) as { template: { spec: { containers: Container[]; volumes: { name: string; emptyDir?: { medium?: string; sizeLimit?: string } }[] } } };
    const patch = cleanupPatch() as { spec: { updateStrategy: unknown; template: { spec: { containers: Partial<Container>[] } } } };
    expect(patch.spec.updateStrategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } });
    const container = mergeContainer(spec.template.spec.containers[0]!, patch.spec.template.spec.containers[0]!);
    expect(container.env.filter((e) => e.name === "WRITER_MODE")).toEqual([{ name: "WRITER_MODE", value: "cleanup" }]);
    expect(spec.template.spec.volumes.find((v) => v.name === "scratch")?.emptyDir).toEqual({ medium: "Memory", sizeLimit: "16Mi" });

    for (const node of ["node-a", "node-b"]) {
      const host = path.join(base, node, "host");
      for (const d of ["etc/containers", "etc/containerd", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    }
    const snap = (node: string) => snapshotTree(path.join(base, node, "host"));
    const before = { a: snap("node-a"), b: snap("node-b") };
    const src = path.join(base, "files");
    writeSources(src, [hostsFile, dropin]);
    // The env of the container as the DaemonSet gives it; paths that are mounts in the pod point
    // into this node's directory here.
    const podEnv = (node: string, c: Container) => {
      const scratch = path.join(base, node, "scratch");
      fs.mkdirSync(scratch, { recursive: true });
      const e: Record<string, string> = { PATH: bb, NODE_NAME: node, RUN_ONCE: "1", PROBE_TIMEOUT_SECONDS: "1" };
      for (const v of c.env) if (v.value !== undefined) e[v.name] = v.value;
      return { ...e, HOST_ROOT: path.join(base, node, "host"), SRC_DIR: src, SCRATCH_DIR: scratch, TMPDIR: scratch, CLEAN_MARKER: path.join(scratch, path.basename(CLEAN_MARKER)) };
    };
    const sync = spec.template.spec.containers[0]!;
    for (const node of ["node-a", "node-b"]) expect((await runWriter(base, { env: podEnv(node, sync) })).code).toBe(0);
    // node-b: /etc/containers is read-only, so its drop-in cannot be removed.
    const ro = path.join(base, "node-b", "host", "etc/containers");
    const ready = (node: string) => {
      const cmd = container.readinessProbe!.exec.command;
      const marker = path.join(base, node, "scratch", path.basename(CLEAN_MARKER));
      expect(cmd.join(" ")).toContain(CLEAN_MARKER);
      try {
        execFileSync(cmd[0]!, [...cmd.slice(1, -1), cmd.at(-1)!.replace(CLEAN_MARKER, marker)]);
        return true;
      } catch {
        return false;
      }
    };
    const a = await runWriter(base, { env: podEnv("node-a", container) });
    const b = await runWriter(base, { env: podEnv("node-b", container), before: `mount --bind '${ro}' '${ro}'\nmount -o remount,bind,ro '${ro}'` });
    expect(a.out).toMatch(/cleanup="clean"/);
    expect(b.code).not.toBe(0);
    expect(b.out).toMatch(/cleanup="pending: /);
    expect(snap("node-a")).toEqual(before.a);
    expect([ready("node-a"), ready("node-b")]).toEqual([true, false]);
    // Once writable, the next round restores node-b too.
    const b2 = await runWriter(base, { env: podEnv("node-b", container) });
    expect(b2.out).toMatch(/cleanup="clean"/);
    expect(snap("node-b")).toEqual(before.b);
    expect(ready("node-b")).toBe(true);
  });

  describe("cleanupProgress", () => {
    const ds = (o: Partial<NonNullable<DaemonSetView["status"]>>, generation = 3): DaemonSetView => ({ metadata: { generation }, status: { observedGeneration: 3, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2, ...o } });
    const pod = (node: string, gen: string, ready: boolean, extra: Partial<NonNullable<PodView["metadata"]>> = {}): PodView => ({
      metadata: { name: `w-${node}`, labels: { "pod-template-generation": gen }, ...extra },
      spec: { nodeName: node },
      status: { phase: "Running", conditions: [{ type: "Ready", status: ready ? "True" : "False" }] },
    });
    it("is done only when the controller saw the patch and every node has a current, Ready pod", () => {
      expect(cleanupProgress(ds({}), [pod("a", "3", true), pod("b", "3", true)]).done).toBe(true);
      expect(cleanupProgress(ds({}, 4), [pod("a", "3", true), pod("b", "3", true)])).toMatchObject({ done: false, summary: /controller/ });
      const notB = cleanupProgress(ds({ numberAvailable: 1 }), [pod("a", "3", true), pod("b", "3", false)]);
      expect(notB).toMatchObject({ done: false, notClean: ["b"] });
      // An old (sync mode) pod still running on b, Ready: not clean.
      expect(cleanupProgress(ds({ updatedNumberScheduled: 1 }), [pod("a", "3", true), pod("b", "2", true)]).notClean).toEqual(["b"]);
      // An old pod terminating next to a clean current one: clean.
      expect(cleanupProgress(ds({}), [pod("a", "3", true), pod("b", "2", true, { deletionTimestamp: "x" }), pod("b", "3", true)]).done).toBe(true);
      expect(cleanupProgress(ds({}), [pod("a", "3", true), { metadata: { name: "w-x", labels: { "pod-template-generation": "3" } }, status: { phase: "Pending" } }]).notClean).toEqual(["(unscheduled pod w-x)"]);
    });
  });

  describe("NodeFilesCleanup.delete through kubectl (a stand-in answering from files)", () => {
    let dir: string;
    const props = (o: Partial<CleanupProps> = {}): CleanupProps => ({ namespace: "kube-system", daemonSets: ["regmirror-eu-node"], context: "dev-eu", timeoutSeconds: 2, pollSeconds: 1, patch: JSON.stringify(cleanupPatch()), ...o });
    const prev = process.env.KUBECTL;
    beforeEach(() => {
      dir = path.join(base, "api");
      fs.mkdirSync(dir);
      // Answers like kubectl: patch bumps metadata.generation; NotFound in kubectl's words.
      const stub = path.join(base, "kubectl");
      fs.writeFileSync(
        stub,
        `#!/usr/bin/env node
const fs = require("fs"); const d = ${JSON.stringify(dir)};
const a = process.argv.slice(2); fs.appendFileSync(d + "/calls", a.join(" ") + "\\n");
const verb = a.find((x) => x === "patch" || x === "get");
const ds = d + "/ds.json";
if (!fs.existsSync(ds)) { process.stderr.write('Error from server (NotFound): daemonsets.apps "regmirror-eu-node" not found\\n'); process.exit(1); }
const o = JSON.parse(fs.readFileSync(ds, "utf8"));
if (verb === "patch") { o.metadata.generation += 1; fs.writeFileSync(ds, JSON.stringify(o)); console.log("daemonset.apps/regmirror-eu-node patched"); process.exit(0); }
if (a.includes("daemonset")) { console.log(JSON.stringify(o)); process.exit(0); }
console.log(fs.readFileSync(d + "/pods.json", "utf8"));
`,
        { mode: 0o755 },
      );
      process.env.KUBECTL = stub;
    });
    afterEach(() => {
      if (prev === undefined) delete process.env.KUBECTL;
      else process.env.KUBECTL = prev;
    });
    const setApi = (gen: number, readyB: boolean) => {
      fs.writeFileSync(path.join(dir, "ds.json"), JSON.stringify({ metadata: { generation: gen }, spec: { selector: { matchLabels: { "app.kubernetes.io/name": "registry-node-files" } } }, status: { observedGeneration: gen + 1, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: readyB ? 2 : 1 } }));
      const p = (n: string, r: boolean) => ({ metadata: { name: `w-${n}`, labels: { "pod-template-generation": String(gen + 1) } }, spec: { nodeName: n }, status: { conditions: [{ type: "Ready", status: r ? "True" : "False" }] } });
      fs.writeFileSync(path.join(dir, "pods.json"), JSON.stringify({ items: [p("node-a", true), p("node-b", readyB)] }));
    };

    it("patches with the stored patch and context, and returns once every node is clean", async () => {
      setApi(1, true);
      await cleanupProvider.delete!("id", props());
      const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
      expect(calls).toContain(`--context dev-eu --namespace kube-system patch daemonset regmirror-eu-node --type strategic --patch ${JSON.stringify(cleanupPatch())}`);
      expect(calls).toContain("get pods --selector app.kubernetes.io/name=registry-node-files --output json");
    });
    it("fails after its bound naming the node that is not clean", async () => {
      setApi(1, false);
      await expect(cleanupProvider.delete!("id", props())).rejects.toThrow(/did not restore every node within 2s \(not clean: node-b\)/);
    });
    it("runs from its serialized text (as the engine's dynamic-provider host does it), without this checkout", async () => {
      const texts = await captureProviderTexts(() => [new NodeFilesCleanup("c", props())]);
      const text = texts["pulumi-nodejs:dynamic/mirrors:NodeFilesCleanup"];
      expect(text).toBeDefined();
      setApi(1, false);
      const [r] = await runSerializedProvider(text!, [{ method: "delete", args: ["id", props()] }], { env: { KUBECTL: process.env.KUBECTL! } });
      expect(r!.ok).toBe(false);
      expect(r!.error).toMatch(/not clean: node-b/);
      setApi(1, true);
      const [ok] = await runSerializedProvider(text!, [{ method: "delete", args: ["id", props()] }], { env: { KUBECTL: process.env.KUBECTL! } });
      expect(ok, ok!.error).toMatchObject({ ok: true });
    });
    it("a DaemonSet that is already gone has nothing to switch; no kubectl is a clear error", async () => {
      await cleanupProvider.delete!("id", props());
      process.env.KUBECTL = path.join(base, "no-such-kubectl");
      await expect(cleanupProvider.delete!("id", props())).rejects.toThrow(/kubectl is not on PATH/);
    });
  });
});
