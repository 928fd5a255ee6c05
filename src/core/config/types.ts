/**
 * The validated config, with every default filled in. `parseConfig` is the only way to
 * get one: it checks the raw YAML against schema/config.schema.json and the semantic
 * rules, then deep-freezes the result, so nothing downstream re-validates or mutates it.
 * Field meanings are documented in the schema (and shown by editors through it).
 */
export interface Config {
  readonly app: AppConfig;
  readonly gitops: GitOpsConfig;
  readonly database: DatabaseConfig;
  readonly cache: CacheConfig;
  /** Global routing; absent when the regions are reached by their own hosts only. */
  readonly routing?: RoutingConfig;
  readonly secrets?: SecretsConfig;
  /** Absent when the config has no `monitoring` section (no monitoring objects). */
  readonly monitoring?: MonitoringConfig;
  readonly regions: readonly RegionConfig[];
}

export interface AppConfig {
  readonly name: string;
  readonly namespace: string;
  readonly image: {
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
    readonly allowLatestTag: boolean;
  };
  readonly port: number;
  readonly ingressClassName: string;
  readonly resources: {
    readonly cpu: string;
    readonly memory: string;
    readonly memoryLimit: string;
  };
}

export type GitOpsEngine = 'argocd' | 'flux';
export type FluxLayout = 'hub' | 'per-cluster';

export interface GitOpsConfig {
  readonly engine: GitOpsEngine;
  readonly repoURL: string;
  readonly revision: string;
  readonly path: string;
  readonly argocd: { readonly namespace: string; readonly project?: string };
  readonly flux: {
    readonly layout: FluxLayout;
    readonly namespace: string;
    readonly interval: string;
    readonly timeout: string;
  };
  /** Argo CD `ignoreDifferences` rules for every region (see docs/drift.md). */
  readonly ignoreDifferences: readonly IgnoreDifferencesConfig[];
}

/** One `gitops.ignoreDifferences` rule: Argo CD's form, plus a description. */
export interface IgnoreDifferencesConfig {
  readonly description?: string;
  readonly group?: string;
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly jsonPointers?: readonly string[];
  readonly jqPathExpressions?: readonly string[];
  readonly managedFieldsManagers?: readonly string[];
}

export type ShardKey = 'org' | 'region' | 'workload';
export type DatabaseMode = 'in-cluster' | 'cloudnative-pg' | 'managed';

export interface DatabaseConfig {
  readonly shardKey: ShardKey;
  readonly shards: number;
  readonly mode: DatabaseMode;
  readonly credentialsSecret?: string;
  readonly replicated: readonly string[];
  /** Shard -> region of its primary; shards not listed: the first region listing them. */
  readonly primaries: Readonly<Record<string, string>>;
  readonly allowShardLoss: boolean;
  readonly inCluster: {
    readonly image: string;
    readonly storage: string;
    readonly storageClassName?: string;
  };
  readonly cloudnativePG: CloudNativePGConfig;
  readonly managed: {
    readonly endpoints: Readonly<Record<string, string>>;
    /** Region -> shard -> host of a read replica in that region. */
    readonly readEndpoints: Readonly<Record<string, Readonly<Record<string, string>>>>;
  };
}

export interface CloudNativePGConfig {
  readonly instances: number;
  readonly imageName?: string;
  readonly storage: string;
  readonly storageClassName?: string;
  readonly resources: {
    readonly cpu: string;
    readonly memory: string;
    readonly memoryLimit: string;
  };
  /** Filled from the app name when absent. */
  readonly owner?: string;
  readonly operatorNamespace: string;
  readonly backup: {
    readonly enabled: boolean;
    readonly schedule: string;
    readonly retention: string;
    readonly destinationPath?: string;
    readonly endpointURL?: string;
    readonly credentialsSecret?: string;
    readonly inheritFromIAMRole: boolean;
  };
  /** Shard -> region it is being switched over to (its primary is demoted meanwhile). */
  readonly switchover: Readonly<Record<string, string>>;
  readonly promotionTokens: Readonly<Record<string, string>>;
}

export interface MonitoringConfig {
  readonly labels: Readonly<Record<string, string>>;
  readonly prometheusNamespace: string;
  readonly scrapeInterval: string;
  readonly api: {
    readonly path: string;
    readonly requestsMetric: string;
    readonly durationMetric: string;
  };
  readonly alerts: {
    readonly errorRatio: number;
    readonly latencyP99Seconds: number;
    readonly replicationLagSeconds: number;
    readonly backupAgeHours: number;
    readonly for: string;
  };
}

export type CacheMode = 'redis-cluster' | 'region-local';

export interface CacheConfig {
  readonly mode: CacheMode;
  readonly image: string;
  readonly clusterNodes: number;
  readonly memory: string;
  readonly operatorImage: string;
  readonly operatorNamespace: string;
  readonly passwordSecret: { readonly name?: string; readonly key: string };
}

export interface RegionConfig {
  readonly name: string;
  readonly cluster: { readonly server?: string; readonly name?: string };
  readonly replicas: { readonly min: number; readonly max: number };
  readonly wave: number;
  readonly host: string;
  readonly shards: readonly string[];
  readonly cache?: CacheMode;
  /** Share of the global traffic, 0..100; 0 drains the region. */
  readonly traffic: number;
  readonly routing: RegionRoutingConfig;
}

export type RoutingProvider = 'k8gb' | 'aws-global-accelerator' | 'cloudflare' | 'external-dns';
export type K8gbStrategy = 'failover' | 'roundRobin' | 'geoip';
export type ExternalDnsPolicy = 'latency' | 'weighted' | 'failover';
export type CloudflareSteering =
  | 'off'
  | 'geo'
  | 'random'
  | 'dynamic_latency'
  | 'proximity'
  | 'least_outstanding_requests'
  | 'least_connections';

export interface RoutingConfig {
  readonly provider: RoutingProvider;
  readonly host: string;
  readonly primaryRegion?: string;
  readonly homeRegion?: string;
  readonly healthCheck: {
    readonly path: string;
    readonly scheme: 'https' | 'http';
    readonly intervalSeconds: number;
    readonly unhealthyThreshold: number;
  };
  readonly k8gb: { readonly strategy: K8gbStrategy; readonly dnsTtlSeconds: number };
  readonly externalDns: {
    readonly policy: ExternalDnsPolicy;
    readonly ttl: number;
    readonly evaluateTargetHealth: boolean;
  };
  readonly awsGlobalAccelerator: {
    readonly name?: string;
    readonly protocol: 'TCP' | 'UDP';
    readonly ports: readonly number[];
    readonly clientAffinity: 'NONE' | 'SOURCE_IP';
  };
  readonly cloudflare: {
    readonly accountId?: string;
    readonly zoneId?: string;
    readonly steeringPolicy: CloudflareSteering;
    readonly proxied: boolean;
    readonly providerConfig: {
      readonly kind: 'ClusterProviderConfig' | 'ProviderConfig';
      readonly name: string;
    };
  };
}

export interface RegionRoutingConfig {
  readonly geoTag?: string;
  readonly awsRegion?: string;
  readonly endpointId?: string;
  readonly target?: string;
  readonly healthCheckId?: string;
  readonly cloudflarePoolId?: string;
}

export interface SecretsConfig {
  readonly externalSecrets?: {
    readonly store: { readonly kind: 'ClusterSecretStore' | 'SecretStore'; readonly name: string };
    readonly refreshInterval: string;
    readonly remoteKeys: {
      readonly database: string;
      readonly cache: string;
      readonly kubeconfig: string;
    };
  };
  readonly sops?: { readonly secretRef: string };
}
