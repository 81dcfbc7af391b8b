import { performance } from "node:perf_hooks";
import { collectOnce } from "../infra/exporter/collect";
import { formatExposition } from "../infra/exporter/exposition";
import { LagTracker } from "../infra/exporter/lag";
import type { ExporterSettings } from "../infra/exporter/targets";
import { TAGS, withVerifyFixture } from "./verify-fixture";

/**
 * The exporter's cost per run on verify's prod-sized fixture (200 tags, 2 backups): registry
 * requests and seconds per run, in sync and with 20 tags unreplicated on one backup (dating them
 * reads their configs once), and what one scrape costs to format.
 */
export async function run(): Promise<void> {
  await withVerifyFixture(async ({ input, client }) => {
    const s = input.source;
    const settings: ExporterSettings = {
      listen: "127.0.0.1:0",
      intervalSeconds: 300,
      deadlineSeconds: 240,
      concurrency: 4,
      maxDated: 200,
      source: { name: s.name, baseUrl: s.baseUrl, listing: "catalog", projects: s.projects },
      backups: input.backups.map((b) => ({ name: b.name.split(" ")[0]!, baseUrl: b.baseUrl, pathPrefix: b.pathPrefix, keepsProjectPath: b.keepsProjectPath })),
      archives: [],
      certificates: [],
    };
    const ctx = {
      settings,
      credentials: { source: { username: s.username!, password: s.password! }, backups: Object.fromEntries(input.backups.map((b) => [b.name.split(" ")[0]!, { username: b.username!, password: b.password! }])), archives: {} },
      lag: new LagTracker(),
      created: new Map<string, number | undefined>(),
    };
    console.log(`\n## Exporter (continuous verification): cost per run, ${TAGS} tags in Harbor, 2 backups, concurrency ${settings.concurrency}`);
    console.log("run                                   seconds  requests  series  scrape format ms");
    const once = async (label: string) => {
      const t0 = performance.now();
      const out = await collectOnce(ctx);
      const seconds = (performance.now() - t0) / 1000;
      const f0 = performance.now();
      const text = formatExposition(out.families);
      const fmt = performance.now() - f0;
      const series = text.split("\n").filter((l) => l && !l.startsWith("#")).length;
      console.log(`${label.padEnd(36)}  ${seconds.toFixed(2).padStart(7)}  ${String(out.requests).padStart(8)}  ${String(series).padStart(6)}  ${fmt.toFixed(2).padStart(16)}`);
    };
    await once("first run, all in sync");
    await once("second run, all in sync");
    // 20 more tags on the primary only: bk1 and bk2 both lack them.
    const src = client("harbor");
    const m = (await src.manifest("library/app", "t0"))!;
    for (let i = 0; i < 20; i++) await src.putManifest("library/app", `new${i}`, m.mediaType, m.bytes);
    await once("20 tags unreplicated (dated once)");
    await once("same, next run (dates cached)");
  });
}
