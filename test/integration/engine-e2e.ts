/**
 * Helpers for the end-to-end tests through a real GitOps engine (Flux now, Argo CD on the
 * same framework): a copy of the bundled config under a fresh app name, the deploy run
 * in-process with its log kept, and the drift check on the tree the engine deployed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { deploy, type Deployed, type EngineName, type Layout } from '../cluster/engine/index';
import { clusterInfo, kubectlJson } from '../cluster/testing';
import type { ComparisonMode, DriftReport, RegionReport } from '../../src/core/report/model';
import type { CheckOptions } from '../../src/pipeline/check-options';
import { check, completed, repoRoot, summary, tempDir } from './drift-helpers';

/** A config for one e2e run: the bundled mr-drift.yaml under names no other run uses. */
export interface E2eConfig {
  file: string;
  /** App name (also its `app.kubernetes.io/part-of`), e.g. `fx1a2b3c`. */
  app: string;
  /** The app's namespace in every region. */
  namespace: string;
  /** Namespace of the engine's objects (`<app>-flux` or `<app>-argocd`). */
  engineNamespace: string;
  /** Rewrites the config file (e.g. a new image tag). */
  edit: (fn: (doc: ReturnType<typeof parseDocument>) => void) => void;
  dispose: () => void;
}

/**
 * The bundled config as it was before it moved to CloudNativePG (database in-cluster: one
 * StatefulSet per shard, whose Pods the test regions run), for the tests that need
 * StatefulSets or whose engine's health checks were not yet tried on operators' objects.
 */
export const IN_CLUSTER_DB_CONFIG = join(
  repoRoot,
  'test/integration/e2e-in-cluster-db.mr-drift.yaml',
);

/**
 * The bundled config (or `source`, a config file in its shape) with a fresh app name,
 * namespace and engine namespace. The engine's interval is an hour, so the only
 * reconciles during a test are the deploy's and those the test asks for: "before the engine's next reconcile" is then a fact, not a race.
 */
export function e2eConfig(
  prefix: string,
  engine: EngineName = 'flux',
  source: string = join(repoRoot, 'mr-drift.yaml'),
): E2eConfig {
  const id = `${prefix}${randomBytes(3).toString('hex')}`;
  const { dir, dispose } = tempDir(`e2e-${prefix}`);
  const file = join(dir, 'mr-drift.yaml');
  const doc = parseDocument(readFileSync(source, 'utf8'));
  doc.setIn(['app', 'name'], id);
  doc.setIn(['app', 'namespace'], id);
  doc.setIn(['gitops', 'flux', 'namespace'], `${id}-flux`);
  doc.setIn(['gitops', 'flux', 'interval'], '1h');
  doc.setIn(['gitops', 'flux', 'timeout'], '3m');
  doc.setIn(['gitops', 'argocd', 'namespace'], `${id}-argocd`);
  doc.setIn(['gitops', 'argocd', 'project'], id);
  doc.setIn(['database', 'credentialsSecret'], `${id}-db-credentials`);
  writeFileSync(file, doc.toString({ lineWidth: 0 }));
  return {
    file,
    app: id,
    namespace: id,
    engineNamespace: `${id}-${engine}`,
    edit: (fn) => {
      const d = parseDocument(readFileSync(file, 'utf8'));
      fn(d);
      writeFileSync(file, d.toString({ lineWidth: 0 }));
    },
    dispose,
  };
}

/** What a deploy printed and logged, and its result or error. */
export interface DeployRun {
  deployed?: Deployed;
  error?: Error & { exitCode?: number };
  log: string[];
  printed: string[];
  seconds: number;
}

/** Runs `cluster deploy` in-process on the test run's clusters; never throws. */
export async function runDeploy(
  engine: EngineName,
  config: E2eConfig,
  opts: { layout?: Layout; timeoutSeconds?: number; onLog?: (line: string) => void } = {},
): Promise<DeployRun> {
  const log: string[] = [];
  const printed: string[] = [];
  const t0 = Date.now();
  try {
    const deployed = await deploy({
      engine,
      configFile: config.file,
      layout: opts.layout,
      timeoutSeconds: opts.timeoutSeconds ?? 300,
      clusterDir: clusterInfo().clusterDir,
      log: (line) => {
        log.push(line);
        opts.onLog?.(line);
      },
      print: (line) => printed.push(line),
    });
    return { deployed, log, printed, seconds: (Date.now() - t0) / 1000 };
  } catch (err) {
    return { error: err as Error, log, printed, seconds: (Date.now() - t0) / 1000 };
  }
}

/** The deploy's result, or a failure that shows what it logged. */
export function succeeded(run: DeployRun): Deployed {
  if (!run.deployed) {
    throw new Error(
      `deploy failed: ${run.error?.message}\n--- log ---\n${run.log.join('\n')}\n--- printed ---\n${run.printed.join('\n')}`,
    );
  }
  return run.deployed;
}

/** The drift check of the deployed tree (in the work clone), as a user runs it there. */
export function checkDeployed(
  deployed: Deployed,
  mode: ComparisonMode,
  extra: Partial<CheckOptions> = {},
): Promise<DriftReport> {
  const treeDir = join(deployed.git.workDir, 'overlays');
  return check(
    treeDir,
    deployed.regions.map((r) => r.name),
    mode,
    extra,
  );
}

/**
 * Checks that the recorded times show the waves in order: every region of a wave started
 * no earlier than the last region of the previous wave was ready.
 */
export function waveOrderProblems(deployed: Deployed): string[] {
  const problems: string[] = [];
  for (let i = 1; i < deployed.waves.length; i++) {
    const prev = deployed.waves[i - 1];
    const cur = deployed.waves[i];
    if (!prev.finishedAt || !cur.startedAt) {
      problems.push(`wave ${cur.wave} or ${prev.wave} has no recorded time`);
      continue;
    }
    if (Date.parse(cur.startedAt) < Date.parse(prev.finishedAt)) {
      problems.push(
        `wave ${cur.wave} started at ${cur.startedAt}, before wave ${prev.wave} was ready at ${prev.finishedAt}`,
      );
    }
  }
  return problems;
}

/** The regions of a report by name. */
export function byName(report: DriftReport): Record<string, RegionReport> {
  return Object.fromEntries(report.regions.map((r) => [r.name, r]));
}

/** Every region in sync, or the findings (or error) that say otherwise. */
export function notInSync(report: DriftReport): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of report.regions) {
    if (r.status !== 'in-sync')
      out[r.name] = r.status === 'error' ? r.error : summary(completed(r).findings);
  }
  return out;
}

/** The object's field managers as `manager/operation`, read with kubectl. */
export async function managers(region: string, ns: string, ref: string): Promise<string[]> {
  const obj = await kubectlJson<{
    metadata: { managedFields?: { manager: string; operation: string }[] };
  }>(region, ['get', ref, '--show-managed-fields'], { namespace: ns });
  return (obj.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}`);
}
