/**
 * The longest gap between two runs of a Kubernetes CronJob schedule (five fields or a macro, as
 * the archive config accepts them), over two years from a fixed start, so an archive's
 * "older than its schedule allows" is exact for daily, weekly and monthly schedules alike.
 * Semantics as robfig/cron (Kubernetes' parser): day-of-month and day-of-week are OR-ed when both
 * are restricted, AND-ed when either is `*`; day-of-week 7 is Sunday.
 */
const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function field(text: string, lo: number, hi: number): { set: Set<number>; star: boolean } {
  const set = new Set<number>();
  for (const part of text.split(",")) {
    const [range, stepText] = part.split("/");
    const step = stepText ? Number(stepText) : 1;
    let a = lo;
    let b = hi;
    if (range !== "*") {
      const [x, y] = range!.split("-");
      a = Number(x);
      b = y !== undefined ? Number(y) : stepText ? hi : a;
    }
    for (let n = a; n <= b; n += step) set.add(n);
  }
  return { set, star: text.startsWith("*") };
}

export function longestGapSeconds(expr: string): number {
  const f = (MACROS[expr.trim()] ?? expr).trim().split(/\s+/);
  if (f.length !== 5) throw new Error(`not a five-field schedule: ${expr}`);
  const [min, hour, dom, mon, dow] = [field(f[0]!, 0, 59), field(f[1]!, 0, 23), field(f[2]!, 1, 31), field(f[3]!, 1, 12), field(f[4]!, 0, 7)];
  if (dow.set.has(7)) dow.set.add(0);
  const minutes = [...hour.set].sort((a, b) => a - b).flatMap((h) => [...min.set].sort((a, b) => a - b).map((m) => h * 60 + m));
  const start = Date.UTC(2025, 0, 1);
  let last: number | undefined;
  let longest = 0;
  for (let d = 0; d < 2 * 366 + 31; d++) {
    const day = new Date(start + d * 86_400_000);
    if (!mon.set.has(day.getUTCMonth() + 1)) continue;
    const domOk = dom.set.has(day.getUTCDate());
    const dowOk = dow.set.has(day.getUTCDay());
    if (!(dom.star || dow.star ? domOk && dowOk : domOk || dowOk)) continue;
    for (const m of minutes) {
      const t = start + d * 86_400_000 + m * 60_000;
      if (last !== undefined) longest = Math.max(longest, t - last);
      last = t;
    }
  }
  if (longest === 0) throw new Error(`schedule ${expr} does not run twice in two years`);
  return longest / 1000;
}
