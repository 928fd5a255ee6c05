import type {
  CacheMode,
  Config,
  DatabaseMode,
  IgnoreDifferencesConfig,
  RegionConfig,
} from '../config/types';
import {
  buildRegionRouting,
  buildRoutingView,
  type RegionRoutingView,
  type RoutingView,
} from './routing-view';
import {
  buildRegionSecrets,
  buildSecretsView,
  type RegionSecretsView,
  type SecretsView,
} from './secrets-view';
import {
  buildMonitoringView,
  regionAlertGroups,
  type AlertGroup,
  type MonitoringView,
} from './monitoring-view';
import { cnpgView, shardCluster, type CnpgView, type ShardClusterView } from './database-view';

/**
 * What templates see. Every name and derived value is computed here, once, so templates
 * only place values (they cannot build an object name by pasting strings, which would
 * need unquoted output). Lists are in a stable order: regions by wave then name, shards
 * by number.
 */
export interface ViewModel {
  app: {
    name: string;
    namespace: string;
    image: string;
    port: number;
    ingressClassName: string;
    resources: { cpu: string; memory: string; memoryLimit: string };
  };
  names: {
    api: string;
    config: string;
    cache: string;
    cacheNodes: string;
    cacheConfig: string;
    db: string;
    dbCredentials: string;
    /** Secret with the Redis password (cache.passwordSecret.name), written by an ExternalSecret
     *  when secrets.externalSecrets is set. */
    cachePassword: string;
    backupCredentials: string;
    project: string;
    applicationSet: string;
  };
  gitops: {
    engine: 'argocd' | 'flux';
    repoURL: string;
    revision: string;
    path: string;
    argocd: { namespace: string; project: string };
    flux: {
      layout: 'hub' | 'per-cluster';
      hub: boolean;
      namespace: string;
      interval: string;
      timeout: string;
      /**
       * Name of the hub layout's one GitRepository. One source for every region matters:
       * Flux checks that a dependency applied the same revision only when both read the
       * same source, so with a source per region a new commit could reach wave 2 before
       * wave 1 had applied it.
       */
      sourceName: string;
      /** GitRepository `spec.ref` field: `branch`, `name` (a full ref) or `commit`. */
      refKind: 'branch' | 'name' | 'commit';
      refValue: string;
    };
    /**
     * `gitops.ignoreDifferences`, each field present only when set (the ApplicationSet
     * template writes them as Argo CD's `spec.ignoreDifferences`).
     */
    ignoreDifferences: IgnoreDifferencesView[];
    /**
     * The same rules (without descriptions) as one JSON text, for the Flux Kustomization's
     * `mr-drift.io/ignore-differences` annotation; `""` when there are none.
     */
    ignoreDifferencesJson: string;
  };
  database: {
    shardKey: string;
    shards: number;
    mode: DatabaseMode;
    inCluster: boolean;
    cnpg: CnpgView | null;
    port: number;
    servicePrefix: string;
    image: string;
    storage: string;
    storageClassName: string | null;
  };
  cache: {
    mode: CacheMode;
    image: string;
    clusterNodes: number;
    memory: string;
    maxmemory: string;
    address: string;
    /** redis-cluster mode: leaders (the RedisCluster clusterSize), one follower each. */
    leaders: number;
    operatorImage: string;
    operatorNamespace: string;
    passwordSecret: { name: string; key: string };
    /** Some region runs a Redis Cluster, so the API gets its password. */
    passwordRequired: boolean;
    leaderApp: string;
    followerApp: string;
  };
  /** Null when the config has no monitoring section. */
  monitoring: MonitoringView | null;
  base: {
    resources: string[];
    /** HPA bounds of the base alone. The Deployment has no `replicas`: the HPA owns them. */
    minReplicas: number;
    maxReplicas: number;
  };
  /** Global routing, or null when the config has none. */
  routing: RoutingView | null;
  secrets: SecretsView;
  regions: RegionView[];
  waves: { wave: number; label: string; regions: RegionView[] }[];
  /** Go-template strings for the ApplicationSet, kept out of the Handlebars source. */
  appset: {
    name: string;
    region: string;
    wave: string;
    path: string;
    server: string;
    clusterName: string;
    byServer: boolean;
  };
  labels: { region: string; wave: string; shard: string };
  generator: { configName: string };
}

export interface RegionView {
  name: string;
  wave: number;
  waveLabel: string;
  host: string;
  replicas: { min: number; max: number };
  cluster: { server: string | null; name: string | null };
  cacheMode: CacheMode;
  redisCluster: boolean;
  shards: ShardView[];
  shardList: string;
  /** Shards with a read-replica Service here (managed mode), comma-separated; '' when none. */
  readShardList: string;
  resources: string[];
  overlayPath: string;
  /** The overlay path as Flux wants it (relative to the repository root, with `./`). */
  fluxPath: string;
  /** Name of the Argo CD Application / Flux objects of this region. */
  appName: string;
  /**
   * The Flux GitRepository this region's Kustomization reads: in the hub layout the one
   * source every region shares (`gitops.flux.sourceName`), else the region's own (`appName`).
   */
  sourceName: string;
  kubeConfigSecret: string;
  /** Flux Kustomizations of the previous wave (empty for wave 1 or per-cluster layout). */
  dependsOn: string[];
  healthChecks: { apiVersion: string; kind: string; name: string; namespace: string }[];
  /** This region's share of the global routing, or null without global routing. */
  routing: RegionRoutingView | null;
  /** Remote keys of this region's ExternalSecrets, or null without External Secrets. */
  secrets: RegionSecretsView | null;
  /** Files of the Flux folder flux/<region>/ besides kustomization.yaml. */
  fluxResources: string[];
  /** The region's PrometheusRule groups (empty without a monitoring section). */
  alertGroups: AlertGroup[];
}

export interface ShardView {
  name: string;
  number: number;
  service: string;
  file: string;
  endpoint: string | null;
  /** Managed mode: the read replica of this shard in this region, as an ExternalName Service. */
  read: { service: string; endpoint: string } | null;
  /** cloudnative-pg mode: this region's Cluster of the shard and its place in the topology. */
  cluster: ShardClusterView | null;
}

export const REGION_LABEL = 'mr-drift.io/region';
export const WAVE_LABEL = 'mr-drift.io/wave';
export const SHARD_LABEL = 'shard';

/** Builds the template context from a validated config. */
export function buildViewModel(config: Config, configName: string): ViewModel {
  const { app, gitops, database, cache } = config;
  const n = app.name;
  const names = {
    api: `${n}-api`,
    config: `${n}-config`,
    cache: `${n}-cache`,
    cacheNodes: `${n}-cache-nodes`,
    cacheConfig: `${n}-cache-config`,
    db: `${n}-db`,
    dbCredentials: database.credentialsSecret ?? `${n}-db-credentials`,
    cachePassword: cache.passwordSecret.name ?? `${n}-cache-password`,
    backupCredentials: database.cloudnativePG.backup.credentialsSecret ?? `${n}-backup-credentials`,
    project: gitops.argocd.project ?? n,
    applicationSet: n,
  };
  const overlayRoot = gitops.path.replace(/\/+$/, '');
  const sorted = [...config.regions].sort((a, b) => a.wave - b.wave || cmp(a.name, b.name));
  const hub = gitops.flux.layout === 'hub';
  const cnpg = database.mode === 'cloudnative-pg';
  const byWave = new Map<number, RegionConfig[]>();
  for (const r of sorted) byWave.set(r.wave, [...(byWave.get(r.wave) ?? []), r]);

  const routing = buildRoutingView(config, sorted);
  const secrets = buildSecretsView(config);

  const regions: RegionView[] = sorted.map((r) => {
    const regionRouting = buildRegionRouting(config.routing, routing, r);
    const regionSecrets = buildRegionSecrets(config, r.name);
    const shards = [...r.shards]
      .map((s) => Number(s.slice(3)))
      .sort((a, b) => a - b)
      .map((k) => ({
        name: `db-${k}`,
        number: k,
        service: `${n}-db-shard-${k}`,
        file: `db-shard-${k}.yaml`,
        endpoint:
          database.mode === 'managed' ? (database.managed.endpoints[`db-${k}`] ?? null) : null,
        read: null,
        cluster: cnpg ? shardCluster(config, `db-${k}`, r.name) : null,
      }));
    const reads = database.mode === 'managed' ? (database.managed.readEndpoints[r.name] ?? {}) : {};
    const readShards = Object.keys(reads)
      .map((s) => Number(s.slice(3)))
      .sort((a, b) => a - b)
      .map((k) => ({
        name: `db-${k}`,
        number: k,
        service: `${n}-db-shard-${k}-read`,
        file: `db-shard-${k}-read.yaml`,
        endpoint: null,
        read: { service: `${n}-db-shard-${k}-read`, endpoint: reads[`db-${k}`] },
        cluster: null,
      }));
    const cacheMode = r.cache ?? cache.mode;
    const inCluster = database.mode === 'in-cluster';
    const ownsPods = inCluster || cnpg;
    const resources = [
      '../../base',
      ...shards.map((s) => s.file),
      ...readShards.map((s) => s.file),
      ...(ownsPods && shards.length > 0 ? ['networkpolicy-db.yaml'] : []),
      'cache.yaml',
      ...(regionRouting?.files ?? []),
      ...(regionSecrets ? ['external-secrets.yaml'] : []),
      ...(config.monitoring ? ['monitoring.yaml'] : []),
    ];
    const previous = byWave.get(r.wave - 1) ?? [];
    const healthChecks = [
      { apiVersion: 'apps/v1', kind: 'Deployment', name: names.api, namespace: app.namespace },
      ...(inCluster
        ? shards.map((s) => ({
            apiVersion: 'apps/v1',
            kind: 'StatefulSet',
            name: s.service,
            namespace: app.namespace,
          }))
        : []),
      // The operators' resources report readiness in their status (CloudNativePG through a
      // Ready condition); the pods they create do not exist before the operator runs.
      ...shards.flatMap((s) =>
        s.cluster
          ? [
              {
                apiVersion: 'postgresql.cnpg.io/v1',
                kind: 'Cluster',
                name: s.cluster.name,
                namespace: app.namespace,
              },
            ]
          : [],
      ),
      cacheMode === 'redis-cluster'
        ? {
            apiVersion: 'redis.redis.opstreelabs.in/v1beta2',
            kind: 'RedisCluster',
            name: names.cache,
            namespace: app.namespace,
          }
        : {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: names.cache,
            namespace: app.namespace,
          },
    ];
    return {
      name: r.name,
      wave: r.wave,
      waveLabel: String(r.wave),
      host: r.host,
      replicas: { min: r.replicas.min, max: r.replicas.max },
      cluster: { server: r.cluster.server ?? null, name: r.cluster.name ?? null },
      cacheMode,
      redisCluster: cacheMode === 'redis-cluster',
      shards: [...shards, ...readShards],
      shardList: shards.map((s) => s.name).join(','),
      readShardList: readShards.map((s) => s.name).join(','),
      resources,
      overlayPath: `${overlayRoot}/regions/${r.name}`,
      fluxPath: `./${overlayRoot}/regions/${r.name}`,
      appName: `${n}-${r.name}`,
      sourceName: hub ? n : `${n}-${r.name}`,
      kubeConfigSecret: `${n}-${r.name}-kubeconfig`,
      dependsOn: hub ? previous.map((p) => `${n}-${p.name}`) : [],
      healthChecks,
      routing: regionRouting,
      secrets: regionSecrets,
      fluxResources: [
        // In the hub layout every region reads the one source in flux/source.yaml.
        ...(hub ? [] : ['gitrepository.yaml']),
        'sync.yaml',
        ...(regionSecrets && hub ? ['kubeconfig-secret.yaml'] : []),
      ],
      alertGroups: regionAlertGroups(
        config,
        r.name,
        shards.map((s) => s.name),
        cacheMode,
      ),
    };
  });

  const image =
    app.image.repository +
    (app.image.tag ? `:${app.image.tag}` : '') +
    (app.image.digest ? `@${app.image.digest}` : '');
  const mins = regions.map((r) => r.replicas.min);
  const maxs = regions.map((r) => r.replicas.max);

  return {
    app: {
      name: n,
      namespace: app.namespace,
      image,
      port: app.port,
      ingressClassName: app.ingressClassName,
      resources: { ...app.resources },
    },
    names,
    gitops: {
      engine: gitops.engine,
      repoURL: gitops.repoURL,
      revision: gitops.revision,
      path: overlayRoot,
      argocd: { namespace: gitops.argocd.namespace, project: names.project },
      flux: {
        layout: gitops.flux.layout,
        hub,
        namespace: gitops.flux.namespace,
        interval: gitops.flux.interval,
        timeout: gitops.flux.timeout,
        sourceName: n,
        refKind: fluxRefKind(gitops.revision),
        refValue: gitops.revision,
      },
      ignoreDifferences: gitops.ignoreDifferences.map(ignoreDifferencesView),
      ignoreDifferencesJson:
        gitops.ignoreDifferences.length > 0
          ? JSON.stringify(gitops.ignoreDifferences.map(({ description: _, ...rule }) => rule))
          : '',
    },
    database: {
      shardKey: database.shardKey,
      shards: database.shards,
      mode: database.mode,
      inCluster: database.mode === 'in-cluster',
      port: 5432,
      servicePrefix: `${n}-db-shard-`,
      image: database.inCluster.image,
      storage: database.inCluster.storage,
      storageClassName: database.inCluster.storageClassName ?? null,
      cnpg: cnpg ? cnpgView(config) : null,
    },
    cache: {
      mode: cache.mode,
      image: cache.image,
      clusterNodes: cache.clusterNodes,
      memory: cache.memory,
      maxmemory: redisMaxMemory(cache.memory),
      address: `${names.cache}:6379`,
      leaders: Math.floor(cache.clusterNodes / 2),
      operatorImage: cache.operatorImage,
      operatorNamespace: cache.operatorNamespace,
      passwordSecret: { name: names.cachePassword, key: cache.passwordSecret.key },
      passwordRequired: regions.some((r) => r.redisCluster),
      leaderApp: `${names.cache}-leader`,
      followerApp: `${names.cache}-follower`,
    },
    monitoring: config.monitoring ? buildMonitoringView(config, names) : null,
    base: {
      resources: [
        'namespace.yaml',
        'configmap.yaml',
        'deployment.yaml',
        'service.yaml',
        'hpa.yaml',
        'pdb.yaml',
        'networkpolicy.yaml',
        'ingress.yaml',
      ],
      // The base alone is a sensible single-region default; regions patch these.
      minReplicas: Math.min(...mins),
      maxReplicas: Math.max(...maxs),
    },
    routing,
    secrets,
    regions,
    waves: [...byWave.keys()]
      .sort((a, b) => a - b)
      .map((w) => ({ wave: w, label: String(w), regions: regions.filter((r) => r.wave === w) })),
    appset: {
      name: `${n}-{{.region}}`,
      region: '{{.region}}',
      wave: '{{.wave}}',
      path: `${overlayRoot}/regions/{{.region}}`,
      server: '{{.server}}',
      clusterName: '{{.cluster}}',
      byServer: sorted.every((r) => r.cluster.server !== undefined),
    },
    labels: { region: REGION_LABEL, wave: WAVE_LABEL, shard: SHARD_LABEL },
    generator: { configName },
  };
}

/** Flux GitRepository ref kind for a revision: a commit SHA, a full ref name, or a branch. */
function fluxRefKind(revision: string): 'branch' | 'name' | 'commit' {
  if (/^[0-9a-f]{40}$/.test(revision)) return 'commit';
  if (revision.startsWith('refs/')) return 'name';
  return 'branch';
}

/** Redis maxmemory: three quarters of the pod's memory, leaving room for overhead. */
function redisMaxMemory(memory: string): string {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(memory);
  if (!m) return '0';
  const mib = Number(m[1]) * { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024 }[m[2] as 'Mi'];
  return `${Math.max(1, Math.floor(mib * 0.75))}mb`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A rule as the templates write it: Argo CD's fields, lists empty when not set. */
export interface IgnoreDifferencesView {
  description: string;
  group: string;
  kind: string;
  name: string;
  namespace: string;
  jsonPointers: string[];
  jqPathExpressions: string[];
  managedFieldsManagers: string[];
}

function ignoreDifferencesView(r: IgnoreDifferencesConfig): IgnoreDifferencesView {
  return {
    description: r.description ?? '',
    group: r.group ?? '',
    kind: r.kind,
    name: r.name ?? '',
    namespace: r.namespace ?? '',
    jsonPointers: [...(r.jsonPointers ?? [])],
    jqPathExpressions: [...(r.jqPathExpressions ?? [])],
    managedFieldsManagers: [...(r.managedFieldsManagers ?? [])],
  };
}
