import * as pulumi from "@pulumi/pulumi";
import { synthesizeInvoke, synthesizeOutputs } from "./mocks";
import { installOfflineHtpasswdCache } from "./htpasswd-cache";
import { skipPromiseDebugStacksIfRequested } from "./promise-stacks";

/** One resource as the program registered it, with what a preview would show. */
export interface RecordedResource {
  urn: string;
  type: string;
  name: string;
  /** Parent URN ("" for top-level resources). */
  parent: string;
  custom: boolean;
  /**
   * Inputs exactly as serialized for the engine: a secret stays a secret marker where it is
   * nested (the SDK's deserializer would hoist it to the whole top-level property).
   */
  inputs: Record<string, unknown>;
  dependencies: string[];
  additionalSecretOutputs: string[];
  /** Properties the engine leaves to whoever else changes them (resource option ignoreChanges). */
  ignoreChanges: string[];
}

interface RegisterRequest {
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getIgnorechangesList(): string[];
}

interface Monitor {
  registerResource(req: RegisterRequest, cb: (err: unknown, resp?: { getUrn(): string }) => void): Promise<void>;
}

/**
 * Install Pulumi's mock runtime with outputs from ./mocks, and record every registration with
 * its parent. Shared by the offline renderer, the policy check and the tests.
 */
export async function installMockRuntime(project: string, stack: string): Promise<RecordedResource[]> {
  skipPromiseDebugStacksIfRequested();
  installOfflineHtpasswdCache();
  const recorded: RecordedResource[] = [];
  let pending: Omit<RecordedResource, "urn"> | undefined;
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const entry = { ...(pending as Omit<RecordedResource, "urn">), urn: "" };
        pending = undefined;
        recorded.push(entry);
        const outputs = synthesizeOutputs(args);
        // A synth may give the id the cloud would (e.g. an ARM resource ID another resource refers to).
        const id = args.id || (typeof outputs.id === "string" ? outputs.id : `${args.name}-id`);
        return { id, state: { ...args.inputs, ...outputs } };
      },
      call: (args) => synthesizeInvoke(args),
    },
    project,
    stack,
    false,
  );
  const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    // The mock monitor calls newResource synchronously, so `pending` belongs to this request.
    pending = {
      type: req.getType(),
      name: req.getName(),
      parent: req.getParent(),
      custom: req.getCustom(),
      inputs: req.getObject()?.toJavaScript() ?? {},
      dependencies: req.getDependenciesList(),
      additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
      ignoreChanges: req.getIgnorechangesList(),
    };
    const index = recorded.length;
    return register(req, (err, resp) => {
      if (!err && resp && recorded[index]) recorded[index].urn = resp.getUrn();
      cb(err, resp);
    });
  };
  return recorded;
}

/** Wait until every registration the program started has reached the mock monitor. */
export async function settle(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  await runtime.waitForRPCs?.();
}

export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise<T>((resolve) => o.apply((v) => resolve(v)));
}
