import type { CacheMode, Config } from '../config/types';

/** What the monitoring templates see: shared settings; each region adds its alert groups. */
export interface MonitoringView {
  /** Labels a Prometheus selects ServiceMonitors, PodMonitors and rules by, as key/value pairs. */
  labels: { key: string; value: string }[];
  prometheusNamespace: string;
  scrapeInterval: string;
  apiPath: string;
  names: { api: string; db: string; alerts: string };
  /** A PodMonitor for the Postgres instances (cloudnative-pg mode only). */
  podMonitor: boolean;
}

/** One alerting rule of a region's PrometheusRule. */
export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  /** Every rule carries the region (and its severity, and the shard when it is about one). */
  labels: { key: string; value: string }[];
  summary: string;
  description: string;
}

export interface AlertGroup {
  name: string;
  rules: AlertRule[];
}

/** Builds the monitoring settings shared by every region. */
export function buildMonitoringView(
  config: Config,
  names: { api: string; db: string },
): MonitoringView {
  const m = config.monitoring!;
  return {
    labels: Object.keys(m.labels)
      .sort()
      .map((key) => ({ key, value: m.labels[key] })),
    prometheusNamespace: m.prometheusNamespace,
    scrapeInterval: m.scrapeInterval,
    apiPath: m.api.path,
    names: { api: names.api, db: names.db, alerts: `${config.app.name}-alerts` },
    podMonitor: config.database.mode === 'cloudnative-pg',
  };
}

/**
 * The alert groups of one region: the API's error ratio and p99 latency, Postgres and
 * Redis down, and in cloudnative-pg mode replication lag and backup age. Thresholds come
 * from the config; every rule is labelled with the region, so an alert routed from any
 * Prometheus says which region it is about. Expressions are scoped to the app's
 * namespace and object names, so two apps in one Prometheus do not mix.
 */
export function regionAlertGroups(
  config: Config,
  region: string,
  shards: readonly string[],
  cacheMode: CacheMode,
): AlertGroup[] {
  const m = config.monitoring;
  if (!m) return [];
  const a = m.alerts;
  const ns = config.app.namespace;
  const app = config.app.name;
  const api = `${app}-api`;
  const title = app.charAt(0).toUpperCase() + app.slice(1);
  const labels = (severity: string, extra: Record<string, string> = {}) =>
    Object.entries({ region, severity, ...extra })
      .sort((x, y) => (x[0] < y[0] ? -1 : 1))
      .map(([key, value]) => ({ key, value }));
  const sel = `namespace="${ns}",service="${api}"`;

  const apiRules: AlertRule[] = [
    {
      alert: `${title}ApiErrorRatio`,
      expr: `sum(rate(${m.api.requestsMetric}{${sel},code=~"5.."}[5m])) / sum(rate(${m.api.requestsMetric}{${sel}}[5m])) > ${a.errorRatio}`,
      for: a.for,
      labels: labels('critical'),
      summary: `${app} in ${region}: more than ${percent(a.errorRatio)} of API requests fail`,
      description: `The share of 5xx responses of ${api} in ${region} has been above ${percent(a.errorRatio)} for ${a.for}. Consider draining the region (docs/production.md).`,
    },
    {
      alert: `${title}ApiLatencyP99`,
      expr: `histogram_quantile(0.99, sum by (le) (rate(${m.api.durationMetric}_bucket{${sel}}[5m]))) > ${a.latencyP99Seconds}`,
      for: a.for,
      labels: labels('warning'),
      summary: `${app} in ${region}: p99 latency above ${a.latencyP99Seconds}s`,
      description: `The 99th percentile of ${api} request durations in ${region} has been above ${a.latencyP99Seconds} seconds for ${a.for}.`,
    },
  ];

  const dbRules: AlertRule[] = [];
  const mode = config.database.mode;
  for (const shard of shards) {
    const k = shard.slice(3);
    if (mode === 'in-cluster') {
      dbRules.push({
        alert: `${title}PostgresDown`,
        expr: `kube_statefulset_status_replicas_ready{namespace="${ns}",statefulset="${app}-db-shard-${k}"} < 1`,
        for: a.for,
        labels: labels('critical', { shard }),
        summary: `${app} in ${region}: Postgres of ${shard} is down`,
        description: `The StatefulSet ${app}-db-shard-${k} in ${region} has no ready pod.`,
      });
    } else if (mode === 'cloudnative-pg') {
      dbRules.push({
        alert: `${title}PostgresDown`,
        expr: `(sum(cnpg_collector_up{namespace="${ns}",shard="${shard}"}) or vector(0)) < 1`,
        for: a.for,
        labels: labels('critical', { shard }),
        summary: `${app} in ${region}: Postgres of ${shard} is down`,
        description: `No instance of the CloudNativePG Cluster of ${shard} in ${region} reports Postgres up.`,
      });
    }
  }
  if (mode === 'cloudnative-pg' && shards.length > 0) {
    const shardRe = shards.join('|');
    dbRules.push({
      alert: `${title}PostgresReplicationLag`,
      expr: `max by (shard, pod) (cnpg_pg_replication_lag{namespace="${ns}",shard=~"${shardRe}"}) > ${a.replicationLagSeconds}`,
      for: a.for,
      labels: labels('warning'),
      summary: `${app} in ${region}: a Postgres replica is more than ${a.replicationLagSeconds}s behind`,
      description: `{{ $labels.pod }} ({{ $labels.shard }}) in ${region} replays changes more than ${a.replicationLagSeconds} seconds late; a failover to it would lose that much.`,
    });
    if (config.database.cloudnativePG.backup.enabled) {
      dbRules.push({
        alert: `${title}PostgresBackupTooOld`,
        expr: `(time() - max by (shard) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{namespace="${ns}",shard=~"${shardRe}"})) > ${a.backupAgeHours * 3600}`,
        for: a.for,
        labels: labels('warning'),
        summary: `${app} in ${region}: the last Postgres backup is older than ${a.backupAgeHours}h`,
        description: `The newest base backup of {{ $labels.shard }} in ${region} is more than ${a.backupAgeHours} hours old; check the ScheduledBackup and the object store.`,
      });
    }
  }

  const cacheRule: AlertRule =
    cacheMode === 'redis-cluster'
      ? {
          alert: `${title}RedisDown`,
          expr: `kube_statefulset_status_replicas_ready{namespace="${ns}",statefulset=~"${app}-cache-(leader|follower)"} < kube_statefulset_replicas{namespace="${ns}",statefulset=~"${app}-cache-(leader|follower)"}`,
          for: a.for,
          labels: labels('critical'),
          summary: `${app} in ${region}: Redis Cluster nodes are down`,
          description: `The Redis Cluster ${app}-cache in ${region} has fewer ready nodes than it should ({{ $labels.statefulset }}).`,
        }
      : {
          alert: `${title}RedisDown`,
          expr: `kube_deployment_status_replicas_available{namespace="${ns}",deployment="${app}-cache"} < 1`,
          for: a.for,
          labels: labels('critical'),
          summary: `${app} in ${region}: Redis is down`,
          description: `The Redis Deployment ${app}-cache in ${region} has no available pod.`,
        };

  return [
    { name: `${app}.api`, rules: apiRules },
    ...(dbRules.length > 0 ? [{ name: `${app}.postgres`, rules: dbRules }] : []),
    { name: `${app}.cache`, rules: [cacheRule] },
  ];
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}
