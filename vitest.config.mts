import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Compiles dist/ once for the tests that run the commands as npm does (scripts/run.js).
    globalSetup: ["test/helpers/build-dist.ts"],
    environment: "node",
    // Required: threads/vmThreads break Pulumi closure serialization of dynamic providers.
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
