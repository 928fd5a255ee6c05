/**
 * Which requests read a region: one LIST per resource type and namespace that holds
 * desired objects (what the comparison needs), and the searches for extra objects: every
 * kind users can create, filtered by the app's labels, in the namespaces Git uses
 * (namespaced kinds) or cluster-wide (cluster-scoped kinds). Kinds listed in full need no
 * second look.
 */
import { kindNeverExtra } from './extra-objects';
import type { ResolvedObject } from './resolve-desired';
import type { ResourceCatalog, ResourceType } from './resource-catalog';

/** One collection to read: a resource type, in one namespace or cluster-wide. */
export interface Collection {
  resourceType: ResourceType;
  namespace?: string;
}

export interface ReadPlan {
  /** Full LISTs: every object of these collections is read. */
  lists: Collection[];
  /** Collections searched by the app's label selectors for extra objects. */
  searches: Collection[];
}

/**
 * Plans the reads of a region. `alsoRead` are objects read in full without taking part in
 * the extra-object search (those a pull request removes, so a removal is seen whatever
 * their labels).
 */
export function planRegionReads(
  desired: readonly ResolvedObject[],
  catalog: Pick<ResourceCatalog, 'preferred'>,
  alsoRead: readonly ResolvedObject[] = [],
): ReadPlan {
  const lists = new Map<string, Collection>();
  for (const o of [...desired, ...alsoRead]) {
    const rt = o.resourceType;
    if (!rt) continue;
    const ns = rt.namespaced ? o.entry.manifest.metadata.namespace : undefined;
    lists.set(`${rt.group}/${rt.version}/${rt.resource}/${ns ?? ''}`, {
      resourceType: rt,
      ...(ns ? { namespace: ns } : {}),
    });
  }

  const namespaces = [
    ...new Set(
      desired.flatMap((o) =>
        o.resourceType?.namespaced ? [o.entry.manifest.metadata.namespace!] : [],
      ),
    ),
  ].sort();
  const listed = new Set(
    [...lists.values()].map(
      (l) => `${l.resourceType.group}|${l.resourceType.kind}|${l.namespace ?? ''}`,
    ),
  );
  const searches: Collection[] = [];
  for (const rt of catalog.preferred) {
    if (!rt.verbs.includes('list') || !rt.verbs.includes('create')) continue;
    if (kindNeverExtra(rt.group, rt.kind)) continue;
    const wanted = (ns: string) => !listed.has(`${rt.group}|${rt.kind}|${ns}`);
    if (!rt.namespaced) {
      if (wanted('')) searches.push({ resourceType: rt });
    } else
      for (const ns of namespaces)
        if (wanted(ns)) searches.push({ resourceType: rt, namespace: ns });
  }
  return { lists: [...lists.values()], searches };
}
