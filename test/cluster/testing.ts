import { randomBytes } from 'node:crypto';
import { describe, inject } from 'vitest';
import { DEFAULT_REGIONS, clusterDir, kubeconfigPath } from './paths';
import { ENV, type ProvidedCluster } from './provided';
import { kubectl, type KubectlOptions } from './kubectl';
import type { ApiClient } from './api-client';
import type { UserName } from './kubeconfig';
import { regionClient } from './region';
import { readState, type RegionState } from './state';
import { createBareRepo } from './git-server';

/**
 * Helpers for integration tests that run against the real clusters started by
 * test/cluster/global-setup.ts. Import from here rather than reading .cluster/ directly:
 *
 *   import { regions, kubectl, freshNamespace } from '../cluster/testing';
 *
 * The clusters are shared by every test file (one after another) and may be shared with
 * other people's runs, so create fresh namespaces (see freshNamespace) and clean up.
 * Each region runs a controller-manager, a scheduler and kwok (control-plane.ts), so
 * what you create is acted on as on a real cluster.
 */

export {
  kubectl,
  kubectlJson,
  kubectlBinary,
  buildKubectl,
  KubectlError,
  type KubectlOptions,
} from './kubectl';
export { contextName, USERS, type UserName } from './kubeconfig';
export type { ProvidedCluster } from './provided';
export type { ApiClient } from './api-client';
export { pushFolder, git, type PushFolderOptions, type PushResult } from './git-server';

/** What the global setup provided; falls back to the environment, then to defaults. */
export function clusterInfo(): ProvidedCluster {
  let provided: ProvidedCluster | undefined;
  try {
    provided = inject('mrDriftCluster');
  } catch {
    // Not inside a vitest worker (e.g. a script): use the environment below.
  }
  if (provided) return provided;
  const dir = process.env[ENV.clusterDir] || clusterDir();
  return {
    kubeconfig: process.env[ENV.kubeconfig] || kubeconfigPath(dir),
    regions: process.env[ENV.regions]?.split(',').filter(Boolean) ?? [...DEFAULT_REGIONS],
    binDir: process.env[ENV.binDir] || `${dir}/bin`,
    clusterDir: dir,
    gitUrl: process.env[ENV.gitUrl] || readState(dir).git?.url || '',
    gitRoot: process.env[ENV.gitRoot] || readState(dir).git?.root || '',
    skipReason: process.env[ENV.skipReason] || null,
  };
}

/** Absolute path of the kubeconfig (contexts `<region>`, `<region>-readonly`, `<region>-drift-checker`). */
export function clusterKubeconfig(): string {
  return clusterInfo().kubeconfig;
}

/** The test regions, e.g. ['us-east', 'eu-west', 'ap-southeast']. */
export function regions(): string[] {
  return clusterInfo().regions;
}

/** Folder with the `etcd` and `kube-apiserver` binaries the clusters run. */
export function clusterBinDir(): string {
  return clusterInfo().binDir;
}

/**
 * Why the clusters are not available, or undefined when they are. Only a machine without
 * Go, outside CI, gets a reason; with CI=true the setup fails instead.
 */
export function clusterSkipReason(): string | undefined {
  return clusterInfo().skipReason ?? undefined;
}

/**
 * `describe` for suites that need the clusters: identical to `describe`, except that it
 * skips (with the setup's message as its name) on a machine without Go outside CI.
 */
export function describeCluster(name: string, fn: () => void): void {
  const reason = clusterSkipReason();
  if (reason) describe.skip(`${name} (skipped: ${reason})`, fn);
  else describe(name, fn);
}

/**
 * A namespace name never used before: `<prefix>-<time><random>`, at most 63 characters.
 * Use one per test file or test: another run may be using (or deleting) an older one.
 */
export function uniqueName(prefix: string): string {
  const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63 - suffix.length - 1);
  return `${base}-${suffix}`;
}

/**
 * Creates a fresh namespace in each given region (default: all) and returns its name,
 * the same in every region.
 */
export async function freshNamespace(
  prefix: string,
  inRegions: string[] = regions(),
): Promise<string> {
  const name = uniqueName(prefix);
  for (const r of inRegions) await kubectl(r, ['create', 'namespace', name]);
  return name;
}

/**
 * Deletes a namespace in each given region without waiting; the namespace controller
 * then deletes what is in it and removes it.
 */
export async function dropNamespace(
  name: string,
  inRegions: string[] = regions(),
  opts: KubectlOptions = {},
): Promise<void> {
  for (const r of inRegions) {
    await kubectl(r, ['delete', 'namespace', name, '--wait=false', '--ignore-not-found'], opts);
  }
}

/**
 * The harness's record of a running region (ports, pids, folder). For tests of the
 * harness itself; other tests should need only the kubeconfig.
 */
export function regionRecord(region: string): RegionState {
  const state = readState(clusterInfo().clusterDir);
  const record = state.regions[region];
  if (!record)
    throw new Error(`region ${region} is not running (folder ${clusterInfo().clusterDir})`);
  return record;
}

/** A small HTTPS client for a region as one of its users (close() it when done). */
export function regionApi(region: string, user: UserName = 'admin'): ApiClient {
  return regionClient(regionRecord(region), user);
}

/** The local Git server the clusters come with (see git-server.ts). */
export interface TestGitServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Folder of the bare repositories it serves. */
  root: string;
  /** Creates a bare repository (push enabled, HEAD main) and returns its clone URL. */
  createBareRepo(name: string): Promise<string>;
}

/** The Git server started with the clusters; use a fresh repository name (uniqueName). */
export function gitServer(): TestGitServer {
  const { gitUrl, gitRoot } = clusterInfo();
  if (!gitUrl) throw new Error('no git server is running with the test clusters');
  return {
    url: gitUrl,
    root: gitRoot,
    async createBareRepo(name: string): Promise<string> {
      await createBareRepo(gitRoot, name);
      return `${gitUrl}/${name}.git`;
    },
  };
}
