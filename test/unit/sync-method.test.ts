import { describe, expect, it } from 'vitest';
import type { Json, KubeObject } from '../../src/core/compare/kube-object';
import { compareObject } from '../../src/core/compare/compare-object';
import { argoSyncMethod, LAST_APPLIED } from '../../src/core/engine/sync-method';
import { globMatcher } from '../../src/core/compare/managers';
import { testFingerprint } from './fixtures/load-recording';

const isApplier = (m: string) => m === 'argocd-controller';
const isHandManager = globMatcher(['kubectl', 'kubectl-*']);

interface Entry {
  manager: string;
  operation: 'Apply' | 'Update';
  fields: Json;
  subresource?: string;
}

const entry = (e: Entry): Json => ({
  manager: e.manager,
  operation: e.operation,
  apiVersion: 'v1',
  time: '2026-12-03T01:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: e.fields,
  ...(e.subresource ? { subresource: e.subresource } : {}),
});

function configMap(
  data: Record<string, string>,
  opts: { annotations?: Record<string, string>; entries?: Entry[] } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: 'settings',
      namespace: 'app',
      ...(opts.annotations ? { annotations: opts.annotations } : {}),
      ...(opts.entries ? { managedFields: opts.entries.map(entry) } : {}),
    },
    data,
  };
}

const dataFields = (...keys: string[]): Json => ({
  'f:data': Object.fromEntries(keys.map((k) => [`f:${k}`, {}])),
});

describe('argoSyncMethod: how Argo CD would write the object', () => {
  const git = (options?: string) =>
    configMap(
      { a: '1' },
      options ? { annotations: { 'argocd.argoproj.io/sync-options': options } } : {},
    );
  const ssaLive = configMap(
    { a: '1' },
    { entries: [{ manager: 'argocd-controller', operation: 'Apply', fields: dataFields('a') }] },
  );
  const csaLive = configMap(
    { a: '1' },
    {
      annotations: { [LAST_APPLIED]: '{"data":{"a":"1"}}' },
      entries: [{ manager: 'argocd-controller', operation: 'Update', fields: dataFields('a') }],
    },
  );

  it.each([
    [
      'Replace=true in Git wins over everything',
      git('Replace=true'),
      ['ServerSideApply=true'],
      'replace',
    ],
    ['Replace=true on the Application', git(), ['Replace=true'], 'replace'],
    [
      'ServerSideApply=false in Git beats the Application',
      git('ServerSideApply=false'),
      ['ServerSideApply=true'],
      'client-side',
    ],
    ['ServerSideApply=true in Git', git('ServerSideApply=true'), [], 'server-side'],
    [
      'ServerSideApply=true on the Application',
      git(),
      ['CreateNamespace=true', 'ServerSideApply=true'],
      'server-side',
    ],
    [
      'an Application without it applies client-side (Argo CD default)',
      git(),
      ['CreateNamespace=true'],
      'client-side',
    ],
  ] as const)('%s', (_name, desired, appOptions, method) => {
    expect(argoSyncMethod(desired, ssaLive, appOptions, isApplier).method).toBe(method);
  });

  it('names where Replace=true was set', () => {
    expect(
      argoSyncMethod(git('Replace=true'), ssaLive, undefined, isApplier).replaceBy,
    ).toMatchObject({
      where: 'Git',
      value: 'Replace=true',
    });
    expect(argoSyncMethod(git(), ssaLive, ['Replace=true'], isApplier).replaceBy).toMatchObject({
      where: 'the Application',
    });
  });

  it('without the Application in the tree, the live object tells', () => {
    expect(argoSyncMethod(git(), csaLive, undefined, isApplier).method).toBe('client-side');
    expect(argoSyncMethod(git(), ssaLive, undefined, isApplier).method).toBe('server-side');
    expect(argoSyncMethod(git(), undefined, undefined, isApplier).method).toBe('server-side');
  });
});

describe('compareObject with the sync method', () => {
  const base = {
    mode: 'read-only' as const,
    isApplier,
    isHandManager,
    fingerprint: testFingerprint,
  };

  it('client-side: what the last apply set and Git no longer sets is removed by the sync', () => {
    const live = configMap(
      { a: '1', b: '2' },
      {
        annotations: { [LAST_APPLIED]: JSON.stringify({ data: { a: '1', b: '2' } }) },
        entries: [
          { manager: 'argocd-controller', operation: 'Update', fields: dataFields('a', 'b') },
        ],
      },
    );
    const desired = configMap({ a: '1' });
    const fields = compareObject({ ...base, desired, live, sync: 'client-side' });
    expect(fields.map((f) => [f.path, f.live, f.desired])).toEqual([['/data/b', '2', undefined]]);
    // Under server-side apply the same object is not drift: the Update entry is not the
    // applier's Apply set, so an apply would leave b where it is.
    expect(compareObject({ ...base, desired, live, sync: 'server-side' })).toEqual([]);
  });

  it('client-side: a key someone else added (not in last-applied) stays, as kubectl keeps it', () => {
    const live = configMap(
      { a: '1', c: '3' },
      {
        annotations: { [LAST_APPLIED]: JSON.stringify({ data: { a: '1' } }) },
        entries: [
          { manager: 'argocd-controller', operation: 'Update', fields: dataFields('a') },
          { manager: 'some-operator', operation: 'Update', fields: dataFields('c') },
        ],
      },
    );
    expect(
      compareObject({ ...base, desired: configMap({ a: '1' }), live, sync: 'client-side' }),
    ).toEqual([]);
  });

  it('replace: a field any other writer set is removed, the built-in controllers excepted', () => {
    const live = configMap(
      { a: '1', c: '3', d: '4' },
      {
        entries: [
          { manager: 'argocd-controller', operation: 'Apply', fields: dataFields('a') },
          { manager: 'some-operator', operation: 'Update', fields: dataFields('c') },
          { manager: 'kube-controller-manager', operation: 'Update', fields: dataFields('d') },
        ],
      },
    );
    const desired = configMap({ a: '1' });
    const replaced = compareObject({ ...base, desired, live, sync: 'replace' });
    expect(replaced.map((f) => [f.path, f.manager])).toEqual([['/data/c', 'some-operator']]);
    // Applied, the operator's key is its own business: not drift.
    expect(compareObject({ ...base, desired, live, sync: 'server-side' })).toEqual([]);
  });
});
