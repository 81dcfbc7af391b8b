import * as path from "node:path";

/** Harbor's official Helm chart repository. */
export const HARBOR_CHART_REPO = "https://helm.goharbor.io";

/** Where the Harbor chart comes from: the official repository, another Helm repository (a mirror),
 * a local chart archive (air-gapped installs: `helm pull harbor/harbor --version <chartVersion>`),
 * or an OCI reference. Exactly one key. */
export interface ChartSource {
  repo?: string;
  path?: string;
  oci?: string;
}

/** The chart fields of Harbor's helm.v3.Release for a chart source. A relative archive path is
 * resolved against `root` (the project directory), so the provider, whose working directory may
 * differ, gets an absolute one. A local archive carries its own version: Helm reads it from the
 * file (the Release's `version` applies to repositories and OCI only). */
export function chartReleaseArgs(src: ChartSource, version: string, root: string): { chart: string; version?: string; repositoryOpts?: { repo: string } } {
  if (src.path !== undefined) return { chart: path.resolve(root, src.path) };
  if (src.oci !== undefined) return { chart: src.oci, version };
  return { chart: "harbor", version, repositoryOpts: { repo: src.repo! } };
}
