/**
 * The Grafana dashboard (JSON model, schemaVersion 39), shipped as a ConfigMap labelled
 * `grafana_dashboard: "1"` (the Grafana Helm chart's dashboard sidecar convention). One row each
 * for replication, mirrors per region and node, certificates, archives. Every panel's query is
 * run against a real Prometheus in test/observability-prometheus.test.ts and must return data.
 */

export interface PanelSpec {
  title: string;
  description: string;
  expr: string;
  legend: string;
  unit: string;
  kind: "timeseries" | "stat";
}

export interface RowSpec {
  title: string;
  panels: PanelSpec[];
}

export const DASHBOARD_UID = "registry-topology";

export const DASHBOARD_ROWS: RowSpec[] = [
  {
    title: "Replication",
    panels: [
      { title: "Replication lag", description: "Age of the oldest image Harbor holds that the backup does not (0: in sync), per backup and project.", expr: "max by (backup, project) (registry_topology_backup_replication_lag_seconds)", legend: "{{backup}} / {{project}}", unit: "s", kind: "timeseries" },
      { title: "Tags missing or mismatched", description: "Tags the backup lacks or holds with another digest.", expr: "sum by (backup, project) (registry_topology_backup_tags_missing + registry_topology_backup_tags_mismatched)", legend: "{{backup}} / {{project}}", unit: "short", kind: "timeseries" },
      { title: "Backups read", description: "1: the backup was read with its pull identity in the last run; 0: see the status.", expr: "registry_topology_backup_up", legend: "{{backup}}", unit: "short", kind: "stat" },
      { title: "Harbor reachable", description: "1: the exporter listed Harbor's projects and read its registry API in the last run.", expr: "max(registry_topology_source_up)", legend: "Harbor", unit: "short", kind: "stat" },
      { title: "Since the last completed verification", description: "Time since a verification run last read Harbor.", expr: "time() - max(registry_topology_verification_last_success_timestamp_seconds)", legend: "age", unit: "s", kind: "stat" },
      { title: "Verification run", description: "Wall time and registry requests of the last run.", expr: "registry_topology_verification_run_duration_seconds", legend: "seconds", unit: "s", kind: "timeseries" },
    ],
  },
  {
    title: "Mirrors per region and node",
    panels: [
      { title: "Healthy mirrors per node", description: "Mirrors that pass the writer's probe (GET /v2/ with the node certificate), per node.", expr: "sum by (region, node) (registry_topology_node_mirror_probe_ok)", legend: "{{region}} / {{node}}", unit: "short", kind: "timeseries" },
      { title: "Mirrors left out", description: "Mirrors the writer removed from the node's runtime config for failing their probe.", expr: "sum by (region, node) (1 - registry_topology_node_mirror_listed)", legend: "{{region}} / {{node}}", unit: "short", kind: "timeseries" },
      { title: "Read-only mirrors", description: "1: the mirror serves only its cache (its upstream is down).", expr: "max by (region, node, upstream) (registry_topology_mirror_read_only)", legend: "{{region}} / {{node}} / {{upstream}}", unit: "short", kind: "timeseries" },
      { title: "Mirror cache size", description: "Bytes in each mirror's cache.", expr: "max by (region, node, upstream) (registry_topology_mirror_cache_bytes)", legend: "{{region}} / {{node}} / {{upstream}}", unit: "bytes", kind: "timeseries" },
      { title: "Upstreams reachable from mirrors", description: "1: the mirror's upstream answers.", expr: "max by (region, node, upstream) (registry_topology_mirror_upstream_up)", legend: "{{region}} / {{node}} / {{upstream}}", unit: "short", kind: "timeseries" },
      { title: "Node writer errors", description: "Files the writer could not apply in its last sync, per node.", expr: "max by (region, node, role) (registry_topology_writer_sync_errors)", legend: "{{region}} / {{node}} ({{role}})", unit: "short", kind: "timeseries" },
    ],
  },
  {
    title: "Certificates",
    panels: [
      { title: "Days until mirror certificates expire", description: "Per region and certificate (ca, server, client).", expr: "min by (region, certificate) (registry_topology_mirror_certificate_expiry_seconds) / 86400", legend: "{{region}} / {{certificate}}", unit: "d", kind: "stat" },
    ],
  },
  {
    title: "Archives",
    panels: [
      { title: "Newest complete snapshot age", description: "Per archive, against the age its schedule allows.", expr: "max by (archive) (registry_topology_archive_newest_snapshot_age_seconds)", legend: "{{archive}}", unit: "s", kind: "timeseries" },
      { title: "Allowed snapshot age", description: "The schedule's longest gap times thresholds.archiveScheduleFactor.", expr: "max by (archive) (registry_topology_archive_max_age_seconds)", legend: "{{archive}}", unit: "s", kind: "stat" },
      { title: "Complete snapshots", description: "Snapshots in each archive.", expr: "max by (archive) (registry_topology_archive_snapshots)", legend: "{{archive}}", unit: "short", kind: "stat" },
      { title: "Archives readable", description: "1: the archive store was listed with the archive job's identity.", expr: "registry_topology_archive_up", legend: "{{archive}}", unit: "short", kind: "stat" },
    ],
  },
];

/** The dashboard JSON model. */
export function grafanaDashboard(): Record<string, unknown> {
  const datasource = { type: "prometheus", uid: "${datasource}" };
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of DASHBOARD_ROWS) {
    panels.push({ id: id++, type: "row", title: row.title, collapsed: false, gridPos: { h: 1, w: 24, x: 0, y }, panels: [] });
    y += 1;
    row.panels.forEach((p, i) => {
      panels.push({
        id: id++,
        type: p.kind,
        title: p.title,
        description: p.description,
        datasource,
        gridPos: { h: 8, w: 8, x: (i % 3) * 8, y: y + Math.floor(i / 3) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        options: p.kind === "stat" ? { reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false }, textMode: "value_and_name" } : { legend: { displayMode: "list", placement: "bottom" }, tooltip: { mode: "multi" } },
        targets: [{ refId: "A", datasource, expr: p.expr, legendFormat: p.legend }],
      });
    });
    y += Math.ceil(row.panels.length / 3) * 8;
  }
  return {
    uid: DASHBOARD_UID,
    title: "Registry topology",
    description: "Replication to the backups, node mirrors, mirror certificates and archives (docs/observability.md).",
    tags: ["registry-topology"],
    schemaVersion: 39,
    version: 1,
    editable: false,
    time: { from: "now-24h", to: "now" },
    refresh: "1m",
    templating: { list: [{ name: "datasource", type: "datasource", query: "prometheus", label: "Prometheus", current: {} }] },
    panels,
  };
}

/** Every panel query of the dashboard. */
export function dashboardQueries(d: Record<string, unknown>): { title: string; expr: string }[] {
  return (d.panels as { type: string; title: string; targets?: { expr: string }[] }[]).filter((p) => p.type !== "row").flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
}
