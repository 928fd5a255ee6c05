/**
 * What the integration global setup hands to tests through vitest's provide/inject (the
 * same values are also set as environment variables, see global-setup.ts).
 */
export interface ProvidedCluster {
  /** Absolute path of the kubeconfig with the region contexts. */
  kubeconfig: string;
  /** The region names, which are also the admin context names. */
  regions: string[];
  /** Folder holding the `etcd` and `kube-apiserver` binaries the regions run. */
  binDir: string;
  /** The cluster folder (state, logs, per-region data). */
  clusterDir: string;
  /** The local Git server, `http://127.0.0.1:<port>` ('' when the clusters are skipped). */
  gitUrl: string;
  /** The folder of bare repositories it serves (create one with createBareRepo). */
  gitRoot: string;
  /** Set only when the clusters could not be had on purpose (no Go, outside CI). */
  skipReason: string | null;
}

declare module 'vitest' {
  export interface ProvidedContext {
    mrDriftCluster: ProvidedCluster;
  }
}

/** Environment variables the global setup sets, for plain child processes and scripts. */
export const ENV = {
  kubeconfig: 'MR_DRIFT_KUBECONFIG',
  regions: 'MR_DRIFT_REGIONS',
  binDir: 'MR_DRIFT_CLUSTER_BIN_DIR',
  clusterDir: 'MR_DRIFT_CLUSTER_DIR',
  gitUrl: 'MR_DRIFT_GIT_URL',
  gitRoot: 'MR_DRIFT_GIT_ROOT',
  skipReason: 'MR_DRIFT_CLUSTER_SKIP',
} as const;
