// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../infra/config";
import { topologyMarkdown } from "../infra/offline/diagram";
import { buildPlan, SECRET_MARK } from "../infra/offline/plan";
import { readStackConfig, SECRET_PLACEHOLDER } from "../infra/offline/stackFiles";
import { one, renderStack } from "./helpers/render";
import { isSecret } from "./helpers/secrets";

const run = promisify(execFile);
const fixture = (name: string) => path.join(__dirname, "fixtures", "stacks", `Pulumi.${name}.yaml`);

describe("stack files", () => {
  it("apply Pulumi.yaml defaults and keep secure values out of reach", () => {
    const sc = readStackConfig(fixture("with-secrets"));
    expect(sc.config["registry-topology:allowInsecureUpstreams"]).toBe("false");
    expect(sc.secretKeys).toEqual(["registry-topology:harbor"]);
    expect(sc.secretPaths).toEqual(["harbor.database.password"]);
    expect(JSON.parse(sc.config["registry-topology:harbor"]!).database.password).toBe(SECRET_PLACEHOLDER);
  });

  it("a secure value stays secret through the program into plan.json", async () => {
    const result = await renderStack(fixture("with-secrets"));
    const release = one(result, "kubernetes:helm.sh/v3:Release");
    const db = (release.inputs.values as Record<string, Record<string, Record<string, unknown>>>).database!.external!;
    expect(isSecret(db.password)).toBe(true);
    const plan = buildPlan(result);
    const text = JSON.stringify(plan);
    expect(text).not.toContain(SECRET_PLACEHOLDER);
    expect(text).toContain(SECRET_MARK);
  });

  it("an invalid stack fails before any resource is registered", async () => {
    await expect(renderStack(fixture("invalid"))).rejects.toBeInstanceOf(ConfigError);
  });
});

describe("npm run render", () => {
  const cli = ["-r", "ts-node/register/transpile-only", path.join(__dirname, "..", "infra", "offline", "render-cli.ts")];

  it("writes plan.json and topology.md for a stack", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
    try {
      const { stdout } = await run(process.execPath, [...cli, "--stack", "prod", "--out", out], { timeout: 60_000 });
      expect(stdout).toMatch(/Rendered stack prod: \d+ resources/);
      const plan = JSON.parse(fs.readFileSync(path.join(out, "plan.json"), "utf8"));
      const release = plan.resources.find((r: { type: string }) => r.type === "kubernetes:helm.sh/v3:Release");
      expect(release.inputs.version).toBe("1.19.1");
      expect(plan.outputs.harborAdminPassword).toBe(SECRET_MARK);
      const md = fs.readFileSync(path.join(out, "topology.md"), "utf8");
      expect(md).toContain("```mermaid");
      expect(md).toContain("region eu-west");
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("exits 1 with one line per config problem, without echoing the credential", async () => {
    const err = await run(process.execPath, [...cli, "--stack", fixture("invalid")], { timeout: 60_000 }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toContain('  - environment: expected one of "local" | "dev" | "staging" | "prod", found string "qa"');
    expect(err?.stderr).toContain("  - harbor.expose.tlsSecretName: expected string, found nothing");
    expect(err?.stderr).toContain("  - harbor.projects: expected at least one Harbor project to replicate, found a list of 0");
    expect(err?.stderr).toContain("  - backups[0].push.password: expected a Pulumi secret, found plain text");
    expect(err?.stderr).not.toContain("plain-text-password");
  });
});

describe("topology diagram", () => {
  it("draws replication edges and each region's mirrors in pull order", async () => {
    const result = await renderStack("prod");
    const md = topologyMarkdown("prod", result.config, []);
    expect(md).toContain('harbor -- "event_based" --> b_acr_neu');
    expect(md).toMatch(/r_us_east_m_gar_usc1 -. "pull #2" .-> b_gar_usc1/);
  });
});
