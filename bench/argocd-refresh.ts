/**
 * Argo CD's own drift detection next to `mr-drift check`, after the same hand changes, in
 * one run on the harness's regions (the real Argo CD v3.2.11 of test/cluster/engine/argocd.ts).
 *
 * Deploys the bundled config (under a fresh app name) with `deploy --engine argocd`, then
 * per run, in one region whose RollingSync step is held (so Argo CD reports the changes
 * instead of putting them back):
 * 1. makes the hand changes of test/integration/argocd-e2e.test.ts with kubectl;
 * 2. times how long Argo CD takes, on its own (its watches on the region), until the
 *    Application's status marks every object it will flag OutOfSync;
 * 3. times a refresh asked for as the UI's Refresh button does (annotation
 *    `argocd.argoproj.io/refresh: normal`) until the controller has done it;
 * 4. times `mr-drift check` of that region, server-side and read-only, on the same state,
 *    and checks that its findings hold every object Argo CD flagged;
 * 5. releases the step, waits for Argo CD's sync, and undoes what Argo CD leaves.
 * Prints medians and ratios, the counts (flagged by Argo CD, found by mr-drift, beyond
 * Argo CD) and the memory of the Argo CD processes; fails on any miss.
 *
 *   npm run cluster -- up
 *   npx tsx bench/argocd-refresh.ts [--runs 5] [--region eu-west] [--keep]
 *
 * mr-drift runs as the bundled CLI (built like dist/cli.js), not through tsx.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseDocument } from 'yaml';
import {
  getApplication,
  holdRegion,
  outOfSyncResources,
  releaseRegion,
  requestRefresh,
  REFRESH_ANNOTATION,
  waitForApplication,
} from '../test/cluster/engine/argocd';
import {
  deploy,
  engineContextFromDeployed,
  removeDeployed,
  type EngineContext,
} from '../test/cluster/engine/index';
import { engineProcesses, processRow } from '../test/cluster/engine/runtime';
import { defaultKubeconfig, kubectl } from '../test/cluster/kubectl';
import { clusterDir } from '../test/cluster/paths';
import { regionClient } from '../test/cluster/region';
import type { DriftReport } from '../src/core/report/model';
import { bundleLikeDist, median, numberArg, stringArg } from './support';

const RUNS = numberArg('--runs', 5);
const REGION = stringArg('--region', 'eu-west');
const KEEP = process.argv.includes('--keep');
const root = new URL('..', import.meta.url).pathname;

const say = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** The bundled config under a fresh app name, so that nothing else on the regions is touched. */
function benchConfig(dir: string): { file: string; app: string } {
  const app = `bench${randomBytes(3).toString('hex')}`;
  const doc = parseDocument(readFileSync(join(root, 'mr-drift.yaml'), 'utf8'));
  doc.setIn(['app', 'name'], app);
  doc.setIn(['app', 'namespace'], app);
  doc.setIn(['gitops', 'argocd', 'namespace'], `${app}-argocd`);
  doc.setIn(['gitops', 'argocd', 'project'], app);
  doc.setIn(['database', 'credentialsSecret'], `${app}-db-credentials`);
  const file = join(dir, 'mr-drift.yaml');
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
  return { file, app };
}

/** The hand changes, as a person makes them with kubectl. */
async function handChanges(app: string): Promise<void> {
  const k = (args: string[], input?: string) =>
    kubectl(REGION, args, { namespace: app, ...(input !== undefined ? { input } : {}) });
  await k(['set', 'image', `deployment/${app}-api`, 'api=ghcr.io/alfred/api:hotfix']);
  await k(['set', 'env', `deployment/${app}-api`, 'HOTFIX=1']);
  await k(['label', `service/${app}-api`, 'handmade=yes']);
  await k(['patch', `configmap/${app}-config`, '--type=merge', '-p', '{"data":{"HOTFIX":"on"}}']);
  await k(['delete', `poddisruptionbudget/${app}-api`]);
  await k(['scale', `statefulset/${app}-db-shard-3`, '--replicas=2']);
  await k(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: `${app}-stray`,
        labels: { 'app.kubernetes.io/part-of': app, 'mr-drift.io/region': REGION },
      },
      data: { made: 'by hand' },
    }),
  );
}

/** Undoes what Argo CD's sync leaves (fields other managers added, the extra object). */
async function undoLeftovers(app: string): Promise<void> {
  const k = (args: string[]) => kubectl(REGION, args, { namespace: app });
  await k(['delete', '--ignore-not-found', `configmap/${app}-stray`]);
  await k(['label', `service/${app}-api`, 'handmade-']);
  await k(['set', 'env', `deployment/${app}-api`, 'HOTFIX-']);
  await k([
    'patch',
    `configmap/${app}-config`,
    '--type=json',
    '-p',
    '[{"op":"remove","path":"/data/HOTFIX"}]',
  ]);
}

/** The objects Argo CD flags for these changes (its server-side diff; see the e2e test). */
function expectedFlags(app: string): string[] {
  return [
    `Deployment ${app}/${app}-api`,
    `PodDisruptionBudget ${app}/${app}-api`,
    `StatefulSet ${app}/${app}-db-shard-3`,
  ];
}

/** Polls the Application every 100 ms until it flags `want`; the seconds since `t0`. */
async function untilFlagged(ctx: EngineContext, want: string[], t0: number): Promise<number> {
  const ns = ctx.config.gitops.argocd.namespace;
  const name = `${ctx.config.app.name}-${REGION}`;
  const client = regionClient(ctx.hub);
  try {
    for (;;) {
      const app = await getApplication(client, ns, name);
      const flagged = app ? outOfSyncResources(app) : [];
      if (want.every((w) => flagged.includes(w))) return (performance.now() - t0) / 1000;
      if (performance.now() - t0 > 120_000) {
        throw new Error(`Argo CD flagged only ${flagged.join(', ') || 'nothing'} after 120 s`);
      }
      await sleep(100);
    }
  } finally {
    client.close();
  }
}

/** Asks for a refresh and waits until the controller has done it; seconds. */
async function refreshSeconds(ctx: EngineContext): Promise<{ seconds: number; flagged: string[] }> {
  const ns = ctx.config.gitops.argocd.namespace;
  const name = `${ctx.config.app.name}-${REGION}`;
  const client = regionClient(ctx.hub);
  try {
    const t0 = performance.now();
    await requestRefresh(client, ns, name);
    for (;;) {
      const app = await getApplication(client, ns, name);
      if (app && app.metadata.annotations?.[REFRESH_ANNOTATION] === undefined) {
        return { seconds: (performance.now() - t0) / 1000, flagged: outOfSyncResources(app) };
      }
      await sleep(50);
    }
  } finally {
    client.close();
  }
}

/** Runs the bundled CLI's check of the region; seconds and the report. */
function timedCheck(
  cli: string,
  workDir: string,
  mode: 'server-side' | 'read-only',
): Promise<{ seconds: number; report: DriftReport }> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [
        cli,
        'check',
        '--path',
        join(workDir, 'overlays'),
        '--regions',
        REGION,
        '--mode',
        mode,
        '--output',
        'json',
        '--no-progress',
        '--kubeconfig',
        defaultKubeconfig(),
      ],
      { cwd: workDir, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout) => {
        const seconds = (performance.now() - t0) / 1000;
        // Exit code 1 means drift, which is expected here.
        if (err && (err as { code?: unknown }).code !== 1) {
          fail(new Error(`mr-drift check failed: ${err.message}`));
          return;
        }
        done({ seconds, report: JSON.parse(stdout) as DriftReport });
      },
    );
  });
}

interface Run {
  watch: number;
  sinceFirst: number;
  refresh: number;
  serverSide: number;
  readOnly: number;
  argoFlagged: number;
  mrDriftFound: number;
  beyond: string[];
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'mr-drift-bench-argocd-'));
  const dir = clusterDir();
  const cfg = benchConfig(tmp);
  const cli = await bundleLikeDist('src/cli/main.ts', join(tmp, 'cli'));
  say(`deploying ${cfg.app} with Argo CD ...`);
  const deployed = await deploy({
    engine: 'argocd',
    configFile: cfg.file,
    timeoutSeconds: 600,
    clusterDir: dir,
    log: (l) => say(`  ${l}`),
    print: (l) => say(l),
  });
  const { ctx } = await engineContextFromDeployed(dir, say);
  const workDir = deployed.git.workDir;
  const runs: Run[] = [];
  try {
    for (let i = 1; i <= RUNS; i++) {
      await holdRegion(ctx, REGION);
      const t0 = performance.now();
      await handChanges(cfg.app);
      const changed = performance.now();
      const want = expectedFlags(cfg.app);
      // Argo CD's time counts from the end of the last kubectl call, as mr-drift's does.
      const watch = await untilFlagged(ctx, want, changed);
      const sinceFirst = watch + (changed - t0) / 1000;
      const refresh = await refreshSeconds(ctx);
      const ss = await timedCheck(cli, workDir, 'server-side');
      const ro = await timedCheck(cli, workDir, 'read-only');
      // Argo CD must still flag the same objects: had it synced meanwhile (the hold not
      // effective), the comparison above would be between two different states.
      const after = await refreshSeconds(ctx);
      if (after.flagged.join() !== refresh.flagged.join()) {
        throw new Error(
          `Argo CD's OutOfSync list changed during run ${i} (${refresh.flagged.join(', ')} -> ${after.flagged.join(', ')}): the step was not held`,
        );
      }
      const found = (r: DriftReport): string[] =>
        (r.regions[0]?.findings ?? []).map((f) => `${f.kind} ${f.namespace ?? ''}/${f.name}`);
      for (const [mode, report] of [
        ['server-side', ss.report],
        ['read-only', ro.report],
      ] as const) {
        const missed = refresh.flagged.filter((o) => !found(report).includes(o));
        if (missed.length)
          throw new Error(
            `${mode}: Argo CD flagged, mr-drift did not report: ${missed.join(', ')}`,
          );
      }
      const mine = found(ss.report);
      runs.push({
        watch,
        sinceFirst,
        refresh: refresh.seconds,
        serverSide: ss.seconds,
        readOnly: ro.seconds,
        argoFlagged: refresh.flagged.length,
        mrDriftFound: mine.length,
        beyond: mine.filter((o) => !refresh.flagged.includes(o)),
      });
      say(
        `run ${i}: changes ${((changed - t0) / 1000).toFixed(2)} s; Argo CD flagged ${refresh.flagged.length} by itself in ${watch.toFixed(2)} s, refresh ${refresh.seconds.toFixed(2)} s; mr-drift check ${ss.seconds.toFixed(2)} s (server-side), ${ro.seconds.toFixed(2)} s (read-only), ${mine.length} objects`,
      );
      const released = Date.now();
      await releaseRegion(ctx, REGION);
      await waitForApplication(
        ctx,
        REGION,
        (a) =>
          a.status?.sync?.status === 'Synced' &&
          a.status.operationState?.phase === 'Succeeded' &&
          Date.parse(a.status.operationState.startedAt ?? '') >= released - 1_000,
      );
      await undoLeftovers(cfg.app);
    }
  } finally {
    const rss = engineProcesses(dir)
      .map(processRow)
      .filter((p) => p.engine === 'argocd')
      .map((p) => `${p.component} ${Math.round((p.rssKiB ?? 0) / 1024)} MiB`);
    say(`Argo CD memory at the end: ${rss.join(', ')}`);
    if (!KEEP) await removeDeployed(dir, say).catch((e: unknown) => say(`remove: ${String(e)}`));
    rmSync(tmp, { recursive: true, force: true });
  }

  const m = (f: (r: Run) => number): number => median(runs.map(f));
  const watch = m((r) => r.watch);
  const refresh = m((r) => r.refresh);
  const sinceFirst = m((r) => r.sinceFirst);
  const ss = m((r) => r.serverSide);
  const ro = m((r) => r.readOnly);
  const last = runs[runs.length - 1];
  console.log(
    `Argo CD v3.2.11 vs mr-drift check, ${REGION}, ${runs.length} runs, ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`,
  );
  console.log(`| measure | median (s) | vs mr-drift server-side |`);
  console.log(`|---|---|---|`);
  console.log(
    `| Argo CD on its own (watch) until OutOfSync | ${watch.toFixed(2)} | ${(watch / ss).toFixed(2)}x |`,
  );
  console.log(
    `| (the same, from the first of the 7 kubectl changes) | ${sinceFirst.toFixed(2)} | ${(sinceFirst / ss).toFixed(2)}x |`,
  );
  console.log(
    `| Argo CD refresh (asked) until done | ${refresh.toFixed(2)} | ${(refresh / ss).toFixed(2)}x |`,
  );
  console.log(`| mr-drift check --mode server-side (one region) | ${ss.toFixed(2)} | 1.00x |`);
  console.log(
    `| mr-drift check --mode read-only (one region) | ${ro.toFixed(2)} | ${(ro / ss).toFixed(2)}x |`,
  );
  console.log(
    `objects: Argo CD flagged ${last.argoFlagged}, mr-drift found ${last.mrDriftFound} (every flagged one), beyond Argo CD ${last.beyond.length}: ${last.beyond.join(', ')}`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
