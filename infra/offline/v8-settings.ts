import * as v8 from "node:v8";

/**
 * V8 settings for the offline commands, short batch runs: a render of prod takes about 2 s of CPU
 * and allocates about 200 MB, and most of what survives a scavenge is kept to the end (the
 * resource graph). Set from their first import (offline-mode.ts); V8 reads both at run time.
 * Measured with interleaved fresh processes (docs/benchmarks.md):
 * - The young generation keeps its initial 1 MB. V8 would grow it to 64 MB semi-spaces on a
 *   machine with this much memory, and scavenge through fresh, cache-cold pages.
 *   `--max-semi-space-size` is read only when the heap is set up (setting it now changes nothing);
 *   the growth factor is read at every resize, and 1 keeps the size.
 * - No Maglev, V8's mid-tier compiler: in a run this short its background compiles cost more CPU
 *   than the code they produce saves. Hot code still goes from the baseline tier to TurboFan.
 */
export function tuneV8ForShortRuns(): void {
  v8.setFlagsFromString("--semi-space-growth-factor=1");
  v8.setFlagsFromString("--no-maglev");
}
