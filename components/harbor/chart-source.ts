import * as path from "node:path";
import type { ChartSource } from "../../infra/config/chart-source";

/** The chart fields of Harbor's helm.v3.Release for a chart source. A relative archive path is
 * resolved against `root` (the project directory), so the provider, whose working directory may
 * differ, gets an absolute one. A local archive carries its own version: Helm reads it from the
 * file (the Release's `version` applies to repositories and OCI only). */
export function chartReleaseArgs(src: ChartSource, version: string, root: string): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
  if (src.path !== undefined) return { chart: path.resolve(root, src.path) };
  if (src.oci !== undefined) return { chart: src.oci, version };
  return { chart: "harbor", version, repositoryOpts: { repo: src.repo! } };
}
