import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../src/core/errors';
import { ensureBinary } from './binaries';
import { crdFiles, rbacObjects } from './bootstrap';
import {
  gitProcessHealthy,
  startGitProcess,
  stopGitProcess,
  type GitProcessState,
} from './git-process';
import { stopEngineProcesses } from './engine/runtime';
import { renderKubeconfig } from './kubeconfig';
import { withLock } from './lock';
import { clusterDir, DEFAULT_REGIONS, kubeconfigPath } from './paths';
import { processAlive, residentKiB, stopProcess, type StartedProcess } from './processes';
import {
  regionCredentials,
  regionHealthy,
  startRegion,
  stopRegion,
  type RegionBinaries,
} from './region';
import {
  readState,
  writeAtomic,
  writeState,
  type ClusterState,
  type PendingProcess,
  type RegionState,
  type Starter,
} from './state';

/**
 * `up`, `down` and `status` over the regions recorded in `.cluster/state.json`. Every
 * change to that file happens under one lock, so people and test runs that share the
 * working tree can call these at the same time.
 */

/** Options shared by the commands. */
export interface ClusterOptions {
  /** Folder for state, data and kubeconfig; defaults to clusterDir(). */
  dir?: string;
  log?: (line: string) => void;
}

/** What `up` returns. */
export interface UpResult {
  kubeconfig: string;
  binDir: string;
  /** The requested regions, in the order asked. */
  regions: string[];
  started: string[];
  reused: string[];
  /** The local Git server: `http://127.0.0.1:<port>`, serving the bare repositories in `gitRoot`. */
  gitUrl: string;
  gitRoot: string;
}

const REGION_NAME = /^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$/;

/** Checks region names (they become context, file and folder names). */
export function validateRegions(regions: string[]): void {
  if (!regions.length)
    throw new UsageError('no regions given', 'Pass e.g. --regions us-east,eu-west');
  const seen = new Set<string>();
  for (const r of regions) {
    if (!REGION_NAME.test(r)) {
      throw new UsageError(
        `region "${r}" is not a valid name`,
        'Use lower-case letters, digits and dashes (at most 32), starting and ending with a letter or digit.',
      );
    }
    if (/-(readonly|drift-checker)$/.test(r)) {
      throw new UsageError(
        `region "${r}" ends like a per-user context name`,
        'Choose another name: contexts <region>-readonly and <region>-drift-checker are generated.',
      );
    }
    if (seen.has(r)) throw new UsageError(`region "${r}" is given twice`, 'List each region once.');
    seen.add(r);
  }
}

function lockPath(dir: string): string {
  return join(dir, '.lock');
}

/**
 * Starts the regions that do not run yet; keeps those already healthy (so running it
 * twice is safe). Rewrites the kubeconfig for every region recorded. A region found
 * dead or half-started is stopped and started afresh.
 */
export async function up(
  regions: string[] = [...DEFAULT_REGIONS],
  startedBy: Starter = 'cli',
  opts: ClusterOptions = {},
): Promise<UpResult> {
  validateRegions(regions);
  // Fail before starting anything if what every region gets installed is not readable.
  rbacObjects();
  crdFiles();
  const dir = opts.dir ?? clusterDir();
  const log = opts.log ?? (() => {});
  // Build (or find) the binaries before taking the lock: a cold build takes minutes and
  // has its own lock.
  const bins = await regionBinaries(log);
  const { etcd, kubeApiserver } = bins;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return withLock(
    lockPath(dir),
    `the clusters in ${dir}`,
    async () => {
      const state = readState(dir);
      await reapPending(dir, state, log);
      const started: string[] = [];
      const reused: string[] = [];
      const toStart: string[] = [];
      for (const name of regions) {
        const current = state.regions[name];
        // A region built from other pins is restarted on the current binaries, unless
        // another test run is using it right now (records older than this field count
        // as current).
        const samePins =
          !current?.binaries ||
          (current.binaries.etcd === etcd &&
            current.binaries.kubeApiserver === kubeApiserver &&
            current.binaries.kubeControllerManager === bins.kubeControllerManager &&
            current.binaries.kubeScheduler === bins.kubeScheduler &&
            current.binaries.kwok === bins.kwok);
        const inUse = liveLeases(dir).some((pid) => pid !== String(process.pid));
        if (current && !samePins && inUse) {
          log(`${name}: runs binaries of other pins, but a test run uses it; keeping it for now`);
        }
        if (current && (samePins || inUse) && (await regionHealthy(current))) {
          // A person's `up` adopts regions a test run started, so the run will not stop them.
          if (startedBy === 'cli') current.startedBy = 'cli';
          reused.push(name);
        } else {
          if (current) {
            log(
              samePins
                ? `${name}: recorded processes are not healthy; restarting`
                : `${name}: runs binaries of other pins; restarting on the current ones`,
            );
            await stopRegion(current);
            delete state.regions[name];
          }
          toStart.push(name);
        }
      }
      if (toStart.length) {
        log(`starting ${toStart.join(', ')}`);
        const track = (p: PendingProcess, running: boolean): void => {
          const others = (state.pending ?? []).filter((q) => q.pid !== p.pid);
          state.pending = running ? [...others, p] : others;
          writeState(dir, state);
        };
        // In parallel: three regions start in about twice the time of one on two cores
        // (see `cluster measure`), instead of three times.
        const results = await Promise.allSettled(
          toStart.map((name) => startRegion(name, join(dir, name), bins, startedBy, log, track)),
        );
        // Ready regions are recorded below; failed ones stopped their own processes.
        state.pending = [];
        const failures: string[] = [];
        results.forEach((r, i) => {
          const name = toStart[i];
          if (r.status === 'fulfilled') {
            state.regions[name] = r.value;
            started.push(name);
            const ph = r.value.phases;
            log(
              `${name}: ready at ${r.value.server} in ${r.value.startSeconds} s ` +
                `(etcd ${ph.etcdReady} s, apiserver /readyz ${ph.apiserverReady} s, RBAC + CRDs ${ph.bootstrapped} s, ` +
                `Nodes Ready ${ph.controlPlaneReady} s)`,
            );
          } else {
            failures.push(
              `${name}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`,
            );
          }
        });
        if (failures.length) {
          // Leave nothing half-started: stop the regions this call started.
          for (const name of started) {
            const s = state.regions[name];
            if (s) await stopRegion(s);
            delete state.regions[name];
          }
          writeRecords(dir, state);
          throw new Error(`could not start ${failures.length} region(s):\n${failures.join('\n')}`);
        }
      }
      if (toStart.length || !state.binDir)
        state.binDir = linkBinaries(dir, {
          etcd,
          'kube-apiserver': kubeApiserver,
          'kube-controller-manager': bins.kubeControllerManager,
          'kube-scheduler': bins.kubeScheduler,
          kwok: bins.kwok,
        });
      const git = await ensureGitServer(dir, state, startedBy, log);
      writeRecords(dir, state);
      return {
        kubeconfig: kubeconfigPath(dir),
        binDir: state.binDir,
        regions,
        started,
        reused,
        gitUrl: git.url,
        gitRoot: git.root,
      };
    },
    { log, timeoutMs: 15 * 60_000 },
  );
}

/**
 * Builds (or finds) every binary a region runs, one after another: on two cores parallel
 * Go builds only fight for them, and most Kubernetes packages are shared.
 */
export async function regionBinaries(log: (line: string) => void): Promise<RegionBinaries> {
  return {
    etcd: await ensureBinary('etcd', log),
    kubeApiserver: await ensureBinary('kube-apiserver', log),
    kubeControllerManager: await ensureBinary('kube-controller-manager', log),
    kubeScheduler: await ensureBinary('kube-scheduler', log),
    kwok: await ensureBinary('kwok', log),
    pki: await ensureBinary('pki', log),
  };
}

/** Keeps a healthy Git server (adopting it for a person's `up`), or starts one. */
async function ensureGitServer(
  dir: string,
  state: ClusterState,
  startedBy: Starter,
  log: (line: string) => void,
): Promise<GitProcessState> {
  if (state.git && (await gitProcessHealthy(state.git))) {
    if (startedBy === 'cli') state.git.startedBy = 'cli';
    return state.git;
  }
  if (state.git) {
    log('git server: recorded process is not healthy; restarting');
    await stopGitProcess(state.git);
    delete state.git;
  }
  const track = (p: { pid: number; marker: string }, running: boolean): void => {
    const others = (state.pending ?? []).filter((q) => q.pid !== p.pid);
    state.pending = running ? [...others, { ...p, region: 'git-server' }] : others;
    writeState(dir, state);
  };
  const git = await startGitProcess(dir, startedBy, track);
  state.pending = (state.pending ?? []).filter((q) => q.pid !== git.pid);
  state.git = git;
  log(`git server: ${git.url} serving ${git.root}`);
  return git;
}

/**
 * Points `<dir>/bin/etcd` and `<dir>/bin/kube-apiserver` at the builds the regions run,
 * so tests get one folder with both (the builds themselves sit in per-pin folders).
 */
function linkBinaries(dir: string, bins: Record<string, string>): string {
  const binDir = join(dir, 'bin');
  mkdirSync(binDir, { recursive: true });
  for (const [name, target] of Object.entries(bins)) {
    const link = join(binDir, name);
    const tmp = `${link}.tmp-${process.pid}`;
    rmSync(tmp, { force: true });
    symlinkSync(target, tmp);
    renameSync(tmp, link);
  }
  return binDir;
}

/** Stops processes left by an interrupted start (see ClusterState.pending). */
async function reapPending(
  dir: string,
  state: ClusterState,
  log: (line: string) => void,
): Promise<void> {
  if (!state.pending?.length) return;
  for (const p of state.pending) {
    if ((await stopProcess(p)) === 'stopped')
      log(`${p.region}: stopped pid ${p.pid} left by an interrupted start`);
  }
  state.pending = [];
  writeRecords(dir, state);
}

/** Writes state.json and the kubeconfig (or removes both when no region is left). */
function writeRecords(dir: string, state: ClusterState): void {
  const names = Object.keys(state.regions);
  if (!names.length && !state.pending?.length && !state.git) {
    rmSync(join(dir, 'state.json'), { force: true });
    rmSync(kubeconfigPath(dir), { force: true });
    return;
  }
  // Default regions first in their usual order, then others by name: a stable file.
  const order = (n: string): string => {
    const i = DEFAULT_REGIONS.indexOf(n);
    return i >= 0 ? `0${i}` : `1${n}`;
  };
  const regions = names.sort((a, b) => order(a).localeCompare(order(b)));
  writeState(dir, {
    ...state,
    regions: Object.fromEntries(regions.map((n) => [n, state.regions[n]])),
  });
  writeAtomic(
    kubeconfigPath(dir),
    renderKubeconfig(regions.map((n) => regionCredentials(state.regions[n]))),
  );
}

/** Stops the given regions (default: all recorded) by their recorded pids. */
export async function down(regions?: string[], opts: ClusterOptions = {}): Promise<string[]> {
  const dir = opts.dir ?? clusterDir();
  if (!existsSync(dir)) return [];
  return withLock(lockPath(dir), `the clusters in ${dir}`, async () => {
    const state = readState(dir);
    if (!regions) await reapPending(dir, state, opts.log ?? (() => {}));
    const names = regions ?? Object.keys(state.regions);
    const unknown = names.filter((n) => !state.regions[n]);
    if (regions && unknown.length) {
      throw new UsageError(
        `not running: ${unknown.join(', ')}`,
        `Running regions: ${Object.keys(state.regions).join(', ') || 'none'}.`,
      );
    }
    const users = liveLeases(dir);
    if (users.length && names.length) {
      opts.log?.(`note: test run(s) with pid ${users.join(', ')} are using these clusters`);
    }
    // The GitOps engine's processes first: they work against these regions.
    await stopEngineProcesses(dir, regions ? { targets: names } : {});
    await Promise.all(names.map((n) => stopRegion(state.regions[n])));
    for (const n of names) delete state.regions[n];
    // `down` without --regions stops everything, the Git server too.
    if (!regions && state.git) {
      await stopGitProcess(state.git);
      delete state.git;
    }
    writeRecords(dir, state);
    return names;
  });
}

/** One row of `status`. */
export interface RegionStatus {
  name: string;
  server: string;
  healthy: boolean;
  startedBy: Starter;
  startedAt: string;
  startSeconds: number;
  etcd: { pid: number; port: number; alive: boolean; rssKiB?: number };
  apiserver: { pid: number; port: number; alive: boolean; rssKiB?: number };
  /** kube-controller-manager, kube-scheduler, kwok (no ports: they serve nothing). */
  controlPlane: { name: string; pid: number; alive: boolean; rssKiB?: number }[];
}

/** The Git server's row of `status`. */
export interface GitStatus {
  url: string;
  root: string;
  pid: number;
  healthy: boolean;
  startedBy: Starter;
  rssKiB?: number;
}

/** The recorded Git server, with health and memory; undefined when none is recorded. */
export async function gitStatus(opts: ClusterOptions = {}): Promise<GitStatus | undefined> {
  const git = readState(opts.dir ?? clusterDir()).git;
  if (!git) return undefined;
  const healthy = await gitProcessHealthy(git);
  const rss = healthy ? residentKiB(git.pid) : undefined;
  return {
    url: git.url,
    root: git.root,
    pid: git.pid,
    healthy,
    startedBy: git.startedBy,
    ...(rss !== undefined ? { rssKiB: rss } : {}),
  };
}

/** What runs, with health and resident memory (read-only; takes no lock). */
export async function status(opts: ClusterOptions = {}): Promise<RegionStatus[]> {
  const dir = opts.dir ?? clusterDir();
  const state = readState(dir);
  const out: RegionStatus[] = [];
  for (const s of Object.values(state.regions)) {
    const healthy = await regionHealthy(s);
    const proc = (p: RegionState['etcd']): RegionStatus['etcd'] => {
      const alive = processAlive(p.pid);
      const rss = alive ? residentKiB(p.pid) : undefined;
      return { pid: p.pid, port: p.port, alive, ...(rss !== undefined ? { rssKiB: rss } : {}) };
    };
    out.push({
      name: s.name,
      server: s.server,
      healthy,
      startedBy: s.startedBy,
      startedAt: s.startedAt,
      startSeconds: s.startSeconds,
      etcd: proc(s.etcd),
      apiserver: proc(s.apiserver),
      controlPlane: Object.entries<StartedProcess>({ ...s.controlPlane }).map(([name, p]) => {
        const alive = processAlive(p.pid);
        const rss = alive ? residentKiB(p.pid) : undefined;
        return { name, pid: p.pid, alive, ...(rss !== undefined ? { rssKiB: rss } : {}) };
      }),
    });
  }
  return out;
}

/**
 * Test runs hold a lease (a file named after their pid) while they use the clusters.
 * The run that ends last stops the regions that a test run started; regions a person
 * started with `cluster up` keep running.
 */
export function takeLease(dir: string = clusterDir()): string {
  const leases = join(dir, 'leases');
  mkdirSync(leases, { recursive: true });
  const path = join(leases, String(process.pid));
  writeFileSync(path, new Date().toISOString());
  return path;
}

/** Pids of test runs holding a lease; leases of runs that died are removed. */
function liveLeases(dir: string): string[] {
  const leases = join(dir, 'leases');
  if (!existsSync(leases)) return [];
  return readdirSync(leases).filter((f) => {
    const pid = Number(f);
    const alive = Number.isInteger(pid) && processAlive(pid);
    if (!alive) rmSync(join(leases, f), { force: true });
    return alive;
  });
}

/** Drops this run's lease and, if no other live run holds one, stops test-started regions. */
export async function releaseLease(lease: string, opts: ClusterOptions = {}): Promise<string[]> {
  const dir = opts.dir ?? clusterDir();
  rmSync(lease, { force: true });
  return withLock(lockPath(dir), `the clusters in ${dir}`, async () => {
    const others = liveLeases(dir);
    if (others.length) {
      opts.log?.(`clusters still used by pid ${others.join(', ')}; leaving them running`);
      return [];
    }
    const state = readState(dir);
    const mine = Object.values(state.regions).filter((r) => r.startedBy === 'global-setup');
    await stopEngineProcesses(dir, { targets: mine.map((r) => r.name) });
    await Promise.all(mine.map((r) => stopRegion(r)));
    for (const r of mine) delete state.regions[r.name];
    if (state.git?.startedBy === 'global-setup') {
      await stopGitProcess(state.git);
      delete state.git;
    }
    writeRecords(dir, state);
    return mine.map((r) => r.name);
  });
}
