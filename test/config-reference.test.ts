import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { configReferenceMarkdown } from "../infra/config/reference";

const page = path.join(__dirname, "..", "docs", "config-reference.md");

describe("docs/config-reference.md", () => {
  it("is what the config schema generates (run `npm run docs:config` after changing the schema)", () => {
    expect(readFileSync(page, "utf8")).toBe(configReferenceMarkdown());
  });

  it("lists every top-level key and the keys of each backup kind", () => {
    const md = configReferenceMarkdown();
    for (const k of ["environment", "harbor", "backups", "replication", "regions", "archives"]) expect(md).toContain(`registry-topology:${k}`);
    for (const kind of ["acr", "gar", "icr", "alibaba"]) expect(md).toContain(`backups[] (kind: ${kind})`);
    expect(md).toContain("| `harbor.chartVersion` | `1.19.0` \\| `1.19.1` |");
  });
});
