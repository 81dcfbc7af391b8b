/**
 * Harbor dynamic provider: HTTP calls against the Harbor emulator for a topology of 3 backups x
 * 4 projects (4 projects, 3 registry endpoints, 12 replication policies, 1 robot = 20 resources),
 * driven the way the engine drives it: first create, a refresh with no change, a one-field update.
 */
import type * as dynamic from "@pulumi/pulumi/dynamic";
import { endpointProvider } from "../components/harbor/api/endpoint-provider";
import { policyProvider } from "../components/harbor/api/policy-provider";
import { projectProvider } from "../components/harbor/api/project-provider";
import { BUILTIN_PROJECTS, destinationPath, MIRROR_ROBOT_NAME, policyFilters, policyName } from "../components/harbor/replication/plan";
import { robotProvider } from "../components/harbor/api/robot-provider";
import { REPLICATION_DEFAULTS } from "../infra/config/replication";
import { HarborEmulator } from "../test/harbor-emulator/server";

type Props = Record<string, unknown>;
interface Managed { kind: string; provider: dynamic.ResourceProvider; news: Props; id?: string; outs?: Props }

const PROJECTS = ["library", "platform", "apps", "tools"];
const BACKUPS = [
  { name: "acr-weu", type: "azure-acr", url: "https://regtopo.azurecr.io", prefix: "", keeps: true },
  { name: "gar-euw3", type: "google-gcr", url: "https://europe-west3-docker.pkg.dev", prefix: "proj/harbor-backup", keeps: true },
  { name: "ali-fra", type: "ali-acr", url: "https://registry.eu-central-1.aliyuncs.com", prefix: "backup", keeps: false },
];

function summarize(emu: HarborEmulator, from: number): string {
  const calls = emu.requests.slice(from);
  const by = new Map<string, number>();
  for (const r of calls) by.set(r.method, (by.get(r.method) ?? 0) + 1);
  const parts = [...by.entries()].sort().map(([m, n]) => `${n} ${m}`);
  return `${calls.length} HTTP calls (${parts.join(", ") || "none"}; ${calls.filter((r) => r.method !== "GET").length} writes)`;
}

async function check(m: Managed, olds: Props = {}): Promise<Props> {
  const r = await m.provider.check!(olds, m.news);
  if (r.failures?.length) throw new Error(`${m.kind}: ${JSON.stringify(r.failures)}`);
  return r.inputs as Props;
}

export async function run(): Promise<void> {
  const emu = new HarborEmulator();
  await emu.start();
  try {
    const conn = { harborUrl: emu.url, harborUsername: emu.username, harborPassword: emu.password };
    const r = REPLICATION_DEFAULTS;
    const projects: Managed[] = PROJECTS.map((name) => ({ kind: `project ${name}`, provider: projectProvider, news: { ...conn, name, public: false, adoptExisting: BUILTIN_PROJECTS.includes(name) } }));
    const endpoints: Managed[] = BACKUPS.map((b) => ({ kind: `endpoint ${b.name}`, provider: endpointProvider, news: { ...conn, name: b.name, type: b.type, url: b.url, accessKey: "key", accessSecret: "Secret-0" } }));
    const all: Managed[] = [...projects, ...endpoints];

    console.log(`\n## harbor-provider: ${BACKUPS.length} backups x ${PROJECTS.length} projects against the Harbor emulator (127.0.0.1)`);
    let mark = emu.requests.length;
    let t = Date.now();
    for (const m of all) { const c = await m.provider.create(await check(m)); m.id = c.id; m.outs = c.outs; }
    const policies: Managed[] = [];
    for (const [i, b] of BACKUPS.entries()) {
      const dest = destinationPath(b.prefix, b.keeps);
      for (const p of PROJECTS) {
        policies.push({
          kind: `policy ${policyName(b.name, p)}`, provider: policyProvider, news: {
            ...conn, name: policyName(b.name, p), destinationRegistryId: endpoints[i]!.outs!.registryId, destinationRegistryName: b.name, projectName: p,
            destinationNamespace: dest.namespace, destinationNamespaceReplaceCount: dest.replaceCount, trigger: r.trigger, filters: policyFilters(p, r),
            deletion: r.deletion, override: r.override, enabled: r.enabled, speedKbps: r.speedLimitKbps, backfill: r.backfill,
          },
        });
      }
    }
    const robot: Managed = { kind: "robot", provider: robotProvider, news: { ...conn, name: MIRROR_ROBOT_NAME, projects: PROJECTS } };
    for (const m of [...policies, robot]) { const c = await m.provider.create(await check(m)); m.id = c.id; m.outs = c.outs; }
    all.push(...policies, robot);
    console.log(`first create of ${all.length} resources: ${summarize(emu, mark)}, ${Date.now() - t} ms`);
    console.log(`  includes: adopting Harbor's built-in "library" project (1 lookup GET + 1 metadata PUT + quota GET/PUT), one backfill execution per policy (POST + status GET)`);

    mark = emu.requests.length;
    t = Date.now();
    let changed = 0;
    for (const m of all) {
      const read = await m.provider.read!(m.id!, m.outs!);
      const diff = await m.provider.diff!(m.id!, read.props as Props, await check(m, m.outs));
      if (diff.changes) changed++;
      m.outs = read.props as Props;
    }
    console.log(`refresh with no change (read + diff of ${all.length} resources): ${summarize(emu, mark)}, ${changed} resources with changes, ${Date.now() - t} ms`);

    mark = emu.requests.length;
    t = Date.now();
    let updated = 0;
    for (const m of policies) {
      m.news = { ...m.news, override: !r.override };
      const inputs = await check(m, m.outs);
      const diff = await m.provider.diff!(m.id!, m.outs!, inputs);
      if (diff.changes) { m.outs = (await m.provider.update!(m.id!, m.outs!, inputs)).outs as Props; updated++; }
    }
    for (const m of [...projects, ...endpoints, robot]) {
      const diff = await m.provider.diff!(m.id!, m.outs!, await check(m, m.outs));
      if (diff.changes) updated++;
    }
    console.log(`one-field update (replication.override flipped: diff of all ${all.length}, update of ${updated}): ${summarize(emu, mark)}, ${Date.now() - t} ms`);
    const problems = emu.requests.flatMap((q) => q.schemaProblems);
    console.log(`swagger check of every request body: ${problems.length} problems over ${emu.requests.length} requests`);
  } finally {
    await emu.stop();
  }
}
