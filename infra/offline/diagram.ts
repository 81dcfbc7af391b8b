import type { TopologyConfig } from "../config";
import type { RegistrySummary } from "../../components/topology";

const KIND_LABEL: Record<string, string> = {
  harbor: "Harbor",
  acr: "Azure ACR",
  gar: "Artifact Registry",
  icr: "IBM ICR",
  alibaba: "Alibaba ACR",
  oci: "OCI registry",
};

const id = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");
const text = (s: string) => s.replace(/"/g, "#quot;");

/** Upstreams a region's nodes try, in order: explicit order, else Harbor then backups. */
export function upstreamOrder(config: TopologyConfig, region: TopologyConfig["regions"][number]): string[] {
  return region.upstreamOrder ?? ["harbor", ...config.backups.map((b) => b.name)];
}

/** topology.md: a Mermaid diagram of Harbor, backups, replication edges, regions and mirrors. */
export function topologyMarkdown(stack: string, config: TopologyConfig, registries: RegistrySummary[]): string {
  const lines: string[] = ["flowchart LR"];
  const harbor = registries.find((r) => r.name === "harbor");
  lines.push(`  harbor[("Harbor<br/>${text(harbor?.host ?? config.harbor.hostname)}<br/>projects: ${config.harbor.projects.map((p) => p.name).join(", ")}")]`);
  if (config.backups.length > 0) {
    lines.push('  subgraph backups["Backup registries"]');
    for (const b of config.backups) {
      const summary = registries.find((r) => r.name === b.name);
      const host = summary ? `${summary.host}${summary.pathPrefix ? `/${summary.pathPrefix}` : ""}` : "(not provisioned)";
      lines.push(`    b_${id(b.name)}[("${text(b.name)} · ${KIND_LABEL[b.kind]}<br/>${text(host)}")]`);
    }
    lines.push("  end");
    const r = config.replication;
    const trigger = r.trigger === "scheduled" ? `scheduled ${r.cron}` : "event_based";
    for (const b of config.backups) lines.push(`  harbor -- "${text(trigger)}${r.deletion ? " + deletions" : ""}" --> b_${id(b.name)}`);
  }
  for (const region of config.regions) {
    const rid = `r_${id(region.name)}`;
    lines.push(`  subgraph ${rid}["region ${text(region.name)} (${region.runtimes.join(", ")})"]`);
    upstreamOrder(config, region).forEach((u, i) => {
      lines.push(`    ${rid}_m_${id(u)}["mirror of ${text(u)}<br/>:${region.mirrorPortBase + i}"]`);
    });
    lines.push("  end");
    upstreamOrder(config, region).forEach((u, i) => {
      const target = u === "harbor" ? "harbor" : `b_${id(u)}`;
      lines.push(`  ${rid}_m_${id(u)} -. "pull #${i + 1}" .-> ${target}`);
    });
  }
  return [
    `# Registry topology: ${stack}`,
    "",
    "Harbor is the primary; every push is replicated to each backup; nodes in every region pull",
    "through local mirrors, in the order shown, before falling back to Harbor itself.",
    "",
    "```mermaid",
    ...lines,
    "```",
    "",
  ].join("\n");
}
