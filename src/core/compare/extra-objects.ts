/**
 * "Extra" objects: live objects that carry the app's labels or the GitOps engine's
 * tracking marks but are not in Git. They are prune candidates, so the rules lean towards
 * not flagging what a controller made (anything with an owner, Endpoints, PVCs a
 * StatefulSet created) or what the GitOps engine keeps for itself (Argo CD / Flux objects).
 */
import type { Creator } from '../report/model';
import { groupOf, isJsonObject, type KubeObject, type ManagedFieldsEntry } from './kube-object';

/** How objects of this app are recognised in a cluster. */
export interface AppIdentity {
  /** label key -> accepted values (any one match identifies the app). */
  labels: Map<string, Set<string>>;
  /** Argo CD application names from `argocd.argoproj.io/tracking-id` (`app:group/kind:ns/name`). */
  argoApps: Set<string>;
}

/** Labels that name the app the object belongs to. */
export const APP_LABELS: readonly string[] = [
  'app.kubernetes.io/part-of',
  'app.kubernetes.io/instance',
  'kustomize.toolkit.fluxcd.io/name',
];
const TRACKING_ID = 'argocd.argoproj.io/tracking-id';

/**
 * Kinds a controller creates as copies or records, or the cluster's own components
 * register (kubelets, CSI drivers, the API server's IP allocator): never prune candidates,
 * and not worth a request when looking for extra objects.
 */
const NEVER_EXTRA = new Set([
  '|Event',
  'events.k8s.io|Event',
  '|Endpoints',
  'discovery.k8s.io|EndpointSlice',
  'coordination.k8s.io|Lease',
  'apps|ControllerRevision',
  '|ComponentStatus',
  '|Node',
  'storage.k8s.io|CSINode',
  'storage.k8s.io|VolumeAttachment',
  'resource.k8s.io|ResourceSlice',
  'networking.k8s.io|IPAddress',
]);
/** API groups whose objects belong to the GitOps engine, not to the app it deploys. */
const ENGINE_GROUPS = [/^argoproj\.io$/, /\.toolkit\.fluxcd\.io$/];

/** True when extra objects of this group/kind are never reported. */
export function kindNeverExtra(group: string, kind: string): boolean {
  return NEVER_EXTRA.has(`${group}|${kind}`) || ENGINE_GROUPS.some((re) => re.test(group));
}

function trackingApp(obj: KubeObject): string | undefined {
  const id = obj.metadata.annotations?.[TRACKING_ID];
  if (typeof id !== 'string') return undefined;
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(0, colon) : undefined;
}

/**
 * Learns the app's identity from the manifests (their part-of / instance labels) and from
 * the live copies of those manifests (the marks Argo CD or Flux added when syncing them).
 * CustomResourceDefinitions are left out (see below).
 */
export function appIdentity(
  desired: readonly KubeObject[],
  liveTwins: readonly KubeObject[],
): AppIdentity {
  const id: AppIdentity = { labels: new Map(), argoApps: new Set() };
  for (const obj of [...desired, ...liveTwins]) {
    // A CRD defines an API that many installations share; its labels name the upstream
    // project, not this app instance.
    if (obj.kind === 'CustomResourceDefinition') continue;
    for (const key of APP_LABELS) {
      const v = obj.metadata.labels?.[key];
      if (typeof v !== 'string' || v === '') continue;
      if (!id.labels.has(key)) id.labels.set(key, new Set());
      id.labels.get(key)!.add(v);
    }
  }
  for (const obj of liveTwins) {
    const app = trackingApp(obj);
    if (app) id.argoApps.add(app);
  }
  return id;
}

/**
 * Label selectors that find the app's objects (one per label key; selectors cannot OR).
 * With `known`, only for the values `known` lacks: what a second search still has to look
 * for after a first one with `known`'s selectors.
 */
export function identitySelectors(id: AppIdentity, known?: AppIdentity): string[] {
  return [...id.labels.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, values]): [string, string[]] => [
      key,
      [...values].filter((v) => !known?.labels.get(key)?.has(v)).sort(),
    ])
    .filter(([, values]) => values.length > 0)
    .map(([key, values]) => `${key} in (${values.join(',')})`);
}

/** True when a live object belongs to the app by its labels or tracking annotation. */
export function carriesIdentity(obj: KubeObject, id: AppIdentity): boolean {
  for (const [key, values] of id.labels) {
    const v = obj.metadata.labels?.[key];
    if (typeof v === 'string' && values.has(v)) return true;
  }
  const app = trackingApp(obj);
  return app !== undefined && id.argoApps.has(app);
}

/**
 * PVC names a desired StatefulSet's controller creates (`<template>-<statefulset>-<n>`),
 * keyed by namespace. They carry the template's labels but are data, not drift.
 */
export function statefulSetClaimPatterns(
  desired: readonly KubeObject[],
): Array<{ namespace: string; re: RegExp }> {
  const out: Array<{ namespace: string; re: RegExp }> = [];
  for (const obj of desired) {
    if (obj.kind !== 'StatefulSet' || groupOf(obj.apiVersion) !== 'apps') continue;
    const spec = obj.spec;
    const templates =
      isJsonObject(spec) && Array.isArray(spec.volumeClaimTemplates)
        ? spec.volumeClaimTemplates
        : [];
    for (const t of templates) {
      const name = isJsonObject(t) && isJsonObject(t.metadata) ? t.metadata.name : undefined;
      if (typeof name !== 'string') continue;
      const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      out.push({
        namespace: obj.metadata.namespace ?? '',
        re: new RegExp(`^${esc(name)}-${esc(obj.metadata.name)}-\\d+$`),
      });
    }
  }
  return out;
}

/** True when a live object is a prune candidate of the app (caller checks it is not in Git). */
export function isExtraCandidate(
  obj: KubeObject,
  id: AppIdentity,
  claimPatterns: ReadonlyArray<{ namespace: string; re: RegExp }>,
): boolean {
  const group = groupOf(obj.apiVersion);
  if (kindNeverExtra(group, obj.kind)) return false;
  // Made by a controller (ReplicaSet, Pod, Job, EndpointSlice ...): its owner is the object to judge.
  const owners = obj.metadata.ownerReferences;
  if (Array.isArray(owners) && owners.length > 0) return false;
  if (
    obj.kind === 'PersistentVolumeClaim' &&
    group === '' &&
    claimPatterns.some(
      (p) => p.namespace === (obj.metadata.namespace ?? '') && p.re.test(obj.metadata.name),
    )
  )
    return false;
  return carriesIdentity(obj, id);
}

/**
 * Who made an object that is not in Git: the manager of its oldest managedFields entry
 * (status and other subresources left out), with the object's creation time. `kubectl
 * create` records `kubectl-create`, `kubectl apply` `kubectl-client-side-apply`, a
 * controller its own name. Best effort: an entry whose fields all moved to other managers
 * is gone, and then the oldest remaining one is named.
 */
export function creatorOf(obj: KubeObject): Creator | undefined {
  const raw = obj.metadata.managedFields;
  const entries = (Array.isArray(raw) ? (raw as ManagedFieldsEntry[]) : []).filter(
    (e) => typeof e.manager === 'string' && e.manager !== '' && !e.subresource,
  );
  if (entries.length === 0) return undefined;
  // ISO 8601 UTC times sort as strings; an entry without a time goes last.
  const oldest = entries.reduce((a, b) => ((b.time ?? '~') < (a.time ?? '~') ? b : a));
  const creator: Creator = { manager: oldest.manager! };
  if (oldest.operation) creator.operation = oldest.operation;
  const created = obj.metadata.creationTimestamp;
  const time = typeof created === 'string' ? created : oldest.time;
  if (typeof time === 'string') creator.time = time;
  return creator;
}
