/**
 * Fields the API server writes by itself: they differ between any two clusters and any
 * two reads, so they are never drift. Both comparison modes drop them before comparing,
 * and managedFields ownership of them is never reported.
 */
import { isJsonObject, type JsonObject, type KubeObject } from '../compare/kube-object';
import type { FieldPath } from '../compare/field-path';

const SERVER_METADATA = [
  'managedFields',
  'resourceVersion',
  'uid',
  'generation',
  'creationTimestamp',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** Annotations written by tools as bookkeeping, not as part of anyone's intent. */
export const SERVER_ANNOTATIONS: readonly string[] = [
  // kubectl's client-side apply memory; holds a copy of the whole manifest (Secrets too).
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** Labels the API server sets on its own (the creator of the object is recorded as owner). */
export const SERVER_LABELS: readonly string[] = ['kubernetes.io/metadata.name'];

/** True for a path the server (or a tool's bookkeeping) owns: never reported as drift. */
export function isServerManagedPath(path: FieldPath): boolean {
  const [first, second, third] = path;
  if (!first || !('field' in first)) return false;
  if (first.field === 'status') return true;
  if (first.field !== 'metadata' || !second || !('field' in second)) return false;
  if ((SERVER_METADATA as readonly string[]).includes(second.field)) return true;
  if (third === undefined || !('field' in third)) return false;
  return (
    (second.field === 'annotations' && SERVER_ANNOTATIONS.includes(third.field)) ||
    (second.field === 'labels' && SERVER_LABELS.includes(third.field))
  );
}

/**
 * A copy of the object without server-written fields (status, uid, resourceVersion,
 * managedFields, timestamps, the last-applied annotation). An annotations map left empty
 * is removed, as the server would not return it either.
 */
export function stripServerFields(obj: KubeObject): KubeObject {
  const copy: JsonObject = { ...obj };
  delete copy.status;
  const meta: JsonObject = { ...obj.metadata };
  for (const k of SERVER_METADATA) delete meta[k];
  if (isJsonObject(meta.annotations)) {
    const annotations: JsonObject = { ...meta.annotations };
    for (const a of SERVER_ANNOTATIONS) delete annotations[a];
    if (Object.keys(annotations).length === 0) delete meta.annotations;
    else meta.annotations = annotations;
  }
  copy.metadata = meta;
  return copy as KubeObject;
}
