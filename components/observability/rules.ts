/**
 * The alerting rules (one Prometheus rule group), as data: the PrometheusRule object's spec and the
 * plain rules file (docs/observability.md) are both this. Annotations use only `{{ $labels.x }}`
 * templates, so what an alert says is known from its labels (test/observability-rules.test.ts
 * checks every alert with `promtool test rules`). Thresholds come from config
 * (`observability.thresholds`).
 */
import type { AlertThresholds as Thresholds } from "./args";

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: "critical" | "warning" };
  annotations: { summary: string; description: string; runbook: string };
}

export interface RuleGroups {
  groups: { name: string; rules: AlertRule[] }[];
}

export const RULE_GROUP = "registry-topology";

/** Every alert, with the thresholds in force. */
export function alertRules(t: Thresholds): AlertRule[] {
  const m = (n: number) => `${n}m`;
  return [
    {
      alert: "RegistryBackupBehind",
      expr: `registry_topology_backup_replication_lag_seconds > ${t.backupBehindMinutes * 60}`,
      labels: { severity: "critical" },
      annotations: {
        summary: "Backup {{ $labels.backup }} is more than " + `${t.backupBehindMinutes}` + " minutes behind Harbor in project {{ $labels.project }}",
        description: "The oldest image Harbor holds in {{ $labels.project }} that backup {{ $labels.backup }} does not (or holds with another digest) was pushed more than " + `${t.backupBehindMinutes}` + " minutes ago.",
        runbook:
          "In Harbor (Administration > Replications) open the policy to {{ $labels.backup }} and read the failed executions' task logs: an expired or revoked push identity, a quota, or the backup unreachable from Harbor are the usual causes. Fix the cause, then `npm run verify -- --stack <stack> --repair` copies what is missing with the push identity; the lag returns to 0 on the exporter's next run.",
      },
    },
    {
      alert: "RegistryBackupMissingTags",
      expr: "(registry_topology_backup_tags_missing + registry_topology_backup_tags_mismatched) > 0",
      for: m(t.missingTagsMinutes),
      labels: { severity: "warning" },
      annotations: {
        summary: "Backup {{ $labels.backup }} has lacked tags of project {{ $labels.project }} for " + `${t.missingTagsMinutes}` + " minutes",
        description: "Tags missing or with another digest on {{ $labels.backup }} persisted through runs for longer than a backfill should take (event replication copies new pushes in seconds; the backfill execution started when a policy is created copies older images).",
        runbook:
          "Run `npm run verify -- --stack <stack>` to list the tags; if the replication policy's last backfill execution failed or never ran (Harbor > Replications > executions), start it again in Harbor or run `npm run verify -- --stack <stack> --repair`. Tags that differ in digest mean someone pushed to the backup directly or the tag moved in Harbor without replicating: find out which before repairing.",
      },
    },
    {
      alert: "RegistryBackupUnchecked",
      expr: "registry_topology_backup_up == 0",
      for: m(t.verificationStaleMinutes),
      labels: { severity: "warning" },
      annotations: {
        summary: "Backup {{ $labels.backup }} could not be read for verification",
        description: "The exporter could not read backup {{ $labels.backup }} with its pull identity (see registry_topology_backup_check_status for why); its replication state is unknown. Other backups are still checked.",
        runbook:
          "Look at the exporter's log line for the run (`kubectl logs deploy/registry-topology-exporter`): unreachable means network or DNS to the backup, an auth error an expired or rotated pull identity (re-run `pulumi up` to refresh it), not-checked a backup without a pull identity in the stack outputs.",
      },
    },
    {
      alert: "RegistryHarborUnreachable",
      // Without node metrics (no nodeTextfileDirectory) it fires on Harbor alone: never silent for lack of data.
      expr: "max(registry_topology_source_up) == 0 and on() ((count(registry_topology_node_mirror_probe_ok == 1) > 0) or on() absent(registry_topology_node_mirror_probe_ok))",
      for: m(t.harborDownMinutes),
      labels: { severity: "critical" },
      annotations: {
        summary: "Harbor is unreachable; nodes still pull through the region mirrors",
        description: "The exporter cannot read Harbor's registry API while node mirrors still pass their probes (or no node metrics are collected): pulls of cached images keep working, new pushes and images not yet cached do not.",
        runbook:
          "Check Harbor's pods (`kubectl -n <harbor namespace> get pods`), its database and Redis, and its ingress or load balancer. Mirrors switch to read-only and serve their caches meanwhile (RegistryMirrorReadOnly follows); do not restart mirrors during the outage (distribution's proxy exits if it cannot reach its upstream at start).",
      },
    },
    {
      alert: "RegistryNodeNoHealthyMirror",
      expr: "sum by (region, node) (registry_topology_node_mirror_probe_ok) == 0",
      for: m(t.noHealthyMirrorMinutes),
      labels: { severity: "critical" },
      annotations: {
        summary: "Node {{ $labels.node }} in region {{ $labels.region }} has no healthy mirror",
        description: "Every mirror of node {{ $labels.node }} fails the writer's probe (GET /v2/ with the node's client certificate). The writer keeps them all listed (the probe itself may be broken), so pulls there depend on Harbor directly.",
        runbook:
          "On a mirror node: `crictl ps | grep registry-mirror` and the supervisor's status file under /var/lib/registry-topology/mirrors/<upstream>/. From the node: `curl --cert/--key/--cacert` with the node's mirror client files against https://<mirror>/v2/. An expired mirror certificate (RegistryCertificateExpiring) or a firewall change between nodes and mirror nodes are the usual causes.",
      },
    },
    {
      alert: "RegistryMirrorReadOnly",
      expr: "registry_topology_mirror_read_only == 1",
      for: m(t.mirrorReadOnlyMinutes),
      labels: { severity: "warning" },
      annotations: {
        summary: "Mirror of {{ $labels.upstream }} on {{ $labels.node }} has served read-only for " + `${t.mirrorReadOnlyMinutes}` + " minutes",
        description: "The mirror's upstream {{ $labels.upstream }} does not answer, so the mirror serves only its cache: images not cached yet cannot be pulled through it.",
        runbook:
          "Find out why {{ $labels.upstream }} is unreachable from the mirror node (RegistryHarborUnreachable or RegistryBackupUnchecked usually fire too). The supervisor returns the mirror to proxy mode by itself once the upstream answers; nothing to restart.",
      },
    },
    {
      alert: "RegistryCertificateExpiring",
      expr: `registry_topology_mirror_certificate_expiry_seconds < ${t.certificateDays * 86400}`,
      labels: { severity: "warning" },
      annotations: {
        summary: "Mirror certificate {{ $labels.certificate }} of region {{ $labels.region }} expires in less than " + `${t.certificateDays}` + " days",
        description: "When it expires, nodes of region {{ $labels.region }} can no longer reach their mirrors over mTLS and pull from Harbor directly.",
        runbook:
          "Run `pulumi up` for the stack: the TLS provider renews certificates inside their early-renewal window and the writer delivers the new ones (mirror static pods restart because their manifest digest changes). If the certificate is past that window and `pulumi up` did not renew it, `pulumi up --replace` the region's certificate resource.",
      },
    },
    {
      alert: "RegistryArchiveStale",
      expr: "(registry_topology_archive_newest_snapshot_age_seconds > on(archive) registry_topology_archive_max_age_seconds) or (registry_topology_archive_snapshots == 0)",
      labels: { severity: "warning" },
      annotations: {
        summary: "Archive {{ $labels.archive }} has no recent complete snapshot",
        description: "The newest complete snapshot of archive {{ $labels.archive }} is older than its schedule allows (the schedule's longest gap times " + `${t.archiveScheduleFactor}` + "), or it has none.",
        runbook:
          "`kubectl -n <harbor namespace> get cronjob,jobs -l app.kubernetes.io/name=registry-archive` and the logs of the last job: a failed run names the phase (state, collect, upload). A suspended CronJob, an expired store identity or a full staging volume are the usual causes. Start a run by hand with `kubectl create job --from=cronjob/registry-archive-{{ $labels.archive }} registry-archive-{{ $labels.archive }}-manual`.",
      },
    },
    {
      alert: "RegistryArchiveUnreadable",
      expr: "registry_topology_archive_up == 0",
      for: m(t.verificationStaleMinutes),
      labels: { severity: "warning" },
      annotations: {
        summary: "Archive {{ $labels.archive }} cannot be listed",
        description: "The exporter could not list archive {{ $labels.archive }} with the archive job's store identity; its age is unknown.",
        runbook: "Check the store's identity (Secret registry-archive-{{ $labels.archive }}-store) and that the bucket or container still exists; `npm run verify -- --stack <stack>` reads it with the same identity and says why.",
      },
    },
    {
      alert: "RegistryVerificationNotRunning",
      expr: `(time() - registry_topology_verification_last_success_timestamp_seconds > ${t.verificationStaleMinutes * 60}) or absent(registry_topology_verification_last_success_timestamp_seconds)`,
      for: m(t.verificationStaleMinutes),
      labels: { severity: "warning" },
      annotations: {
        summary: "Continuous verification has not completed a run for " + `${t.verificationStaleMinutes}` + " minutes",
        description: "No verification run has read Harbor recently, or the exporter is not scraped at all: replication, archive and certificate metrics are stale and the other alerts cannot fire.",
        runbook:
          "`kubectl get deploy,pods -l app.kubernetes.io/name=registry-topology-exporter` and its logs: a run that fails names the registry and the call. Check Prometheus's target page for the exporter. The robot's credential (Secret registry-topology-exporter-source) may have been revoked in Harbor: `pulumi up` re-creates it.",
      },
    },
    {
      // A quarter of the token's life left: the refresher (which renews at half-life) has failed
      // for a quarter of it (3 h of a 12 h ECR token, 15 min of a 1 h Alibaba one).
      alert: "RegistryMirrorTokenExpiring",
      expr:
        "(registry_topology_mirror_token_expiry_timestamp_seconds - time()) < 0.25 * (registry_topology_mirror_token_expiry_timestamp_seconds - registry_topology_mirror_token_issued_timestamp_seconds) or registry_topology_mirror_token_present == 0",
      for: "5m",
      labels: { severity: "critical" },
      annotations: {
        summary: "The {{ $labels.upstream }} mirror on {{ $labels.node }} holds a token that is about to expire, or none",
        description: "The token refresher has not renewed the docker token of backup {{ $labels.upstream }} (region {{ $labels.region }}) for a quarter of its lifetime, or the mirror node never got one. When it expires, that mirror's pulls fail (runtimes go on to the next mirror).",
        runbook:
          "`kubectl -n kube-system logs deploy/registry-topology-token-refresher`: each STATUS token line names the backup, its state and the mint's error (an expired or deleted access key, a missing IAM/RAM right, an unreachable API). Then the mirror writer's STATUS token-<backup> line on the node (docs/token-refresher.md).",
      },
    },
    {
      alert: "RegistryNodeWriterFailing",
      expr: "registry_topology_writer_sync_errors > 0 or registry_topology_writer_manifest_ok == 0",
      for: "15m",
      labels: { severity: "warning" },
      annotations: {
        summary: "The node file writer on {{ $labels.node }} cannot apply its files",
        description: "The writer of region {{ $labels.region }} ({{ $labels.role }} role) on {{ $labels.node }} fails to write some node files, or cannot read its manifest; it keeps the node's files as they were.",
        runbook: "`kubectl -n kube-system logs <writer pod on that node>`: each ERROR line names the file and the reason (a read-only or full filesystem, a missing anchor directory, an unreadable Secret key).",
      },
    },
  ];
}

export function ruleGroups(t: Thresholds): RuleGroups {
  return { groups: [{ name: RULE_GROUP, rules: alertRules(t) }] };
}
