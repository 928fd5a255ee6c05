/**
 * One region's check, step by step: render (and reach the cluster meanwhile) -> resolve
 * the desired objects -> read live -> predict by dry-run (server-side mode) -> verdict.
 * Never throws: whatever goes wrong becomes this region's `error`, so the other regions
 * still complete and a region that could not be read is never "in sync".
 */
import { DuplicateObjectsError, MrDriftError } from '../core/errors';
import { objectKey, refOf, type KubeObject, type SourcedObject } from '../core/compare/kube-object';
import { chooseDryRunTargets } from '../core/compare/dry-run-targets';
import { GITOPS_MANAGERS } from '../core/compare/managers';
import { planRegionReads } from '../core/compare/read-plan';
import { regionVerdict } from '../core/compare/region-verdict';
import { enginesFor } from '../core/engine/engine-of';
import { addFluxApplyForm } from '../core/engine/flux-apply-form';
import {
  addEngineMetadata,
  resolveDesired,
  type ResolvedObject,
} from '../core/compare/resolve-desired';
import {
  scrubSecretValues,
  secretValueForms,
  type Fingerprint,
} from '../core/compare/secret-redaction';
import type { IgnoreRule } from '../core/ignore/ignore-rules';
import type { RegionDeployment } from '../adapters/desired/read-tree-deployments';
import type { OptionWording } from '../core/option-wording';
import type { ComparisonMode, RegionReport } from '../core/report/model';
import { withAccessErrors } from '../adapters/kube/access-errors';
import { discoverResources } from '../adapters/kube/discovery';
import { KubeClient } from '../adapters/kube/kube-client';
import type { Kubeconfig } from '../adapters/kube/kubeconfig';
import type { CheckProgress } from './check-options';
import { predictByDryRun, type DryRunResults } from './predict-by-dry-run';
import { readRegionLive } from './read-region-live';

export interface RegionCheckInput {
  region: string;
  context: string;
  /** Renders this region's desired state (shared between regions when they share it). */
  render: () => Promise<SourcedObject[]>;
  /**
   * Renders the desired state at the pull request's base revision, to tell the PR's own
   * changes from drift. A failure is a warning: the region is then checked without origins.
   */
  renderBase?: () => Promise<SourcedObject[]>;
  kubeConfig: Kubeconfig;
  mode: ComparisonMode;
  /** How the entry point names its options, for the region's error and warnings. */
  wording: OptionWording;
  /** Explicit dry-run field manager; otherwise detected per object, else argocd-controller. */
  fieldManager?: string;
  /** Dry-run every object, even those whose apply is provably a no-op. */
  fullDryRun?: boolean;
  rules: readonly IgnoreRule[];
  /** The Application or Flux Kustomization that deploys the region, found in the tree. */
  deployment?: RegionDeployment;
  isHandManager: (manager: string) => boolean;
  fingerprint: Fingerprint;
  concurrency?: number;
  timeoutMs?: number;
  onProgress?: (event: CheckProgress) => void;
}

/** Checks one region; see the module comment. */
export async function checkRegion(input: RegionCheckInput): Promise<RegionReport> {
  const { region } = input;
  const report: RegionReport = {
    name: region,
    context: input.context,
    status: 'in-sync',
    findings: [],
  };
  const warnings: string[] = [...(input.deployment?.warnings ?? [])];
  const deployment = input.deployment?.deployment;
  // Every Secret value seen in this region, so that no message can quote one.
  const secrets: string[] = [];
  const seeSecrets = (objects: readonly KubeObject[]) => {
    for (const o of objects) if (o.kind === 'Secret') secrets.push(...secretValueForms(o));
  };
  const step = (name: string, done?: number, total?: number) =>
    input.onProgress?.({
      kind: 'region-step',
      region,
      step: name,
      ...(done !== undefined && total !== undefined ? { done, total } : {}),
    });
  input.onProgress?.({ kind: 'region-start', region });
  let opened: KubeClient | undefined;
  try {
    // Rendering (kustomize, YAML) and reaching the cluster overlap.
    step('render');
    const [rendered, reached, baseRendered] = await Promise.allSettled([
      input.render(),
      (async () => {
        step('connect');
        const client = await connect(input);
        opened = client;
        step('discover');
        const catalog = await withAccessErrors(client, 'discover the API resources', () =>
          discoverResources(client),
        );
        return { client, catalog };
      })(),
      input.renderBase ? input.renderBase() : Promise.resolve(undefined),
    ]);
    // A broken manifest is the first thing to fix, so it wins over a cluster problem.
    if (rendered.status === 'rejected') throw rendered.reason;
    if (reached.status === 'rejected') throw reached.reason;
    const { client, catalog } = reached.value;
    seeSecrets(rendered.value.map((s) => s.object));
    report.objects = rendered.value.length;
    warnings.push(...catalog.warnings);

    const head = resolveDesired(rendered.value, catalog, client.namespace);
    warnings.push(...head.notServed);
    if (head.duplicates.length > 0) throw new DuplicateObjectsError(head.duplicates);
    const desired = head.objects;
    let base: ResolvedObject[] | undefined;
    if (baseRendered.status === 'rejected') {
      warnings.push(
        `the base revision could not be rendered, so this PR's changes are not told apart from drift in this region: ${describeFailure(baseRendered.reason, input.wording)}`,
      );
    } else if (baseRendered.value) {
      seeSecrets(baseRendered.value.map((s) => s.object));
      // The base is only context: a duplicate there is the base's problem, so the first wins.
      base = resolveDesired(baseRendered.value, catalog, client.namespace).objects;
    }
    // Objects the PR removes are read too, so a removal is seen whatever their labels.
    const headKeys = new Set(desired.map((o) => objectKey(refOf(o.entry.manifest))));
    const removed = (base ?? []).filter((o) => !headKeys.has(objectKey(refOf(o.entry.manifest))));

    step('read live');
    const { live, candidates } = await readRegionLive(
      client,
      planRegionReads(desired, catalog, removed),
      desired.map((o) => o.entry.manifest),
      warnings,
      (done, total) => step('read live', done, total),
    );
    seeSecrets(candidates);

    const isApplier = (m: string) => m === input.fieldManager || GITOPS_MANAGERS.includes(m);
    // The engine's tracking labels/annotations are part of what it applies: add them to Git's side.
    addEngineMetadata([...desired, ...(base ?? [])], live, isApplier);
    // Flux applies some fields Git leaves out as empty maps: its Apply entry owns them.
    addFluxApplyForm([...desired, ...(base ?? [])], live, (l) =>
      enginesFor(l, deployment?.engine, input.fieldManager),
    );

    let dryRun: DryRunResults | undefined;
    if (input.mode === 'server-side') {
      const { provenNoOp, targets } = chooseDryRunTargets(desired, live, input);
      dryRun = await predictByDryRun(client, targets, live, (done, total) =>
        step('dry-run', done, total),
      );
      for (const [key, object] of provenNoOp) dryRun.predicted.set(key, object);
      warnings.push(...dryRun.warnings);
    }

    step('compare');
    const verdict = regionVerdict({
      region,
      mode: input.mode,
      desired,
      base,
      live,
      candidates,
      predicted: dryRun?.predicted ?? new Map(),
      refused: dryRun?.refused ?? new Map(),
      unjudged: dryRun?.unjudged ?? new Set(),
      objectErrors: dryRun?.errors ?? [],
      rules: input.rules,
      engine: deployment?.engine,
      ignoreDifferences: deployment?.ignoreDifferences,
      appSyncOptions: deployment?.engine === 'argocd' ? deployment.syncOptions : undefined,
      fieldManager: input.fieldManager,
      isApplier,
      isHandManager: input.isHandManager,
      fingerprint: input.fingerprint,
    });
    report.findings = verdict.findings;
    if (verdict.ignored) report.ignored = verdict.ignored;
    if (verdict.skewDigest) report.skewDigest = verdict.skewDigest;
    report.status = verdict.status;
    if (verdict.error !== undefined) report.error = verdict.error;
  } catch (e) {
    report.status = 'error';
    report.error = describeFailure(e, input.wording);
  } finally {
    opened?.close();
  }
  if (warnings.length > 0) report.warnings = [...new Set(warnings)].sort();
  // Defence in depth: no message quoting a server or tool may carry a Secret value.
  if (report.error) report.error = scrubSecretValues(report.error, secrets);
  if (report.warnings) report.warnings = report.warnings.map((w) => scrubSecretValues(w, secrets));
  input.onProgress?.({ kind: 'region-done', region, status: report.status });
  return report;
}

function describeFailure(e: unknown, wording: OptionWording): string {
  if (e instanceof MrDriftError) return e.describe(wording);
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}

function connect(input: RegionCheckInput): Promise<KubeClient> {
  return KubeClient.connect(input.kubeConfig, {
    context: input.context,
    ...(input.concurrency ? { concurrency: input.concurrency } : {}),
    ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
  });
}
