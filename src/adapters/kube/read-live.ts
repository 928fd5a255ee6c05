/**
 * Reads live objects with LIST requests: one per resource type and namespace (paged),
 * never one GET per object. Objects are kept exactly as the server sent them.
 */
import type { KubeObject } from '../../core/compare/kube-object';
import { KubeApiError, type KubeClient } from './kube-client';
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

/** Reads one object (a GET); undefined when it no longer exists. */
export async function getObject(
  client: KubeClient,
  rt: ResourceType,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  try {
    const item = (await client.getJson(
      `${collectionPath(rt, namespace)}/${encodeURIComponent(name)}`,
    )) as KubeObject;
    item.apiVersion ??= apiVersionOf(rt);
    item.kind ??= rt.kind;
    return item;
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 404) return undefined;
    throw e;
  }
}
