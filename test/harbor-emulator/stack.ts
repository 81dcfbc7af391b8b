import type * as dynamic from "@pulumi/pulumi/dynamic";
import { endpointProvider } from "../../components/harbor/api/endpoint-provider";
import { policyProvider } from "../../components/harbor/api/policy-provider";
import { projectProvider } from "../../components/harbor/api/project-provider";
import { robotProvider } from "../../components/harbor/api/robot-provider";
import type { HarborEmulator } from "./server";

type Props = Record<string, unknown>;

interface Managed {
  key: string;
  provider: dynamic.ResourceProvider;
  /** The resource's inputs, from the state of those it depends on. */
  news: (state: Map<string, { id: string; outs: Props }>) => Props;
}

/**
 * A small Harbor topology (project, endpoint, policy with backfill, robot) and a stand-in for the
 * engine's `pulumi up --refresh`: a resource without state is created; one with state is read,
 * diffed and updated. A step that throws ends the run, and only finished steps are in the state,
 * as with the engine. `destroy` deletes in reverse order.
 */
export function harborStack(emu: HarborEmulator, prefix: string, extra: { backfillWaitSeconds?: number } = {}) {
  const conn = () => ({ harborUrl: emu.url, harborUsername: emu.username, harborPassword: emu.password });
  const project = `${prefix}-apps`;
  const resources: Managed[] = [
    { key: "project", provider: projectProvider, news: () => ({ ...conn(), name: project, storageQuotaGiB: 5 }) },
    { key: "endpoint", provider: endpointProvider, news: () => ({ ...conn(), name: `${prefix}-nas`, type: "docker-registry", url: `https://${prefix}.nas.example.net`, accessKey: "pusher", accessSecret: "Push-Secret-1" }) },
    {
      key: "policy", provider: policyProvider, news: (s) => ({
        ...conn(), name: `${prefix}-nas-apps`, destinationRegistryId: s.get("endpoint")?.outs.registryId, destinationRegistryName: `${prefix}-nas`, projectName: project,
        destinationNamespace: "backup", destinationNamespaceReplaceCount: 0, trigger: "event_based", filters: { name: `${project}/**` },
        deletion: false, override: true, enabled: true, speedKbps: 0, backfill: true, backfillWaitSeconds: extra.backfillWaitSeconds ?? 30,
      }),
    },
    { key: "robot", provider: robotProvider, news: () => ({ ...conn(), name: `${prefix}-mirrors`, description: "pull only", projects: [project] }) },
  ];
  const state = new Map<string, { id: string; outs: Props }>();

  async function check(m: Managed, olds: Props): Promise<Props> {
    const r = await m.provider.check!(olds, m.news(state));
    if (r.failures?.length) throw new Error(`${m.key}: ${JSON.stringify(r.failures)}`);
    return r.inputs as Props;
  }

  return {
    state,
    names: { project, endpoint: `${prefix}-nas`, policy: `${prefix}-nas-apps`, robot: `${prefix}-mirrors` },
    /** One `pulumi up --refresh`; the keys of the resources it changed. */
    async up(): Promise<string[]> {
      const changed: string[] = [];
      for (const m of resources) {
        const have = state.get(m.key);
        if (!have) {
          const c = await m.provider.create(await check(m, {}));
          state.set(m.key, { id: c.id, outs: c.outs as Props });
          changed.push(m.key);
          continue;
        }
        const read = await m.provider.read!(have.id, have.outs);
        if (!read.id) { state.delete(m.key); throw new Error(`${m.key} vanished from Harbor`); }
        const current = read.props as Props;
        state.set(m.key, { id: have.id, outs: current });
        const inputs = await check(m, current);
        const diff = await m.provider.diff!(have.id, current, inputs);
        if (diff.replaces?.length) throw new Error(`${m.key}: unexpected replacement of ${diff.replaces.join(", ")}`);
        if (diff.changes) {
          const u = await m.provider.update!(have.id, current, inputs);
          state.set(m.key, { id: have.id, outs: u.outs as Props });
          changed.push(m.key);
        }
      }
      return changed;
    },
    async destroy(): Promise<void> {
      for (const m of [...resources].reverse()) {
        const have = state.get(m.key);
        if (have) await m.provider.delete!(have.id, have.outs);
        state.delete(m.key);
      }
    },
  };
}

/** How many objects Harbor holds under each of the stack's names (1 each when converged). */
export function harborCounts(emu: HarborEmulator, names: { project: string; endpoint: string; policy: string; robot: string }) {
  return {
    project: [...emu.projects.values()].filter((x) => x.name === names.project).length,
    endpoint: [...emu.registries.values()].filter((x) => x.name === names.endpoint).length,
    policy: [...emu.policies.values()].filter((x) => x.name === names.policy).length,
    robot: [...emu.robots.values()].filter((x) => x.name === names.robot).length,
  };
}
