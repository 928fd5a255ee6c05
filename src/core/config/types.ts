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
}

export type ShardKey = 'org' | 'region' | 'workload';
export type DatabaseMode = 'in-cluster' | 'managed';

export interface DatabaseConfig {
  readonly shardKey: ShardKey;
  readonly shards: number;
  readonly mode: DatabaseMode;
  readonly credentialsSecret?: string;
  readonly replicated: readonly string[];
  readonly inCluster: {
    readonly image: string;
    readonly storage: string;
    readonly storageClassName?: string;
  };
  readonly managed: { readonly endpoints: Readonly<Record<string, string>> };
}

export type CacheMode = 'redis-cluster' | 'region-local';

export interface CacheConfig {
  readonly mode: CacheMode;
  readonly image: string;
  readonly clusterNodes: number;
  readonly memory: string;
}

export interface RegionConfig {
  readonly name: string;
  readonly cluster: { readonly server?: string; readonly name?: string };
  readonly replicas: { readonly min: number; readonly max: number };
  readonly wave: number;
  readonly host: string;
  readonly shards: readonly string[];
  readonly cache?: CacheMode;
}
