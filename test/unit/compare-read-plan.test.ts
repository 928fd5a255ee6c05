import { describe, expect, it } from 'vitest';
import { kindNeverExtra } from '../../src/core/compare/extra-objects';
import { planRegionReads, type Collection } from '../../src/core/compare/read-plan';
import { resolveDesired } from '../../src/core/compare/resolve-desired';
import { loadRecording, recordedCatalog, sourcedObjects } from './fixtures/load-recording';

// What a region's check reads, planned from the catalog a real kube-apiserver serves
// (recorded-discovery.json: built-in kinds plus the Argo CD and Flux CRDs).

const rec = loadRecording('recorded-in-sync.json');
const catalog = recordedCatalog();
const desired = resolveDesired(sourcedObjects(rec), catalog, 'default').objects;
const name = (c: Collection) =>
  `${c.resourceType.resource}${c.resourceType.group ? `.${c.resourceType.group}` : ''}${c.namespace ? ` in ${c.namespace}` : ''}`;

describe('planRegionReads', () => {
  it('lists each collection that holds desired objects once', () => {
    const { lists } = planRegionReads(desired, catalog);
    const ns = rec.namespace;
    expect(lists.map(name).sort()).toEqual(
      [
        'namespaces',
        `deployments.apps in ${ns}`,
        `horizontalpodautoscalers.autoscaling in ${ns}`,
        `services in ${ns}`,
        `configmaps in ${ns}`,
        `secrets in ${ns}`,
        `statefulsets.apps in ${ns}`,
        `appprojects.argoproj.io in ${ns}`,
      ].sort(),
    );
  });

  it('searches every other kind users create: namespaced ones in Git’s namespaces, the rest cluster-wide', () => {
    const { lists, searches } = planRegionReads(desired, catalog);
    const listed = new Set(lists.map(name));
    expect(searches.length).toBeGreaterThan(20);
    for (const s of searches) {
      const rt = s.resourceType;
      expect(rt.verbs).toEqual(expect.arrayContaining(['list', 'create']));
      expect(kindNeverExtra(rt.group, rt.kind)).toBe(false);
      expect(s.namespace).toBe(rt.namespaced ? rec.namespace : undefined);
      // What is listed in full is not searched again.
      expect(listed.has(name(s))).toBe(false);
    }
    const searched = new Set(searches.map(name));
    // Kinds users make by hand, found by the app's labels.
    expect(searched).toContain(`ingresses.networking.k8s.io in ${rec.namespace}`);
    expect(searched).toContain(`networkpolicies.networking.k8s.io in ${rec.namespace}`);
    expect(searched).toContain('clusterroles.rbac.authorization.k8s.io');
    // Never extra: events and the cluster's own components (owned objects are filtered later).
    expect(searched).not.toContain(`events in ${rec.namespace}`);
    expect(searched).not.toContain('nodes');
    // Nor the GitOps engines' own objects.
    expect(searched).not.toContain(
      `kustomizations.kustomize.toolkit.fluxcd.io in ${rec.namespace}`,
    );
  });

  it('reads the objects a pull request removes in full, without searching their namespaces', () => {
    const removed = resolveDesired(
      [
        {
          object: {
            apiVersion: 'v1',
            kind: 'ConfigMap',
            metadata: { name: 'gone', namespace: 'elsewhere' },
          },
          source: 'base.yaml',
        },
      ],
      catalog,
      'default',
    ).objects;
    const plain = planRegionReads(desired, catalog);
    const withRemoved = planRegionReads(desired, catalog, removed);
    expect(withRemoved.lists.map(name)).toEqual([
      ...plain.lists.map(name),
      'configmaps in elsewhere',
    ]);
    expect(withRemoved.searches.map(name)).toEqual(plain.searches.map(name));
  });

  it('reads nothing but the cluster-wide searches for an empty desired state', () => {
    const { lists, searches } = planRegionReads([], catalog);
    expect(lists).toEqual([]);
    expect(searches.every((s) => !s.resourceType.namespaced && s.namespace === undefined)).toBe(
      true,
    );
  });
});
