// Harbor's replication cron, validated and evaluated as Harbor does, to tell whether a scheduled
// replication can ever run.
//
// Harbor v2.15.1:
// - src/controller/replication/model/model.go `Policy.Validate`: a scheduled trigger needs a
//   non-empty cron that `utils.CronParser().Parse` accepts; `strings.Split(cron, " ")` (single
//   spaces) must give "0" as the first field (seconds) and not "*" as the second (minutes).
// - src/common/utils/utils.go `CronParser`: robfig/cron v3 (v3.0.1, src/go.mod)
//   `NewParser(Second | Minute | Hour | Dom | Month | Dow)`: exactly six fields, no descriptors.
// - src/jobservice/period/enqueuer.go `scheduleNextJobs`: the same parser, then `schedule.Next`.
// robfig/cron v3.0.1 parser.go (`Parse`, `normalizeFields`, `getField`, `getRange`,
// `parseIntOrName`, `mustParseInt`, `getBits`) and spec.go (bounds, `dayMatches`) are ported below.

export interface CronSchedule {
  second: bigint;
  minute: bigint;
  hour: bigint;
  dom: bigint;
  month: bigint;
  dow: bigint;
}

interface Bounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

// spec.go: the bounds of each field.
const SECONDS: Bounds = { min: 0, max: 59 };
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** spec.go starBit: set by `*` or `?` (and kept only with step 1). */
const STAR_BIT = 1n << 63n;

/** mustParseInt: Go strconv.Atoi (optional sign, decimal digits), no negatives. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new Error(`failed to parse int from ${expr}`);
  const n = Number(expr);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Record<string, number>): number {
  const named = names?.[expr.toLowerCase()];
  return named ?? mustParseInt(expr);
}

function getBits(min: number, max: number, step: number): bigint {
  let bits = 0n;
  for (let i = min; i <= max; i += step) bits |= 1n << BigInt(i);
  return bits;
}

function getRange(expr: string, r: Bounds): bigint {
  const rangeAndStep = expr.split("/");
  const lowAndHigh = rangeAndStep[0]!.split("-");
  const singleDigit = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let extra = 0n;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    start = r.min;
    end = r.max;
    extra = STAR_BIT;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step: number;
  if (rangeAndStep.length === 1) step = 1;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    if (singleDigit) end = r.max;
    if (step > 1) extra = 0n;
  } else throw new Error(`too many slashes: ${expr}`);
  if (start < r.min) throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  return getBits(start, end, step) | extra;
}

/** getField: comma-separated ranges (strings.FieldsFunc drops empty items, so "," gives no bits). */
function getField(field: string, r: Bounds): bigint {
  let bits = 0n;
  for (const expr of field.split(",").filter((x) => x !== "")) bits |= getRange(expr, r);
  return bits;
}

/** robfig/cron v3 `NewParser(Second|Minute|Hour|Dom|Month|Dow).Parse`; throws its error. */
export function parseCron(spec: string): CronSchedule {
  if (spec.length === 0) throw new Error("empty spec string");
  let s = spec;
  if (s.startsWith("TZ=") || s.startsWith("CRON_TZ=")) {
    // Parse loads the location; Harbor's Validate then refuses the spec anyway (first field not "0").
    const i = s.indexOf(" ");
    if (i === -1) throw new Error(`provided bad location ${s}`);
    s = s.slice(i).trim();
  }
  if (s.startsWith("@")) throw new Error(`parser does not accept descriptors: ${s}`);
  const fields = s.split(/[\t\n\v\f\r ]+/).filter((x) => x !== ""); // strings.Fields
  if (fields.length !== 6) throw new Error(`expected exactly 6 fields, found ${fields.length}: [${fields.join(" ")}]`);
  const [sec, min, hour, dom, month, dow] = fields as [string, string, string, string, string, string];
  return {
    second: getField(sec, SECONDS),
    minute: getField(min, MINUTES),
    hour: getField(hour, HOURS),
    dom: getField(dom, DOM),
    month: getField(month, MONTHS),
    dow: getField(dow, DOW),
  };
}

/** Why Harbor refuses this cron for a scheduled replication policy (model.go Policy.Validate), or undefined. */
export function harborCronError(cron: string): string | undefined {
  if (cron.length === 0) return "the cron string cannot be empty when the trigger type is scheduled";
  try {
    parseCron(cron);
  } catch (e) {
    return `invalid cron string for scheduled trigger: ${cron} (${e instanceof Error ? e.message : String(e)})`;
  }
  const parts = cron.split(" ");
  if (parts[0] !== "0") return "the 1st field (indicating Seconds of time) of the cron setting must be 0";
  if (parts[1] === "*") return "* is not allowed for the Minutes field of the cron setting of replication policy";
  return undefined;
}

const has = (bits: bigint, i: number) => (bits & (1n << BigInt(i))) !== 0n;

/** Days in each month in a leap year: the most any year offers (29 February exists every 4 years). */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * Can the schedule ever fire? spec.go `Next` walks months, days (`dayMatches`: with `*` in
 * day-of-month or day-of-week both must match, otherwise either), hours, minutes, seconds, so it
 * fires when some second, minute and hour bit is set and some (month, day, weekday) exists on the
 * calendar: every day-of-month up to 28 falls on every weekday in some year; 29-31 only in months
 * that have them. Limitation: `Next` gives up after five years, so a schedule that fires only on
 * 29 February of one weekday (once in 28 years) is counted as firing here.
 */
export function cronCanFire(c: CronSchedule): boolean {
  const any = (bits: bigint, max: number, min = 0) => Array.from({ length: max - min + 1 }, (_, i) => i + min).some((i) => has(bits, i));
  if (!any(c.second, 59) || !any(c.minute, 59) || !any(c.hour, 23)) return false;
  const domStar = (c.dom & STAR_BIT) !== 0n;
  const dowStar = (c.dow & STAR_BIT) !== 0n;
  for (let m = 1; m <= 12; m++) {
    if (!has(c.month, m)) continue;
    for (let d = 1; d <= MAX_DAYS[m]!; d++) {
      for (let w = 0; w <= 6; w++) {
        const domMatch = has(c.dom, d);
        const dowMatch = has(c.dow, w);
        if (domStar || dowStar ? domMatch && dowMatch : domMatch || dowMatch) return true;
      }
    }
  }
  return false;
}

/** Why a scheduled replication with this cron never runs (refused by Harbor, or never fires), or undefined. */
export function cronNeverRuns(written: string): string | undefined {
  // What Harbor receives: the provider sends the cron trimmed, with single blanks
  // (components/harbor/api/policy-provider.ts normalizeCron; the policy pack loads no provider code).
  const cron = written.trim().split(/\s+/).join(" ");
  const refused = harborCronError(cron);
  if (refused !== undefined) return `Harbor refuses its cron "${cron}": ${refused}`;
  if (!cronCanFire(parseCron(cron))) return `its cron "${cron}" can never fire (no date on the calendar matches it)`;
  return undefined;
}
