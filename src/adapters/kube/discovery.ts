/**
 * API discovery: which resource (plural name, scope, verbs) serves each kind in each group
 * version, CRDs included. Uses aggregated discovery (two requests for the whole cluster,
 * Kubernetes 1.30+), and falls back to one request per group version on older servers.
 */
import { KubeApiError, type KubeClient } from './kube-client';
import { mapLimited } from './limiter';
import { ResourceCatalog, type ResourceType } from '../../core/compare/resource-catalog';

/** URL path of a resource collection, optionally inside a namespace. */
export function collectionPath(rt: ResourceType, namespace?: string): string {
  const base = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  return rt.namespaced && namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${rt.resource}`
    : `${base}/${rt.resource}`;
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,' +
  'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

interface AggregatedList {
  kind?: string;
  items?: Array<{
    metadata?: { name?: string };
    versions?: Array<{
      version: string;
      freshness?: string;
      resources?: Array<{
        resource: string;
        responseKind?: { kind?: string };
        scope?: string;
        verbs?: string[];
      }>;
    }>;
  }>;
}

/** Discovers every resource type of the cluster. Errors propagate (KubeApiError). */
export async function discoverResources(client: KubeClient): Promise<ResourceCatalog> {
  const catalog = new ResourceCatalog();
  const [core, groups] = await Promise.all([
    client.getJson('/api', undefined, AGGREGATED_ACCEPT),
    client.getJson('/apis', undefined, AGGREGATED_ACCEPT),
  ]);
  const agg = [core, groups] as AggregatedList[];
  if (agg.every((a) => a?.kind === 'APIGroupDiscoveryList')) {
    for (const list of agg) {
      for (const g of list.items ?? []) {
        const group = g.metadata?.name ?? '';
        (g.versions ?? []).forEach((v, i) => {
          if (v.freshness === 'Stale')
            catalog.warnings.push(
              `API group ${group || 'core'}/${v.version} is stale on the server (its aggregated API server is not answering)`,
            );
          for (const r of v.resources ?? []) {
            const kind = r.responseKind?.kind;
            if (!kind || r.resource.includes('/')) continue;
            catalog.add(
              {
                group,
                version: v.version,
                kind,
                resource: r.resource,
                namespaced: r.scope === 'Namespaced',
                verbs: r.verbs ?? [],
              },
              i === 0,
            );
          }
        });
      }
    }
    return catalog;
  }
  await legacyDiscovery(
    client,
    catalog,
    core as { versions?: string[] },
    groups as {
      groups?: Array<{
        name: string;
        versions: Array<{ version: string }>;
        preferredVersion?: { version: string };
      }>;
    },
  );
  return catalog;
}

async function legacyDiscovery(
  client: KubeClient,
  catalog: ResourceCatalog,
  core: { versions?: string[] },
  groups: {
    groups?: Array<{
      name: string;
      versions: Array<{ version: string }>;
      preferredVersion?: { version: string };
    }>;
  },
): Promise<void> {
  const targets: Array<{ group: string; version: string; preferred: boolean; path: string }> = [];
  for (const v of core.versions ?? ['v1'])
    targets.push({ group: '', version: v, preferred: v === 'v1', path: `/api/${v}` });
  for (const g of groups.groups ?? []) {
    const pref = g.preferredVersion?.version ?? g.versions[0]?.version;
    for (const v of g.versions)
      targets.push({
        group: g.name,
        version: v.version,
        preferred: v.version === pref,
        path: `/apis/${g.name}/${v.version}`,
      });
  }
  // Preferred versions first, so `preferred` ends up holding them.
  targets.sort((a, b) => Number(b.preferred) - Number(a.preferred));
  const lists = await mapLimited(targets, 8, async (t) => {
    try {
      return (await client.getJson(t.path)) as {
        resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
      };
    } catch (e) {
      // An aggregated API server that is down makes only its own group unavailable.
      if (e instanceof KubeApiError && e.status === 503) {
        catalog.warnings.push(`API group version ${t.path} is unavailable (503)`);
        return { resources: [] };
      }
      throw e;
    }
  });
  lists.forEach((list, i) => {
    const t = targets[i];
    for (const r of list.resources ?? []) {
      if (r.name.includes('/')) continue;
      catalog.add(
        {
          group: t.group,
          version: t.version,
          kind: r.kind,
          resource: r.name,
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
        },
        t.preferred,
      );
    }
  });
}
