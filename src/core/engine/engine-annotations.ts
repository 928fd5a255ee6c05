/**
 * The per-object settings Argo CD and Flux read from labels and annotations, read the way
 * each engine reads them:
 * - Flux (kustomize-controller v1.9, fluxcd/pkg/ssa `AnyInMetadata`): a key counts as a
 *   label or an annotation, and its value is compared case-insensitively;
 * - Argo CD (gitops-engine `HasAnnotationOption`): an annotation holding comma-separated
 *   options, each trimmed and compared exactly.
 */
import type { KubeObject } from '../compare/kube-object';

export type Engine = 'argocd' | 'flux';

/** One setting found on an object, for the report: what it is and where it was written. */
export interface SettingHit {
  engine: Engine;
  /** Label or annotation key, e.g. `kustomize.toolkit.fluxcd.io/ssa`. */
  key: string;
  /** The value (Flux) or the option (Argo CD) that took effect, e.g. `Ignore`, `Prune=false`. */
  value: string;
  /**
   * Git: the manifest sets it; the cluster: only the live object carries it; the
   * Application: its sync options in the tree.
   */
  where: 'Git' | 'the cluster' | 'the Application';
  /** Label or annotation (Flux reads both). */
  as: 'label' | 'annotation';
}

export const FLUX_SSA = 'kustomize.toolkit.fluxcd.io/ssa';
export const FLUX_RECONCILE = 'kustomize.toolkit.fluxcd.io/reconcile';
export const FLUX_PRUNE = 'kustomize.toolkit.fluxcd.io/prune';
export const ARGOCD_COMPARE_OPTIONS = 'argocd.argoproj.io/compare-options';
export const ARGOCD_SYNC_OPTIONS = 'argocd.argoproj.io/sync-options';

function stringMap(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}

/** Flux's match: the key as a label or an annotation, non-empty, value equal ignoring case. */
function fluxHit(
  obj: KubeObject | undefined,
  key: string,
  value: string,
  where: SettingHit['where'],
): SettingHit | undefined {
  if (!obj) return undefined;
  for (const as of ['annotation', 'label'] as const) {
    const found = stringMap(as === 'label' ? obj.metadata.labels : obj.metadata.annotations)[key];
    if (typeof found === 'string' && found !== '' && found.toLowerCase() === value.toLowerCase())
      return { engine: 'flux', key, value: found, where, as };
  }
  return undefined;
}

/** The first of `pairs` set on Git's manifest, else on the live object. */
function fluxAny(
  desired: KubeObject | undefined,
  live: KubeObject | undefined,
  pairs: ReadonlyArray<readonly [string, string]>,
): SettingHit | undefined {
  for (const [obj, where] of [
    [desired, 'Git'],
    [live, 'the cluster'],
  ] as const) {
    for (const [key, value] of pairs) {
      const hit = fluxHit(obj, key, value, where);
      if (hit) return hit;
    }
  }
  return undefined;
}

/**
 * Flux skips the object entirely (`reconcile: disabled` or `ssa: Ignore`, in Git or on the
 * live object): it neither creates nor updates it (ssa `shouldSkipApply`).
 */
export function fluxSkipsApply(
  desired: KubeObject | undefined,
  live: KubeObject | undefined,
): SettingHit | undefined {
  return fluxAny(desired, live, [
    [FLUX_RECONCILE, 'disabled'],
    [FLUX_SSA, 'Ignore'],
  ]);
}

/** `ssa: IfNotPresent` in Git: Flux creates the object when it is missing, never updates it. */
export function fluxCreatesOnly(desired: KubeObject | undefined): SettingHit | undefined {
  return fluxAny(desired, undefined, [[FLUX_SSA, 'IfNotPresent']]);
}

/**
 * `ssa: Merge` (Git or live): Flux applies but does not first take over the fields of
 * kubectl's managers (the cleanup its apply otherwise does), so fields added by hand stay.
 */
export function fluxMerges(
  desired: KubeObject | undefined,
  live: KubeObject | undefined,
): SettingHit | undefined {
  return fluxAny(desired, live, [[FLUX_SSA, 'Merge']]);
}

/**
 * Flux does not delete a live object that is no longer in Git when it carries `prune:
 * disabled`, `reconcile: disabled` or `ssa: Ignore` (the garbage collector's exclusions).
 */
export function fluxKeepsOnPrune(live: KubeObject | undefined): SettingHit | undefined {
  return fluxAny(undefined, live, [
    [FLUX_PRUNE, 'disabled'],
    [FLUX_RECONCILE, 'disabled'],
    [FLUX_SSA, 'Ignore'],
  ]);
}

/** Argo CD's options in one annotation: comma-separated, trimmed, empty ones dropped. */
export function argoOptions(obj: KubeObject | undefined, key: string): string[] {
  const value = stringMap(obj?.metadata.annotations)[key];
  return typeof value === 'string' ? splitArgoOptions(value) : [];
}

/** An annotation's value as Argo CD splits it into options. */
export function splitArgoOptions(value: string): string[] {
  return [...new Set(value.split(',').map((s) => s.trim()))].filter((s) => s !== '');
}

/** An Argo CD option set on the object, as a hit for the report. */
export function argoOption(
  obj: KubeObject | undefined,
  key: string,
  option: string,
  where: SettingHit['where'],
): SettingHit | undefined {
  return argoOptions(obj, key).includes(option)
    ? { engine: 'argocd', key, value: option, where, as: 'annotation' }
    : undefined;
}

/** How the report names a setting: `Flux kustomize.toolkit.fluxcd.io/ssa: Ignore (in Git)`. */
export function settingLabel(hit: SettingHit): string {
  const engine = hit.engine === 'flux' ? 'Flux' : 'Argo CD';
  if (hit.where === 'the Application')
    return `${engine} Application sync option ${hit.value} (spec.syncPolicy.syncOptions)`;
  const place = hit.where === 'Git' ? 'in Git' : 'on the live object, not in Git';
  const kind = hit.as === 'label' ? ' label' : '';
  return `${engine} ${hit.key}: ${hit.value}${kind} (${place})`;
}
