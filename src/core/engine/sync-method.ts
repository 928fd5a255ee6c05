/**
 * How Argo CD's sync would write an object, which decides what the sync changes and so
 * what the check predicts (gitops-engine v0.7.1 `applyObject`, the version Argo CD v3.2.11
 * pins), from the sync options of Git's manifest and of the Application:
 *
 * - `Replace=true` (object or Application): `kubectl replace` (an update for CRDs and
 *   Namespaces): the object becomes Git's manifest, so every field Git does not set is
 *   removed, whoever set it;
 * - `ServerSideApply=false` on the object, or neither option anywhere: kubectl's
 *   client-side apply, which removes the fields its last-applied-configuration annotation
 *   lists and Git no longer sets;
 * - `ServerSideApply=true` (object or Application): server-side apply, what the check's
 *   dry-run does.
 *
 * Flux always applies server-side. When the tree says nothing about the Application, the
 * live object tells: Argo CD's own client-side apply leaves the annotation and no Apply
 * entry of its manager.
 */
import type { KubeObject } from '../compare/kube-object';
import { managedFieldsOf } from '../compare/managed-fields';
import { argoOptions, ARGOCD_SYNC_OPTIONS, type SettingHit } from './engine-annotations';

export type SyncMethod = 'server-side' | 'client-side' | 'replace';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

export interface SyncDecision {
  method: SyncMethod;
  /** The setting that made it a replace (for the report). */
  replaceBy?: SettingHit;
}

/**
 * The sync method for an object Argo CD deploys. `appSyncOptions` are the Application's
 * (undefined when the tree has none for the region).
 */
export function argoSyncMethod(
  desired: KubeObject,
  live: KubeObject | undefined,
  appSyncOptions: readonly string[] | undefined,
  isApplier: (manager: string) => boolean,
): SyncDecision {
  const own = argoOptions(desired, ARGOCD_SYNC_OPTIONS);
  if (own.includes('Replace=true'))
    return { method: 'replace', replaceBy: hit('Replace=true', 'Git') };
  if (appSyncOptions?.includes('Replace=true'))
    return { method: 'replace', replaceBy: hit('Replace=true', 'the Application') };
  if (own.includes('ServerSideApply=false')) return { method: 'client-side' };
  if (own.includes('ServerSideApply=true') || appSyncOptions?.includes('ServerSideApply=true'))
    return { method: 'server-side' };
  if (appSyncOptions) return { method: 'client-side' };
  return { method: appliedClientSide(live, isApplier) ? 'client-side' : 'server-side' };
}

/** The live object was last written by the applier's client-side apply. */
function appliedClientSide(
  live: KubeObject | undefined,
  isApplier: (manager: string) => boolean,
): boolean {
  if (!live || typeof live.metadata.annotations?.[LAST_APPLIED] !== 'string') return false;
  const entries = managedFieldsOf(live).filter((e) => isApplier(e.manager));
  return entries.length > 0 && entries.every((e) => e.operation !== 'Apply');
}

function hit(value: string, where: 'Git' | 'the Application'): SettingHit {
  return {
    engine: 'argocd',
    key: ARGOCD_SYNC_OPTIONS,
    value,
    where: where === 'Git' ? 'Git' : 'the Application',
    as: 'annotation',
  };
}
