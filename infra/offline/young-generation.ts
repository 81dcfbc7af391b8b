import * as v8 from "node:v8";

/**
 * Offline commands are short batch runs: a render of prod allocates about 200 MB, and most of what
 * survives a scavenge lives to the end (the resource graph). V8 lets the young generation grow to
 * 64 MB semi-spaces on a machine with this much memory, and then every scavenge copies through
 * fresh, cache-cold pages. Kept at its initial size (1 MB), the same render takes about a tenth
 * less CPU (measured with `npm run bench -- render`, docs/benchmarks.md).
 * `--max-semi-space-size` is read only when the heap is set up (setting it now changes nothing);
 * the growth factor is read at every resize, and 1 keeps the size.
 */
export function keepYoungGenerationSmall(): void {
  v8.setFlagsFromString("--semi-space-growth-factor=1");
}
