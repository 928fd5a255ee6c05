/**
 * Reads live objects with LIST requests: one per resource type and namespace (paged),
 * never one GET per object. Objects are kept exactly as the server sent them.
 */
import type { KubeObject } from '../../core/compare/kube-object';
import type { KubeClient } from './kube-client';
import { apiVersionOf, type ResourceType } from '../../core/compare/resource-catalog';
import { collectionPath } from './discovery';

/** Items per page: large enough for few round trips, small enough to bound memory. */
const PAGE = 500;

interface ListBody {
  items?: KubeObject[];
  metadata?: { continue?: string };
}

/**
 * Lists every object of a type (in one namespace, or cluster-wide), following `continue`
 * tokens. Items of built-in lists come without apiVersion/kind; they are filled in.
 */
export async function listObjects(
  client: KubeClient,
  rt: ResourceType,
  options: { namespace?: string; labelSelector?: string } = {},
): Promise<KubeObject[]> {
  const out: KubeObject[] = [];
  const path = collectionPath(rt, options.namespace);
  let token: string | undefined;
  do {
    const body = (await client.getJson(path, {
      limit: String(PAGE),
      continue: token,
      labelSelector: options.labelSelector,
    })) as ListBody;
    for (const item of body.items ?? []) {
      item.apiVersion ??= apiVersionOf(rt);
      item.kind ??= rt.kind;
      out.push(item);
    }
    token = body.metadata?.continue || undefined;
  } while (token);
  return out;
}
