// Region mirror certificates in `npm run verify`: days until each one ends, from the stack output
// `regions[].certificates` (components/mirrors/pki.ts: @pulumi/tls `validityEndTime`, RFC 3339).
// Leaves renew only during an `up` in their last 30 days; fewer than CERT_MIN_DAYS left means the
// weekly refresh did not run (docs/certificates.md). Pure: the caller passes the clock.
import { z } from "zod";
import { CERT_MIN_DAYS } from "../../components/mirrors/certPolicy";

const regionsSchema = z.array(
  z.object({
    region: z.string(),
    mirrors: z.array(z.unknown()).default([]),
    certificates: z.array(z.object({ certificate: z.enum(["ca", "server", "client"]), notAfter: z.string() })).optional(),
  }),
);

export interface CertificateCheck {
  region: string;
  certificate: "ca" | "server" | "client";
  notAfter?: string;
  /** Whole days left (negative: expired); undefined when not reported or unreadable. */
  daysLeft?: number;
  problem?: string;
}

export interface CertificateReport {
  checks: CertificateCheck[];
  /** 0 every certificate has at least `minDays` left; 1 one has fewer, expired, or is not reported. */
  exitCode: 0 | 1;
  minDays: number;
}

const DAY_MS = 86_400_000;

/** Whole days from `now` until `notAfter` (floor; negative once expired); undefined if not a date. */
export function daysLeft(notAfter: string, now: Date): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(notAfter)) return undefined;
  const t = Date.parse(notAfter);
  return Number.isNaN(t) ? undefined : Math.floor((t - now.getTime()) / DAY_MS);
}

/**
 * Check every region's certificates in the stack outputs. Outputs without `regions` (a stack
 * without mirrors) have nothing to check; a region with mirrors but no `certificates` was last
 * deployed before they were reported, so its expiry is unknown: that fails too (run `pulumi up`).
 */
export function checkCertificates(outputs: unknown, now: Date, minDays = CERT_MIN_DAYS): CertificateReport {
  const raw = typeof outputs === "object" && outputs !== null ? (outputs as Record<string, unknown>).regions : undefined;
  const checks: CertificateCheck[] = [];
  if (raw !== undefined) {
    const parsed = regionsSchema.safeParse(raw);
    if (!parsed.success) {
      const where = parsed.error.issues.map((i) => `regions.${i.path.join(".")}: ${i.message}`).join("; ");
      return { checks: [{ region: "(outputs)", certificate: "ca", problem: `the stack output regions is not what verify expects (${where})` }], exitCode: 1, minDays };
    }
    for (const r of parsed.data) {
      if (r.certificates === undefined) {
        if (r.mirrors.length > 0) checks.push({ region: r.region, certificate: "ca", problem: "no certificate expiry in the stack outputs (deployed before it was reported): run `pulumi up` for this stack" });
        continue;
      }
      for (const c of r.certificates) {
        const d = daysLeft(c.notAfter, now);
        const check: CertificateCheck = { region: r.region, certificate: c.certificate, notAfter: c.notAfter, daysLeft: d };
        if (d === undefined) check.problem = `notAfter ${JSON.stringify(c.notAfter)} is not an RFC 3339 time`;
        else if (d < 0) check.problem = `EXPIRED ${-d} days ago: nodes of ${r.region} cannot use their mirrors; run \`pulumi up\` now (docs/certificates.md)`;
        else if (d < minDays) check.problem = `${d} days left (< ${minDays}): the scheduled refresh has not renewed it; run \`pulumi up\` (docs/certificates.md)`;
        checks.push(check);
      }
    }
  }
  return { checks, exitCode: checks.some((c) => c.problem) ? 1 : 0, minDays };
}

export function formatCertificateReport(r: CertificateReport): string {
  if (r.checks.length === 0) return "Mirror certificates: none in the stack outputs (no region mirrors)";
  const lines = [`Mirror certificates (fail under ${r.minDays} days left):`];
  for (const c of r.checks) {
    const left = c.daysLeft === undefined ? "" : ` ${c.daysLeft} days left (until ${c.notAfter})`;
    lines.push(`  ${c.region} ${c.certificate}:${left}${c.problem ? ` ${c.problem}` : " ok"}`);
  }
  lines.push(`Result: ${r.exitCode === 0 ? "every mirror certificate has time left" : "a mirror certificate needs renewing"} (exit ${r.exitCode})`);
  return lines.join("\n");
}
