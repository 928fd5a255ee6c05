/**
 * What the engines' per-object settings (labels and annotations, see engine-annotations.ts)
 * do to the findings: a difference the engine has been told to leave alone is not drift
 * for mr-drift either. It is never dropped silently: it goes to the region's `ignored`,
 * named with the setting that hid it and where that setting was written.
 *
 * | setting                                   | the engine                      | the finding          |
 * | ----------------------------------------- | ------------------------------- | -------------------- |
 * | Flux `ssa: Ignore`, `reconcile: disabled` | never applies the object        | all of it hidden     |
 * | Flux `ssa: IfNotPresent` (Git)            | creates it, never updates it    | changes hidden       |
 * | Flux `ssa: Merge`                         | leaves fields others added      | hand additions hidden|
 * | Flux `prune: disabled` (live)             | does not prune it               | extra hidden         |
 * | Argo CD `IgnoreExtraneous` (live)         | app stays Synced                | extra hidden         |
 * | Argo CD `Prune=false` (live)              | sync skips the prune, OutOfSync | extra kept, marked   |
 *
 * A Flux skip written only on the live object (`kubectl annotate ... ssa=Ignore`) still
 * hides the object's differences, as Flux then leaves it alone, but the annotation itself
 * stays a finding where a person's tool added it: Git never said to leave it alone.
 */
import { formatPath } from '../compare/field-path';
import { objectKey, type KubeObject } from '../compare/kube-object';
import type { Finding, IgnoredField, ObjectRef } from '../report/model';
import {
  ARGOCD_COMPARE_OPTIONS,
  ARGOCD_SYNC_OPTIONS,
  argoOption,
  fluxCreatesOnly,
  fluxKeepsOnPrune,
  fluxMerges,
  fluxSkipsApply,
  settingLabel,
  type Engine,
  type SettingHit,
} from './engine-annotations';

export interface EngineAnnotationContext {
  /** Git's manifests by `objectKey` (head, and the base's for objects a PR removes). */
  desired: ReadonlyMap<string, KubeObject>;
  /** Live objects by `objectKey` (desired ones and extra candidates). */
  live: ReadonlyMap<string, KubeObject>;
  /** Which engines' settings count for an object (the engine that deploys it). */
  enginesFor: (key: string) => readonly Engine[];
  isApplier: (manager: string) => boolean;
}

/** Applies the settings; returns the findings left and what the settings hid. */
export function applyEngineAnnotations(
  findings: readonly Finding[],
  ctx: EngineAnnotationContext,
): { findings: Finding[]; ignored: IgnoredField[] } {
  const kept: Finding[] = [];
  const ignored: IgnoredField[] = [];
  for (const f of findings) {
    const key = objectKey(f);
    const engines = ctx.enginesFor(key);
    const desired = ctx.desired.get(key);
    const live = ctx.live.get(key);
    const ref: ObjectRef = {
      apiVersion: f.apiVersion,
      kind: f.kind,
      ...(f.namespace ? { namespace: f.namespace } : {}),
      name: f.name,
    };
    const hideAll = (hit: SettingHit): void => {
      if (f.type === 'changed')
        for (const d of f.fields) ignored.push(hiddenBy(ref, d.path, f.type, hit));
      else ignored.push(hiddenBy(ref, '', f.type, hit));
    };

    if (engines.includes('flux')) {
      if (f.type === 'extra') {
        const keep = fluxKeepsOnPrune(live);
        if (keep) {
          hideAll(keep);
          continue;
        }
      } else {
        const skip = fluxSkipsApply(desired, live);
        if (skip && (skip.where === 'Git' || f.type === 'missing')) {
          hideAll(skip);
          continue;
        }
        if (skip) {
          // Set in the cluster only: hide all but the setting itself, if a finding.
          const own = settingPath(skip);
          for (const d of f.fields)
            if (d.path !== own) ignored.push(hiddenBy(ref, d.path, f.type, skip));
          const setting = f.fields.filter((d) => d.path === own);
          if (setting.length > 0) kept.push({ ...f, fields: setting });
          continue;
        }
        const createOnly = f.type === 'changed' ? fluxCreatesOnly(desired) : undefined;
        if (createOnly) {
          hideAll(createOnly);
          continue;
        }
        const merge = f.type === 'changed' ? fluxMerges(desired, live) : undefined;
        if (merge) {
          // Fields Git does not set, owned by someone other than the applier: what Flux
          // would otherwise take over and prune, and now leaves in place.
          const added = (d: Finding['fields'][number]) =>
            d.desired === undefined &&
            d.live !== undefined &&
            d.manager !== undefined &&
            !ctx.isApplier(d.manager);
          for (const d of f.fields)
            if (added(d)) ignored.push(hiddenBy(ref, d.path, f.type, merge));
          const rest = f.fields.filter((d) => !added(d));
          if (rest.length > 0) kept.push({ ...f, fields: rest });
          continue;
        }
      }
    }

    if (engines.includes('argocd') && f.type === 'extra') {
      const extraneous = argoOption(
        live,
        ARGOCD_COMPARE_OPTIONS,
        'IgnoreExtraneous',
        'the cluster',
      );
      if (extraneous) {
        hideAll(extraneous);
        continue;
      }
      // Argo CD still calls it OutOfSync; a sync just skips the prune.
      const noPrune = argoOption(live, ARGOCD_SYNC_OPTIONS, 'Prune=false', 'the cluster');
      if (noPrune) {
        kept.push({ ...f, notPrunedBy: settingLabel(noPrune) });
        continue;
      }
    }
    kept.push(f);
  }
  return { findings: kept, ignored };
}

function hiddenBy(
  ref: ObjectRef,
  path: string,
  type: Finding['type'],
  hit: SettingHit,
): IgnoredField {
  return { ...ref, path, type, rule: settingLabel(hit), engine: hit.engine };
}

/** The report path of the label or annotation that holds a setting. */
function settingPath(hit: SettingHit): string {
  return formatPath([
    { field: 'metadata' },
    { field: hit.as === 'label' ? 'labels' : 'annotations' },
    { field: hit.key },
  ]);
}
