import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { chartReleaseArgs } from "../components/harbor/chart/chart-source";
import { parseTopologyConfig } from "../infra/config";
import { problems } from "./helpers/config-problems";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Raw = Record<string, any>;

function base(chart?: unknown): Raw {
  return {
    environment: "dev",
    harbor: {
      hostname: "harbor.example.com",
      expose: { type: "ingress", className: "nginx", tlsSecretName: "harbor-tls" },
      projects: [{ name: "library" }],
      ...(chart === undefined ? {} : { chart }),
    },
    backups: [{ name: "acr-weu", kind: "acr", resourceGroupName: "rg", location: "westeurope", registryName: "regtopoweu" }],
  };
}

describe("harbor.chart: where the Harbor chart comes from", () => {
  it("defaults to the official repository", () => {
    expect(parseTopologyConfig(base()).harbor.chart).toEqual({ repo: "https://helm.goharbor.io" });
  });

  it("takes a repository, a local archive or an OCI reference", () => {
    expect(parseTopologyConfig(base({ repo: "https://charts.internal.example.com/harbor" })).harbor.chart).toEqual({ repo: "https://charts.internal.example.com/harbor" });
    expect(parseTopologyConfig(base({ path: "charts/harbor-1.19.1.tgz" })).harbor.chart).toEqual({ path: "charts/harbor-1.19.1.tgz" });
    expect(parseTopologyConfig(base({ oci: "oci://registry.internal.example.com:5000/charts/harbor" })).harbor.chart).toEqual({ oci: "oci://registry.internal.example.com:5000/charts/harbor" });
  });

  it.each([
    [{}, "harbor.chart", "exactly one of repo, path or oci"],
    [{ repo: "https://helm.goharbor.io", path: "h.tgz" }, "harbor.chart", "got repo, path"],
    [{ path: "harbor.tar" }, "harbor.chart.path", ".tgz"],
    [{ repo: "ftp://charts.example.com" }, "harbor.chart.repo", "http(s) URL"],
    [{ repo: "https://user:pw@charts.example.com" }, "harbor.chart.repo", "password"],
    [{ oci: "https://registry.example.com/harbor" }, "harbor.chart.oci", "oci://"],
    [{ oci: "oci://registry.example.com/charts/harbor:1.19.1" }, "harbor.chart.oci", "no tag"],
    [{ oci: "oci://u:p@registry.example.com/charts/harbor" }, "harbor.chart.oci", "credentials"],
    [{ url: "https://helm.goharbor.io" }, "harbor.chart", "url"],
  ])("refuses %j at %s", (chart, key, text) => {
    const p = problems(base(chart));
    expect(p.some((m) => m.startsWith(key) && m.includes(text)), p.join("\n")).toBe(true);
    expect(p.join("\n")).not.toContain(":pw@");
  });
});

describe("chartReleaseArgs", () => {
  it("a repository: chart name, version and repositoryOpts", () => {
    expect(chartReleaseArgs({ repo: "https://helm.goharbor.io" }, "1.19.1", "/p")).toEqual({ chart: "harbor", version: "1.19.1", repositoryOpts: { repo: "https://helm.goharbor.io" } });
  });
  it("an OCI reference: the reference as chart, with the version", () => {
    expect(chartReleaseArgs({ oci: "oci://r.example.com/charts/harbor" }, "1.19.1", "/p")).toEqual({ chart: "oci://r.example.com/charts/harbor", version: "1.19.1" });
  });
  it("a local archive: an absolute path, resolved against the project directory", () => {
    expect(chartReleaseArgs({ path: "../shared/charts/harbor-1.19.1.tgz" }, "1.19.1", "/work/project")).toEqual({ chart: path.resolve("/work/shared/charts/harbor-1.19.1.tgz") });
    expect(chartReleaseArgs({ path: "/abs/harbor.tgz" }, "1.19.1", "/work/project")).toEqual({ chart: "/abs/harbor.tgz" });
  });
});
