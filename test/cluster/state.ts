import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ControlPlaneProcesses } from './control-plane';
import type { GitProcessState } from './git-process';
import type { StartedProcess } from './processes';

/**
 * `.cluster/state.json`: which processes the harness started for which region, on which
 * ports. `down` and `status` trust only this file (and re-check each pid's identity), so
 * they stop exactly what `up` started and nothing else.
 */

/** Who started a region: a person's `cluster up` (kept running) or a test run's setup. */
export type Starter = 'cli' | 'global-setup';

/** One running region. */
export interface RegionState {
  name: string;
  /** Per-region folder: pki/, etcd-data/, logs. */
  dir: string;
  /** https://127.0.0.1:<port> of kube-apiserver. */
  server: string;
  etcd: StartedProcess & { port: number };
  apiserver: StartedProcess & { port: number };
  startedBy: Starter;
  startedAt: string;
  /** Seconds from spawning etcd until the region runs Pods (see phases). */
  startSeconds: number;
  /** kube-controller-manager, kube-scheduler and kwok (absent in records from before them). */
  controlPlane?: ControlPlaneProcesses;
  /** The binaries it runs (paths include the pin's cache key). */
  binaries?: {
    etcd: string;
    kubeApiserver: string;
    kubeControllerManager?: string;
    kubeScheduler?: string;
    kwok?: string;
  };
  /**
   * Seconds from the start to: etcd healthy, apiserver /readyz, RBAC+CRDs in place, and
   * the fake Nodes Ready with the controllers at work.
   */
  phases: {
    etcdReady: number;
    apiserverReady: number;
    bootstrapped: number;
    controlPlaneReady?: number;
  };
}

/** A process spawned for a region that is not ready yet. */
export interface PendingProcess extends StartedProcess {
  region: string;
}

/** The whole file. */
export interface ClusterState {
  version: 1;
  /** The folder of the kube-apiserver/etcd binaries the regions run. */
  binDir: string;
  regions: Record<string, RegionState>;
  /** The local Git server (smart HTTP on 127.0.0.1), when one runs; see git-process.ts. */
  git?: GitProcessState;
  /**
   * Processes spawned by a start still in progress. Recorded the moment they are spawned,
   * so that if that start is interrupted (Ctrl-C, a killed test run), the next `up` or
   * `down` stops them instead of leaving them running unrecorded.
   */
  pending?: PendingProcess[];
}

export function statePath(dir: string): string {
  return join(dir, 'state.json');
}

/** Reads the state; an absent file is an empty state. */
export function readState(dir: string): ClusterState {
  const path = statePath(dir);
  if (!existsSync(path)) return { version: 1, binDir: '', regions: {} };
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as ClusterState;
  if (parsed.version !== 1 || typeof parsed.regions !== 'object') {
    throw new Error(
      `${path}: unknown format; run \`npm run cluster -- down\` or delete the folder`,
    );
  }
  return parsed;
}

/** Writes the state atomically (temp file + rename). */
export function writeState(dir: string, state: ClusterState): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(statePath(dir), `${JSON.stringify(state, null, 2)}\n`);
}

/** Writes a file through a temp file and a rename, so readers never see half of it. */
export function writeAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  renameSync(tmp, path);
}
