/**
 * What the exporter checks, as it reads it at start: a JSON file (no secret; rendered by
 * components/observability) plus credentials from files (a mounted Secret per identity). Parsed by
 * hand so the shipped exporter needs nothing but Node's own modules.
 */
import * as fs from "node:fs";
import * as path from "node:path";

import type { ExporterSettings } from "../../components/observability/args";

export type { ExporterSettings };

export class SettingsError extends Error {}

function need<T>(ok: boolean, what: string, value: T): T {
  if (!ok) throw new SettingsError(`exporter settings: ${what}`);
  return value;
}

const str = (v: unknown, at: string): string => need(typeof v === "string" && v.length > 0, `${at}: expected a non-empty string`, v as string);
const int = (v: unknown, at: string, min: number, max: number): number => need(Number.isInteger(v) && (v as number) >= min && (v as number) <= max, `${at}: expected a whole number from ${min} to ${max}`, v as number);
const list = (v: unknown, at: string): unknown[] => need(Array.isArray(v), `${at}: expected a list`, v as unknown[]);
const obj = (v: unknown, at: string): Record<string, unknown> => need(typeof v === "object" && v !== null && !Array.isArray(v), `${at}: expected an object`, v as Record<string, unknown>);

export function parseSettings(json: unknown): ExporterSettings {
  const o = obj(json, "(top)");
  const s = obj(o.source, "source");
  const listing = need(s.listing === "harbor-api" || s.listing === "catalog", 'source.listing: expected "harbor-api" or "catalog"', s.listing as "harbor-api" | "catalog");
  const settings: ExporterSettings = {
    listen: typeof o.listen === "string" ? o.listen : "0.0.0.0:9750",
    intervalSeconds: int(o.intervalSeconds, "intervalSeconds", 1, 86_400),
    deadlineSeconds: int(o.deadlineSeconds, "deadlineSeconds", 1, 86_400),
    concurrency: int(o.concurrency ?? 4, "concurrency", 1, 64),
    maxDated: int(o.maxDated ?? 200, "maxDated", 0, 100_000),
    source: {
      name: str(s.name, "source.name"),
      baseUrl: str(s.baseUrl, "source.baseUrl"),
      listing,
      apiUrl: s.apiUrl === undefined ? undefined : str(s.apiUrl, "source.apiUrl"),
      projects: list(s.projects, "source.projects").map((p, i) => str(p, `source.projects[${i}]`)),
    },
    backups: list(o.backups ?? [], "backups").map((b, i) => {
      const x = obj(b, `backups[${i}]`);
      return {
        name: str(x.name, `backups[${i}].name`),
        baseUrl: str(x.baseUrl, `backups[${i}].baseUrl`),
        pathPrefix: typeof x.pathPrefix === "string" ? x.pathPrefix : "",
        keepsProjectPath: x.keepsProjectPath !== false,
      };
    }),
    archives: list(o.archives ?? [], "archives").map((a, i) => {
      const x = obj(a, `archives[${i}]`);
      return { name: str(x.name, `archives[${i}].name`), path: str(x.path, `archives[${i}].path`), maxAgeSeconds: int(x.maxAgeSeconds, `archives[${i}].maxAgeSeconds`, 1, 10 * 366 * 86_400) };
    }),
    certificates: list(o.certificates ?? [], "certificates").map((c, i) => {
      const x = obj(c, `certificates[${i}]`);
      return { region: str(x.region, `certificates[${i}].region`), certificate: str(x.certificate, `certificates[${i}].certificate`), pem: str(x.pem, `certificates[${i}].pem`) };
    }),
  };
  if (settings.deadlineSeconds >= settings.intervalSeconds) throw new SettingsError("exporter settings: deadlineSeconds must be below intervalSeconds (runs never overlap)");
  return settings;
}

/** Credentials as files: `<dir>/<name>/username` and `password` (a mounted Secret each). */
export interface Credentials {
  source?: { username: string; password: string };
  /** Pull identity per backup name; absent: that backup has none and is reported not-checked. */
  backups: Record<string, { username: string; password: string }>;
  /** rclone environment per archive name (the archive job's store identity). */
  archives: Record<string, Record<string, string>>;
}

function readDir(dir: string): Record<string, string> | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir)) {
    // Kubernetes Secret volumes hold ..data and timestamped directories next to the key links.
    if (f.startsWith(".")) continue;
    const p = path.join(dir, f);
    if (fs.statSync(p).isFile()) out[f] = fs.readFileSync(p, "utf8");
  }
  return out;
}

function pair(dir: string): { username: string; password: string } | undefined {
  const f = readDir(dir);
  if (!f) return undefined;
  if (f.username === undefined || f.password === undefined) throw new SettingsError(`credentials in ${dir}: expected files username and password`);
  return { username: f.username.trim(), password: f.password.trim() };
}

/**
 * `root/source/`, `root/backups/<name>/`, `root/archives/<name>/` (each file an environment
 * variable). Read once per run, so a rotated Secret is picked up without a restart.
 */
export function readCredentials(root: string, s: ExporterSettings): Credentials {
  const backups: Credentials["backups"] = {};
  for (const b of s.backups) {
    const c = pair(path.join(root, "backups", b.name));
    if (c) backups[b.name] = c;
  }
  const archives: Credentials["archives"] = {};
  for (const a of s.archives) {
    const env = readDir(path.join(root, "archives", a.name));
    if (env) archives[a.name] = env;
  }
  return { source: pair(path.join(root, "source")), backups, archives };
}
