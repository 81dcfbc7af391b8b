import { z } from "zod";
import { urlProblem } from "./net";

import { HARBOR_CHART_REPO } from "../../components/harbor/chart/chart-source";

export { HARBOR_CHART_REPO, type ChartSource } from "../../components/harbor/chart/chart-source";

/** `oci://host[:port]/path` without a tag or digest (the version is chartVersion) and without credentials. */
export function ociChartProblem(v: string): string | undefined {
  const m = /^oci:\/\/([^/\s]+)((?:\/[^/\s:@]+)+)$/.exec(v);
  if (!m) return "expected oci://host[:port]/path/harbor (no tag: the version is harbor.chartVersion)";
  if (m[1]!.includes("@")) return "the reference holds credentials: remove them (log in with `helm registry login` instead)";
  return undefined;
}

export function chartPathProblem(v: string): string | undefined {
  if (!v.trim()) return "expected the path of a chart archive (.tgz)";
  if (!/\.tgz$/.test(v)) return "expected a chart archive ending in .tgz (from `helm pull harbor/harbor --version <chartVersion>`)";
  return undefined;
}

export const chartSourceSchema = z
  .strictObject({
    repo: z.string().optional(),
    path: z.string().optional(),
    oci: z.string().optional(),
  })
  .superRefine((c, ctx) => {
    const set = (["repo", "path", "oci"] as const).filter((k) => c[k] !== undefined);
    if (set.length !== 1) {
      ctx.addIssue({ code: "custom", message: `set exactly one of repo, path or oci (got ${set.length ? set.join(", ") : "none"})` });
      return;
    }
    const k = set[0]!;
    const v = c[k]!;
    const problem = k === "repo" ? urlProblem(v, { path: true, secretHint: "use a repository that needs no credential" }) : k === "path" ? chartPathProblem(v) : ociChartProblem(v);
    if (problem) ctx.addIssue({ code: "custom", path: [k], message: problem });
  })
  .default({ repo: HARBOR_CHART_REPO });
