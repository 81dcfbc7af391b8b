/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the API server and the Pulumi state is read untyped */
/**
 * A Kubernetes control plane on 127.0.0.1 for the engine e2e: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler and kwok (fake nodes whose pods kwok's stages mark
 * Running/Ready), plus PersistentVolumes for the stack's claims to bind to. No containers run.
 *
 * Flags follow controller-runtime's envtest (pkg/internal/testing/controlplane/apiserver.go:
 * etcd servers, a secure port with a generated serving certificate in --cert-dir, a service
 * account key and issuer, a service IP range) and kwokctl's binary runtime
 * (pkg/kwokctl/runtime/binary/cluster.go: kwok with --manage-nodes-with-annotation-selector and
 * the stage files from kustomize/stage). Every wait is bounded; stop() ends every process.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import * as path from "node:path";

export interface KubeApi {
  server: string;
  token: string;
  ca: Buffer;
  kubeconfig: string;
}

export interface ControlPlane extends KubeApi {
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the kernel's choice). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One call to the API server; resolves with status and parsed body (bounded by timeoutMs). */
export function kubeRequest(api: Pick<KubeApi, "server" | "token" | "ca">, method: string, p: string, body?: unknown, timeoutMs = 15_000): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(p, api.server);
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { hostname: u.hostname, port: u.port, path: u.pathname + u.search, method, ca: api.ca, headers: { authorization: `Bearer ${api.token}`, accept: "application/json", ...(data ? { "content-type": "application/json" } : {}) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`${method} ${p}: no answer in ${timeoutMs} ms`)));
    req.on("error", reject);
    if (data) req.write(data);
    req.end();
  });
}

/** A process the wait depends on is gone: no point waiting out the timeout. */
export class ProcessExited extends Error {}

/** Polls `probe` until it returns true, at most `timeoutMs`; throws with `what` otherwise. */
export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, everyMs = 500): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      if (await probe()) return;
    } catch (e) {
      if (e instanceof ProcessExited) throw e;
      last = e;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

interface Proc { name: string; child: ChildProcess; exited: boolean }

/** kwok's stage files, read from its module in Go's module cache (not copied into the project). */
function kwokStages(goModuleDir: string): string[] {
  const r = spawnSync("go", ["list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/kwok"], { cwd: goModuleDir, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`go list sigs.k8s.io/kwok failed: ${r.stderr}`);
  const dir = path.join(r.stdout.trim(), "kustomize", "stage");
  return [
    "node/fast/node-initialize.yaml",
    "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
    "pod/fast/pod-ready.yaml",
    "pod/fast/pod-complete.yaml",
    "pod/fast/pod-delete.yaml",
  ].map((f) => path.join(dir, f));
}

export interface ControlPlaneOptions {
  /** name -> absolute path of each binary (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok). */
  bins: Record<string, string>;
  dir: string;
  /** test/engine/go/kwok, to find kwok's stage files. */
  kwokModuleDir: string;
  /** PersistentVolumes to create: capacity of each (e.g. "20Gi"). */
  volumes: string[];
  log: (line: string) => void;
}

export async function startControlPlane(o: ControlPlaneOptions): Promise<ControlPlane> {
  const procs: Proc[] = [];
  const logDir = path.join(o.dir, "logs");
  mkdirSync(logDir, { recursive: true });
  const start = (name: string, args: string[]) => {
    const out = createWriteStream(path.join(logDir, `${name}.log`));
    const child = spawn(o.bins[name]!, args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.pipe(out);
    child.stderr!.pipe(out);
    const p: Proc = { name, child, exited: false };
    child.on("exit", (code, sig) => {
      p.exited = true;
      o.log(`${name} exited (${code ?? sig})`);
    });
    procs.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of [...procs].reverse()) {
      if (!p.exited) p.child.kill("SIGTERM");
    }
    const end = Date.now() + 15_000;
    while (procs.some((p) => !p.exited) && Date.now() < end) await sleep(200);
    for (const p of procs) if (!p.exited) p.child.kill("SIGKILL");
  };
  const alive = (p: Proc) => {
    if (p.exited) throw new ProcessExited(`${p.name} exited; see ${path.join(logDir, `${p.name}.log`)}`);
  };

  try {
    const pki = path.join(o.dir, "pki");
    mkdirSync(pki, { recursive: true });
    const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    writeFileSync(path.join(pki, "sa.key"), sa.privateKey.export({ type: "pkcs1", format: "pem" }));
    writeFileSync(path.join(pki, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
    const token = randomBytes(24).toString("hex");
    // Static token of a cluster admin (system:masters), as envtest's admin user.
    writeFileSync(path.join(pki, "tokens.csv"), `${token},e2e-admin,e2e-admin,system:masters\n`, { mode: 0o600 });

    const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcd = start("etcd", [
      "--name", "e2e", "--data-dir", path.join(o.dir, "etcd"),
      "--listen-client-urls", `http://127.0.0.1:${etcdClient}`, "--advertise-client-urls", `http://127.0.0.1:${etcdClient}`,
      "--listen-peer-urls", `http://127.0.0.1:${etcdPeer}`, "--initial-advertise-peer-urls", `http://127.0.0.1:${etcdPeer}`,
      "--initial-cluster", `e2e=http://127.0.0.1:${etcdPeer}`, "--unsafe-no-fsync", "--log-level", "warn",
    ]);
    await waitFor("etcd /health", 60_000, async () => {
      alive(etcd);
      const r = await fetch(`http://127.0.0.1:${etcdClient}/health`, { signal: AbortSignal.timeout(2000) });
      return r.ok;
    });

    const api = start("kube-apiserver", [
      "--etcd-servers", `http://127.0.0.1:${etcdClient}`,
      "--bind-address", "127.0.0.1", "--advertise-address", "127.0.0.1", "--secure-port", String(apiPort),
      "--cert-dir", pki, "--token-auth-file", path.join(pki, "tokens.csv"),
      "--authorization-mode", "RBAC", "--allow-privileged=true",
      "--service-account-key-file", path.join(pki, "sa.pub"), "--service-account-signing-key-file", path.join(pki, "sa.key"),
      "--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
      // Allocated only: nothing routes to these addresses (no kube-proxy, no containers).
      "--service-cluster-ip-range", "10.96.0.0/24",
      "--enable-priority-and-fairness=false", "--profiling=false",
      // 1.37 refuses a loopback advertise address for the endpoint reconciler ("may not be in the
      // loopback range"); nothing reaches the `kubernetes` Service here anyway, so reconcile none.
      "--endpoint-reconciler-type", "none",
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    let ca = Buffer.alloc(0);
    await waitFor("kube-apiserver /readyz", 180_000, async () => {
      alive(api);
      ca = readFileSync(path.join(pki, "apiserver.crt"));
      const r = await kubeRequest({ server, token, ca }, "GET", "/readyz", undefined, 5000);
      return r.status === 200;
    }, 1000);
    const caFile = path.join(pki, "apiserver.crt");

    const kubeconfig = path.join(o.dir, "kubeconfig");
    writeFileSync(kubeconfig, [
      "apiVersion: v1", "kind: Config", "current-context: e2e",
      "clusters:", "- name: e2e", "  cluster:", `    server: ${server}`, `    certificate-authority: ${caFile}`,
      "users:", "- name: e2e-admin", "  user:", `    token: ${token}`,
      "contexts:", "- name: e2e", "  context:", "    cluster: e2e", "    user: e2e-admin", "",
    ].join("\n"), { mode: 0o600 });

    const cm = start("kube-controller-manager", [
      "--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
      "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", String(await freePort()),
      "--service-account-private-key-file", path.join(pki, "sa.key"), "--root-ca-file", caFile,
      "--use-service-account-credentials=false",
      // The default set ("*"): the cloud controllers left kube-controller-manager (1.37 refuses their names).
    ]);
    const sched = start("kube-scheduler", [
      "--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
      "--leader-elect=false", "--bind-address", "127.0.0.1", "--secure-port", String(await freePort()),
    ]);

    // One fake node, labelled as the stack's nodeSelectors expect; kwok manages it (annotation).
    const nodeName = "kwok-node-0";
    const node = {
      apiVersion: "v1", kind: "Node",
      metadata: {
        name: nodeName,
        annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
        labels: { "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": nodeName, type: "kwok" },
      },
      status: { allocatable: { cpu: "64", memory: "256Gi", pods: "250" }, capacity: { cpu: "64", memory: "256Gi", pods: "250" } },
    };
    const created = await kubeRequest({ server, token, ca }, "POST", "/api/v1/nodes", node);
    if (created.status !== 201) throw new Error(`creating node: ${created.status} ${JSON.stringify(created.body)}`);

    const kwok = start("kwok", [
      "--kubeconfig", kubeconfig, "--manage-nodes-with-annotation-selector", "kwok.x-k8s.io/node=fake",
      "--cidr", "10.244.0.1/16", "--node-ip", "127.0.0.1", "--node-lease-duration-seconds", "40",
      "--server-address", `127.0.0.1:${await freePort()}`,
      ...kwokStages(o.kwokModuleDir).flatMap((f) => ["--config", f]),
    ]);
    await waitFor("the kwok node Ready", 120_000, async () => {
      for (const p of [cm, sched, kwok]) alive(p);
      const r = await kubeRequest({ server, token, ca }, "GET", `/api/v1/nodes/${nodeName}`);
      return (r.body?.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Ready" && c.status === "True");
    }, 1000);

    // Volumes for the stack's claims (no provisioner): classless, so claims without a storage
    // class bind to them; Retain, since nothing can delete a hostPath volume's data here.
    for (const [i, size] of o.volumes.entries()) {
      const pvDir = path.join(o.dir, "volumes", `pv-${i}`);
      mkdirSync(pvDir, { recursive: true });
      const pv = {
        apiVersion: "v1", kind: "PersistentVolume",
        metadata: { name: `e2e-pv-${i}` },
        spec: { capacity: { storage: size }, accessModes: ["ReadWriteOnce", "ReadWriteMany"], persistentVolumeReclaimPolicy: "Retain", storageClassName: "", hostPath: { path: pvDir } },
      };
      const r = await kubeRequest({ server, token, ca }, "POST", "/api/v1/persistentvolumes", pv);
      if (r.status !== 201) throw new Error(`creating ${pv.metadata.name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    // The default ServiceAccount of a namespace comes from the controller-manager: wait for it.
    await waitFor("the default ServiceAccount", 120_000, async () => {
      alive(cm);
      return (await kubeRequest({ server, token, ca }, "GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200;
    }, 1000);
    return { server, token, ca, kubeconfig, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
