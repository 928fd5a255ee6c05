import { describe, expect, it } from 'vitest';
import { objectKey, refOf } from '../../src/core/compare/kube-object';
import { addEngineMetadata, resolveDesired } from '../../src/core/compare/resolve-desired';
import { loadRecording, recordedCatalog, sourcedObjects } from './fixtures/load-recording';

// The desired objects of a region against the catalog a real kube-apiserver serves
// (recorded-discovery.json) and the objects recorded from it (see record-fixtures.ts).

const rec = loadRecording('recorded-in-sync.json');
const catalog = recordedCatalog();

describe('resolveDesired', () => {
  it('gives each manifest the resource type that serves it, and settles namespaces', () => {
    // The recorded manifests name their namespace; without one, the context's applies.
    const sourced = sourcedObjects(rec).map((s) => {
      const { namespace: _dropped, ...metadata } = s.object.metadata;
      return { ...s, object: { ...s.object, metadata } };
    });
    const { objects, duplicates, notServed } = resolveDesired(sourced, catalog, 'team-a');
    expect(duplicates).toEqual([]);
    expect(notServed).toEqual([]);
    expect(objects).toHaveLength(rec.desired.length);
    const byKind = new Map(objects.map((o) => [o.entry.manifest.kind, o]));
    expect(byKind.get('Deployment')!.resourceType).toMatchObject({
      group: 'apps',
      resource: 'deployments',
      namespaced: true,
    });
    expect(byKind.get('AppProject')!.resourceType).toMatchObject({
      group: 'argoproj.io',
      resource: 'appprojects',
    });
    expect(byKind.get('Deployment')!.entry.manifest.metadata.namespace).toBe('team-a');
    // A Namespace is cluster-scoped: it never gets one.
    expect(byKind.get('Namespace')!.entry.manifest.metadata).not.toHaveProperty('namespace');
    expect(byKind.get('Service')!.entry.source).toBe('fixture.yaml');
  });

  it('keeps a kind the cluster does not serve, without a type, and says it counts as missing', () => {
    const widget = {
      object: {
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name: 'w', namespace: rec.namespace },
      },
      source: 'widgets.yaml',
    };
    const { objects, notServed } = resolveDesired([widget], catalog, 'default');
    expect(objects).toHaveLength(1);
    expect(objects[0].resourceType).toBeUndefined();
    expect(notServed).toEqual([
      'example.com/v1 Widget is not served by the cluster (CRD not installed?): w counts as missing',
    ]);
  });

  it('lists an object defined twice with both places, and keeps the first', () => {
    const [first, second] = [sourcedObjects(rec, 'a.yaml'), sourcedObjects(rec, 'b.yaml')];
    const service = (list: typeof first) => list.find((s) => s.object.kind === 'Service')!;
    const { objects, duplicates } = resolveDesired([...first, service(second)], catalog, 'default');
    expect(objects).toHaveLength(rec.desired.length);
    expect(objects.find((o) => o.entry.manifest.kind === 'Service')!.entry.source).toBe('a.yaml');
    const line = service(first).line;
    expect(duplicates).toEqual([
      `Service ${rec.namespace}/api (a.yaml:${line} and b.yaml:${line})`,
    ]);
  });
});

describe('addEngineMetadata', () => {
  it('adds the labels the engine wrote on the live copy to Git’s side, and nothing else', () => {
    const { objects } = resolveDesired(sourcedObjects(rec), catalog, 'default');
    const service = objects.find((o) => o.entry.manifest.kind === 'Service')!;
    const key = objectKey(refOf(service.entry.manifest));
    const liveCopy = structuredClone(rec.live.find((o) => objectKey(refOf(o)) === key)!);
    // As Argo CD applies it: its tracking label, owned by the applier's Apply entry.
    liveCopy.metadata.labels = { ...liveCopy.metadata.labels, 'app.kubernetes.io/instance': 'x' };
    const applied = (liveCopy.metadata.managedFields as Array<Record<string, unknown>>).find(
      (e) => e.manager === 'argocd-controller' && e.operation === 'Apply',
    )!;
    const fields = applied.fieldsV1 as { 'f:metadata': { 'f:labels'?: Record<string, object> } };
    fields['f:metadata']['f:labels'] = {
      ...fields['f:metadata']['f:labels'],
      'f:app.kubernetes.io/instance': {},
    };
    const before = structuredClone(service.entry.manifest);
    addEngineMetadata(objects, new Map([[key, liveCopy]]), (m) => m === 'argocd-controller');
    expect(service.entry.manifest.metadata.labels).toEqual({
      ...before.metadata.labels,
      'app.kubernetes.io/instance': 'x',
    });
    expect(service.entry.comparable.metadata.labels).toMatchObject({
      'app.kubernetes.io/instance': 'x',
    });
    // Objects without a live copy are left as Git has them.
    const other = objects.find((o) => o.entry.manifest.kind === 'ConfigMap')!;
    expect(other.entry.manifest.metadata.labels ?? {}).not.toHaveProperty(
      'app.kubernetes.io/instance',
    );
  });
});
