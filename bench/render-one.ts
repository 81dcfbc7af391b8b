// Child process for bench/render.ts: renders one stack and prints its own measurements as JSON.
import "../infra/offline/offline-mode"; // first: before any module that defines a dynamic resource
import { performance } from "node:perf_hooks";
import { renderStack } from "../infra/offline/render";

async function main() {
  const stack = process.argv[2];
  if (!stack) throw new Error("usage: render-one.ts STACK");
  const start = performance.now();
  const result = await renderStack(stack);
  const renderMs = performance.now() - start;
  process.stdout.write(
    JSON.stringify({
      stack,
      resources: result.resources.length,
      renderMs,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
