// test-group: parallel (starts processes, but asserts no duration or outage: runs two at a time with the units)
// The alert rules through Debian's real promtool (package prometheus 2.42): `promtool check rules`
// on the rules file we ship, and `promtool test rules` with a case per alert that fires on a
// failing synthetic series and not on the healthy one next to it.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { ruleGroups, alertRules } from "../components/observability/rules";
import { observabilitySchema, THRESHOLD_DEFAULTS, type Thresholds } from "../infra/config/observability";
import { alertsCovered, promtoolTestFile } from "./helpers/alert-cases";

const run = promisify(execFile);
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rules-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const r = await run("promtool", args, { timeout: 60_000 });
    return { code: 0, out: r.stdout + r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === "number" ? err.code : 1, out: `${err.stdout ?? ""}${err.stderr ?? ""}` };
  }
}

function writeRules(name: string, t: Thresholds): string {
  const file = path.join(dir, `${name}.rules.yml`);
  fs.writeFileSync(file, YAML.stringify(ruleGroups(t)));
  return file;
}

describe.each([
  ["default thresholds", THRESHOLD_DEFAULTS as Thresholds],
  ["configured thresholds", observabilitySchema.parse({ thresholds: { backupBehindMinutes: 5, missingTagsMinutes: 30, mirrorReadOnlyMinutes: 10, certificateDays: 45, verificationStaleMinutes: 20, harborDownMinutes: 2, noHealthyMirrorMinutes: 3 } }).thresholds],
])("alert rules with %s", (label, t) => {
  const name = label.replace(/\W+/g, "-");

  it("pass promtool check rules", async () => {
    const r = await promtool(["check", "rules", writeRules(name, t)]);
    expect(r.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it("every alert fires on its failing series and not on the healthy one (promtool test rules)", async () => {
    const rules = writeRules(name, t);
    const tests = path.join(dir, `${name}.test.yml`);
    fs.writeFileSync(tests, YAML.stringify(promtoolTestFile(t, path.basename(rules))));
    const r = await promtool(["test", "rules", tests]);
    expect(r.out, r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
    expect([...alertsCovered(t)].sort()).toEqual(alertRules(t).map((x) => x.alert).sort());
  });
});

describe("the cases can fail", () => {
  it("promtool test rules fails when a threshold in the rules is not the one the cases expect", async () => {
    const rules = writeRules("mismatch", { ...THRESHOLD_DEFAULTS, backupBehindMinutes: THRESHOLD_DEFAULTS.backupBehindMinutes + 10 });
    const tests = path.join(dir, "mismatch.test.yml");
    // Cases for the defaults against rules that wait 10 minutes longer: the late backup does not fire.
    const file = promtoolTestFile(THRESHOLD_DEFAULTS, path.basename(rules)) as { tests: { alert_rule_test: { alertname: string; exp_alerts: { exp_annotations: Record<string, string> }[] }[] }[] };
    for (const test of file.tests) for (const a of test.alert_rule_test) for (const e of a.exp_alerts) if (a.alertname === "RegistryBackupBehind") e.exp_annotations = Object.fromEntries(Object.entries(e.exp_annotations).map(([k, v]) => [k, v.replace(/\b30 minutes/g, "40 minutes")]));
    fs.writeFileSync(tests, YAML.stringify(file));
    const r = await promtool(["test", "rules", tests]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/RegistryBackupBehind/);
  });

  it("every alert has a runbook, a summary and a severity", () => {
    for (const r of alertRules(THRESHOLD_DEFAULTS)) {
      expect(r.annotations.runbook.length, r.alert).toBeGreaterThan(60);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(10);
      expect(["critical", "warning"]).toContain(r.labels.severity);
    }
  });
});
