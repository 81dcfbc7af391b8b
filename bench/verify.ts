import { performance } from "node:perf_hooks";
import { verifyTopology } from "../infra/verify/verify";
import { TAGS, withVerifyFixture } from "./verify-fixture";

/** Verify time for 200 tags across 2 backups (one Basic, one Bearer), and requests made. */
export async function run(): Promise<void> {
  await withVerifyFixture(async ({ input }) => {
    console.log(`\n## Replication verification (npm run verify): ${TAGS} tags in Harbor, 2 backups, real distribution on 127.0.0.1`);
    console.log("requests and ms per registry: harbor (list + digests) / bk1 (Basic auth) / bk2 (Bearer, incl. token requests)");
    console.log("concurrency  wall ms  requests             ms per registry      result");
    for (const concurrency of [1, 8]) {
      const t0 = performance.now();
      const r = await verifyTopology(input, { concurrency });
      const ms = performance.now() - t0;
      const reqs = [r.source.requests, ...r.backups.map((b) => b.requests)].join(" / ");
      const per = [r.source.ms, ...r.backups.map((b) => b.ms)].join(" / ");
      console.log(`${String(concurrency).padStart(11)}  ${ms.toFixed(0).padStart(7)}  ${reqs.padEnd(19)}  ${per.padEnd(19)}  exit ${r.exitCode}, in sync ${r.backups.map((b) => b.inSync).join(" + ")}`);
    }
  });
}
