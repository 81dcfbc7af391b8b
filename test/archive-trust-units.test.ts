// Pure parts of the archive's trust checks (docs/archive-trust.md): future-dated snapshot names,
// and which problems stop which image.
import { describe, expect, it } from "vitest";
import { imageClosure, type ManifestGraph } from "../infra/restore/checked";
import { chooseSnapshot, SNAPSHOT_SKEW_MS, splitFuture } from "../infra/restore/snapshots";

const d = (c: string) => `sha256:${c.repeat(64)}`;

describe("future-dated snapshot names", () => {
  const now = new Date("2026-12-07T09:00:00Z");
  const names = ["20261206T021700Z", "20261207T090959Z", "20261207T091001Z", "29990101T000000Z"];

  it("are split off beyond now + 10 min (a clock a little ahead is fine)", () => {
    expect(SNAPSHOT_SKEW_MS).toBe(600_000);
    expect(splitFuture(names, now)).toEqual({ usable: ["20261206T021700Z", "20261207T090959Z"], future: ["20261207T091001Z", "29990101T000000Z"] });
  });

  it("are never chosen without --at; --at chooses by time as asked", () => {
    expect(chooseSnapshot(names, undefined, now)).toBe("20261207T090959Z");
    expect(chooseSnapshot(["29990101T000000Z"], undefined, now)).toBeUndefined();
    expect(chooseSnapshot(names, new Date("2026-12-07T00:00:00Z"), now)).toBe("20261206T021700Z");
  });
});

describe("imageClosure", () => {
  // index a -> manifests b, c; b -> config 1, layer 2; c -> config 3, layer 2 (shared)
  const graph: ManifestGraph = new Map([
    [d("a"), { manifests: [d("b"), d("c")], blobs: [] }],
    [d("b"), { manifests: [], blobs: [d("1"), d("2")] }],
    [d("c"), { manifests: [], blobs: [d("3"), d("2")] }],
    [d("e"), { manifests: [], blobs: [d("4")] }],
  ]);

  it("lists an intact image's manifests (root first) and blobs", () => {
    expect(imageClosure(graph, d("a"), new Map())).toEqual({ manifests: [d("a"), d("b"), d("c")], blobs: [d("1"), d("2"), d("3")], problems: [] });
  });

  it("stops only the images that need a bad blob, naming why", () => {
    const problems = new Map([[d("3"), `${d("3")} is missing from the archive`]]);
    expect(imageClosure(graph, d("a"), problems).problems).toEqual([`${d("3")} is missing from the archive`]);
    expect(imageClosure(graph, d("e"), problems).problems).toEqual([]);
  });

  it("a bad manifest stops its image without being walked; an unread one is named", () => {
    const problems = new Map([[d("b"), "stored blob b does not match its digest"]]);
    expect(imageClosure(graph, d("a"), problems).problems).toEqual(["stored blob b does not match its digest"]);
    expect(imageClosure(graph, d("f"), new Map()).problems).toEqual([`${d("f")} was not read`]);
  });
});
