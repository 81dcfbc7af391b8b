/**
 * The real dynamic-provider host, driven the way the Pulumi engine drives it.
 *
 * Reproduced from the SDK the project pins (@pulumi/pulumi 3.248.0) and the engine (pulumi v3.248.0):
 * - pulumi sdk/nodejs/dist/pulumi-resource-pulumi-nodejs: `node <require.resolve(
 *   "@pulumi/pulumi/cmd/dynamic-provider")> <engine address>`, with the cwd the engine gives every
 *   plugin: the program directory (pkg/engine/deployment.go ProjectInfoContext -> plugin context
 *   Pwd; sdk/go/common/resource/plugin/plugin.go execPlugin `cmd.Dir = pwd`). For
 *   `main: infra/index.ts` that is <root>/infra (pkg/engine/project.go getPwdMain).
 * - node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js: prints its port on stdout, serves
 *   pulumirpc.ResourceProvider; every answer goes through `google.protobuf.Struct.fromJavaScript`
 *   (google-protobuf google/protobuf/struct_pb.js: throws "Unexpected struct type." for undefined),
 *   every request through `Struct.toJavaScript`.
 * - The engine's side of each call: Configure first (acceptSecrets false: the host gets secrets as
 *   plain values), then Check(olds, news) -> inputs; Create(inputs); Read(id, outputs, inputs);
 *   Diff(id, old outputs, checked inputs); Update(id, old outputs, checked inputs); Delete(id, outputs).
 * - The engine's Engine service (proto/engine.proto) for the host's log calls: a small server here
 *   that records Log requests (this SDK version connects to it only to log).
 * Messages are the SDK's own: @pulumi/pulumi/proto/{provider,engine}_{pb,grpc_pb}, @grpc/grpc-js.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as enginegrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as provgrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

type Props = Record<string, unknown>;

export interface HostLog { severity: number; message: string; urn: string }

export interface EngineStub { address: string; logs: HostLog[]; stop(): Promise<void> }

/** A minimal pulumirpc.Engine: accepts Log (and the root-resource calls), records the logs. */
export async function startEngineStub(): Promise<EngineStub> {
  const logs: HostLog[] = [];
  const server = new grpc.Server();
  const impl: Partial<enginegrpc.IEngineServer> = {
    log: (call, cb) => {
      logs.push({ severity: call.request.getSeverity(), message: call.request.getMessage(), urn: call.request.getUrn() });
      cb(null, new Empty());
    },
  };
  server.addService(enginegrpc.EngineService, impl as enginegrpc.IEngineServer);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    logs,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}

export interface CheckResult { inputs: Props; failures: { property: string; reason: string }[] }
export interface DiffResult { changes: "none" | "some" | "unknown"; replaces: string[]; deleteBeforeReplace: boolean }

export interface ProviderHost {
  engine: EngineStub;
  /** What the host wrote on stderr (its console.error of failed calls). */
  stderr: () => string;
  check(type: string, olds: Props, news: Props): Promise<CheckResult>;
  create(type: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  read(type: string, id: string, outs: Props, inputs: Props): Promise<{ id: string; outs: Props; inputs?: Props }>;
  diff(type: string, id: string, olds: Props, news: Props, oldInputs: Props): Promise<DiffResult>;
  update(type: string, id: string, olds: Props, news: Props, oldInputs: Props): Promise<Props>;
  delete(type: string, id: string, outs: Props, oldInputs: Props): Promise<void>;
  stop(): Promise<void>;
}

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
/** The program directory the engine derives from Pulumi.yaml `main: infra/index.ts`. */
export const PROGRAM_DIR = path.join(REPO_ROOT, "infra");

const urnOf = (type: string) => `urn:pulumi:host::registry-topology::${type}::host-${type.split(":").pop()}`;
const struct = (p: Props) => Struct.fromJavaScript(p as Parameters<typeof Struct.fromJavaScript>[0]);

function unary<Req, Res>(client: provgrpc.ResourceProviderClient, method: string, req: Req): Promise<Res> {
  return new Promise<Res>((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: Req, md: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: Res) => void) => void>)[method]!;
    fn.call(client, req, new grpc.Metadata(), { deadline: Date.now() + 120_000 }, (err, res) => (err ? reject(new Error(`${method}: ${err.details || err.message}`)) : resolve(res)));
  });
}

/**
 * Start `@pulumi/pulumi/cmd/dynamic-provider` as the engine does and connect to it. `env` is the
 * environment the host sees (the engine passes its own; here PATH plus what the test gives).
 */
export async function startProviderHost(opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<ProviderHost> {
  const engine = await startEngineStub();
  const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [opts.cwd ?? PROGRAM_DIR] });
  const child: ChildProcess = spawn(process.execPath, [script, engine.address], {
    cwd: opts.cwd ?? PROGRAM_DIR,
    env: { PATH: process.env.PATH ?? "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => { stderr += d.toString(); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`dynamic-provider printed no port within 60 s: ${stderr}`)), 60_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`dynamic-provider exited (${code}): ${stderr}`)); });
  });
  const client = new provgrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const configure = new provproto.ConfigureRequest();
  configure.setArgs(struct({}));
  configure.setAcceptsecrets(true);
  configure.setAcceptresources(true);
  await unary(client, "configure", configure);

  return {
    engine,
    stderr: () => stderr,
    async check(type, olds, news) {
      const req = new provproto.CheckRequest();
      req.setUrn(urnOf(type)).setType(type).setName(urnOf(type).split("::").pop()!).setOlds(struct(olds)).setNews(struct(news));
      const res = await unary<provproto.CheckRequest, provproto.CheckResponse>(client, "check", req);
      return {
        inputs: res.getInputs()?.toJavaScript() ?? {},
        failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },
    async create(type, inputs) {
      const req = new provproto.CreateRequest();
      req.setUrn(urnOf(type)).setType(type).setProperties(struct(inputs));
      const res = await unary<provproto.CreateRequest, provproto.CreateResponse>(client, "create", req);
      return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {} };
    },
    async read(type, id, outs, inputs) {
      const req = new provproto.ReadRequest();
      req.setId(id).setUrn(urnOf(type)).setType(type).setProperties(struct(outs)).setInputs(struct(inputs));
      const res = await unary<provproto.ReadRequest, provproto.ReadResponse>(client, "read", req);
      const ins = res.getInputs()?.toJavaScript();
      return { id: res.getId(), outs: res.getProperties()?.toJavaScript() ?? {}, ...(ins ? { inputs: ins } : {}) };
    },
    async diff(type, id, olds, news, oldInputs) {
      const req = new provproto.DiffRequest();
      req.setId(id).setUrn(urnOf(type)).setType(type).setOlds(struct(olds)).setNews(struct(news)).setOldInputs(struct(oldInputs));
      const res = await unary<provproto.DiffRequest, provproto.DiffResponse>(client, "diff", req);
      const C = provproto.DiffResponse.DiffChanges;
      return {
        changes: res.getChanges() === C.DIFF_NONE ? "none" : res.getChanges() === C.DIFF_SOME ? "some" : "unknown",
        replaces: res.getReplacesList(),
        deleteBeforeReplace: res.getDeletebeforereplace(),
      };
    },
    async update(type, id, olds, news, oldInputs) {
      const req = new provproto.UpdateRequest();
      req.setId(id).setUrn(urnOf(type)).setType(type).setOlds(struct(olds)).setNews(struct(news)).setOldInputs(struct(oldInputs));
      const res = await unary<provproto.UpdateRequest, provproto.UpdateResponse>(client, "update", req);
      return res.getProperties()?.toJavaScript() ?? {};
    },
    async delete(type, id, outs, oldInputs) {
      const req = new provproto.DeleteRequest();
      req.setId(id).setUrn(urnOf(type)).setType(type).setProperties(struct(outs)).setOldInputs(struct(oldInputs));
      await unary<provproto.DeleteRequest, Empty>(client, "delete", req);
    },
    async stop() {
      client.close();
      if (child.exitCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        await exited;
      }
      await engine.stop();
    },
  };
}
