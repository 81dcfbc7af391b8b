/**
 * `promtool test rules` cases for every alert of components/observability/rules.ts: each alert
 * fires on a synthetic failing series and stays silent on a healthy one next to it (and, where it
 * has a `for`, not before it has lasted that long). Values are derived from the thresholds, so
 * the same cases prove configured thresholds too. Format: Prometheus docs "Unit testing for rules"
 * (https://prometheus.io/docs/prometheus/2.42/configuration/unit_testing_rules/).
 */
import type { Thresholds } from "../../infra/config/observability";
import { alertRules } from "../../components/observability/rules";

interface Series {
  series: string;
  values: string;
}
interface Expected {
  labels: Record<string, string>;
}
interface Case {
  name: string;
  input: Series[];
  /** [eval time in minutes, alert, expected alerts] */
  checks: [number, string, Expected[]][];
}

export function alertCases(t: Thresholds): Case[] {
  const behind = t.backupBehindMinutes * 60;
  const stale = t.verificationStaleMinutes;
  return [
    {
      name: "backup behind",
      input: [
        { series: `registry_topology_backup_replication_lag_seconds{backup="bk-late",project="library"}`, values: `${behind + 60}x30` },
        { series: `registry_topology_backup_replication_lag_seconds{backup="bk-ok",project="library"}`, values: `${behind - 60}x30` },
        { series: `registry_topology_backup_replication_lag_seconds{backup="bk-synced",project="library"}`, values: "0x30" },
      ],
      checks: [[5, "RegistryBackupBehind", [{ labels: { backup: "bk-late", project: "library" } }]]],
    },
    {
      name: "backup missing tags",
      input: [
        { series: `registry_topology_backup_tags_missing{backup="bk-holes",project="library"}`, values: `3x${t.missingTagsMinutes + 30}` },
        { series: `registry_topology_backup_tags_mismatched{backup="bk-holes",project="library"}`, values: `0x${t.missingTagsMinutes + 30}` },
        { series: `registry_topology_backup_tags_missing{backup="bk-moved",project="library"}`, values: `0x${t.missingTagsMinutes + 30}` },
        { series: `registry_topology_backup_tags_mismatched{backup="bk-moved",project="library"}`, values: `1x${t.missingTagsMinutes + 30}` },
        { series: `registry_topology_backup_tags_missing{backup="bk-ok",project="library"}`, values: `0x${t.missingTagsMinutes + 30}` },
        { series: `registry_topology_backup_tags_mismatched{backup="bk-ok",project="library"}`, values: `0x${t.missingTagsMinutes + 30}` },
      ],
      checks: [
        [t.missingTagsMinutes - 5, "RegistryBackupMissingTags", []],
        [t.missingTagsMinutes + 5, "RegistryBackupMissingTags", [{ labels: { backup: "bk-holes", project: "library" } }, { labels: { backup: "bk-moved", project: "library" } }]],
      ],
    },
    {
      name: "backup unchecked",
      input: [
        { series: `registry_topology_backup_up{backup="bk-down"}`, values: `0x${stale + 20}` },
        { series: `registry_topology_backup_up{backup="bk-ok"}`, values: `1x${stale + 20}` },
      ],
      checks: [[stale + 5, "RegistryBackupUnchecked", [{ labels: { backup: "bk-down" } }]]],
    },
    {
      name: "harbor down while mirrors serve",
      input: [
        { series: `registry_topology_source_up{source="harbor"}`, values: `1x5 0x${t.harborDownMinutes + 20}` },
        { series: `registry_topology_node_mirror_probe_ok{node="n1",region="eu",role="node",mirror="https://10.0.0.5:5000"}`, values: `1x${t.harborDownMinutes + 25}` },
      ],
      checks: [
        [3, "RegistryHarborUnreachable", []],
        [t.harborDownMinutes + 10, "RegistryHarborUnreachable", [{ labels: {} }]],
      ],
    },
    {
      name: "harbor down, no node metrics collected at all: fires on Harbor alone",
      input: [{ series: `registry_topology_source_up{source="harbor"}`, values: `0x${t.harborDownMinutes + 20}` }],
      checks: [[t.harborDownMinutes + 10, "RegistryHarborUnreachable", [{ labels: {} }]]],
    },
    {
      name: "harbor down and no mirror serving: the no-healthy-mirror alert, not this one",
      input: [
        { series: `registry_topology_source_up{source="harbor"}`, values: `0x${t.harborDownMinutes + 20}` },
        { series: `registry_topology_node_mirror_probe_ok{node="n1",region="eu",role="node",mirror="https://10.0.0.5:5000"}`, values: `0x${t.harborDownMinutes + 20}` },
      ],
      checks: [[t.harborDownMinutes + 10, "RegistryHarborUnreachable", []]],
    },
    {
      name: "node without a healthy mirror",
      input: [
        { series: `registry_topology_node_mirror_probe_ok{node="n1",region="eu",role="node",mirror="https://10.0.0.5:5000"}`, values: `0x${t.noHealthyMirrorMinutes + 20}` },
        { series: `registry_topology_node_mirror_probe_ok{node="n1",region="eu",role="node",mirror="https://10.0.0.5:5001"}`, values: `0x${t.noHealthyMirrorMinutes + 20}` },
        { series: `registry_topology_node_mirror_probe_ok{node="n2",region="eu",role="node",mirror="https://10.0.0.5:5000"}`, values: `0x${t.noHealthyMirrorMinutes + 20}` },
        { series: `registry_topology_node_mirror_probe_ok{node="n2",region="eu",role="node",mirror="https://10.0.0.5:5001"}`, values: `1x${t.noHealthyMirrorMinutes + 20}` },
      ],
      checks: [[t.noHealthyMirrorMinutes + 5, "RegistryNodeNoHealthyMirror", [{ labels: { node: "n1", region: "eu" } }]]],
    },
    {
      name: "mirror read-only",
      input: [
        { series: `registry_topology_mirror_read_only{node="m1",region="eu",upstream="harbor"}`, values: `1x${t.mirrorReadOnlyMinutes + 20}` },
        { series: `registry_topology_mirror_read_only{node="m1",region="eu",upstream="acr"}`, values: `0x${t.mirrorReadOnlyMinutes + 20}` },
      ],
      checks: [
        [t.mirrorReadOnlyMinutes - 5, "RegistryMirrorReadOnly", []],
        [t.mirrorReadOnlyMinutes + 5, "RegistryMirrorReadOnly", [{ labels: { node: "m1", region: "eu", upstream: "harbor" } }]],
      ],
    },
    {
      name: "certificate expiring",
      input: [
        { series: `registry_topology_mirror_certificate_expiry_seconds{region="eu",certificate="server"}`, values: `${(t.certificateDays - 1) * 86400}x10` },
        { series: `registry_topology_mirror_certificate_expiry_seconds{region="eu",certificate="ca"}`, values: `${(t.certificateDays + 300) * 86400}x10` },
      ],
      checks: [[2, "RegistryCertificateExpiring", [{ labels: { region: "eu", certificate: "server" } }]]],
    },
    {
      name: "archive stale or empty",
      input: [
        { series: `registry_topology_archive_newest_snapshot_age_seconds{archive="old"}`, values: "200000x10" },
        { series: `registry_topology_archive_max_age_seconds{archive="old"}`, values: "172800x10" },
        { series: `registry_topology_archive_snapshots{archive="old"}`, values: "4x10" },
        { series: `registry_topology_archive_newest_snapshot_age_seconds{archive="fresh"}`, values: "3600x10" },
        { series: `registry_topology_archive_max_age_seconds{archive="fresh"}`, values: "172800x10" },
        { series: `registry_topology_archive_snapshots{archive="fresh"}`, values: "9x10" },
        { series: `registry_topology_archive_max_age_seconds{archive="empty"}`, values: "172800x10" },
        { series: `registry_topology_archive_snapshots{archive="empty"}`, values: "0x10" },
      ],
      checks: [[2, "RegistryArchiveStale", [{ labels: { archive: "old" } }, { labels: { archive: "empty" } }]]],
    },
    {
      name: "archive unreadable",
      input: [
        { series: `registry_topology_archive_up{archive="gone"}`, values: `0x${stale + 20}` },
        { series: `registry_topology_archive_up{archive="ok"}`, values: `1x${stale + 20}` },
      ],
      checks: [[stale + 5, "RegistryArchiveUnreadable", [{ labels: { archive: "gone" } }]]],
    },
    {
      name: "verification stopped succeeding (one exporter stuck, one healthy)",
      input: [
        // Value = when the last success was: the stuck one stopped at 0, the healthy one keeps up with time().
        { series: `registry_topology_verification_last_success_timestamp_seconds{instance="stuck"}`, values: `0x${2 * stale + 30}` },
        { series: `registry_topology_verification_last_success_timestamp_seconds{instance="healthy"}`, values: `0+60x${2 * stale + 30}` },
      ],
      checks: [
        [stale + 5, "RegistryVerificationNotRunning", []],
        [2 * stale + 5, "RegistryVerificationNotRunning", [{ labels: { instance: "stuck" } }]],
      ],
    },
    {
      name: "verification never ran (exporter absent)",
      input: [{ series: `registry_topology_backup_up{backup="unrelated"}`, values: `1x${stale + 20}` }],
      checks: [[stale + 5, "RegistryVerificationNotRunning", [{ labels: {} }]]],
    },
    {
      name: "mirror token expiring or missing",
      // Minted at 0 for 60 min (a short token): the stuck mirror keeps it, the healthy one is renewed every 30 min.
      input: [
        { series: `registry_topology_mirror_token_issued_timestamp_seconds{node="m1",region="eu",role="mirror",upstream="ecr"}`, values: "0x60" },
        { series: `registry_topology_mirror_token_expiry_timestamp_seconds{node="m1",region="eu",role="mirror",upstream="ecr"}`, values: "3600x60" },
        { series: `registry_topology_mirror_token_present{node="m1",region="eu",role="mirror",upstream="ecr"}`, values: "1x60" },
        { series: `registry_topology_mirror_token_issued_timestamp_seconds{node="m2",region="eu",role="mirror",upstream="ecr"}`, values: "0x29 1800x30" },
        { series: `registry_topology_mirror_token_expiry_timestamp_seconds{node="m2",region="eu",role="mirror",upstream="ecr"}`, values: "3600x29 5400x30" },
        { series: `registry_topology_mirror_token_present{node="m2",region="eu",role="mirror",upstream="ecr"}`, values: "1x60" },
        { series: `registry_topology_mirror_token_present{node="m3",region="eu",role="mirror",upstream="ali"}`, values: "0x60" },
      ],
      checks: [
        // 45 min in, 15 min left = a quarter: not yet; m3 has had no token for more than 5 min.
        [44, "RegistryMirrorTokenExpiring", [{ labels: { node: "m3", region: "eu", role: "mirror", upstream: "ali" } }]],
        [52, "RegistryMirrorTokenExpiring", [{ labels: { node: "m1", region: "eu", role: "mirror", upstream: "ecr" } }, { labels: { node: "m3", region: "eu", role: "mirror", upstream: "ali" } }]],
      ],
    },
    {
      name: "node writer failing",
      input: [
        { series: `registry_topology_writer_sync_errors{node="n1",region="eu",role="node"}`, values: "2x30" },
        { series: `registry_topology_writer_manifest_ok{node="n1",region="eu",role="node"}`, values: "1x30" },
        { series: `registry_topology_writer_sync_errors{node="n2",region="eu",role="node"}`, values: "0x30" },
        { series: `registry_topology_writer_manifest_ok{node="n2",region="eu",role="node"}`, values: "1x30" },
      ],
      checks: [[20, "RegistryNodeWriterFailing", [{ labels: { node: "n1", region: "eu", role: "node" } }]]],
    },
  ];
}

const expand = (text: string, labels: Record<string, string>) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_m, k: string) => labels[k] ?? "");

/** The promtool unit-test file for `rulesFile`. */
export function promtoolTestFile(t: Thresholds, rulesFile: string): Record<string, unknown> {
  const rules = new Map(alertRules(t).map((r) => [r.alert, r]));
  return {
    rule_files: [rulesFile],
    evaluation_interval: "1m",
    tests: alertCases(t).map((c) => ({
      interval: "1m",
      input_series: c.input,
      alert_rule_test: c.checks.map(([minutes, alert, expected]) => {
        const rule = rules.get(alert);
        if (!rule) throw new Error(`no rule ${alert}`);
        return {
          eval_time: `${minutes}m`,
          alertname: alert,
          exp_alerts: expected.map((e) => {
            const labels = { ...e.labels, severity: rule.labels.severity };
            return { exp_labels: labels, exp_annotations: Object.fromEntries(Object.entries(rule.annotations).map(([k, v]) => [k, expand(v, labels)])) };
          }),
        };
      }),
    })),
  };
}

/** Alerts that have a case where they fire. */
export const alertsCovered = (t: Thresholds): Set<string> => new Set(alertCases(t).flatMap((c) => c.checks.filter(([, , e]) => e.length > 0).map(([, a]) => a)));
