/**
 * The desired objects of a region as the cluster will see them: each manifest's resource
 * type (from the cluster's catalog), its namespace settled (the context's namespace for a
 * namespaced object that names none), and the comparable form read-only mode compares.
 */
import { describeRef, objectKey, refOf, type KubeObject, type SourcedObject } from './kube-object';
import type { DesiredEntry } from './compare-region';
import { managedFieldsOf } from './managed-fields';
import type { ResourceCatalog, ResourceType } from './resource-catalog';
import { comparableForm, settleNamespace, withEngineMetadata } from '../normalize/prepare-desired';

/** A desired object with its resource type (absent when the cluster does not serve it). */
export interface ResolvedObject {
  sourced: SourcedObject;
  entry: DesiredEntry;
  resourceType?: ResourceType;
}

export interface ResolvedDesired {
  /** One per object, the first one where Git defines an object twice. */
  objects: ResolvedObject[];
  /** Each object defined more than once, with both places (`file:line`). */
  duplicates: string[];
  /** A warning per object whose kind the cluster does not serve (it counts as missing). */
  notServed: string[];
}

/** Resolves each manifest's resource type and namespace, keeping the first of duplicates. */
export function resolveDesired(
  sourced: readonly SourcedObject[],
  catalog: Pick<ResourceCatalog, 'find'>,
  defaultNamespace: string,
): ResolvedDesired {
  const objects: ResolvedObject[] = [];
  const seen = new Map<string, SourcedObject>();
  const duplicates: string[] = [];
  const notServed: string[] = [];
  for (const s of sourced) {
    const resourceType = catalog.find(s.object.apiVersion, s.object.kind);
    if (!resourceType)
      notServed.push(
        `${s.object.apiVersion} ${s.object.kind} is not served by the cluster (CRD not installed?): ${s.object.metadata.name} counts as missing`,
      );
    const manifest = settleNamespace(
      s.object,
      resourceType ? resourceType.namespaced : Boolean(s.object.metadata.namespace),
      defaultNamespace,
    );
    const key = objectKey(refOf(manifest));
    const before = seen.get(key);
    if (before) {
      duplicates.push(`${describeRef(refOf(manifest))} (${where(before)} and ${where(s)})`);
      continue;
    }
    seen.set(key, s);
    objects.push({
      sourced: s,
      entry: { manifest, comparable: comparableForm(manifest), source: s.source },
      ...(resourceType ? { resourceType } : {}),
    });
  }
  return { objects, duplicates, notServed };
}

function where(s: SourcedObject): string {
  return s.line ? `${s.source}:${s.line}` : s.source;
}

/** The objects by `objectKey`. */
export function byObjectKey(objects: readonly ResolvedObject[]): Map<string, DesiredEntry> {
  return new Map(objects.map((o) => [objectKey(refOf(o.entry.manifest)), o.entry]));
}

/**
 * Adds the GitOps engine's tracking labels and annotations, which it applies at sync time,
 * to Git's side of each object that is live (see withEngineMetadata).
 */
export function addEngineMetadata(
  objects: readonly ResolvedObject[],
  live: ReadonlyMap<string, KubeObject>,
  isApplier: (manager: string) => boolean,
): void {
  for (const o of objects) {
    const liveObject = live.get(objectKey(refOf(o.entry.manifest)));
    if (!liveObject) continue;
    o.entry.manifest = withEngineMetadata(
      o.entry.manifest,
      liveObject,
      managedFieldsOf(liveObject),
      isApplier,
    );
    o.entry.comparable = comparableForm(o.entry.manifest);
  }
}
