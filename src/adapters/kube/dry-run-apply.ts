/**
 * Server-side apply with `dryRun=All`: the server merges the manifest into the live object
 * exactly as a real sync would (defaults, admission, CRD schemas, list merging) and
 * returns the result without storing anything. `force=true`, as `kubectl diff
 * --server-side` does, so fields someone else took over come back as Git has them
 * instead of as a conflict.
 */
import type { KubeObject } from '../../core/compare/kube-object';
import type { KubeClient } from './kube-client';
import type { ResourceType } from '../../core/compare/resource-catalog';
import { collectionPath } from './discovery';

/** Returns what the object would look like after applying `manifest` as `fieldManager`. */
export async function dryRunApply(
  client: KubeClient,
  rt: ResourceType,
  manifest: KubeObject,
  fieldManager: string,
): Promise<{ object: KubeObject; warnings: string[] }> {
  const path = `${collectionPath(rt, manifest.metadata.namespace)}/${encodeURIComponent(manifest.metadata.name)}`;
  const res = await client.request('PATCH', path, {
    query: { dryRun: 'All', fieldManager, force: 'true' },
    // JSON is valid YAML; the apply content type is what makes this a server-side apply.
    body: JSON.stringify(manifest),
    contentType: 'application/apply-patch+yaml',
  });
  return { object: res.body as KubeObject, warnings: res.warnings };
}
