import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../src/core/compare/kube-object';
import {
  appIdentity,
  creatorOf,
  identitySelectors,
  isExtraCandidate,
  statefulSetClaimPatterns,
} from '../../src/core/compare/extra-objects';

const obj = (
  kind: string,
  name: string,
  labels: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): KubeObject => ({
  apiVersion: kind === 'StatefulSet' ? 'apps/v1' : 'v1',
  kind,
  metadata: { name, namespace: 'alfred', labels, ...extra },
});

describe('extra objects', () => {
  const desired = [
    obj('ConfigMap', 'cfg', { 'app.kubernetes.io/part-of': 'alfred' }),
    {
      ...obj('StatefulSet', 'db', { 'app.kubernetes.io/part-of': 'alfred' }),
      spec: { volumeClaimTemplates: [{ metadata: { name: 'data' } }] },
    } as KubeObject,
  ];
  // The live copy carries the marks Argo CD added at sync time.
  const twin = obj(
    'ConfigMap',
    'cfg',
    { 'app.kubernetes.io/part-of': 'alfred', 'app.kubernetes.io/instance': 'alfred-us-east' },
    {
      annotations: { 'argocd.argoproj.io/tracking-id': 'alfred-us-east:/ConfigMap:alfred/cfg' },
    },
  );
  const id = appIdentity(desired, [twin]);
  const claims = statefulSetClaimPatterns(desired);

  it('learns the identity from Git and from the live copies', () => {
    expect(identitySelectors(id)).toEqual([
      'app.kubernetes.io/instance in (alfred-us-east)',
      'app.kubernetes.io/part-of in (alfred)',
    ]);
  });

  it('a second search looks only for the label values the first one did not', () => {
    const fromGit = appIdentity(desired, []);
    expect(identitySelectors(fromGit)).toEqual(['app.kubernetes.io/part-of in (alfred)']);
    expect(identitySelectors(id, fromGit)).toEqual([
      'app.kubernetes.io/instance in (alfred-us-east)',
    ]);
    // A new value under a key Git already uses: only that value.
    const renamed = obj('ConfigMap', 'cfg', {
      'app.kubernetes.io/part-of': 'alfred-legacy',
    });
    expect(identitySelectors(appIdentity(desired, [renamed]), fromGit)).toEqual([
      'app.kubernetes.io/part-of in (alfred-legacy)',
    ]);
    expect(identitySelectors(fromGit, fromGit)).toEqual([]);
  });

  it('flags objects carrying the app labels or tracking annotation', () => {
    expect(
      isExtraCandidate(
        obj('ConfigMap', 'x', { 'app.kubernetes.io/part-of': 'alfred' }),
        id,
        claims,
      ),
    ).toBe(true);
    expect(
      isExtraCandidate(
        obj('Secret', 'y', { 'app.kubernetes.io/instance': 'alfred-us-east' }),
        id,
        claims,
      ),
    ).toBe(true);
    expect(
      isExtraCandidate(
        obj(
          'Secret',
          'z',
          {},
          { annotations: { 'argocd.argoproj.io/tracking-id': 'alfred-us-east:/Secret:alfred/z' } },
        ),
        id,
        claims,
      ),
    ).toBe(true);
    expect(
      isExtraCandidate(
        obj('ConfigMap', 'other', { 'app.kubernetes.io/part-of': 'billing' }),
        id,
        claims,
      ),
    ).toBe(false);
  });

  it('leaves controller-made objects alone', () => {
    const labels = { 'app.kubernetes.io/part-of': 'alfred' };
    expect(
      isExtraCandidate(
        obj('Pod', 'p', labels, {
          ownerReferences: [{ uid: 'u', kind: 'ReplicaSet', name: 'r', apiVersion: 'apps/v1' }],
        }),
        id,
        claims,
      ),
    ).toBe(false);
    expect(isExtraCandidate(obj('Endpoints', 'svc', labels), id, claims)).toBe(false);
    expect(isExtraCandidate(obj('PersistentVolumeClaim', 'data-db-0', labels), id, claims)).toBe(
      false,
    );
    expect(isExtraCandidate(obj('PersistentVolumeClaim', 'data-other-0', labels), id, claims)).toBe(
      true,
    );
    expect(
      isExtraCandidate(
        { ...obj('Application', 'a', labels), apiVersion: 'argoproj.io/v1alpha1' },
        id,
        claims,
      ),
    ).toBe(false);
  });

  it('does not learn identity from CRDs, which many installations share', () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'x.example.com', labels: { 'app.kubernetes.io/part-of': 'upstream' } },
    } as KubeObject;
    expect(identitySelectors(appIdentity([crd], []))).toEqual([]);
  });
});

describe('who made an extra object', () => {
  const entry = (manager: string, time?: string, extra: Record<string, unknown> = {}) => ({
    manager,
    operation: 'Update',
    fieldsType: 'FieldsV1',
    fieldsV1: {},
    ...(time ? { time } : {}),
    ...extra,
  });

  it('is the oldest managedFields entry, dated by the creation time', () => {
    const made = obj(
      'ConfigMap',
      'stray',
      {},
      {
        creationTimestamp: '2026-11-26T10:00:00Z',
        managedFields: [
          entry('kubectl-label', '2026-11-26T10:05:00Z'),
          entry('kubectl-create', '2026-11-26T10:00:01Z'),
          entry('kubectl-edit', '2026-11-26T11:00:00Z'),
        ],
      },
    );
    expect(creatorOf(made)).toEqual({
      manager: 'kubectl-create',
      operation: 'Update',
      time: '2026-11-26T10:00:00Z',
    });
  });

  it('leaves out subresources and entries without a manager; an entry without a time comes last', () => {
    const made = obj(
      'ConfigMap',
      'stray',
      {},
      {
        managedFields: [
          entry('status-writer', '2026-01-01T00:00:00Z', { subresource: 'status' }),
          entry('', '2026-01-01T00:00:00Z'),
          entry('undated'),
          entry('helm', '2026-03-01T00:00:00Z'),
        ],
      },
    );
    expect(creatorOf(made)).toEqual({
      manager: 'helm',
      operation: 'Update',
      time: '2026-03-01T00:00:00Z',
    });
  });

  it('is unknown without managedFields', () => {
    expect(creatorOf(obj('ConfigMap', 'stray'))).toBeUndefined();
    expect(creatorOf(obj('ConfigMap', 'stray', {}, { managedFields: 'garbage' }))).toBeUndefined();
  });
});
