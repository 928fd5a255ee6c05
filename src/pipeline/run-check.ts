/**
 * The drift check pipeline shared by the CLI and the GitHub Action:
 * render each region's desired state -> read its cluster -> compare -> one DriftReport.
 *
 * Bad input (a missing path, an unknown region, an invalid ignore file, no or an
 * unreadable kubeconfig, no kustomize to render overlays with) fails the whole run before
 * any cluster is contacted (MrDriftError, exit 2).
 * Everything that goes wrong inside one region becomes that region's `error`; regions run
 * independently, up to `parallelRegions` at once.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { BaseUnavailable, UsageError } from '../core/errors';
import { DEFAULT_HAND_MANAGERS, globMatcher } from '../core/compare/managers';
import type { SourcedObject } from '../core/compare/kube-object';
import type { Fingerprint } from '../core/compare/secret-redaction';
import type { IgnoreFile } from '../core/ignore/ignore-rules';
import type { OptionWording } from '../core/option-wording';
import {
  REPORT_SCHEMA_VERSION,
  type BaseSource,
  type DriftReport,
  type RegionReport,
  type SkewEntry,
} from '../core/report/model';
import { computeSkew } from '../core/report/skew';
import { plural } from '../core/text/plural';
import {
  detectLayout,
  renderDesired,
  type DesiredLayout,
} from '../adapters/desired/render-desired';
import { displayPath } from '../adapters/fs/display-path';
import { readIgnoreFile } from '../adapters/fs/read-ignore-file';
import {
  readRegionDeployments,
  type RegionDeployment,
} from '../adapters/desired/read-tree-deployments';
import { checkoutBase, type BaseTree } from '../adapters/git/base-revision';
import { headRevision } from '../adapters/git/head-revision';
import { loadKubeconfig, type Kubeconfig } from '../adapters/kube/kubeconfig';
import { mapLimited } from '../adapters/kube/limiter';
import { findKustomize } from '../adapters/kustomize';
import { VERSION } from '../version';
import { DEFAULT_PARALLEL_REGIONS, type CheckOptions, type RunCheck } from './check-options';
import { checkRegion } from './check-region';

/**
 * A fingerprint function with a key made for this run only: a Secret value shows up as
 * `hmac:<12 hex>`, the same for the same value everywhere in one report, and impossible to
 * brute-force from the report because the key is never written anywhere.
 */
export function runFingerprint(key: Buffer = randomBytes(32)): Fingerprint {
  return (value) => `hmac:${createHmac('sha256', key).update(value).digest('hex').slice(0, 12)}`;
}

/** Runs a drift check; see the module comment. */
export const runCheck: RunCheck = async (options: CheckOptions): Promise<DriftReport> => {
  if (options.mode !== 'server-side' && options.mode !== 'read-only') {
    throw new UsageError(
      `unknown mode "${String(options.mode)}"`,
      (say) =>
        `Use ${say.setting('mode', 'server-side')} (the default) or ${say.setting('mode', 'read-only')}.`,
    );
  }
  const layout = await detectLayout(options.path);
  // A missing kustomize is one error for the run, not the same error in every region.
  if (layout.kind === 'overlays' || layout.kind === 'kustomization') findKustomize();
  const ignore = await readIgnoreFile(options.ignoreFile);
  const kubeConfig = loadKubeconfig(options.kubeconfig);

  let regions = options.regions?.filter(Boolean);
  if (!regions || regions.length === 0) {
    if (layout.kind === 'overlays') regions = layout.regions;
    else {
      const current = kubeConfig.currentContext;
      if (!current) {
        throw new UsageError(
          'no region given and the kubeconfig has no current context',
          (say) =>
            `Pass ${say.option('regions', 'NAME')} (the kubeconfig context of the same name is used, or ${say.setting('context', 'NAME=CONTEXT')}).`,
        );
      }
      regions = [current];
    }
  }
  if (new Set(regions).size !== regions.length)
    throw new UsageError(
      (say) => `${say.subject('regions')} lists a region twice: ${regions.join(',')}`,
    );
  if (layout.kind === 'overlays') {
    const unknown = regions.filter((r) => !layout.regions.includes(r));
    if (unknown.length > 0) {
      throw new UsageError(
        `no overlay for ${plural(unknown.length, 'region')} ${unknown.join(', ')} under ${displayPath(options.path)}`,
        `Regions with an overlay: ${layout.regions.join(', ')}.`,
      );
    }
  }
  const strayContexts = Object.keys(options.contexts ?? {}).filter((r) => !regions.includes(r));
  if (strayContexts.length > 0) {
    throw new UsageError(
      (say) =>
        `${say.subject('context')} names ${plural(strayContexts.length, 'region')} not being checked: ${strayContexts.join(', ')}`,
      `Checked regions: ${regions.join(', ')}.`,
    );
  }

  // Who deploys each region, and the settings it carries (read before any cluster is contacted).
  const treeOf = layout.kind === 'file' ? undefined : await readRegionDeployments(options.path);
  const deployments = new Map<string, RegionDeployment>();
  for (const region of regions) {
    const dir =
      layout.kind === 'overlays'
        ? layout.regionDir(region)
        : layout.kind === 'file'
          ? undefined
          : layout.dir;
    deployments.set(region, dir && treeOf ? treeOf(dir) : { warnings: [] });
  }

  // One render per overlay; a plain folder or file is the same for every region: once.
  const render = sharedRenderer(
    (region) => renderDesired(layout, region, options.renderTimeoutMs),
    layout,
  );

  const base = options.base
    ? await openBase(
        options.path,
        options.base,
        options.baseMissing ?? 'error',
        options.wording,
        options.renderTimeoutMs,
      )
    : undefined;
  try {
    return await checkRegions(options, regions, kubeConfig, ignore, render, base, deployments);
  } finally {
    await base?.tree?.dispose();
  }
};

/** Renders once per overlay (or once in all for a plain folder or file). */
function sharedRenderer(
  renderRegion: (region: string) => Promise<SourcedObject[]>,
  layout: DesiredLayout,
): (region: string) => Promise<SourcedObject[]> {
  const renders = new Map<string, Promise<SourcedObject[]>>();
  return (region) => {
    const key = layout.kind === 'overlays' ? region : '';
    let pending = renders.get(key);
    if (!pending) {
      pending = renderRegion(region);
      // Each region awaits (and reports) the failure itself.
      pending.catch(() => undefined);
      renders.set(key, pending);
    }
    return pending;
  };
}

interface OpenBase {
  source: BaseSource;
  tree?: BaseTree;
  /** Renders a region at the base revision; absent when the base is unavailable. */
  render?: (region: string) => Promise<SourcedObject[]>;
}

/**
 * Writes the base revision's tree to a temporary folder and prepares its renderer. A base
 * that cannot be read stops the run (`error`) or becomes a warning in the report (`warn`).
 */
async function openBase(
  path: string,
  ref: string,
  missing: 'error' | 'warn',
  wording: OptionWording,
  renderTimeoutMs: number | undefined,
): Promise<OpenBase> {
  let tree: BaseTree;
  try {
    tree = await checkoutBase(path, ref);
  } catch (e) {
    if (!(e instanceof BaseUnavailable)) throw e;
    if (missing === 'error')
      throw new UsageError(
        (say) => `${say.subject('base')}: ${e.worded(say).message}`,
        (say) => e.worded(say).hint ?? '',
      );
    const { message, hint } = e.worded(wording);
    return {
      source: {
        ref,
        warning: `${message}; this PR's changes are not told apart from drift (every difference counts as drift). ${hint ?? ''}`,
      },
    };
  }
  try {
    const short = tree.revision.slice(0, 12);
    // Messages name files as `<commit>:<path>`, not by the temporary folder.
    const where = (text: string) => text.split(`${tree.root}/`).join(`${short}:`);
    let layout: DesiredLayout | undefined;
    try {
      layout = await detectLayout(tree.path);
    } catch {
      // --path does not exist at the base: everything under it is new in the PR.
      layout = undefined;
    }
    const renderAtBase = async (region: string): Promise<SourcedObject[]> => {
      if (!layout) return [];
      // A region without an overlay at the base is added by the PR: nothing to compare.
      if (layout.kind === 'overlays' && !layout.regions.includes(region)) return [];
      try {
        return await renderDesired(layout, region, renderTimeoutMs);
      } catch (e) {
        if (e instanceof Error) e.message = where(e.message);
        throw e;
      }
    };
    return {
      source: { ref, revision: tree.revision },
      tree,
      render: sharedRenderer(renderAtBase, layout ?? { kind: 'file', file: '' }),
    };
  } catch (e) {
    await tree.dispose();
    throw e;
  }
}

async function checkRegions(
  options: CheckOptions,
  regions: string[],
  kubeConfig: Kubeconfig,
  ignore: IgnoreFile,
  render: (region: string) => Promise<SourcedObject[]>,
  base: OpenBase | undefined,
  deployments: ReadonlyMap<string, RegionDeployment>,
): Promise<DriftReport> {
  const fingerprint = runFingerprint();
  const isHandManager = globMatcher(ignore.handManagers ?? DEFAULT_HAND_MANAGERS);
  const fieldManager = options.fieldManager ?? ignore.fieldManager;
  const [revision, reports] = await Promise.all([
    options.revision ? Promise.resolve(options.revision) : headRevision(options.path),
    // Bounded: each region holds its live objects until it is judged.
    mapLimited(regions, options.parallelRegions ?? DEFAULT_PARALLEL_REGIONS, (region) =>
      checkRegion({
        region,
        context: options.contexts?.[region] ?? region,
        render: () => render(region),
        ...(base?.render ? { renderBase: () => base.render!(region) } : {}),
        kubeConfig,
        mode: options.mode,
        wording: options.wording,
        ...(fieldManager ? { fieldManager } : {}),
        ...(options.fullDryRun ? { fullDryRun: true } : {}),
        rules: ignore.rules,
        deployment: deployments.get(region) ?? { warnings: [] },
        isHandManager,
        fingerprint,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      }),
    ),
  ]);

  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'mr-drift', version: VERSION },
    generatedAt: new Date().toISOString(),
    mode: options.mode,
    source: {
      path: displayPath(options.path),
      ...(revision ? { revision } : {}),
      ...(base ? { base: base.source } : {}),
    },
    regions: reports,
    ...skewOf(reports),
  };
}

/** Skew between the checked regions (computed from their digests, as aggregate mode does). */
function skewOf(reports: RegionReport[]): { skew?: SkewEntry[] } {
  const skew = computeSkew(reports);
  return skew.length > 0 ? { skew } : {};
}
