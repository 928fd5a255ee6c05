import { describe, expect, it } from 'vitest';
import type { Json, KubeObject } from '../../src/core/compare/kube-object';
import { compareObject } from '../../src/core/compare/compare-object';
import { globMatcher } from '../../src/core/compare/managers';
import { fluxApplyForm } from '../../src/core/engine/flux-apply-form';
import { testFingerprint } from './fixtures/load-recording';

const isApplier = (m: string) => m === 'kustomize-controller';
const isHandManager = globMatcher(['kubectl', 'kubectl-*']);

const entry = (manager: string, operation: 'Apply' | 'Update', fields: Json): Json => ({
  manager,
  operation,
  apiVersion: 'apps/v1',
  time: '2026-12-03T01:00:00Z',
  fieldsType: 'FieldsV1',
  fieldsV1: fields,
});

const git: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'app' },
  spec: {
    replicas: 2,
    template: { spec: { containers: [{ name: 'api', image: 'api:1' }] } },
  },
};

/** What the real kustomize-controller leaves: it applied `strategy: {}` and `resources: {}`. */
function live(extra: Json[] = []): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'api',
      namespace: 'app',
      managedFields: [
        entry('kustomize-controller', 'Apply', {
          'f:spec': {
            'f:replicas': {},
            'f:strategy': {},
            'f:template': {
              'f:spec': {
                'f:containers': {
                  'k:{"name":"api"}': { '.': {}, 'f:image': {}, 'f:name': {}, 'f:resources': {} },
                },
              },
            },
          },
        }),
        ...extra,
      ],
    },
    spec: {
      replicas: 2,
      strategy: {
        type: 'RollingUpdate',
        rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
      },
      template: { spec: { containers: [{ name: 'api', image: 'api:1', resources: {} }] } },
    },
  };
}

const readOnly = (desired: KubeObject, liveObject: KubeObject) =>
  compareObject({
    mode: 'read-only',
    desired,
    live: liveObject,
    isApplier,
    isHandManager,
    fingerprint: testFingerprint,
  }).map((f) => f.path);

describe('fluxApplyForm: Git as Flux applies it', () => {
  it('adds the empty maps Flux writes where live holds a map, and nothing else', () => {
    const form = fluxApplyForm(git, live());
    expect(form.spec).toEqual({
      replicas: 2,
      strategy: {},
      template: { spec: { containers: [{ name: 'api', image: 'api:1', resources: {} }] } },
    });
    // The manifest itself is not changed.
    expect(git.spec).not.toHaveProperty('strategy');
  });

  it('keeps what Git sets and leaves kinds it does not know alone', () => {
    const withStrategy = {
      ...git,
      spec: { ...(git.spec as object), strategy: { type: 'Recreate' } },
    };
    expect(fluxApplyForm(withStrategy, live()).spec).toMatchObject({
      strategy: { type: 'Recreate' },
    });
    const cm: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    expect(fluxApplyForm(cm, cm)).toBe(cm);
  });

  it('read-only mode: without it the fields Flux owns look like removals; with it, in sync', () => {
    expect(readOnly(git, live())).toEqual([
      '/spec/strategy',
      '/spec/template/spec/containers/name=api/resources',
    ]);
    expect(readOnly(fluxApplyForm(git, live()), live())).toEqual([]);
  });

  it('a hand change inside such a map is still reported', () => {
    const changed = live([
      entry('kubectl-patch', 'Update', { 'f:spec': { 'f:strategy': { 'f:type': {} } } }),
    ]);
    (changed.spec as { strategy: { type: string } }).strategy = { type: 'Recreate' };
    expect(readOnly(fluxApplyForm(git, changed), changed)).toEqual(['/spec/strategy/type']);
  });

  it('a Namespace: Flux applies spec: {}', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } };
    const liveNs: KubeObject = {
      ...ns,
      metadata: {
        name: 'app',
        managedFields: [entry('kustomize-controller', 'Apply', { 'f:spec': {} })],
      },
      spec: { finalizers: ['kubernetes'] },
    };
    expect(readOnly(ns, liveNs)).toEqual(['/spec']);
    expect(readOnly(fluxApplyForm(ns, liveNs), liveNs)).toEqual([]);
  });
});
