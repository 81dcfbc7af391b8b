import { readdirSync, readFileSync } from "node:fs";
import { defineConfig } from "vitest/config";

/**
 * Two phases, one after the other (2 cores):
 * - units first, two files at a time: everything in-process (mock runtime renders, emulators,
 *   pure logic), and the files marked `// test-group: parallel` that start processes (the CLI,
 *   promtool, a registry) but assert no duration and stage no outage; beside them, one at a time,
 *   the "waits" drills: files marked `// test-group: waits` that start processes but spend their
 *   time waiting (for tokens to expire) and whose margins are seconds, so the units' load cannot
 *   decide them;
 * - then drills, one file at a time: files that start real processes (registries, runtimes, the
 *   writer, Prometheus, network namespaces). They measure time and outages, so nothing runs beside them.
 * A file is a drill when it imports child_process or a helper that starts processes; the rule is
 * read from the files themselves so a new drill cannot land in the units group by being forgotten.
 */
const STARTS_PROCESSES = /node:child_process|helpers\/(distribution|mirror-pod|node-drill|netns|writer-host|prometheus|archive-job|token-server|oci-image|cri-client|provider-host|engine-program|serialized-provider|policy-harness)"/;
const files = readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`);
const drills = files.filter((f) => STARTS_PROCESSES.test(readFileSync(f, "utf8")));
const marked = (f: string, group: string) => new RegExp(`^// test-group: ${group}\\b`, "m").test(readFileSync(f, "utf8"));
const waits = drills.filter((f) => marked(f, "waits"));
const parallel = drills.filter((f) => marked(f, "parallel"));
const timed = drills.filter((f) => !waits.includes(f) && !parallel.includes(f));

const shared = {
  environment: "node",
  // Required: threads/vmThreads break Pulumi closure serialization of dynamic providers.
  pool: "forks",
  testTimeout: 60_000,
  hookTimeout: 60_000,
} as const;

export default defineConfig({
  test: {
    // Compiles dist/ once for the tests that run the commands as npm does (scripts/run.js).
    globalSetup: ["test/helpers/build-dist.ts"],
    // Units (2) and one "waits" drill beside them.
    maxWorkers: 3,
    projects: [
      { test: { ...shared, name: "units", include: [...files.filter((f) => !drills.includes(f)), ...parallel], maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: "waits", include: waits, maxWorkers: 1, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: "drills", include: timed, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
