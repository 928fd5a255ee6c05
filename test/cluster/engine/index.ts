import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig } from '../../../src/adapters/fs/read-config';
import type { Config } from '../../../src/core/config/types';
import { UsageError } from '../../../src/core/errors';
import { withLock } from '../lock';
import { regionHealthy } from '../region';
import { readState, writeAtomic, type RegionState } from '../state';
import { commitDeployedConfig } from './workspace';

/**
 * `npm run cluster -- deploy` and `engine status`, for any GitOps engine. This file knows
 * nothing of Flux or Argo CD: it turns the user's config into a commit on the local Git
 * server, hands the commit to the engine (engine/flux.ts, engine/argocd.ts), then watches
 * the engine roll it out region by region, recording when each region and each wave
 * started and finished, and writes `.cluster/deployed.json`.
 */

export type EngineName = 'flux' | 'argocd';
export type Layout = 'hub' | 'per-cluster';

/** Everything an engine needs to deploy one commit to the regions. */
export interface EngineContext {
  clusterDir: string;
  /** `<clusterDir>/engine/<engine>`: the engine's logs, kubeconfigs and data. */
  engineDir: string;
  layout: Layout;
  /** The region hosting the engine in the hub layout (in per-cluster: every region hosts its own). */
  hub: RegionState;
  /** The config's regions, by wave then name; all of them run. */
  regions: RegionState[];
  /** The deployed config (repoURL is the local Git server, servers the harness's). */
  config: Config;
  /** The generated tree in the work clone (`<work>/<gitops.path>`), as pushed. */
  treeDir: string;
  git: { url: string; branch: string; commit: string };
  log: (line: string) => void;
}

/** Where one region's rollout of the commit is. */
export interface RegionRollout {
  region: string;
  /**
   * waiting: not started on this commit (the previous wave is not ready, or the engine
   * has not fetched it); progressing: applying or waiting for health; ready: the commit is
   * applied and healthy; failed: the engine's last attempt at this commit failed (it retries).
   */
  phase: 'waiting' | 'progressing' | 'ready' | 'failed';
  /** Commit the region last applied successfully, if any. */
  revision?: string;
  /** The engine's own message, on one line. */
  message: string;
  /** The object that is not healthy, when the engine names it (e.g. `Deployment alfred/alfred-api`). */
  unhealthy?: string;
}

/** One row of `engine status`: a Kustomization, an Application ... */
export interface EngineObjectRow {
  kind: string;
  namespace: string;
  name: string;
  /** The region it deploys. */
  region: string;
  /** The region whose API server holds the object (the hub, or the region itself). */
  cluster: string;
  ready: 'True' | 'False' | 'Unknown';
  revision: string;
  message: string;
}

/** What an engine implements; see notes in each method. */
export interface Engine {
  readonly name: EngineName;
  readonly layouts: readonly Layout[];
  /** Builds (or finds in the cache) the engine's binaries, before anything starts. */
  ensureBinaries(log: (line: string) => void): Promise<void>;
  /** Starts the processes not running yet, installs CRDs and the engine's own objects. */
  start(ctx: EngineContext): Promise<void>;
  /** Applies the generated engine objects and the region credentials (idempotent). */
  install(ctx: EngineContext): Promise<void>;
  /** Makes the engine fetch `ctx.git.commit` now rather than at its next poll. */
  refresh(ctx: EngineContext): Promise<void>;
  /** Each region's rollout of `ctx.git.commit` (polled about once a second). */
  rollout(ctx: EngineContext): Promise<RegionRollout[]>;
  /** Rows for `engine status`. */
  objects(ctx: EngineContext): Promise<EngineObjectRow[]>;
  /**
   * Makes the engine apply the commit again now, as its next periodic reconcile would
   * (Flux: `flux reconcile kustomization`), and resolves once it has (default: all regions).
   */
  reconcile(ctx: EngineContext, regions?: string[]): Promise<void>;
  /**
   * Deletes the engine objects of the deploy, letting the engine prune what it applied,
   * then stops its processes.
   */
  remove(ctx: EngineContext): Promise<void>;
}

/**
 * The engines `deploy --engine` accepts, loaded on demand. An engine plugs in with one
 * line here (Argo CD: `argocd: async () => (await import('./argocd')).argocd`).
 */
const ENGINES: Partial<Record<EngineName, () => Promise<Engine>>> = {
  flux: async () => (await import('./flux')).flux,
  argocd: async () => (await import('./argocd')).argocd,
};

/** The engines available, in the order `build --engines` builds them. */
export const ENGINE_NAMES = Object.keys(ENGINES) as EngineName[];

/** Looks an engine up by name, refusing unknown names with the list. */
export async function engineByName(name: string): Promise<Engine> {
  const load = ENGINES[name as EngineName];
  if (!load) {
    throw new UsageError(
      `--engine ${name}: unknown engine`,
      `Use one of: ${ENGINE_NAMES.join(', ')}.`,
    );
  }
  return load();
}

/** Options of {@link deploy}. */
export interface DeployOptions {
  engine: EngineName;
  /** The user's config file. */
  configFile: string;
  /** Default: the config's `gitops.flux.layout` for Flux, `hub` otherwise. */
  layout?: Layout | undefined;
  /** Region hosting the engine (hub layout); default: the first region of the first wave. */
  hub?: string | undefined;
  /** How long to wait for every region to be ready (seconds). */
  timeoutSeconds: number;
  clusterDir: string;
  /** Progress lines (stderr). */
  log: (line: string) => void;
  /** Result lines (stdout): per region and wave, started and finished. */
  print: (line: string) => void;
}

/** Per region: when its rollout of the commit was first seen started, and ready. */
export interface RegionTiming {
  name: string;
  wave: number;
  context: string;
  server: string;
  startedAt?: string;
  finishedAt?: string;
  revision?: string;
  phase: RegionRollout['phase'];
  message: string;
  unhealthy?: string;
}

/** `.cluster/deployed.json`; fields documented in test/cluster/README.md. */
export interface Deployed {
  version: 1;
  engine: EngineName;
  layout: Layout;
  hub: { region: string; context: string; server: string };
  git: { url: string; branch: string; commit: string; workDir: string };
  config: string;
  sourceConfig: string;
  complete: boolean;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  regions: RegionTiming[];
  waves: { wave: number; regions: string[]; startedAt?: string; finishedAt?: string }[];
}

export function deployedPath(clusterDir: string): string {
  return join(clusterDir, 'deployed.json');
}

/** Reads `.cluster/deployed.json`, or undefined when nothing was deployed. */
export function readDeployed(clusterDir: string): Deployed | undefined {
  const path = deployedPath(clusterDir);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as Deployed;
}

/** The deploy did not finish in time; exit code 1, the message names what is not ready. */
export class DeployTimeoutError extends Error {
  readonly exitCode = 1;
}

/**
 * Validates the request, pushes the config's tree, has the engine deploy it, and waits
 * until every region runs the commit and is healthy (or the timeout passes).
 */
export async function deploy(opts: DeployOptions): Promise<Deployed> {
  const engine = await engineByName(opts.engine);
  const configFile = resolve(opts.configFile);
  // Bad input stops here, before anything is started or pushed.
  const userConfig = loadConfig(opts.configFile);
  const layout: Layout =
    opts.layout ?? (engine.name === 'flux' ? userConfig.gitops.flux.layout : 'hub');
  if (!engine.layouts.includes(layout)) {
    throw new UsageError(
      `--layout ${layout}: ${engine.name} supports only ${engine.layouts.join(', ')}`,
      `Leave --layout out, or pass --layout ${engine.layouts[0]}.`,
    );
  }
  const dir = opts.clusterDir;
  const state = readState(dir);
  const wanted = [...userConfig.regions].sort(
    (a, b) => a.wave - b.wave || a.name.localeCompare(b.name),
  );
  const missing = wanted.filter((r) => !state.regions[r.name]).map((r) => r.name);
  if (missing.length) {
    throw new UsageError(
      `${opts.configFile}: region${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not running (running: ${Object.keys(state.regions).join(', ') || 'none'})`,
      `Start them first: npm run cluster -- up --regions ${wanted.map((r) => r.name).join(',')}`,
    );
  }
  if (!state.git) {
    throw new UsageError(
      'no local Git server runs for these clusters',
      'Run `npm run cluster -- up`: it starts the regions and the Git server.',
    );
  }
  const regions = wanted.map((r) => state.regions[r.name]);
  const hubName = opts.hub ?? regions[0]?.name;
  const hub = hubName ? state.regions[hubName] : undefined;
  if (!hub) {
    throw new UsageError(
      `--hub ${hubName}: no such running region`,
      `Running regions: ${Object.keys(state.regions).join(', ')}.`,
    );
  }
  for (const r of layout === 'hub' ? [hub, ...regions] : regions) {
    if (!(await regionHealthy(r))) {
      throw new UsageError(
        `region ${r.name} is not healthy (its API server does not answer /readyz)`,
        'Check `npm run cluster -- status`; `npm run cluster -- up` restarts it.',
      );
    }
  }
  await engine.ensureBinaries(opts.log);

  return withLock(
    join(dir, '.deploy-lock'),
    'another deploy to these clusters',
    async () => {
      const startedAt = new Date();
      const pushed = await commitDeployedConfig({
        clusterDir: dir,
        gitUrl: (state.git as { url: string }).url,
        userConfigFile: configFile,
        engine: engine.name,
        layout,
        regions,
        log: opts.log,
      });
      opts.log(
        `${pushed.changed ? 'pushed' : 'main already holds'} commit ${pushed.commit.slice(0, 12)} to ${pushed.url}`,
      );
      const ctx: EngineContext = {
        clusterDir: dir,
        engineDir: join(dir, 'engine', engine.name),
        layout,
        hub,
        regions,
        config: pushed.config,
        treeDir: pushed.treeDir,
        git: { url: pushed.url, branch: pushed.branch, commit: pushed.commit },
        log: opts.log,
      };
      await engine.start(ctx);
      await engine.install(ctx);
      return rollOut(engine, ctx, {
        startedAt,
        workDir: pushed.workDir,
        configFile: pushed.configFile,
        sourceConfig: configFile,
        timeoutSeconds: opts.timeoutSeconds,
        log: opts.log,
        print: opts.print,
      });
    },
    { log: opts.log, timeoutMs: 30 * 60_000 },
  );
}

/**
 * Waits for the engine to roll out a commit already pushed to `main` of the deployed
 * repository (e.g. a pull request merged in the work clone), with the engine and layout
 * of the last deploy; records it in deployed.json like a deploy.
 */
export async function rollOutPushed(opts: {
  clusterDir: string;
  commit: string;
  timeoutSeconds: number;
  log: (line: string) => void;
  print: (line: string) => void;
}): Promise<Deployed> {
  const { engine, ctx } = await engineContextFromDeployed(opts.clusterDir, opts.log);
  const last = readDeployed(opts.clusterDir) as Deployed;
  ctx.git.commit = opts.commit;
  return rollOut(engine, ctx, {
    startedAt: new Date(),
    workDir: last.git.workDir,
    configFile: last.config,
    sourceConfig: last.sourceConfig,
    timeoutSeconds: opts.timeoutSeconds,
    log: opts.log,
    print: opts.print,
  });
}

/** Has the engine fetch the commit, watches the rollout, writes deployed.json. */
async function rollOut(
  engine: Engine,
  ctx: EngineContext,
  run: {
    startedAt: Date;
    workDir: string;
    configFile: string;
    sourceConfig: string;
    timeoutSeconds: number;
    log: (line: string) => void;
    print: (line: string) => void;
  },
): Promise<Deployed> {
  await engine.refresh(ctx);
  const waveOf = new Map(ctx.config.regions.map((r) => [r.name, r.wave]));
  const timings = await watchRollout(engine, ctx, waveOf, run);
  const finishedAt = new Date();
  const deployed: Deployed = {
    version: 1,
    engine: engine.name,
    layout: ctx.layout,
    hub: { region: ctx.hub.name, context: ctx.hub.name, server: ctx.hub.server },
    git: { ...ctx.git, workDir: run.workDir },
    config: run.configFile,
    sourceConfig: run.sourceConfig,
    complete: timings.every((t) => t.phase === 'ready'),
    startedAt: run.startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - run.startedAt.getTime()) / 100) / 10,
    regions: timings,
    waves: waves(timings),
  };
  writeAtomic(deployedPath(ctx.clusterDir), `${JSON.stringify(deployed, null, 2)}\n`, 0o644);
  printSummary(deployed, run.print);
  if (!deployed.complete) {
    const stuck = timings.filter((t) => t.phase !== 'ready');
    throw new DeployTimeoutError(
      `not every region was ready after ${run.timeoutSeconds} s:\n${stuck
        .map(
          (t) =>
            `  ${t.name} (wave ${t.wave}): ${t.phase}${t.unhealthy ? `, not healthy: ${t.unhealthy}` : ''}: ${t.message}`,
        )
        .join('\n')}\n(what was reached is in ${deployedPath(ctx.clusterDir)})`,
    );
  }
  return deployed;
}

/** Polls the engine until every region is ready at the commit, or the timeout passes. */
async function watchRollout(
  engine: Engine,
  ctx: EngineContext,
  waveOf: Map<string, number>,
  opts: { timeoutSeconds: number; log: (line: string) => void },
): Promise<RegionTiming[]> {
  const t0 = Date.now();
  const timings = new Map<string, RegionTiming>(
    ctx.regions.map((r) => [
      r.name,
      {
        name: r.name,
        wave: waveOf.get(r.name) ?? 0,
        context: r.name,
        server: r.server,
        phase: 'waiting',
        message: '',
      },
    ]),
  );
  const clock = (): string => `+${((Date.now() - t0) / 1000).toFixed(1)} s`;
  const deadline = t0 + opts.timeoutSeconds * 1000;
  let lastError = '';
  for (;;) {
    let rows: RegionRollout[] = [];
    try {
      rows = await engine.rollout(ctx);
      lastError = '';
    } catch (err) {
      // A hub that does not answer for a moment is retried until the deadline.
      const msg = (err as Error).message;
      if (msg !== lastError) opts.log(`reading the rollout failed (retrying): ${msg}`);
      lastError = msg;
    }
    const now = new Date().toISOString();
    for (const row of rows) {
      const t = timings.get(row.region);
      if (!t) continue;
      const started = row.phase !== 'waiting';
      if (started && !t.startedAt) {
        t.startedAt = now;
        opts.log(`${row.region.padEnd(14)} wave ${t.wave}: started ${clock()}`);
      }
      if (row.phase === 'ready' && !t.finishedAt) {
        t.finishedAt = now;
        opts.log(`${row.region.padEnd(14)} wave ${t.wave}: ready ${clock()}`);
      }
      if (row.phase === 'failed' && t.phase !== 'failed') {
        opts.log(
          `${row.region.padEnd(14)} wave ${t.wave}: failed, the engine retries: ${row.message}`,
        );
      }
      t.phase = row.phase;
      t.message = row.message;
      if (row.revision !== undefined) t.revision = row.revision;
      if (row.unhealthy !== undefined) t.unhealthy = row.unhealthy;
      else delete t.unhealthy;
    }
    const all = [...timings.values()];
    if (all.every((t) => t.phase === 'ready')) return all;
    if (Date.now() > deadline) return all;
    await sleep(1_000);
  }
}

function waves(timings: RegionTiming[]): Deployed['waves'] {
  const byWave = new Map<number, RegionTiming[]>();
  for (const t of timings) byWave.set(t.wave, [...(byWave.get(t.wave) ?? []), t]);
  return [...byWave.entries()]
    .sort(([a], [b]) => a - b)
    .map(([wave, ts]) => {
      const starts = ts
        .map((t) => t.startedAt)
        .filter((s): s is string => !!s)
        .sort();
      const ends = ts.map((t) => t.finishedAt);
      const done = ends.every((e) => !!e);
      return {
        wave,
        regions: ts.map((t) => t.name),
        ...(starts[0] ? { startedAt: starts[0] } : {}),
        ...(done ? { finishedAt: (ends as string[]).sort().at(-1) as string } : {}),
      };
    });
}

function printSummary(d: Deployed, print: (line: string) => void): void {
  const t0 = Date.parse(d.startedAt);
  const rel = (iso?: string): string =>
    iso ? `${iso.slice(11, 23)} (+${((Date.parse(iso) - t0) / 1000).toFixed(1)} s)` : '-';
  print(
    `${d.engine} (${d.layout}${d.layout === 'hub' ? `, hub ${d.hub.region}` : ''}) commit ${d.git.commit.slice(0, 12)} from ${d.git.url}`,
  );
  print(`${'region'.padEnd(14)} wave  ${'started'.padEnd(26)} ${'ready'.padEnd(26)} phase`);
  for (const r of d.regions) {
    print(
      `${r.name.padEnd(14)} ${String(r.wave).padEnd(5)} ${rel(r.startedAt).padEnd(26)} ${rel(r.finishedAt).padEnd(26)} ${r.phase}`,
    );
  }
  for (const w of d.waves) {
    print(
      `wave ${w.wave} (${w.regions.join(', ')}): started ${rel(w.startedAt)}, ready ${rel(w.finishedAt)}`,
    );
  }
  print(`${d.complete ? 'all regions ready' : 'NOT all regions ready'} after ${d.seconds} s`);
}

/** The context `engine status` works in: what the last deploy recorded. */
export async function engineContextFromDeployed(
  clusterDir: string,
  log: (line: string) => void,
): Promise<{ engine: Engine; ctx: EngineContext }> {
  const d = readDeployed(clusterDir);
  if (!d) {
    throw new UsageError(
      `nothing deployed to the clusters in ${clusterDir} (no deployed.json)`,
      'Run `npm run cluster -- deploy --engine flux` first.',
    );
  }
  const engine = await engineByName(d.engine);
  const state = readState(clusterDir);
  const config = loadConfig(d.config);
  const regions = d.regions.map((r) => state.regions[r.name]).filter((r): r is RegionState => !!r);
  const hub = state.regions[d.hub.region];
  if (!hub) {
    throw new UsageError(
      `the hub region ${d.hub.region} of the last deploy does not run`,
      'Start it with `npm run cluster -- up` and deploy again.',
    );
  }
  return {
    engine,
    ctx: {
      clusterDir,
      engineDir: join(clusterDir, 'engine', engine.name),
      layout: d.layout,
      hub,
      regions,
      config,
      treeDir: join(d.git.workDir, config.gitops.path),
      git: { url: d.git.url, branch: d.git.branch, commit: d.git.commit },
      log,
    },
  };
}

/**
 * Undoes the last deploy: the engine deletes its objects (pruning what it applied in the
 * regions) and stops; deployed.json goes. The work clone and the served repository stay.
 */
export async function removeDeployed(
  clusterDir: string,
  log: (line: string) => void,
): Promise<Deployed> {
  const { engine, ctx } = await engineContextFromDeployed(clusterDir, log);
  const last = readDeployed(clusterDir) as Deployed;
  await engine.remove(ctx);
  rmSync(deployedPath(clusterDir), { force: true });
  return last;
}
