/* eslint-disable @typescript-eslint/no-explicit-any -- JSON from the API server and the Pulumi state is read untyped */
/**
 * `npm run test:engine`: the local stack under the real Pulumi engine, start to end.
 *
 * Rig mode (default): builds the rig from the Go module proxy (test/engine/build.sh; cached by
 * version), starts a control plane on 127.0.0.1 (control-plane.ts) and runs the CLI it built.
 * External mode (ENGINE_TARGET=external): uses the `pulumi` on PATH and the current kube context
 * (a laptop with kind); nothing is built or started but the Harbor emulator.
 *
 * Both: the Harbor emulator (test/harbor-emulator) answers at the URL the stack's Harbor objects
 * use (harbor.externalUrl of the temp stack file) and takes the admin password as Harbor does: core
 * reads HARBOR_ADMIN_PASSWORD from the Secret the chart's core Deployment names, read here from
 * the API server. Then, with a file backend and a passphrase: preview; up; a second up (0 changes);
 * refresh (0 changes); the state file checked for secrets in clear; preview with the policy pack
 * on a copy without the backup (must be blocked), also with a pack weakened in the same change
 * against the base-branch pack; a third up that replaces a Harbor project, and a check that the
 * mirrors' robot can still pull from it; destroy, and nothing of the stack left in the API server
 * or the emulator. The last line is the ENGINE summary; exit 0 only when every check passed.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { HarborEmulator } from "../harbor-emulator/server";
import { freePort, kubeRequest, startControlPlane, waitFor, type ControlPlane } from "./control-plane";
import { kubectlAdmin, refresherCheck, type AdminApi } from "./refresher-check";

const ROOT = path.resolve(__dirname, "..", "..");
const HERE = __dirname;
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const STACK = "local";
const PROJECT = "registry-topology";
const external = process.env.ENGINE_TARGET === "external";
const chartPath = path.resolve(process.env.ENGINE_HARBOR_CHART ?? path.join(ROOT, "..", "shared", "charts", "harbor-1.19.1.tgz"));
const log = (s: string) => process.stderr.write(`[engine-e2e ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

/** Pins from build.sh (one source of truth). */
export function buildPins(text = readFileSync(path.join(HERE, "build.sh"), "utf8")): Record<string, string> {
  const pins: Record<string, string> = {};
  for (const m of text.matchAll(/^([A-Z0-9_]+_VERSION)=(\S+)$/gm)) pins[m[1]!] = m[2]!;
  return pins;
}

interface RunResult { code: number | null; stdout: string; stderr: string }

/** Runs a command with a hard time limit; output also goes to the log file. */
function run(cmd: string, args: string[], o: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; logFile: string; input?: string }): Promise<RunResult> {
  // `stack export --show-secrets` prints every secret in clear: kept in memory, never logged.
  const withhold = args.includes("--show-secrets");
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: o.cwd ?? ROOT, env: o.env, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    const header = `\n$ ${cmd} ${args.join(" ")}\n`;
    writeFileSync(o.logFile, header, { flag: "a" });
    if (withhold) writeFileSync(o.logFile, "[standard output withheld from the log: it holds secrets in clear]\n", { flag: "a" });
    child.stdout.on("data", (d: Buffer) => { stdout += d; if (!withhold) writeFileSync(o.logFile, d, { flag: "a" }); });
    child.stderr.on("data", (d: Buffer) => { stderr += d; writeFileSync(o.logFile, d, { flag: "a" }); });
    child.stdin.end(o.input ?? "");
    const timer = setTimeout(() => {
      log(`${cmd} ${args[0]} timed out after ${o.timeoutMs} ms: stopping it`);
      try { process.kill(-child.pid!, "SIGINT"); } catch { /* gone */ }
      setTimeout(() => { try { process.kill(-child.pid!, "SIGKILL"); } catch { /* gone */ } }, 20_000);
    }, o.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Counts of a preview/update/refresh from the CLI's summary ("Resources:" block). */
export function changeCount(output: string): number {
  const block = output.split(/\nResources:\n/).pop() ?? "";
  let n = 0;
  for (const line of block.split("\n")) {
    const m = /^\s+[-+~±]*\s*(\d+) (?:to )?(create|created|update|updated|delete|deleted|replace|replaced|create-replacement|created-replacement|delete-replaced|deleted-replaced|import|imported|to be created|to be updated|to be deleted|to be replaced)\b/.exec(line);
    if (m) n += Number(m[1]);
    if (/^Duration:|^\S/.test(line) && line.trim() && !line.startsWith(" ")) break;
  }
  return n;
}

/**
 * The secret material of an export with --show-secrets: every secret-wrapped string (a generated
 * password's `result`, a robot's secret, a private key, a secure config value), and the values of
 * Kubernetes Secrets' `data` (base64, decoded too) and `stringData`. A secret-wrapped *object*
 * (a Helm release's whole `values`, which holds secrets among plain settings such as "Recreate" or
 * a URL) is searched for nested secret strings only: its plain settings are not secret material,
 * and counting them made the first real run report 16 "secrets in clear" that were chart defaults.
 */
export function secretValues(deployment: unknown): string[] {
  return [...new Set(secretSources(deployment).map((s) => s.value))];
}

/** As secretValues, with where each value was found (resource URN and output path), for reports. */
export function secretSources(deployment: unknown): { value: string; where: string }[] {
  const out: { value: string; where: string }[] = [];
  let at = "";
  // A certificate is public (the chart's token certificate sits in a Secret next to its key, and in
  // clear in the SelfSignedCert's certPem): only PEMs that are certificates alone are left out.
  const publicPem = (v: string) => /-----BEGIN CERTIFICATE-----/.test(v) && !/-----BEGIN [A-Z ]*(PRIVATE KEY|KEY)-----/.test(v);
  const add = (v: unknown, where: string) => { if (typeof v === "string" && v.length >= 8 && !publicPem(v)) out.push({ value: v, where: `${at} ${where}` }); };
  const unwrap = (o: Record<string, unknown>): unknown =>
    o.plaintext !== undefined ? (() => { try { return JSON.parse(String(o.plaintext)); } catch { return o.plaintext; } })() : o.value;
  const isSecret = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
  const walk = (v: unknown, where: string) => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${where}[${i}]`));
    if (!v || typeof v !== "object") return;
    if (isSecret(v)) {
      const plain = unwrap(v);
      if (typeof plain === "string") add(plain, where);
      else walk(plain, where);
      return;
    }
    for (const [k, x] of Object.entries(v)) walk(x, where ? `${where}.${k}` : k);
  };
  const resources = (deployment as { resources?: { urn?: string; type?: string; outputs?: Record<string, unknown> }[] })?.resources;
  for (const r of resources ?? [deployment as { urn?: string; outputs?: Record<string, unknown> }]) {
    at = r.urn ?? "";
    walk(r, "");
    if ((r as { type?: string }).type === "kubernetes:core/v1:Secret") {
      for (const key of ["data", "stringData"]) {
        const field = r.outputs?.[key];
        const values = isSecret(field) ? unwrap(field) : field;
        for (const [k, x] of Object.entries((values as Record<string, unknown>) ?? {})) {
          const plain = isSecret(x) ? unwrap(x) : x;
          const decoded = key === "data" && typeof plain === "string" ? Buffer.from(plain, "base64").toString("utf8") : undefined;
          if (decoded !== undefined && publicPem(decoded)) continue;
          add(plain, `outputs.${key}.${k}`);
          if (decoded !== undefined) add(decoded, `outputs.${key}.${k} (decoded)`);
        }
      }
    }
  }
  return out;
}

/** Secret values that appear in clear in `text`: verbatim, JSON-escaped (PEM newlines) or base64. */
export function plaintextHits(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((s) => {
    const forms = [s, JSON.stringify(s).slice(1, -1), Buffer.from(s).toString("base64")];
    // PEM bodies: each base64 line of a key is itself a tell.
    const pemLine = /-----BEGIN [A-Z ]*PRIVATE KEY-----\n([A-Za-z0-9+/=]{40,})/.exec(s)?.[1];
    if (pemLine) forms.push(pemLine);
    return forms.some((f) => text.includes(f));
  });
}

interface Kube {
  get(p: string): Promise<{ status: number; body: any }>;
}

async function main(): Promise<number> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "engine-e2e-"));
  const logFile = path.join(tmp, "engine-e2e.log");
  log(`work dir ${tmp} (commands logged to ${logFile})`);
  const cleanups: (() => Promise<void> | void)[] = [];
  const result = { preview: false, up: 0, second: -1, refresh: -1, robot: false, policy: false, refresher: false, left: -1, secrets: -1, logSecrets: -1 };
  let secretsToFind: string[] = [];
  const summary = () => `ENGINE: preview ${result.preview ? "ok" : "failed"}, up ${result.up} resources, second up ${result.second} changes, refresh ${result.refresh} changes, project replace keeps robot access: ${result.robot ? "yes" : "no"}, policy blocks single-registry: ${result.policy ? "yes" : "no"}, token refresher writes its Secret and no other: ${result.refresher ? "yes" : "no"}, destroy left ${result.left}, plaintext secrets in state ${result.secrets}`;
  try {
    if (!existsSync(chartPath)) throw new Error(`Harbor chart archive not found at ${chartPath} (set ENGINE_HARBOR_CHART)`);
    const passphrase = randomBytes(18).toString("base64url");
    const pathDirs: string[] = [];
    let kube: Kube;
    let admin: AdminApi;
    let kubeconfig = process.env.KUBECONFIG ?? "";
    const pins = buildPins();
    // The policy pack runs from its own folder with its own dependencies (`npm ci` in policy/).
    if (!existsSync(path.join(ROOT, "policy", "node_modules", "@pulumi", "policy"))) {
      log("npm ci in policy/");
      const r = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: path.join(ROOT, "policy"), stdio: "inherit", timeout: 15 * 60_000 });
      if (r.status !== 0) throw new Error("npm ci in policy/ failed");
    }
    if (!external) {
      log("building the rig (test/engine/build.sh; cached by version)");
      const b = spawnSync("bash", [path.join(HERE, "build.sh")], { stdio: ["ignore", "pipe", "inherit"], encoding: "utf8", timeout: 85 * 60_000 });
      if (b.status !== 0) throw new Error(`build.sh failed (${b.status ?? b.signal})`);
      // build.sh prints name=path for every binary (the stand-ins' directories carry a hash of their source).
      const built = new Map(b.stdout.split("\n").map((l) => /^([\w-]+)=(\/.+)$/.exec(l.trim())).filter((m) => m !== null).map((m) => [m[1]!, m[2]!]));
      const bin = (name: string) => {
        const p = built.get(name);
        if (!p) throw new Error(`build.sh printed no path for ${name}`);
        return p;
      };
      const bins: Record<string, string> = Object.fromEntries(["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"].map((n) => [n, bin(n)]));
      // The CLI where the npm `pulumi` launcher looks first: $PULUMI_HOME/versions/<ver>/bin, with
      // the language host and the dynamic-provider shim beside it (bundled plugins).
      const cliDir = path.join(tmp, "home", "versions", pins.PULUMI_VERSION!, "bin");
      mkdirSync(cliDir, { recursive: true });
      for (const f of ["pulumi", "pulumi-resource-pulumi-nodejs", "pulumi-language-nodejs"]) symlinkSync(bin(f), path.join(cliDir, f));
      pathDirs.push(cliDir);
      for (const name of ["pulumi-resource-kubernetes", "pulumi-resource-random", "pulumi-resource-tls"]) pathDirs.push(path.dirname(bin(name)));
      log("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok");
      const cp: ControlPlane = await startControlPlane({
        bins, dir: path.join(tmp, "cluster"), kwokModuleDir: path.join(HERE, "go", "kwok"),
        volumes: Array.from({ length: 10 }, () => "20Gi"), log,
      });
      cleanups.push(() => cp.stop());
      kubeconfig = cp.kubeconfig;
      kube = { get: (p) => kubeRequest(cp, "GET", p) };
      admin = { server: cp.server, ca: cp.ca, request: (m, p, b) => kubeRequest(cp, m, p, b) };
    } else {
      kube = {
        get: async (p) => {
          const r = spawnSync("kubectl", ["get", "--raw", p], { encoding: "utf8", timeout: 30_000 });
          if (r.status === 0) return { status: 200, body: JSON.parse(r.stdout) };
          return { status: /NotFound|not found/.test(r.stderr) ? 404 : 500, body: r.stderr };
        },
      };
      admin = kubectlAdmin();
    }

    // The emulator: listening where the stack's Harbor objects point, from the moment Harbor's
    // core could answer (its Deployment exists and the admin-password Secret it names is there).
    const emuPort = await freePort();
    const harborUrl = `http://127.0.0.1:${emuPort}`;
    let emu: HarborEmulator | undefined;
    const emuBefore = { projects: new Set<string>() };
    let watching = true;
    const watcher = (async () => {
      while (watching && !emu) {
        try {
          const pw = await harborAdminPassword(kube);
          if (pw) {
            const e = new HarborEmulator("admin", pw, emuPort);
            await e.start();
            for (const p of e.projects.values()) emuBefore.projects.add(String(p.name));
            emu = e;
            log(`Harbor emulator up at ${harborUrl} with the admin password from the chart's Secret`);
          }
        } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    cleanups.push(async () => { watching = false; await watcher; await emu?.stop(); });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: [...pathDirs, path.join(ROOT, "node_modules", ".bin"), process.env.PATH].join(path.delimiter),
      // Rig: a fresh PULUMI_HOME holding only the CLI just built, and no plugin downloads.
      // External: the user's PULUMI_HOME and plugins, as their own `pulumi up` would use.
      ...(external ? {} : { PULUMI_HOME: path.join(tmp, "home"), PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true" }),
      PULUMI_CONFIG_PASSPHRASE: passphrase,
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_SKIP_CONFIRMATIONS: "true",
      KUBECONFIG: kubeconfig,
      NO_COLOR: "1",
    };
    delete env.PULUMI_IGNORE_AMBIENT_PLUGINS;
    delete env.PULUMI_BACKEND_URL;
    delete env.PULUMI_ACCESS_TOKEN;
    // The npm launcher (node_modules/.bin/pulumi) in rig mode; the user's pulumi in external mode.
    const pulumiBin = external ? "pulumi" : path.join(ROOT, "node_modules", ".bin", "pulumi");
    // Each stack runs in its own project directory (makeProject), so neither `stack init` (which
    // writes the passphrase salt into the stack file) nor anything else touches the repository.
    const pulumi = (args: string[], o: { timeoutMs: number; backend: string; project?: string }) =>
      run(pulumiBin, [...args, "--non-interactive", "--color", "never"], { env: { ...env, PULUMI_BACKEND_URL: o.backend }, cwd: o.project ?? ROOT, timeoutMs: o.timeoutMs, logFile });
    const version = await run(pulumiBin, ["version"], { env, timeoutMs: 60_000, logFile });
    // Under `npm run`, node_modules/.bin comes first on PATH: in external mode too, `pulumi` is the
    // npm launcher, which runs $PULUMI_HOME/versions/<pinned>/bin/pulumi or downloads it.
    if (version.code !== 0 || !version.stdout.trim()) {
      throw new Error(`the pulumi CLI did not run (${pulumiBin} version, exit ${version.code}): ${version.stderr.trim().split("\n").slice(-2).join(" ")}. ` +
        (external ? `The npm launcher needs the CLI v${pins.PULUMI_VERSION} in $PULUMI_HOME/versions or internet access to download it (run npx pulumi version once).` : "See test/engine/build.sh."));
    }
    log(`pulumi ${version.stdout.trim()} (${pulumiBin})`);
    if (!external && version.stdout.trim() !== `v${pins.PULUMI_VERSION}`) throw new Error(`the launcher ran pulumi ${version.stdout.trim()}, expected v${pins.PULUMI_VERSION} from $PULUMI_HOME/versions`);

    // The stack file, on a temp copy: the chart from the archive, Harbor at the emulator.
    const stackFile = parse(readFileSync(path.join(ROOT, "stacks", "Pulumi.local.yaml"), "utf8")) as { config: Record<string, any> };
    const harborKey = `${PROJECT}:harbor`;
    stackFile.config[harborKey] = { ...stackFile.config[harborKey], chart: { path: chartPath }, externalUrl: harborUrl };
    const project = makeProject(path.join(tmp, "project"), stackFile);
    const configFile = path.join(project, "stacks", `Pulumi.${STACK}.yaml`);
    const backend = `file://${path.join(tmp, "state")}`;
    mkdirSync(path.join(tmp, "state"));
    const need = (what: string, r: RunResult) => {
      if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${(r.stdout + r.stderr).split("\n").slice(-40).join("\n")}`);
      return r;
    };
    need("pulumi login", await pulumi(["login", backend], { timeoutMs: 60_000, backend }));
    need("pulumi stack init", await pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { timeoutMs: 60_000, backend, project }));
    const flags = ["--skip-plugin-pre-install", "--suppress-progress"];

    log("pulumi preview");
    const preview = need("pulumi preview", await pulumi(["preview", ...flags], { timeoutMs: 20 * 60_000, backend, project }));
    result.preview = changeCount(preview.stdout) > 0;

    log("pulumi up");
    need("pulumi up", await pulumi(["up", "--yes", ...flags], { timeoutMs: 40 * 60_000, backend, project }));
    const exported = JSON.parse(need("stack export", await pulumi(["stack", "export", "--show-secrets"], { timeoutMs: 120_000, backend, project })).stdout);
    const resources = (exported.deployment?.resources ?? []) as { urn: string; type: string; id?: string; outputs?: any }[];
    result.up = resources.filter((r) => !r.type.startsWith("pulumi:")).length;

    // Secrets in the state file on disk (what a file or cloud backend stores).
    const stateFile = findStateFile(path.join(tmp, "state"));
    const stateText = readFileSync(stateFile, "utf8");
    const sources = [...secretSources(exported.deployment), { value: passphrase, where: "the stack passphrase" }, ...(emu ? [...emu.robots.values()].map((r) => ({ value: r.secret, where: `Harbor robot ${String(r.name)}` })) : [])];
    const secrets = [...new Set(sources.map((s) => s.value))];
    secretsToFind = secrets;
    const hits = plaintextHits(stateText, secrets);
    result.secrets = hits.length;
    // Where each value in clear came from (never the value itself).
    const whereOf = (v: string) => sources.filter((s) => s.value === v).map((s) => s.where).join("; ");
    log(`${secrets.length} secret values checked against ${stateFile}: ${hits.length} in clear${hits.map((h) => `\n  - ${whereOf(h)}`).join("")}`);

    log("second pulumi up");
    const second = need("second pulumi up", await pulumi(["up", "--yes", ...flags], { timeoutMs: 20 * 60_000, backend, project }));
    result.second = changeCount(second.stdout);
    log("pulumi refresh");
    const refresh = need("pulumi refresh", await pulumi(["refresh", "--yes", "--skip-preview", "--suppress-progress"], { timeoutMs: 20 * 60_000, backend, project }));
    result.refresh = changeCount(refresh.stdout);

    result.policy = await policyChecks(pulumi, tmp, stackFile, flags);
    log("token refresher: its Secret store and RBAC through the API server");
    result.refresher = await refresherCheck(admin, path.join(tmp, "refresher"), log);

    // A change that replaces a Harbor project, then: can the mirrors' robot still pull from it?
    const projects = stackFile.config[harborKey].projects as { name: string }[];
    const target = projects[projects.length - 1]!;
    const renamed = `${target.name}-v2`;
    const beforeRobots = emu ? robotsWithPull(emu, target.name) : [];
    target.name = renamed;
    const current = parse(readFileSync(configFile, "utf8")) as { config: Record<string, unknown> };
    current.config[harborKey] = stackFile.config[harborKey];
    writeFileSync(configFile, stringify(current));
    log(`third pulumi up (project ${projects[projects.length - 1]!.name} replaces the old one)`);
    need("third pulumi up", await pulumi(["up", "--yes", ...flags], { timeoutMs: 20 * 60_000, backend, project }));
    const afterRobots = emu ? robotsWithPull(emu, renamed) : [];
    result.robot = beforeRobots.length > 0 && beforeRobots.every((r) => afterRobots.includes(r));
    log(`robots with pull on the project before: [${beforeRobots.join(", ")}], after the replace: [${afterRobots.join(", ")}]`);

    const finalState = JSON.parse(need("stack export", await pulumi(["stack", "export"], { timeoutMs: 120_000, backend, project })).stdout);
    const k8sObjects = ((finalState.deployment?.resources ?? []) as { type: string; outputs?: any }[]).filter((r) => r.type.startsWith("kubernetes:") && r.outputs?.metadata?.name);
    log("pulumi destroy");
    need("pulumi destroy", await pulumi(["destroy", "--yes", "--skip-preview", "--suppress-progress"], { timeoutMs: 30 * 60_000, backend, project }));
    result.left = (await leftInCluster(kube, k8sObjects)) + (emu ? leftInHarbor(emu, emuBefore.projects) : 0);
  } catch (e) {
    log(`stopped: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    for (const c of cleanups.reverse()) {
      try { await c(); } catch (e) { log(`cleanup: ${String(e)}`); }
    }
    // The commands' own output (the CLI's diffs, diagnostics, the policy pack's messages): no secret in clear either.
    if (secretsToFind.length > 0 && existsSync(logFile)) {
      result.logSecrets = plaintextHits(readFileSync(logFile, "utf8"), secretsToFind).length;
      log(`the commands' output (${logFile}): ${result.logSecrets} secret values in clear`);
    }
    if (!process.env.ENGINE_KEEP) rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  }
  const ok = result.preview && result.second === 0 && result.refresh === 0 && result.robot && result.policy && result.refresher && result.left === 0 && result.secrets === 0 && result.logSecrets === 0;
  console.log(summary());
  return ok ? 0 : 1;
}

function findStateFile(dir: string): string {
  const stacks = path.join(dir, ".pulumi", "stacks");
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === `${STACK}.json`) found.push(p);
    }
  };
  walk(stacks);
  if (found.length !== 1) throw new Error(`expected one state file for stack ${STACK} under ${stacks}, found ${found.length}`);
  return found[0]!;
}

/** Harbor core's admin password as core gets it: the env var HARBOR_ADMIN_PASSWORD of the core
 * Deployment (harbor-helm templates/core/core-dpl.yaml), from the Secret and key it references. */
async function harborAdminPassword(kube: Kube): Promise<string | undefined> {
  const list = await kube.get("/apis/apps/v1/deployments?labelSelector=component%3Dcore");
  for (const d of list.body?.items ?? []) {
    for (const c of d.spec?.template?.spec?.containers ?? []) {
      const ref = (c.env ?? []).find((e: any) => e.name === "HARBOR_ADMIN_PASSWORD")?.valueFrom?.secretKeyRef;
      if (!ref) continue;
      const s = await kube.get(`/api/v1/namespaces/${d.metadata.namespace}/secrets/${ref.name}`);
      const b64 = s.body?.data?.[ref.key];
      if (b64) return Buffer.from(b64, "base64").toString("utf8");
    }
  }
  return undefined;
}

/** Robots (full name) that can pull from `project` with their own secret, as Harbor decides it
 * (the emulator's robotCan: permissions stored against the project's id, dropped with it). */
function robotsWithPull(emu: HarborEmulator, project: string): string[] {
  return [...emu.robots.values()]
    .map((r) => ({ full: `${emu.robotNamePrefix}${String(r.name)}`, secret: r.secret }))
    .filter((r) => emu.robotCan(r.full, r.secret, project, "repository", "pull"))
    .map((r) => r.full);
}

async function leftInCluster(kube: Kube, objects: { type: string; outputs?: any }[]): Promise<number> {
  let left = 0;
  const namespaces = new Set<string>();
  for (const o of objects) {
    const md = o.outputs.metadata;
    const api = String(o.outputs.apiVersion ?? "");
    const kind = String(o.outputs.kind ?? "");
    if (!api || !kind) continue;
    if (kind === "Namespace") namespaces.add(md.name);
    const plural = kind.toLowerCase().endsWith("s") ? `${kind.toLowerCase()}es` : kind.toLowerCase().endsWith("y") ? `${kind.toLowerCase().slice(0, -1)}ies` : `${kind.toLowerCase()}s`;
    const base = api.includes("/") ? `/apis/${api}` : `/api/${api}`;
    const p = md.namespace ? `${base}/namespaces/${md.namespace}/${plural}/${md.name}` : `${base}/${plural}/${md.name}`;
    const r = await kube.get(p);
    if (r.status !== 404) {
      left++;
      log(`left in the API server: ${kind} ${md.namespace ? `${md.namespace}/` : ""}${md.name} (${r.status})`);
    }
  }
  // Helm's release objects live in the release namespace, which the stack owns: wait for it to go.
  for (const ns of namespaces) {
    try {
      await waitFor(`namespace ${ns} to be gone`, 120_000, async () => (await kube.get(`/api/v1/namespaces/${ns}`)).status === 404, 2000);
    } catch {
      left++;
      log(`left in the API server: namespace ${ns}`);
    }
  }
  return left;
}

function leftInHarbor(emu: HarborEmulator, projectsBefore: Set<string>): number {
  const left = [
    ...[...emu.projects.values()].filter((p) => !projectsBefore.has(String(p.name))).map((p) => `project ${String(p.name)}`),
    ...[...emu.registries.values()].map((r) => `registry ${String(r.name)}`),
    ...[...emu.policies.values()].map((p) => `replication policy ${String(p.name)}`),
    ...[...emu.robots.values()].map((r) => `robot ${String(r.name)}`),
  ];
  for (const l of left) log(`left in Harbor: ${l}`);
  return left.length;
}

type PulumiFn = (args: string[], o: { timeoutMs: number; backend: string; project?: string }) => Promise<RunResult>;

/** A project directory for one stack: the project's code linked in (node resolves the links to
 * the real files, so the program loads as from the repository), its own Pulumi.yaml copy and
 * stacks/Pulumi.<stack>.yaml. */
function makeProject(dir: string, stackFile: unknown): string {
  mkdirSync(path.join(dir, "stacks"), { recursive: true });
  for (const f of ["infra", "components", "node_modules", "package.json", "tsconfig.json"]) symlinkSync(path.join(ROOT, f), path.join(dir, f));
  cpSync(path.join(ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  writeFileSync(path.join(dir, "stacks", `Pulumi.${STACK}.yaml`), stringify(stackFile));
  return dir;
}

/**
 * `pulumi preview --policy-pack` on a copy of the stack without its backup: blocked by the
 * mandatory requires-backup-target. Then the same stack against a pack weakened in the same
 * change (requires-backup-target relaxed to advisory for `local`): that pack lets it through,
 * and the base branch's pack (the one the PR workflow runs) still blocks it.
 */
async function policyChecks(pulumi: PulumiFn, tmp: string, stackFile: { config: Record<string, any> }, flags: string[]): Promise<boolean> {
  const dir = path.join(tmp, "policy-stack");
  mkdirSync(path.join(dir, "state"), { recursive: true });
  const backend = `file://${path.join(dir, "state")}`;
  const noBackup = { config: { ...stackFile.config, [`${PROJECT}:backups`]: [] } };
  const project = makeProject(path.join(dir, "project"), noBackup);
  await pulumi(["login", backend], { timeoutMs: 60_000, backend });
  const init = await pulumi(["stack", "init", STACK, "--secrets-provider", "passphrase"], { timeoutMs: 60_000, backend, project });
  if (init.code !== 0) throw new Error(`policy stack init failed: ${init.stderr}`);
  const blocked = (r: RunResult) => r.code !== 0 && /requires-backup-target/.test(r.stdout + r.stderr) && /mandatory/i.test(r.stdout + r.stderr);

  const real = await pulumi(["preview", ...flags, "--policy-pack", path.join(ROOT, "policy")], { timeoutMs: 20 * 60_000, backend, project });
  log(`policy pack on the stack without a backup: ${blocked(real) ? "blocked" : `NOT blocked (exit ${real.code})`}`);

  // The pack imports shared code from components/ and infra/ (policy/graph.ts, backups.ts,
  // archives.ts), so a pack is a whole checkout, as in the workflows (a second checkout of the base
  // ref at .policy-base): a copy of policy/ alone does not compile (the first engine run showed it).
  const checkout = (into: string, ref: string) => {
    mkdirSync(into, { recursive: true });
    const a = spawnSync("sh", ["-c", `git -C "${ROOT}" archive "${ref}" | tar -x -C "${into}"`], { encoding: "utf8", timeout: 120_000 });
    if (a.status !== 0) throw new Error(`git archive ${ref}: ${a.stderr}`);
    symlinkSync(path.join(ROOT, "node_modules"), path.join(into, "node_modules"));
    symlinkSync(path.join(ROOT, "policy", "node_modules"), path.join(into, "policy", "node_modules"));
    return path.join(into, "policy");
  };

  // The pull request: the same change drops the backup (above) and relaxes the rule for `local`.
  const weak = checkout(path.join(dir, "pr"), "HEAD");
  const levels = path.join(weak, "levels.ts");
  const relaxed = readFileSync(levels, "utf8").replace(/local: \{/, 'local: { "requires-backup-target": "advisory",');
  if (!relaxed.includes('"requires-backup-target": "advisory"')) throw new Error("could not weaken the policy pack copy (policy/levels.ts changed shape)");
  writeFileSync(levels, relaxed);
  const weakRun = await pulumi(["preview", ...flags, "--policy-pack", weak], { timeoutMs: 20 * 60_000, backend, project });
  const weakLets = weakRun.code === 0;
  log(`weakened pack on the same stack: ${weakLets ? "lets it through (the weakening is real)" : `exit ${weakRun.code}`}`);

  // The base branch's pack: what the PR workflow runs (ENGINE_POLICY_BASE_REF, default HEAD).
  const baseRef = process.env.ENGINE_POLICY_BASE_REF ?? "HEAD";
  const basePack = checkout(path.join(dir, "policy-base"), baseRef);
  const baseRun = await pulumi(["preview", ...flags, "--policy-pack", basePack], { timeoutMs: 20 * 60_000, backend, project });
  log(`base-branch pack (${baseRef}) on the weakened stack: ${blocked(baseRun) ? "blocked" : `NOT blocked (exit ${baseRun.code})`}`);
  rmSync(path.join(dir, "state"), { recursive: true, force: true });
  return blocked(real) && weakLets && blocked(baseRun);
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e) => { console.error(e); process.exit(1); });
}
