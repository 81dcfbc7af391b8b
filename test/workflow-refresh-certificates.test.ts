// The scheduled refresh path for the mirror certificates (issue 17): leaf certificates renew only
// during an `up` in their last 30 days, so a workflow must run one on a schedule, for every
// deployed stack, through the same reusable workflow (environments, concurrency, policy pack) as
// deploys, in the deploy order. Lint: test/policy-workflows.test.ts runs actionlint on every file.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CERT_EARLY_RENEWAL_HOURS, CERT_MIN_DAYS } from "../components/mirrors/certPolicy";
import { listStacks, REPO_ROOT } from "../infra/offline/stackFiles";

type Obj = Record<string, unknown>;
const FILE = path.join(REPO_ROOT, ".github", "workflows", "refresh-certificates.yml");
const DEPLOYED = listStacks().filter((s) => s !== "local");

/** Days between runs of a 5-field cron that fires on fixed weekdays (or every day), at most. */
function maxDaysBetweenRuns(cron: string): number {
  const [min, hour, dom, month, dow] = cron.trim().split(/\s+/);
  if (!/^\d+$/.test(min!) || !/^\d+$/.test(hour!) || dom !== "*" || month !== "*") throw new Error(`unexpected cron ${cron}`);
  if (dow === "*") return 1;
  const days = dow!.split(",").map(Number).sort((a, b) => a - b);
  return Math.max(...days.map((d, i) => (i + 1 < days.length ? days[i + 1]! - d : days[0]! + 7 - d)));
}

describe("refresh-certificates.yml", () => {
  it("exists and runs on a schedule (and by hand)", () => {
    expect(fs.existsSync(FILE), "a scheduled workflow that runs pulumi up").toBe(true);
    const wf = parse(fs.readFileSync(FILE, "utf8")) as Obj;
    const on = wf.on as Obj;
    expect(Object.keys(on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const crons = (on.schedule as { cron: string }[]).map((s) => s.cron);
    expect(crons.length).toBeGreaterThan(0);
    // Often enough that a certificate is renewed before it drops under the alarm threshold:
    // renewal starts with 30 days left, the alarm is at 21, so runs must be at most 9 days apart.
    const renewalDays = CERT_EARLY_RENEWAL_HOURS.leaf / 24;
    for (const c of crons) expect(maxDaysBetweenRuns(c)).toBeLessThanOrEqual(renewalDays - CERT_MIN_DAYS);
  });

  it("runs `up` for every deployed stack through pulumi-stack.yml, in the deploy order", () => {
    const jobs = (parse(fs.readFileSync(FILE, "utf8")) as Obj).jobs as Record<string, Obj>;
    let previous: string | undefined;
    for (const stack of ["dev", "staging", "prod"].filter((s) => DEPLOYED.includes(s))) {
      const job = jobs[`up-${stack}`];
      expect(job, `job up-${stack}`).toMatchObject({ uses: "./.github/workflows/pulumi-stack.yml", with: { stack, command: "up", environment: stack }, secrets: "inherit" });
      expect(job!.needs).toBe(previous);
      previous = `up-${stack}`;
    }
    const covered = Object.values(jobs).map((j) => (j.with as Obj | undefined)?.stack);
    expect(covered.sort()).toEqual([...DEPLOYED].sort());
  });

  it("no document says the deploy workflow renews them (it runs only on push)", () => {
    const docsDir = path.join(REPO_ROOT, "docs");
    const docs = ["README.md", ...(fs.existsSync(docsDir) ? fs.readdirSync(docsDir).filter((f) => f.endsWith(".md")).map((f) => path.join("docs", f)) : [])];
    for (const d of docs) expect(fs.readFileSync(path.join(REPO_ROOT, d), "utf8"), d).not.toMatch(/\(the deploy workflow does\)/);
  });
});
