import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  assessRisks,
  findingRisks,
  isImmutableField,
  refusalIsImmutable,
} from '../../src/core/compare/assess-risks';
import type { KubeObject } from '../../src/core/compare/kube-object';
import { planAnnotations } from '../../src/core/report/annotations';
import { RISK_IDS, RISK_REASONS, sortRisks } from '../../src/core/report/risks';
import type { FieldDiff, Finding } from '../../src/core/report/model';
import { changed, field, region, report } from '../support/reports';

const finding = (
  apiVersion: string,
  kind: string,
  fields: FieldDiff[],
  type: Finding['type'] = 'changed',
): Finding => ({ apiVersion, kind, namespace: 'alfred', name: 'x', type, fields });

/** A difference a sync would write: Git sets the value. */
const git = (path: string, desired: unknown, live: unknown): FieldDiff => ({
  path,
  desired,
  live,
  manager: 'argocd-controller',
  operation: 'Apply',
});

const liveObject = (kind: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind,
  metadata: { name: 'x', namespace: 'alfred' },
  ...extra,
});

describe('refusalIsImmutable', () => {
  // Causes as kube-apiserver 1.36 answered the dry-run applies in the integration test.
  const immutable: Array<[string, string]> = [
    ['spec.selector', 'Invalid value: {"matchLabels":{"a":"1","b":"2"}}: field is immutable'],
    [
      'spec',
      "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ],
    ['spec.clusterIPs[0]', 'Invalid value: ["None"]: may not change once set'],
    [
      'spec',
      'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims',
    ],
    ['data', 'Forbidden: field is immutable when `immutable` is set'],
    ['roleRef', 'Invalid value: {"APIGroup":"rbac.authorization.k8s.io"}: cannot change roleRef'],
    ['spec.resources.requests.storage', 'Forbidden: field can not be less than previous value'],
  ];

  it.each(immutable)('recognises a refused update of %s', (field, message) => {
    expect(refusalIsImmutable([{ reason: 'FieldValueInvalid', field, message }], 'x')).toBe(true);
  });

  it('keeps a broken manifest an error, also when mixed with a fixed field', () => {
    const required = { field: 'spec.template.spec.containers[0].image', message: 'Required value' };
    expect(refusalIsImmutable([required], 'Deployment "x" is invalid')).toBe(false);
    expect(
      refusalIsImmutable([required, { field: 'spec.selector', message: 'field is immutable' }], ''),
    ).toBe(false);
  });

  it('reads the message when the server gives no causes', () => {
    expect(
      refusalIsImmutable([], 'Job.batch "j" is invalid: spec.template: field is immutable'),
    ).toBe(true);
    expect(refusalIsImmutable([], 'admission webhook denied the request')).toBe(false);
  });
});

describe('isImmutableField (the read-only table)', () => {
  const cases: Array<[string, string, FieldDiff, KubeObject | undefined, boolean]> = [
    [
      'Deployment selector',
      'apps|Deployment',
      git('/spec/selector/matchLabels/tier', 'a', undefined),
      undefined,
      true,
    ],
    [
      'Deployment template',
      'apps|Deployment',
      git('/spec/template/spec/containers/name=api/image', 'a', 'b'),
      undefined,
      false,
    ],
    [
      'DaemonSet selector',
      'apps|DaemonSet',
      git('/spec/selector/matchLabels/a', '1', '2'),
      undefined,
      true,
    ],
    [
      'ReplicaSet selector',
      'apps|ReplicaSet',
      git('/spec/selector/matchLabels/a', '1', '2'),
      undefined,
      true,
    ],
    [
      'StatefulSet claims',
      'apps|StatefulSet',
      git('/spec/volumeClaimTemplates/0/spec/resources/requests/storage', '5Gi', '1Gi'),
      undefined,
      true,
    ],
    [
      'StatefulSet serviceName',
      'apps|StatefulSet',
      git('/spec/serviceName', 'a', 'b'),
      undefined,
      true,
    ],
    [
      'StatefulSet podManagementPolicy',
      'apps|StatefulSet',
      git('/spec/podManagementPolicy', 'Parallel', 'OrderedReady'),
      undefined,
      true,
    ],
    ['StatefulSet replicas', 'apps|StatefulSet', git('/spec/replicas', 0, 1), undefined, false],
    [
      'StatefulSet template',
      'apps|StatefulSet',
      git('/spec/template/spec/containers/name=db/image', 'a', 'b'),
      undefined,
      false,
    ],
    [
      'StatefulSet minReadySeconds',
      'apps|StatefulSet',
      git('/spec/minReadySeconds', 5, 0),
      undefined,
      false,
    ],
    [
      'StatefulSet retention policy',
      'apps|StatefulSet',
      git('/spec/persistentVolumeClaimRetentionPolicy/whenDeleted', 'Delete', 'Retain'),
      undefined,
      false,
    ],
    [
      'Job template',
      'batch|Job',
      git('/spec/template/spec/containers/name=main/image', 'a', 'b'),
      undefined,
      true,
    ],
    ['Job completions', 'batch|Job', git('/spec/completions', 3, 2), undefined, true],
    [
      'Indexed Job completions',
      'batch|Job',
      git('/spec/completions', 3, 2),
      liveObject('Job', { spec: { completionMode: 'Indexed' } }),
      false,
    ],
    ['Job parallelism', 'batch|Job', git('/spec/parallelism', 3, 2), undefined, false],
    [
      'Service clusterIP set in Git',
      '|Service',
      git('/spec/clusterIP', 'None', '10.0.0.12'),
      undefined,
      true,
    ],
    [
      'Service clusterIP Git does not set',
      '|Service',
      { path: '/spec/clusterIP', live: '10.0.0.12', manager: 'kubectl-edit', operation: 'Update' },
      undefined,
      false,
    ],
    ['Service selector', '|Service', git('/spec/selector/app', 'a', 'b'), undefined, false],
    [
      'PVC storage class',
      '|PersistentVolumeClaim',
      git('/spec/storageClassName', 'fast', 'standard'),
      undefined,
      true,
    ],
    [
      'PVC access modes',
      '|PersistentVolumeClaim',
      git('/spec/accessModes', ['ReadWriteMany'], ['ReadWriteOnce']),
      undefined,
      true,
    ],
    [
      'PVC shrink',
      '|PersistentVolumeClaim',
      git('/spec/resources/requests/storage', '512Mi', '1Gi'),
      undefined,
      true,
    ],
    [
      'PVC grow',
      '|PersistentVolumeClaim',
      git('/spec/resources/requests/storage', '2Gi', '1Gi'),
      undefined,
      false,
    ],
    [
      'PVC volumeName first binding',
      '|PersistentVolumeClaim',
      git('/spec/volumeName', 'pv-1', undefined),
      undefined,
      false,
    ],
    [
      'PVC volumeName rebinding',
      '|PersistentVolumeClaim',
      git('/spec/volumeName', 'pv-2', 'pv-1'),
      undefined,
      true,
    ],
    [
      'immutable ConfigMap data',
      '|ConfigMap',
      git('/data/mode', 'b', 'a'),
      liveObject('ConfigMap', { immutable: true }),
      true,
    ],
    [
      'mutable ConfigMap data',
      '|ConfigMap',
      git('/data/mode', 'b', 'a'),
      liveObject('ConfigMap'),
      false,
    ],
    [
      'immutable ConfigMap label',
      '|ConfigMap',
      git('/metadata/labels/a', 'b', 'a'),
      liveObject('ConfigMap', { immutable: true }),
      false,
    ],
    [
      'immutable Secret data',
      '|Secret',
      git('/data/password', 'hmac:1', 'hmac:2'),
      liveObject('Secret', { immutable: true }),
      true,
    ],
    [
      'Secret type',
      '|Secret',
      git('/type', 'kubernetes.io/basic-auth', 'Opaque'),
      liveObject('Secret'),
      true,
    ],
    [
      'RoleBinding roleRef',
      'rbac.authorization.k8s.io|RoleBinding',
      git('/roleRef/name', 'edit', 'view'),
      undefined,
      true,
    ],
    [
      'RoleBinding subjects',
      'rbac.authorization.k8s.io|RoleBinding',
      git('/subjects', [], []),
      undefined,
      false,
    ],
    [
      'ClusterRoleBinding roleRef',
      'rbac.authorization.k8s.io|ClusterRoleBinding',
      git('/roleRef/name', 'edit', 'view'),
      undefined,
      true,
    ],
    [
      'Ingress class',
      'networking.k8s.io|Ingress',
      git('/spec/ingressClassName', 'a', 'b'),
      undefined,
      false,
    ],
  ];

  it.each(cases)('%s', (_name, kindKey, diff, live, expected) => {
    expect(isImmutableField(kindKey, diff, live)).toBe(expected);
  });

  it('ignores a value someone added by hand that a sync would leave alone', () => {
    const hand: FieldDiff = {
      path: '/spec/podManagementPolicy',
      live: 'Parallel',
      manager: 'kubectl-create',
      operation: 'Update',
    };
    expect(isImmutableField('apps|StatefulSet', hand, undefined)).toBe(false);
    // The applier's own earlier value that Git dropped: the sync removes it.
    expect(isImmutableField('apps|StatefulSet', { ...hand, operation: 'Apply' }, undefined)).toBe(
      true,
    );
  });
});

describe('findingRisks', () => {
  it('server-side mode: immutable-field exactly when the server refused the dry-run', () => {
    const f = finding('apps/v1', 'StatefulSet', [git('/spec/serviceName', 'a', 'b')]);
    expect(findingRisks(f, 'server-side', { refusedAsImmutable: true })).toEqual([
      'immutable-field',
    ]);
    // The table alone never overrules the server, which accepted this apply.
    expect(findingRisks(f, 'server-side', {})).toEqual([]);
    expect(findingRisks(f, 'read-only', {})).toEqual(['immutable-field']);
  });

  it('flags selector changes of Services and workloads, with the immutability of the latter', () => {
    const svc = finding('v1', 'Service', [git('/spec/selector/app', 'web-v2', 'web')]);
    expect(findingRisks(svc, 'read-only')).toEqual(['selector-change']);
    const deploy = finding('apps/v1', 'Deployment', [
      git('/spec/selector/matchLabels/t', 'a', undefined),
    ]);
    expect(findingRisks(deploy, 'read-only')).toEqual(['immutable-field', 'selector-change']);
    const pdb = finding('policy/v1', 'PodDisruptionBudget', [
      git('/spec/selector/matchLabels/a', '1', '2'),
    ]);
    expect(findingRisks(pdb, 'read-only')).toEqual([]);
  });

  it('flags replicas going to zero, and nothing else about replicas', () => {
    const to = (desired: unknown, live: unknown) =>
      findingRisks(
        finding('apps/v1', 'Deployment', [git('/spec/replicas', desired, live)]),
        'server-side',
      );
    expect(to(0, 3)).toEqual(['replicas-to-zero']);
    expect(to(0, undefined)).toEqual(['replicas-to-zero']);
    expect(to(0, 0)).toEqual([]);
    expect(to(1, 0)).toEqual([]);
    expect(to(2, 5)).toEqual([]);
  });

  it('flags extra objects whose prune deletes data or many objects', () => {
    const extra = (apiVersion: string, kind: string, live?: KubeObject) =>
      findingRisks(finding(apiVersion, kind, [], 'extra'), 'server-side', live ? { live } : {});
    expect(extra('v1', 'PersistentVolumeClaim')).toEqual(['prune-data']);
    expect(extra('v1', 'Namespace')).toEqual(['prune-data']);
    expect(extra('apiextensions.k8s.io/v1', 'CustomResourceDefinition')).toEqual(['prune-data']);
    const sts = (templates: unknown[]) =>
      ({
        ...liveObject('StatefulSet'),
        apiVersion: 'apps/v1',
        spec: { volumeClaimTemplates: templates },
      }) as KubeObject;
    expect(extra('apps/v1', 'StatefulSet', sts([{ metadata: { name: 'data' } }]))).toEqual([
      'prune-data',
    ]);
    expect(extra('apps/v1', 'StatefulSet', sts([]))).toEqual([]);
    expect(extra('v1', 'ConfigMap')).toEqual([]);
    // Missing objects are created by a sync: nothing is deleted.
    expect(
      findingRisks(finding('v1', 'PersistentVolumeClaim', [], 'missing'), 'server-side'),
    ).toEqual([]);
  });

  it('a claim that must be recreated loses its data too', () => {
    const f = finding('v1', 'PersistentVolumeClaim', [
      git('/spec/storageClassName', 'fast', 'standard'),
    ]);
    expect(findingRisks(f, 'read-only')).toEqual(['prune-data', 'immutable-field']);
    expect(findingRisks(f, 'server-side', { refusedAsImmutable: true })).toEqual([
      'prune-data',
      'immutable-field',
    ]);
  });
});

describe('assessRisks', () => {
  it('sets risks where a rule applies, drops stale ones, and leaves other findings as they are', () => {
    const plain = finding('v1', 'ConfigMap', [git('/data/a', '1', '2')]);
    const stale: Finding = { ...plain, name: 'stale', risks: ['prune-data'] };
    const zero = finding('apps/v1', 'Deployment', [git('/spec/replicas', 0, 2)]);
    const out = assessRisks([plain, stale, zero], 'server-side', () => ({}));
    expect(out[0]).toBe(plain);
    expect(out[1]).not.toHaveProperty('risks');
    expect(out[2].risks).toEqual(['replicas-to-zero']);
    // The input is not modified.
    expect(zero.risks).toBeUndefined();
  });

  it('passes each finding its own context', () => {
    const a = {
      ...finding('apps/v1', 'StatefulSet', [git('/spec/serviceName', 'a', 'b')]),
      name: 'a',
    };
    const b = { ...a, name: 'b' };
    const out = assessRisks([a, b], 'server-side', (f) => ({ refusedAsImmutable: f.name === 'b' }));
    expect(out.map((f) => f.risks)).toEqual([undefined, ['immutable-field']]);
  });
});

describe('the risk catalogue', () => {
  it('gives every risk a one-line reason and the schema lists exactly these ids', () => {
    for (const id of RISK_IDS) {
      expect(RISK_REASONS[id].length).toBeGreaterThan(20);
      expect(RISK_REASONS[id]).not.toContain('\n');
    }
    expect(Object.keys(RISK_REASONS).sort()).toEqual([...RISK_IDS].sort());
    const schema = JSON.parse(
      readFileSync(new URL('../../schema/report.schema.json', import.meta.url), 'utf8'),
    ) as { definitions: { risk: { enum: string[]; description: string } } };
    expect(schema.definitions.risk.enum).toEqual([...RISK_IDS]);
    for (const id of RISK_IDS) expect(schema.definitions.risk.description).toContain(`${id}:`);
  });

  it('sorts and de-duplicates into catalogue order', () => {
    expect(sortRisks(['replicas-to-zero', 'prune-data', 'replicas-to-zero'])).toEqual([
      'prune-data',
      'replicas-to-zero',
    ]);
  });
});

describe('annotations put risky objects first', () => {
  it('names risky objects before the others of the same overlay file, and says so in the title', () => {
    const plain = Array.from({ length: 6 }, (_, i) =>
      changed(`web-${i}`, [field('/spec/template/spec/containers/name=web/image', 'a', 'b')]),
    );
    const risky = changed('zz-db', [field('/spec/serviceName', 'a', 'b')], {
      kind: 'StatefulSet',
      risks: ['immutable-field'],
    });
    const [a] = planAnnotations(report([region('us-east', [...plain, risky])]));
    expect(a.title).toBe('mr-drift: risky drift in us-east');
    expect(a.message).toMatch(
      /^7 objects from this overlay differ in us-east: StatefulSet alfred\/zz-db \(changed: \/spec\/serviceName; risk: immutable-field\); Deployment alfred\/web-0/,
    );
  });
});
