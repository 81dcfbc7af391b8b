/**
 * Prometheus text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/):
 * one `# HELP` and `# TYPE` line per family, then `name{label="value",...} value`. Label values
 * escape backslash, double quote and line feed; HELP text escapes backslash and line feed.
 * Pure: the exporter's HTTP handler only serves what this returns.
 */

export type MetricType = "gauge" | "counter";

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

/** The exposition text of `families`; a bad metric or label name is a programming error and throws. */
export function formatExposition(families: readonly MetricFamily[]): string {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const f of families) {
    if (!NAME.test(f.name)) throw new Error(`invalid metric name ${JSON.stringify(f.name)}`);
    if (seen.has(f.name)) throw new Error(`metric ${f.name} appears twice`);
    seen.add(f.name);
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    const series = new Set<string>();
    for (const s of f.samples) {
      const pairs = Object.entries(s.labels)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => {
          if (!LABEL.test(k) || k.startsWith("__")) throw new Error(`invalid label name ${JSON.stringify(k)} on ${f.name}`);
          return `${k}="${escapeLabel(v)}"`;
        });
      const key = pairs.join(",");
      if (series.has(key)) throw new Error(`${f.name}{${key}} appears twice`);
      series.add(key);
      out.push(`${f.name}${pairs.length ? `{${key}}` : ""} ${formatValue(s.value)}`);
    }
  }
  return `${out.join("\n")}\n`;
}
