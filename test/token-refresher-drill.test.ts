// test-group: waits (most of its minute is spent waiting for tokens to expire; its margins are
// seconds: a token is renewed 5 s before it ends and delivered within about 2 s).
// The token refresher drill (issue 19 part 3), real processes end to end:
// - the ECR stand-in (test/ecr-emulator/server.ts: SigV4-checked GetAuthorizationToken, tokens that
//   really expire, a real distribution behind a front that takes only unexpired tokens), with the
//   token lifetime shortened to LIFETIME_MS;
// - the token refresher as it ships: the esbuild bundle (infra/refresher-bundle.ts) run by node,
//   minting with @aws-sdk/client-ecr and writing the token file into the writer's source
//   directory, where in a cluster the kubelet projects the tokens Secret (both swap the file
//   atomically);
// - the mirror-role node file writer (writer.sh under busybox) as a daemon, delivering the token
//   file from the refresher's key;
// - the mirror pod as its static pod runs it (helpers/mirror-pod.ts): the supervisor driving
//   distribution, and the token relay container (components/mirrors/token-relay.cjs) that
//   distribution proxies through, reading the token file at every request. Adaptation: in-pod
//   paths become host paths. A kubelet stand-in starts it when its manifest appears and would
//   restart it if the manifest changed (the kubelet's static-pod rule); a new token must not need
//   that;
// - a puller acting as containerd does with hosts.toml: the mirror first (mTLS), and on a refused
//   connection the next host, here the image's own registry ("Harbor").
// Every pull is of a tag the mirror has never seen, so each one needs the upstream, and the front
// refuses an expired token: a pull through the mirror succeeds only with a live token.
import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mirrorRestartDigests, publicNodeFiles, secretNodeFiles, type NodeFile } from "../components/mirrors/nodeFiles";
import type { MirrorTls } from "../components/mirrors/pki";
import { planRegion, type RegionPlan } from "../components/mirrors/plan";
import { MIRROR_DATA_DIR, mirrorPodName, mirrorTokenPath } from "../components/mirrors/staticPods";
import { WRITER_SCRIPT } from "../components/mirrors/writer";
import { relaySecret } from "../components/mirrors/restart";
import { tokenKey } from "../components/refresher/names";
import type { RefresherSettings } from "../components/refresher/settings";
import { buildRefresherBundle } from "../infra/refresher-bundle";
import { mintEcr } from "../components/refresher/mint";
import { startEcrStandIn, type EcrStandIn } from "./ecr-emulator/server";
import { consecutiveFreePorts, startDistribution, stopAllDistributions, type RunningDistribution } from "./helpers/distribution";
import { makeTestPki, startMirrorPod, stopAllMirrorPods, type RunningMirrorPod } from "./helpers/mirror-pod";
import { buildOciImage, MEDIA, pushImage } from "./helpers/oci-image";
import { busyboxPath, writeSources } from "./helpers/writer-host";

const ACCOUNT = "493817264501";
const REGION = "eu-central-1";
// Short enough for three expiries in a test, long enough that the refresher (every 1 s, at half-life)
// and the writer (every 1 s) deliver a new token well before the old one ends, as 6 h of a 12 h
// ECR token leave in a cluster.
const LIFETIME_MS = 10_000;
const PULL = { accessKeyId: "AKIADRILLPULL0000001", secretAccessKey: "drill-pull-secret-0123456789abcdefghijkl", actions: ["ecr:GetAuthorizationToken", "ecr:BatchGetImage"] };
const PUSH = { accessKeyId: "AKIADRILLPUSH0000002", secretAccessKey: "drill-push-secret-0123456789abcdefghijkl", actions: ["ecr:GetAuthorizationToken", "ecr:PutImage"] };
const REPO = "harbor-backup/library/app";
const KEY = tokenKey("ecr", { kind: "ecr", region: REGION, registryId: ACCOUNT });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pull {
  at: number;
  tag: string;
  via: "mirror" | "harbor" | "none";
  /** The mirror's answer when it answered (200 = served). */
  mirrorStatus?: number;
  ok: boolean;
  error?: string;
}

/** GET over mTLS from the mirror; `refused` when nothing listens (a restarting pod). */
function mirrorGet(port: number, tls: MirrorTls, p: string, accept?: string): Promise<{ status: number; body: Buffer } | "refused"> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: p, ca: tls.caCertPem, cert: tls.clientCertPem, key: tls.clientKeyPem, servername: "127.0.0.1", timeout: 20_000, headers: accept ? { accept } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("no answer in 20 s")));
    req.on("error", (e: NodeJS.ErrnoException) => (e.code === "ECONNREFUSED" ? resolve("refused") : reject(e)));
  });
}

const digestOf = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

describe("token refresher drill: a mirror of an ECR backup across token expiries, and a refresher outage", () => {
  let dir: string;
  let host: string;
  let src: string;
  let ecr: EcrStandIn;
  let harbor: RunningDistribution;
  let plan: RegionPlan;
  let tls: MirrorTls;
  let rendered: NodeFile[];
  let refresher: ChildProcess | undefined;
  let writer: ChildProcess | undefined;
  let refresherOut = "";
  let writerOut = "";
  const refresherLines: { at: number; line: string }[] = [];
  let pod: RunningMirrorPod | undefined;
  let kubeletStop = false;
  let kubelet: Promise<void> | undefined;
  let restarts = 0;
  let tagN = 0;
  let manifest: Buffer;
  const pulls: Pull[] = [];

  const podFile = () => path.join(host, `etc/kubernetes/manifests/${mirrorPodName(plan.mirrors[0]!)}.yaml`);
  const tokenFile = () => path.join(host, mirrorTokenPath(plan.mirrors[0]!));
  /** The rendered mirror files with what is on the host now (what the kubelet would start). */
  const hostFiles = (): NodeFile[] => rendered.map((f) => (fs.existsSync(path.join(host, f.path)) ? { ...f, content: fs.readFileSync(path.join(host, f.path), "utf8") } : f));

  const ready: string[] = [];
  /** Tags the mirror has never seen, made ahead (the push side mints too, which an API outage stops). */
  async function prepareTags(n: number): Promise<void> {
    for (let i = 0; i < n; i++) ready.push(await makeTag());
  }
  const newTag = async (): Promise<string> => ready.shift() ?? (await makeTag());

  /** A tag on the backup (through the front, with a token of the push key) and on "Harbor". */
  async function makeTag(): Promise<string> {
    const tag = `t${++tagN}`;
    const t = await mintEcr({ region: REGION, registryId: ACCOUNT, endpoint: ecr.apiUrl, credentials: PUSH });
    const put = (url: string, auth?: string) =>
      fetch(url, { method: "PUT", body: new Uint8Array(manifest), headers: { "content-type": MEDIA.manifest, ...(auth ? { authorization: auth } : {}) }, signal: AbortSignal.timeout(10_000) });
    const a = await put(`${ecr.registryUrl}/v2/${REPO}/manifests/${tag}`, `Basic ${Buffer.from(`AWS:${t.password}`).toString("base64")}`);
    const b = await put(`${harbor.url}/v2/library/app/manifests/${tag}`);
    if (a.status !== 201 || b.status !== 201) throw new Error(`tagging ${tag}: backup ${a.status}, harbor ${b.status}`);
    return tag;
  }

  /** One pull as containerd does it: manifest, then its blobs; the mirror first, Harbor on a refused connection. */
  async function pull(port: number): Promise<Pull> {
    const tag = await newTag();
    const at = Date.now();
    const m = await mirrorGet(port, tls, `/v2/${REPO}/manifests/${tag}`, MEDIA.manifest);
    if (m === "refused") {
      const h = await fetch(`${harbor.url}/v2/library/app/manifests/${tag}`, { headers: { accept: MEDIA.manifest }, signal: AbortSignal.timeout(10_000) });
      const body = Buffer.from(await h.arrayBuffer());
      return { at, tag, via: "harbor", ok: h.status === 200 && digestOf(body) === digestOf(manifest) };
    }
    if (m.status !== 200 || digestOf(m.body) !== digestOf(manifest)) return { at, tag, via: "mirror", mirrorStatus: m.status, ok: false, error: m.body.toString("utf8").slice(0, 200) };
    const doc = JSON.parse(m.body.toString("utf8")) as { config: { digest: string }; layers: { digest: string }[] };
    for (const d of [doc.config.digest, ...doc.layers.map((l) => l.digest)]) {
      const b = await mirrorGet(port, tls, `/v2/${REPO}/blobs/${d}`);
      if (b === "refused" || b.status !== 200 || digestOf(b.body) !== d) return { at, tag, via: "mirror", mirrorStatus: b === "refused" ? 0 : b.status, ok: false, error: `blob ${d}` };
    }
    return { at, tag, via: "mirror", mirrorStatus: 200, ok: true };
  }

  /** The kubelet stand-in: a changed manifest restarts the pod (grace period, then the new one). */
  async function kubeletLoop(): Promise<void> {
    let seen = "";
    for (let i = 0; i < 2000 && !kubeletStop; i++) {
      const now = fs.existsSync(podFile()) ? fs.readFileSync(podFile(), "utf8") : "";
      if (now && now !== seen) {
        if (pod) {
          await pod.stop();
          restarts++;
        }
        pod = await startMirrorPod({ dir, plan, upstream: "ecr", files: hostFiles(), tokenFile: tokenFile(), cacheDir: path.join(host, MIRROR_DATA_DIR.slice(1), "ecr") });
        seen = now;
      }
      await sleep(100);
    }
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "token-drill-"));
    host = path.join(dir, "host");
    src = path.join(dir, "files");
    for (const d of ["etc/kubernetes/manifests", "var/lib"]) fs.mkdirSync(path.join(host, d), { recursive: true });
    ecr = await startEcrStandIn({ dir: path.join(dir, "ecr"), accountId: ACCOUNT, region: REGION, keys: [PULL, PUSH], tokenLifetimeMs: LIFETIME_MS });
    harbor = await startDistribution({ name: "harbor", dir: path.join(dir, "harbor") });
    const img = buildOciImage(path.join(dir, "img"), { tag: "v0" });
    const t = await mintEcr({ region: REGION, registryId: ACCOUNT, endpoint: ecr.apiUrl, credentials: PUSH });
    await pushImage(img, `${ecr.registryAddress}/${REPO}:v0`, { username: "AWS", password: t.password });
    await pushImage(img, `${harbor.address}/library/app:v0`);
    manifest = fs.readFileSync(path.join(img.dir, "blobs", ...img.digest.split(":")));

    plan = planRegion(
      { name: "drill", mirrorAddresses: ["127.0.0.1"], runtimes: ["containerd"], mirrorPortBase: await consecutiveFreePorts(2), dialTimeoutSeconds: 3 },
      { host: harbor.address, url: harbor.url, projects: ["library"], insecure: true },
      [{ name: "ecr", kind: "ecr", url: ecr.registryUrl, pathPrefix: "harbor-backup", keepsProjectPath: true, insecure: true, username: "", tokenKey: KEY }],
    );
    tls = makeTestPki(dir, ["127.0.0.1"]);
    const restartKey = "drill-restart-key-0123456789abcdef";
    const passwords = { ecr: relaySecret(restartKey, "ecr") };
    rendered = [...secretNodeFiles(plan, passwords, tls), ...publicNodeFiles(plan, tls, mirrorRestartDigests(plan, passwords, tls, restartKey)).files].filter((f) => f.role === "mirror");
    writeSources(src, rendered);

    // The refresher, as it ships.
    const bundle = path.join(dir, "refresher.js");
    fs.writeFileSync(bundle, buildRefresherBundle().script);
    const creds = path.join(dir, "credentials");
    fs.mkdirSync(creds);
    fs.writeFileSync(path.join(creds, `${KEY}.id`), PULL.accessKeyId);
    fs.writeFileSync(path.join(creds, `${KEY}.secret`), PULL.secretAccessKey);
    const settings: RefresherSettings = {
      store: { kind: "directory", path: src },
      credentialsDir: creds,
      intervalSeconds: 1,
      targets: [{ backup: "ecr", key: KEY, kind: "ecr", region: REGION, registryId: ACCOUNT, identity: "accessKey", endpoint: ecr.apiUrl }],
    };
    fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify(settings));
    refresher = spawn(process.execPath, [bundle], { env: { PATH: process.env.PATH ?? "", REFRESHER_SETTINGS: path.join(dir, "settings.json"), AWS_EC2_METADATA_DISABLED: "true" }, stdio: ["ignore", "pipe", "pipe"] });
    let partial = "";
    refresher.stdout!.on("data", (d: Buffer) => {
      refresherOut += d.toString();
      partial += d.toString();
      const lines = partial.split("\n");
      partial = lines.pop()!;
      for (const line of lines) refresherLines.push({ at: Date.now(), line });
    });
    refresher.stderr!.on("data", (d: Buffer) => (refresherOut += d.toString()));

    // The mirror-role writer, as its DaemonSet runs it (sync every second here, 60 s in a cluster).
    fs.writeFileSync(path.join(dir, "writer.sh"), WRITER_SCRIPT);
    const bb = busyboxPath(dir);
    writer = spawn(path.join(bb, "sh"), [path.join(dir, "writer.sh")], {
      env: { PATH: bb, HOST_ROOT: host, SRC_DIR: src, STATE_FILE: "/var/lib/registry-topology/drill.managed", NODE_NAME: "mirror-a", INTERVAL_SECONDS: "1", HEALTH_INTERVAL_SECONDS: "1", PROBE_TIMEOUT_SECONDS: "1", MIRROR_STATUS_DIR: MIRROR_DATA_DIR, SCRATCH_DIR: path.join(dir, "scratch"), TMPDIR: path.join(dir, "scratch") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    fs.mkdirSync(path.join(dir, "scratch"));
    writer.stdout!.on("data", (d: Buffer) => (writerOut += d.toString()));
    writer.stderr!.on("data", (d: Buffer) => (writerOut += d.toString()));

    kubelet = kubeletLoop();
    // Ready: a token on the node and a mirror started with it (bounded).
    for (let i = 0; i < 100 && !(fs.existsSync(tokenFile()) && pod); i++) await sleep(100);
    if (!fs.existsSync(tokenFile()) || !pod) throw new Error(`no token or no mirror after 10 s\nrefresher:\n${refresherOut}\nwriter:\n${writerOut.slice(-3000)}`);
  }, 90_000);

  afterAll(async () => {
    kubeletStop = true;
    await kubelet;
    refresher?.kill("SIGTERM");
    writer?.kill("SIGTERM");
    await stopAllMirrorPods();
    await ecr?.stop();
    await stopAllDistributions();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("three token expiries: every pull succeeds through the mirror with the token of the moment, and the mirror never restarts", async () => {
    const firstExpiry = ecr.minted.find((m) => m.accessKeyId === PULL.accessKeyId)!.expiresAt;
    const end = firstExpiry + 2 * LIFETIME_MS + 1500;
    for (let i = 0; i < 400 && Date.now() < end; i++) {
      pulls.push(await pull(pod!.port));
      await sleep(300);
    }
    const context = `pulls: ${JSON.stringify(pulls.filter((p) => !p.ok || p.via !== "mirror"))}\nrefresher:\n${refresherOut.slice(-2000)}\nwriter:\n${writerOut.slice(-2000)}`;
    expect(pulls.filter((p) => !p.ok), context).toEqual([]);
    // The mirror never answered with an error (an expired token would give 401/404/500 there).
    expect(pulls.filter((p) => p.via === "mirror" && p.mirrorStatus !== 200), context).toEqual([]);
    // Past each of the three expiries, new tags came through the mirror (so with a live token).
    for (let k = 0; k < 3; k++) {
      const after = firstExpiry + k * LIFETIME_MS;
      expect(pulls.some((p) => p.via === "mirror" && p.ok && p.at > after), `no mirror pull after expiry ${k + 1}\n${context}`).toBe(true);
    }
    const pullTokens = ecr.minted.filter((m) => m.accessKeyId === PULL.accessKeyId && m.expiresAt <= end + LIFETIME_MS);
    expect(pullTokens.length).toBeGreaterThanOrEqual(4);
    // The relay reads each new token itself: no restart, so no refused connection, no fallback.
    expect(restarts).toBe(0);
    expect(pulls.filter((p) => p.via !== "mirror"), context).toEqual([]);
    expect(writerOut).toMatch(/wrote \/etc\/registry-topology\/mirrors\/ecr\/token \(a new token\)/);
    expect(writerOut).toMatch(/STATUS node=mirror-a.* token-ecr="\d+s left"/);
  }, 120_000);

  it("a refresher outage longer than a token's life shows in STATUS (stale) before the first failed pull; recovery follows", async () => {
    await prepareTags(Math.ceil((2 * LIFETIME_MS + 5000) / 300));
    const outageAt = Date.now();
    ecr.setApiDown(true);
    let firstFail: Pull | undefined;
    const outagePulls: Pull[] = [];
    try {
      for (let i = 0; i < 200 && !firstFail && Date.now() < outageAt + 2 * LIFETIME_MS + 5000; i++) {
        const p = await pull(pod!.port);
        outagePulls.push(p);
        if (!p.ok) firstFail = p;
        await sleep(300);
      }
      expect(firstFail, `no failed pull within two token lifetimes of the outage: the pulls did not need the token\n${JSON.stringify(outagePulls)}`).toBeDefined();
      // The failure is the mirror's: its token had expired and the front refused it.
      expect(firstFail!.via).toBe("mirror");
      const stale = refresherLines.find((l) => l.at >= outageAt && /STATUS token backup=ecr state=stale remaining=\d+s/.test(l.line));
      expect(stale, refresherOut.slice(-2000)).toBeDefined();
      expect(stale!.at).toBeLessThan(firstFail!.at);
      // The node says so too, once it has happened.
      for (let i = 0; i < 30 && !/token-ecr="expired \d+s ago/.test(writerOut); i++) await sleep(100);
      expect(writerOut).toMatch(/token-ecr="expired \d+s ago: check the token refresher/);
    } finally {
      ecr.setApiDown(false);
    }
    // Recovery: the next round mints, the writer delivers, the mirror restarts and serves again.
    let back: Pull | undefined;
    for (let i = 0; i < 100 && !back; i++) {
      const p = await pull(pod!.port);
      if (p.ok && p.via === "mirror") back = p;
      else await sleep(200);
    }
    expect(back, `${refresherOut.slice(-1500)}\n${writerOut.slice(-1500)}`).toBeDefined();
    expect(refresherOut).toMatch(/state=refreshed/);
  }, 120_000);
});
