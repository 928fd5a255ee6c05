/**
 * Turns a rendered manifest into the two forms the comparison needs:
 * - `manifest`: what is sent to the server-side apply dry-run (namespace settled, plus
 *   the tracking labels/annotations the GitOps engine itself adds at sync time);
 * - `comparable`: the same object in the shape the server would return it, for read-only
 *   comparison (Secret `stringData` merged into `data`, base64 re-encoded canonically).
 */
import { cloneJson, isJsonObject, type JsonObject, type KubeObject } from '../compare/kube-object';
import { entryOwns, type ParsedEntry } from '../compare/managed-fields';

/**
 * Labels and annotations Argo CD and Flux write onto every object they sync. They are not
 * in Git, so without copying them from live the dry-run would remove them (false drift).
 */
export const ENGINE_LABELS: readonly string[] = [
  'app.kubernetes.io/instance',
  'kustomize.toolkit.fluxcd.io/name',
  'kustomize.toolkit.fluxcd.io/namespace',
];
export const ENGINE_ANNOTATIONS: readonly string[] = [
  'argocd.argoproj.io/tracking-id',
  'argocd.argoproj.io/installation-id',
];

/**
 * Settles the namespace: namespaced objects without one get `defaultNamespace` (as
 * `kubectl apply` and Argo CD's destination namespace do); cluster-scoped ones lose theirs.
 */
export function settleNamespace(
  obj: KubeObject,
  namespaced: boolean,
  defaultNamespace: string,
): KubeObject {
  // Only metadata changes: copy that level, share the rest (never mutated).
  const copy = { ...obj, metadata: { ...obj.metadata } };
  if (namespaced) {
    if (!copy.metadata.namespace) copy.metadata.namespace = defaultNamespace;
  } else delete copy.metadata.namespace;
  return copy;
}

/**
 * Copies the GitOps engine's tracking labels/annotations from the live object into the
 * manifest, but only those the applier itself owns there: a person adding the same label
 * by hand is still reported.
 */
export function withEngineMetadata(
  manifest: KubeObject,
  live: KubeObject,
  entries: readonly ParsedEntry[],
  isApplier: (manager: string) => boolean,
): KubeObject {
  const appliers = entries.filter((e) => isApplier(e.manager));
  let copy: KubeObject | undefined;
  for (const [field, keys] of [
    ['labels', ENGINE_LABELS],
    ['annotations', ENGINE_ANNOTATIONS],
  ] as const) {
    const liveMap = live.metadata[field];
    if (!isJsonObject(liveMap)) continue;
    for (const key of keys) {
      const value = liveMap[key];
      if (typeof value !== 'string') continue;
      if (isJsonObject(manifest.metadata[field]) && key in manifest.metadata[field]) continue;
      const path = [{ field: 'metadata' }, { field }, { field: key }];
      if (!appliers.some((e) => entryOwns(e, path, live))) continue;
      copy ??= cloneJson(manifest);
      const target: JsonObject = isJsonObject(copy.metadata[field]) ? copy.metadata[field] : {};
      target[key] = value;
      copy.metadata[field] = target as Record<string, string>;
    }
  }
  return copy ?? manifest;
}

function canonicalBase64(v: string): string {
  const bytes = Buffer.from(v, 'base64');
  // Only rewrite what really is base64; a broken value is left for the server to refuse.
  return bytes.toString('base64').replace(/=+$/, '') === v.replace(/\s+/g, '').replace(/=+$/, '')
    ? bytes.toString('base64')
    : v;
}

/** The manifest as the server would return it: Secret `stringData` folded into `data`. */
export function comparableForm(manifest: KubeObject): KubeObject {
  if (manifest.kind !== 'Secret' || manifest.apiVersion !== 'v1') return manifest;
  const copy = cloneJson(manifest);
  const data: JsonObject = {};
  if (isJsonObject(copy.data)) {
    for (const [k, v] of Object.entries(copy.data))
      data[k] = typeof v === 'string' ? canonicalBase64(v) : v;
  }
  if (isJsonObject(copy.stringData)) {
    for (const [k, v] of Object.entries(copy.stringData)) {
      if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
    }
  }
  delete copy.stringData;
  if (Object.keys(data).length > 0) copy.data = data;
  return copy;
}
