import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/core/compare/kube-object';
import { formatPath } from '../../src/core/compare/field-path';
import { builtinListKeys } from '../../src/core/compare/list-keys';
import { diffValues, type DiffMode } from '../../src/core/compare/value-diff';

const diff = (mode: DiffMode, desired: unknown, live: unknown) =>
  diffValues(desired as Json, live as Json, { mode, listKeys: builtinListKeys }).map((d) => ({
    ...d,
    path: formatPath(d.path),
  }));

describe('read-only (subset) comparison', () => {
  it('ignores fields only the live object has (defaults, controller fields)', () => {
    expect(
      diff(
        'subset',
        { spec: { replicas: 2 } },
        { spec: { replicas: 2, revisionHistoryLimit: 10 }, status: {} },
      ),
    ).toEqual([]);
  });

  it('treats empty values the server drops as absent', () => {
    const desired = {
      metadata: { annotations: {} },
      spec: { securityContext: {}, args: [], hostNetwork: false, x: null },
    };
    expect(diff('subset', desired, { metadata: {}, spec: {} })).toEqual([]);
  });

  it('keeps an empty string under ConfigMap data as a real value', () => {
    const d = diffValues(
      { data: { EMPTY: '' } },
      { data: {} },
      {
        mode: 'subset',
        listKeys: builtinListKeys,
        keepsEmpty: (p) => p.length === 2,
      },
    );
    expect(d.map((x) => formatPath(x.path))).toEqual(['/data/EMPTY']);
  });

  it('compares int-or-string and quantities by meaning, other strings by text', () => {
    const desired = {
      spec: {
        port: 8080,
        resources: { limits: { cpu: 0.5, memory: '1024Mi' } },
        data: { v: '1.0' },
      },
    };
    const live = {
      spec: {
        port: '8080',
        resources: { limits: { cpu: '500m', memory: '1Gi' } },
        data: { v: '1' },
      },
    };
    expect(diff('subset', desired, live)).toEqual([
      { path: '/spec/data/v', desired: '1.0', live: '1' },
    ]);
  });

  it('matches keyed list items whatever their order, and addresses them by key', () => {
    const desired = {
      containers: [
        { name: 'a', image: 'x:1' },
        { name: 'b', image: 'y:1', ports: [{ containerPort: 80 }] },
      ],
    };
    const live = {
      containers: [
        { name: 'b', image: 'y:2', ports: [{ containerPort: 80, protocol: 'TCP' }] },
        { name: 'a', image: 'x:1' },
      ],
    };
    expect(diff('subset', desired, live)).toEqual([
      { path: '/containers/name=b/image', desired: 'y:1', live: 'y:2' },
    ]);
  });

  it('reports a missing keyed item whole, and an atomic list whole when its length differs', () => {
    expect(diff('subset', { env: [{ name: 'A', value: '1' }] }, { env: [] })).toEqual([
      { path: '/env/name=A', desired: { name: 'A', value: '1' } },
    ]);
    expect(diff('subset', { args: ['a', 'b'] }, { args: ['a'] })).toEqual([
      { path: '/args', desired: ['a', 'b'], live: ['a'] },
    ]);
    expect(diff('subset', { args: ['a', 'b'] }, { args: ['a', 'c'] })).toEqual([
      { path: '/args/1', desired: 'b', live: 'c' },
    ]);
  });
});

describe('server-side (exact) comparison', () => {
  it('reports every difference both ways, including live-only list items', () => {
    const predicted = {
      spec: { replicas: 2, template: { containers: [{ name: 'a', image: 'x:1' }] } },
    };
    const live = {
      spec: {
        replicas: 5,
        paused: true,
        template: {
          containers: [
            { name: 'a', image: 'x:1' },
            { name: 's', image: 'z' },
          ],
        },
      },
    };
    expect(diff('exact', predicted, live)).toEqual([
      { path: '/spec/paused', live: true },
      { path: '/spec/replicas', desired: 2, live: 5 },
      { path: '/spec/template/containers/name=s', live: { name: 's', image: 'z' } },
    ]);
  });

  it('does not normalise: the server already did', () => {
    expect(diff('exact', { cpu: '500m' }, { cpu: '0.5' })).toHaveLength(1);
  });
});
