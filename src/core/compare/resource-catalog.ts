/**
 * The resource types a cluster serves (found by discovery in adapters/kube), looked up by
 * apiVersion and kind: what the check needs to know to list, search and dry-run objects.
 */

/** A resource type the server serves. */
export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name used in URLs, e.g. `deployments`. */
  resource: string;
  namespaced: boolean;
  verbs: string[];
}

/** apiVersion string of a resource type (`apps/v1`, `v1`). */
export function apiVersionOf(rt: Pick<ResourceType, 'group' | 'version'>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/** Every resource type of a cluster, looked up by apiVersion + kind. */
export class ResourceCatalog {
  private readonly byGvk = new Map<string, ResourceType>();
  /** One type per group+kind, at the group's preferred version. */
  readonly preferred: ResourceType[] = [];
  /** Notes about discovery (stale aggregated API servers ...). */
  readonly warnings: string[] = [];

  add(rt: ResourceType, preferred: boolean): void {
    const key = `${apiVersionOf(rt)}|${rt.kind}`;
    if (!this.byGvk.has(key)) this.byGvk.set(key, rt);
    if (preferred && !this.preferred.some((p) => p.group === rt.group && p.kind === rt.kind))
      this.preferred.push(rt);
  }

  /** Every type, in the order discovery added them. */
  all(): ResourceType[] {
    return [...this.byGvk.values()];
  }

  /** The resource serving `kind` in `apiVersion`, if any. */
  find(apiVersion: string, kind: string): ResourceType | undefined {
    return this.byGvk.get(`${apiVersion}|${kind}`);
  }
}
