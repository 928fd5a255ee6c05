/**
 * Which engine's settings count for an object: each engine reads only its own labels and
 * annotations, so a Flux setting on an object Argo CD deploys changes nothing.
 */
import type { KubeObject } from '../compare/kube-object';
import { managedFieldsOf } from '../compare/managed-fields';
import { detectManager } from '../compare/managers';
import type { Engine } from './engine-annotations';

const ENGINE_OF_MANAGER: Readonly<Record<string, Engine>> = {
  'argocd-controller': 'argocd',
  'kustomize-controller': 'flux',
};

/**
 * The engine that deploys an object: the region's, when the tree says which (an Argo CD
 * Application or a Flux Kustomization for its overlay); else the one that applied the live
 * object (its managedFields); else the one `--field-manager` names; else both, since
 * nothing tells them apart (an object no engine has applied yet).
 */
export function enginesFor(
  live: KubeObject | undefined,
  regionEngine: Engine | undefined,
  fieldManager: string | undefined,
): readonly Engine[] {
  if (regionEngine) return [regionEngine];
  const applied = live ? detectManager(managedFieldsOf(live)) : undefined;
  const engine =
    (applied && ENGINE_OF_MANAGER[applied]) ?? (fieldManager && ENGINE_OF_MANAGER[fieldManager]);
  return engine ? [engine] : ['argocd', 'flux'];
}
