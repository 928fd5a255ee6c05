import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the harness keeps things. Every location can be moved with an environment
 * variable so that two people (or two test runs) can keep separate clusters side by side.
 */

/** The repository root (this file sits in test/cluster/). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The regions the integration tests run against; admin contexts carry these names. */
export const DEFAULT_REGIONS: readonly string[] = ['us-east', 'eu-west', 'ap-southeast'];

/** Field manager the harness writes with, so its own objects are easy to tell apart. */
export const HARNESS_FIELD_MANAGER = 'mr-drift-harness';

/** Running clusters: state, per-region data and logs, the kubeconfig. `MR_DRIFT_CLUSTER_DIR`. */
export function clusterDir(): string {
  return resolve(process.env.MR_DRIFT_CLUSTER_DIR || join(repoRoot, '.cluster'));
}

/** The kubeconfig written by `up`, with one admin context per region plus two more users. */
export function kubeconfigPath(dir: string = clusterDir()): string {
  return join(dir, 'kubeconfig');
}

/** Built binaries, keyed by their pins. `MR_DRIFT_CACHE_DIR`. */
export function cacheDir(): string {
  return resolve(process.env.MR_DRIFT_CACHE_DIR || join(repoRoot, '.cache'));
}

/**
 * The team's shared folder with the Argo CD/Flux CRDs and the corpus: `MR_DRIFT_SHARED_DIR`
 * when set, else `../shared` beside the repository, else `/work/shared` (where it lives on
 * the team's machines, so a clone placed anywhere else still finds it). When none exists
 * the first candidate is returned and the caller's error names it.
 */
export function sharedDir(): string {
  if (process.env.MR_DRIFT_SHARED_DIR) return resolve(process.env.MR_DRIFT_SHARED_DIR);
  const candidates = [join(repoRoot, '..', 'shared'), '/work/shared'];
  return resolve(candidates.find((dir) => existsSync(join(dir, 'crds'))) ?? candidates[0]);
}

/** The Go modules under test/cluster/go/, each pinning one or more binaries. */
export type GoModuleName =
  'etcd' | 'k8s' | 'kwok' | 'pki' | 'argocd' | 'kustomize' | 'redis' | 'gojq' | 'flux';

/** The folder of one of those Go modules. */
export function goModuleDir(name: GoModuleName): string {
  return join(repoRoot, 'test', 'cluster', 'go', name);
}
